"""A cache of the rendered board, for a repeat request that would render the same HTML.

Rendering a 200-card board costs tens of milliseconds of Python; finding out whether anything
it shows has changed costs a few small queries. The key holds everything the HTML depends on:
the project, the user (id, names, role, staff flags), the normalised query string, the kind of
request (page, HTMX fragment, history restore), and a content version made of the issue
fingerprint the live poll uses (count + latest change), the statuses, the labels, the members
and the projects of the top bar's switcher (and planning's active sprint, named in the toolbar). Any change to one of them is a new key; stale
entries are never read again and age out of the cache.

The HTML embeds CSRF tokens, which differ per browser: it is rendered and stored with a
placeholder that each response replaces with the requester's own token, so one entry serves
every request of the same user whatever their CSRF cookie.

A process-local cache (LocMemCache) is enough: a miss only renders; processes stay stateless.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token

from issues.models import Issue, Label, Membership, Project, Status, Transition
from notifications.inbox import unread_count
from planning.models import Release, ReleaseState, Sprint, SprintState

# Bump when what the board renders changes shape in a way the key does not see (a shared
# cache that outlives a deploy).
KEY_VERSION = 1
TIMEOUT = 600  # seconds; an entry nobody asks for again leaves the cache by then


def csrf_placeholder() -> str:
    """What stands for the CSRF token in stored HTML: derived from SECRET_KEY, so nobody can
    type it into a title to have it replaced with another user's token."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"board-csrf-placeholder", hashlib.sha256)
    return f"csrfplaceholder{digest.hexdigest()[:32]}"


def board_cache() -> BaseCache:
    """The "boards" cache when the settings define one (a bounded LocMemCache), else the
    default."""
    try:
        return caches["boards"]
    except InvalidCacheBackendError:
        return caches["default"]


def has_pending_messages(request: HttpRequest) -> bool:
    """Whether a message waits to be shown (the page then shows it: not a cached one). The
    messages stay pending for the render."""
    storage = get_messages(request)
    pending = any(True for _ in storage)
    storage.used = False
    return pending


def enabled(request: HttpRequest) -> bool:
    """Whether this request may be served from the cache: not with DEBUG (templates change
    under a running server) nor with a pending message (the page shows it)."""
    return not settings.DEBUG and not has_pending_messages(request)


def request_kind(request: HttpRequest) -> str:
    if not request.htmx:
        return "page"
    if request.htmx.history_restore_request:
        return "restore"
    return "fragment"


def cache_key(request: HttpRequest, project: Project, data: Content) -> str:
    """The key of this request's board HTML."""
    user = request.user
    query = sorted((name, request.GET.getlist(name)) for name in request.GET)
    parts = (
        KEY_VERSION,
        request_kind(request),
        (project.pk, project.key, project.name, project.role, project.can_edit),
        (user.pk, user.get_username(), user.first_name, user.last_name),
        (user.is_staff, user.is_superuser),
        query,
        data.version,
        unread_count(request),  # The top bar shows it.
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"board:{project.pk}:{digest}"


@dataclass
class Content:
    """What one query tells about the board's data: the version for the key, and the rows the
    render can use instead of querying them again (labels, the top bar's projects)."""

    version: str
    labels: list[Label]
    nav_projects: list[Project]
    transitions: dict[int, frozenset[int]]  # issues.workflow.allowed_moves, from the same rows
    sprints: list[Sprint] = field(default_factory=list)  # the open ones: the sprint filter
    releases: list[Release] = field(default_factory=list)  # unreleased: the card menu offers them

    @property
    def active_sprint(self) -> Sprint | None:
        """Planning's active sprint, named in the toolbar (one of `sprints`)."""
        return next((each for each in self.sprints if each.state == SprintState.ACTIVE), None)


def content(project: Project, user) -> Content:
    """One query (UNION ALL) for what the board shows besides the request: issues (count +
    latest change), statuses, labels, members (names in the assignee filter and on cards), the
    workflow's transitions (the moves its menu offers) and the top bar's projects."""
    issue, status, label = Issue._meta.db_table, Status._meta.db_table, Label._meta.db_table
    membership, project_table = Membership._meta.db_table, Project._meta.db_table
    transition = Transition._meta.db_table
    users = get_user_model()._meta.db_table
    sprint, end = Sprint._meta.db_table, connection.ops.quote_name("end")
    release = Release._meta.db_table
    # The switcher lists projects that are not archived (ProjectQuerySet.active).
    if user.is_superuser:
        visible, visible_params = "WHERE archived_at IS NULL", []
    else:
        visible = (
            "WHERE archived_at IS NULL AND "  # noqa: S608
            f"id IN (SELECT project_id FROM {membership} WHERE user_id = %s)"
        )
        visible_params = [user.pk]
    sql = f"""
        SELECT 'i', '', 0, CAST(COUNT(*) AS TEXT), CAST(MAX(updated_at) AS TEXT),
               NULL, NULL, NULL, NULL
          FROM {issue} WHERE project_id = %s
        UNION ALL
        SELECT 's', '', id, name, category, color, CAST(position AS TEXT),
               CAST(wip_limit AS TEXT), CAST(is_default AS TEXT)
          FROM {status} WHERE project_id = %s
        UNION ALL
        SELECT 'l', name, id, name, color, description, NULL, NULL, NULL
          FROM {label} WHERE project_id = %s
        UNION ALL
        SELECT 'm', '', m.user_id, m.role, u.username, u.first_name, u.last_name, NULL, NULL
          FROM {membership} m JOIN {users} u ON u.id = m.user_id WHERE m.project_id = %s
        UNION ALL
        SELECT 'r', '', id, name, CAST(start AS TEXT), CAST({end} AS TEXT), state, NULL, NULL
          FROM {sprint} WHERE project_id = %s AND state IN ('active', 'planned')
        UNION ALL
        SELECT 'v', '', id, name, NULL, NULL, NULL, NULL, NULL
          FROM {release} WHERE project_id = %s AND state = 'unreleased'
        UNION ALL
        SELECT 't', '', from_status_id, CAST(to_status_id AS TEXT), NULL, NULL, NULL, NULL, NULL
          FROM {transition} WHERE project_id = %s
        UNION ALL
        SELECT 'p', "key", id, "key", name, NULL, NULL, NULL, NULL FROM {project_table} {visible}
        ORDER BY 1, 2, 3
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [project.pk] * 7 + visible_params)
        rows = cursor.fetchall()
    labels = [
        Label(pk=pk, project_id=project.pk, name=name, color=color, description=description)
        for kind, _, pk, name, color, description, *_ in rows
        if kind == "l"
    ]
    nav_projects = [
        Project(pk=pk, key=key, name=name) for kind, _, pk, key, name, *_ in rows if kind == "p"
    ]
    sprints = [
        Sprint(
            pk=pk,
            project_id=project.pk,
            name=name,
            start=datetime.date.fromisoformat(start[:10]) if start else None,
            end=datetime.date.fromisoformat(end[:10]) if end else None,
            state=state,
        )
        for kind, _, pk, name, start, end, state, *_ in rows
        if kind == "r"
    ]
    releases = [
        Release(pk=pk, project_id=project.pk, name=name, state=ReleaseState.UNRELEASED)
        for kind, _, pk, name, *_ in rows
        if kind == "v"
    ]
    targets: dict[int, set[int]] = {}
    for kind, _, from_id, to_id, *_ in rows:
        if kind == "t":
            targets.setdefault(from_id, set()).add(int(to_id))
    transitions = {from_id: frozenset(to_ids) for from_id, to_ids in targets.items()}
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    return Content(digest, labels, nav_projects, transitions, sprints, releases)


def get(request: HttpRequest, key: str) -> tuple[str, int, str] | None:
    """The stored (html, status, version) with this request's CSRF token in it, or None."""
    entry = board_cache().get(key)
    if entry is None:
        return None
    html, status, version = entry
    return html.replace(csrf_placeholder(), get_token(request)), status, version


def put(request: HttpRequest, key: str, html: str, status: int, version: str) -> str:
    """Store the HTML rendered with the placeholder; return it with the request's token."""
    board_cache().set(key, (html, status, version), TIMEOUT)
    return html.replace(csrf_placeholder(), get_token(request))
