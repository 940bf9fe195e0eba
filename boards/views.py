"""The team board: columns per status, cards that move, filters, swimlanes, a live refresh.

Every view starts with `project_for` (404 for non-members), because a fragment skips the page
around it. Moves and quick adds go through `issues.operations`; a refusal changes nothing and
answers 4xx with the reason (in the X-Error-Message header for HTMX, as a notice otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from issues import operations
from issues.access import project_for
from issues.filters import IssueFilter, error_message, filter_menu
from issues.models import Issue, Kind, Label, Priority, Project, Source, Status
from issues.workflow import allowed_moves, as_data, refusal_note, split_targets
from notifications.inbox import with_unread_count
from planning.models import Release, ReleaseState, SprintState
from tracker.inputs import whole_number

from . import cache as board_cache
from .board import (
    GROUPS,
    HIDEABLE,
    MAX_LOADED,
    NO_LANE,
    PAGE_SIZE,
    Board,
    Column,
    build_board,
    cards_after_move,
    filtered_issues,
    fingerprint,
    load_headers,
    more_cards,
    parse_version,
    unchanged_since,
    version,
)

VERSION_HEADER = "X-Board-Version"
# Refusals of operations.move_issue / create_issue by code: the board was stale or a rule of
# the workflow said no (409); anything else is a bad request (400).
CONFLICT_CODES = {"stale_board", "wip_limit", "transition_not_allowed"}
# Deleted while the request was under way; a column id of another project.
NOT_FOUND_CODES = {"deleted", "foreign_status"}


class Refused(Exception):
    """A request the board turns down; nothing has been changed."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def login_required_htmx(view: Callable) -> Callable:
    """login_required that sends HTMX requests (a poll after the session expired) to the login
    page as a whole page, instead of swapping the login form into the board."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            return HttpResponseClientRedirect(redirect_to_login(request.path).url)
        return redirect_to_login(request.get_full_path())

    return wrapper


# Pages -----------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@login_required_htmx
def board(request: HttpRequest, key: str) -> HttpResponse:
    """The board page; for HTMX (filters, the live poll) only the board itself.

    The poll sends the version it shows: when nothing changed it gets an empty 204. While a
    sprint is active, the board opens on it: its bare address (no query string) redirects to
    `?sprint=active`; the sprint filter's "All issues" (`?sprint=`) shows every issue.
    """
    project = project_for(request, key)
    known = request.headers.get(VERSION_HEADER)
    if request.htmx and known and known == fingerprint(project):
        return with_unread_count(request, HttpResponse(status=204))
    # A repeat request for HTML already rendered is answered from the cache (boards/cache.py).
    data = key = None
    if board_cache.enabled(request):
        data = board_cache.content(project, request.user)
    bare = not request.htmx and not request.GET
    if bare and (
        data.active_sprint if data else project.sprints.filter(state=SprintState.ACTIVE).exists()
    ):
        return redirect(f"{request.path}?sprint=active")
    if data:
        key = board_cache.cache_key(request, project, data)
        cached = board_cache.get(request, key)
        if cached is not None:
            html, status, board_version = cached
            response = HttpResponse(html, status=status)
            response[VERSION_HEADER] = board_version
            return with_unread_count(request, response)
    whole_page = not request.htmx or request.htmx.history_restore_request
    context, status = board_context(
        request,
        project,
        request.GET,
        toolbar=whole_page,
        labels=data.labels if data else None,
        transitions=data.transitions if data else None,
    )
    if data:
        context["nav_projects"] = data.nav_projects
        context["csrf_token"] = board_cache.csrf_placeholder()
    if whole_page:
        sprints = (
            data.sprints
            if data
            else list(project.sprints.filter(state__in=[SprintState.ACTIVE, SprintState.PLANNED]))
        )
        context["sprints"] = sorted(
            sprints, key=lambda each: (each.state != SprintState.ACTIVE, each.pk)
        )
        context["active_sprint"] = next(
            (each for each in sprints if each.state == SprintState.ACTIVE), None
        )
        context["sprint_choice"] = request.GET.get("sprint", "")
        context["releases"] = (
            data.releases
            if data
            else list(project.releases.filter(state=ReleaseState.UNRELEASED).order_by("pk"))
        )
    template = "boards/board.html" if whole_page else "boards/board.html#board"
    html = render_to_string(template, context, request=request)
    if key:
        html = board_cache.put(request, key, html, status, context["version"])
    response = HttpResponse(html, status=status)
    response[VERSION_HEADER] = context["version"]
    return with_unread_count(request, response)


@require_GET
@login_required_htmx
def column(request: HttpRequest, key: str) -> HttpResponse:
    """The next cards of a column (or of a swimlane's cell): "Show more"."""
    project = project_for(request, key)
    statuses = list(project.statuses.all())
    try:
        status = _status(project, request.GET.get("column"), statuses)
        offset = _whole_number(request.GET.get("offset"), "offset", maximum=1_000_000)
        limit = PAGE_SIZE
        if request.GET.get("limit") is not None:
            limit = _whole_number(request.GET.get("limit"), "limit", maximum=MAX_LOADED)
            if not limit:
                raise Refused(f"The limit is a number of cards from 1 to {MAX_LOADED}.")
        group = request.GET.get("group", "")
        lane = request.GET.get("lane", "")
        if group and group not in GROUPS:
            raise Refused("Unknown swimlane grouping.")
        if group and lane != NO_LANE:
            _whole_number(lane, "lane", maximum=2**62)
    except Refused as refusal:
        return _error(refusal)
    filterset = board_filter(request.GET, request, project)
    if not filterset.is_valid():
        return _error(Refused(error_message(filterset)))
    cards, remaining = more_cards(
        project,
        filterset,
        status,
        offset=offset,
        group=group,
        lane=lane if group else "",
        limit=limit,
    )
    params = request.GET.copy()
    params.pop("limit", None)  # the next "Show more" is a page again
    next_query = params.copy()
    next_query["offset"] = offset + len(cards)
    context = {
        "project": project,
        "cards": cards,
        "status": status,
        "column": Column(status, cards),
        "remaining": remaining,
        "grouped": bool(group),
        "lane_key": lane,
        "more_url": f"{reverse('boards:column', args=[project.key])}?{next_query.urlencode()}",
        "move_action": _move_action(project, params),
        "list_url": reverse("issues:list", args=[project.key]),
        "query": urlsplit(_board_path(project, params)).query,
    }
    return render(request, "boards/board.html#more", context)


@require_GET
@login_required_htmx
def move_form(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """A card's "Move to…" choices as a page: where the card's ⋯ link leads without
    JavaScript (with it, the board opens its shared menu). It posts to `move` like the menu,
    and offers only the moves the workflow allows from the card's status."""
    project = project_for(request, key)
    if not project.can_edit:
        raise PermissionDenied(f"You need the member role in {project.key} to move cards.")
    issue = _issue_or_404(project, number)
    statuses = list(project.statuses.order_by("position", "pk"))
    offered, refused = split_targets(allowed_moves(project), issue.status, statuses)
    column = Issue.objects.filter(project=project, status=issue.status)
    above = column.filter(rank__lt=issue.rank).order_by("-rank").values_list("number", flat=True)
    below = column.filter(rank__gt=issue.rank).order_by("rank").values_list("number", flat=True)
    context = {
        "project": project,
        "issue": issue,
        "offered": offered,
        "refused": refused,
        "refusal": refusal_note(issue.status, refused) if refused else "",
        "above": above.first(),
        "below": below.first(),
        "move_action": _move_action(project, request.GET),
        "release_action": _release_action(project, request.GET),
        "releases": list(project.releases.filter(state=ReleaseState.UNRELEASED).order_by("pk")),
        "current_release_id": issue.release_id,
        "board_path": _board_path(project, request.GET),
        "nav_section": "board",
    }
    return render(request, "boards/move.html", context)


@require_POST
@login_required_htmx
def release(request: HttpRequest, key: str) -> HttpResponse:
    """Put a card in a release (`release`: an unreleased version's id; empty for none), from
    the card's menu or its move page: the issue's fix version, through update_issue. HTMX gets
    204 and a notice; a form post goes back to the board with a message."""
    project = project_for(request, key)
    params = request.GET
    try:
        if not project.can_edit:
            raise Refused(f"You need the member role in {project.key} to plan cards.", 403)
        number = _whole_number(request.POST.get("issue"), "issue", maximum=2**31)
        issue = Issue.objects.filter(project=project, number=number).first()
        if issue is None:
            raise Refused(f"{project.key}-{number} does not exist.", 404)
        issue.project = project
        chosen = request.POST.get("release") or ""
        target = None
        if chosen:
            pk = _whole_number(chosen, "release", maximum=2**62)
            target = Release.objects.filter(project=project, pk=pk).first()
            if target is None:
                raise Refused("Choose a release of this project.", 400)
        _run(operations.update_issue, issue=issue, actor=request.user, changes={"release": target})
    except Refused as refusal:
        return _refuse(request, project, params, refusal)
    note = f"{issue.key} ships with {target.name}." if target else f"{issue.key} is in no release."
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = json.dumps({"trackerNotice": note})
        return response
    messages.success(request, note)
    return redirect(_board_path(project, params))


@require_POST
@login_required_htmx
def move(request: HttpRequest, key: str) -> HttpResponse:
    """Move a card: `issue` (number) to `status` (id) between `after` and `before` (numbers).

    HTMX gets out-of-band swaps: after a drag (the browser placed the card) the two column
    headers and the cards that changed; else the columns that changed (the whole board for
    swimlanes). A form post is redirected back to the board with a message.
    """
    project = project_for(request, key)
    params = request.GET  # the board's filters: its forms post to a URL that carries them
    try:
        if not project.can_edit:
            raise Refused(f"You need the member role in {project.key} to move cards.", 403)
        # With the card: whether the board the browser showed is still up to date.
        known = parse_version(request.headers.get(VERSION_HEADER))
        issue, after, before, unchanged = _move_issues(project, request.POST, known)
        known = known if unchanged else None
        # "Move up/down" leaves out the status: the card stays in its column.
        reorder = not request.POST.get("status") and (after or before)
        if reorder:
            status = issue.status
        else:
            # The operation reads (and locks) the status, in this project or refuses: no
            # query here for it.
            number = _whole_number(request.POST.get("status"), "status", maximum=2**62)
            status = Status(pk=number, project_id=project.pk)
        old_status, old_rank = issue.status, issue.rank
        moved = _run(
            operations.move_issue,
            issue=issue,
            actor=request.user,
            status=status,
            after=after,
            before=before,
        )
        status = moved.status  # The row the operation locked, all of it.
    except Refused as refusal:
        return _refuse(request, project, params, refusal)

    if old_status.pk != status.pk:
        message = f"Moved {issue.key} to {status.name}."
    else:
        message = f"Moved {issue.key} within {status.name}."
    if not request.htmx:
        messages.success(request, message)
        return redirect(_board_path(project, params), permanent=False)
    show, group, _ = board_options(params)
    filterset = board_filter(params, request, project)
    # A drag has put the card in place already (it names its new neighbours): the answer
    # only refreshes the headers and the cards that changed. "Move to…" and "Move up/down"
    # from the menu move the card on the server only: those columns are re-rendered.
    placed = bool(request.POST.get("status") and (after or before)) and not group
    cards = None
    if placed:
        issues = filtered_issues(project, filterset)
        # Unfiltered, the columns' totals come with the cards (a filtered header counts the
        # matching cards too: its own query).
        cards, totals = cards_after_move(
            project, issues, moved, old_status.pk, old_rank, count=not filterset.active
        )
    if cards is not None:
        # The two columns' headers: the statuses the card left and entered are at hand.
        headers = [old_status] if old_status.pk == status.pk else [old_status, status]
        headers = load_headers(
            project,
            issues,
            filtered=filterset.active,
            only={old_status.pk, status.pk},
            statuses=headers,
            totals=totals,
        )
        columns = {header.pk: Column(header) for header in headers}
        context = {
            "project": project,
            "headers": list(columns.values()),
            "placed_cards": [(card, columns[card.status_id]) for card in cards],
            "move_action": _move_action(project, params),
            "query": urlsplit(_board_path(project, params)).query,
            "announcement": message,
        }
        response = render(request, "boards/board.html#placed", context)
        if known:
            response[VERSION_HEADER] = _version_after_move(known, moved)
        return response
    loaded = {}
    for status_id in {old_status.pk, status.pk}:
        count = whole_number(request.POST.get(f"loaded_{status_id}"))
        loaded[status_id] = PAGE_SIZE if count is None else count
    board_data = build_board(
        project,
        filterset,
        show=show,
        group=group,
        only=None if group else {old_status.pk, status.pk},
        loaded=loaded,
        with_epics=False,
    )
    context = {
        **_render_context(request, project, params, board_data),
        "announcement": message,
    }
    response = render(request, "boards/board.html#changed", context)
    if group:
        response[VERSION_HEADER] = board_data.version  # the whole board was re-rendered
    elif known:
        response[VERSION_HEADER] = _version_after_move(known, moved)
    return response


@require_POST
@login_required_htmx
def add(request: HttpRequest, key: str) -> HttpResponse:
    """Quick add: a story with this title at the bottom of a column."""
    project = project_for(request, key)
    params = request.GET  # the board's filters: its forms post to a URL that carries them
    try:
        if not project.can_edit:
            raise Refused(f"You need the member role in {project.key} to add issues.", 403)
        statuses = list(project.statuses.order_by("position", "pk"))
        status = _status(project, request.POST.get("status"), statuses)
        known = _known_version(request, project)
        issue = _run(
            operations.create_issue,
            project=project,
            actor=request.user,
            title=request.POST.get("title", "")[:1000],
            kind=Kind.STORY,
            status=status,
        )
    except Refused as refusal:
        return _refuse(request, project, params, refusal)

    message = f"Added {issue.key} to {status.name}."
    if not request.htmx:
        messages.success(request, message)
        return redirect(_board_path(project, params), permanent=False)
    # The new card goes at the bottom of its column; the column's header gets the new counts.
    filterset = board_filter(params, request, project)
    issues = filtered_issues(project, filterset)
    statuses = load_headers(
        project, issues, filtered=filterset.active, only={status.pk}, statuses=statuses
    )
    issue.card_labels, issue.child_count, issue.child_done_count = [], 0, 0
    issue.above = (
        issues.filter(status=status, rank__lt=issue.rank)
        .order_by("-rank")
        .values_list("number", flat=True)
        .first()
    )
    issue.below = None
    column = Column(next(s for s in statuses if s.pk == status.pk), [issue])
    context = {
        "project": project,
        "card": issue,
        "column": column,
        "move_action": _move_action(project, params),
        "query": urlsplit(_board_path(project, params)).query,
        "announcement": message,
    }
    response = render(request, "boards/board.html#added", context)
    if known:
        response[VERSION_HEADER] = version(known[0] + 1, issue.updated_at)
    return response


# Building the page -----------------------------------------------------------------------------


def board_options(params: QueryDict) -> tuple[set[str], str, list[str]]:
    """The allow-listed display options: hidden columns shown, swimlane grouping, and errors."""
    errors = []
    show = set()
    for value in params.getlist("show"):
        if value in HIDEABLE:
            show.add(value)
        else:
            errors.append(f"Show: “{value[:40]}” is not a column that can be hidden.")
    group = params.get("group", "")
    if group and group not in GROUPS:
        errors.append(f"Swimlanes: choose epic, assignee or priority, not “{group[:40]}”.")
        group = ""
    return show, group, errors


class NoFilters:
    """Stands for an IssueFilter when the request names no filter: building one costs a
    query (the members for the assignee choices) and form validation, for nothing."""

    active = False
    is_bound = False

    def is_valid(self) -> bool:
        return True


def board_filter(params: QueryDict, request: HttpRequest, project: Project):
    """The board's filters: an IssueFilter, or NoFilters when no filter has a value (the
    board's own "show" and "group" options are not filters)."""
    names = set(IssueFilter.base_filters) - {"order"}
    if any(value for name in names for value in params.getlist(name)):
        return IssueFilter(params, request=request, project=project)
    return NoFilters()


def board_context(
    request: HttpRequest,
    project: Project,
    params: QueryDict,
    *,
    toolbar: bool = True,
    labels: list[Label] | None = None,
    transitions: dict | None = None,
) -> tuple[dict, int]:
    """The board and, for a whole page (`toolbar`), what its filter bar offers. `labels`: the
    project's, by name, when the caller has loaded them."""
    # The page's filter bar shows the filter form (and its assignee choices); a fragment
    # does not need it when nothing is filtered.
    if toolbar:
        filterset = IssueFilter(params, request=request, project=project)
    else:
        filterset = board_filter(params, request, project)
    show, group, errors = board_options(params)
    if not filterset.is_valid():
        errors.insert(0, error_message(filterset))
    board_data = build_board(
        project, filterset, show=show, group=group, with_epics=toolbar, labels=labels
    )
    context = _render_context(request, project, params, board_data)
    if toolbar and project.can_edit:
        # The shared "Move to…" menu (outside the board's body) offers the allowed moves.
        context["transitions"] = as_data(
            allowed_moves(project) if transitions is None else transitions
        )
    context["errors"] = errors
    context["filterset"] = filterset
    context["filter_menus"] = filter_menus(board_data, params)
    return context, 400 if errors else 200


def _render_context(
    request: HttpRequest, project: Project, params: QueryDict, board_data: Board
) -> dict:
    show, group, _ = board_options(params)
    board_path = _board_path(project, params)
    query = urlsplit(board_path).query
    kept = QueryDict(mutable=True)
    kept.setlist("show", sorted(show))
    if group:
        kept["group"] = group
    hideable = []
    for category, label in HIDEABLE.items():
        count = sum(s.issue_total for s in board_data.statuses if s.category == category)
        hideable.append((category, label, count, category in show))
    return {
        "project": project,
        "board": board_data,
        "nav_section": "board",
        "version": board_data.version,
        "board_url": reverse("boards:board", args=[project.key]),
        "board_path": board_path,
        "move_url": reverse("boards:move", args=[project.key]),
        "move_action": _move_action(project, params),
        "release_action": _release_action(project, params),
        "add_action": _with_query(reverse("boards:add", args=[project.key]), query),
        "column_url": reverse("boards:column", args=[project.key]),
        # Without JavaScript, "Show more" opens the column in the issue list.
        "list_url": reverse("issues:list", args=[project.key]),
        "clear_url": _with_query(reverse("boards:board", args=[project.key]), kept.urlencode()),
        "export_url": export_url(project, params, board_data),
        "query": query,
        "group": group,
        "hideable": hideable,
        "filtered": board_data.filtered,
        "poll_interval": settings.BOARD_POLL_INTERVAL_MS,
    }


def export_url(project: Project, params: QueryDict, board_data: Board) -> str:
    """The CSV of what the board shows: its filters, its visible columns, in board order."""
    query = QueryDict(mutable=True)
    for name in IssueFilter.base_filters:
        if name not in {"status", "order"} and name in params:
            query.setlist(name, params.getlist(name))
    query.setlist("status", [str(column.status.pk) for column in board_data.columns])
    query["order"] = "status,rank"
    return _with_query(reverse("issues:export", args=[project.key]), query.urlencode())


def filter_menus(board_data: Board, params: QueryDict) -> list[dict]:
    """The checkbox menus of the filter bar, with what is ticked (from the URL)."""
    labels = board_data.labels
    return [
        filter_menu(
            params,
            "label",
            "Labels",
            [(label.name, label.name) for label in labels],
            colors={label.name: label.color for label in labels},
        ),
        filter_menu(params, "kind", "Kind", Kind.choices),
        filter_menu(
            params, "priority", "Priority", [(p.slug, p.label) for p in reversed(Priority)]
        ),
        filter_menu(params, "source", "Source", Source.choices),
    ]


def _board_path(project: Project, params: QueryDict) -> str:
    """This project's board with the filters and options of `params` (where a form post goes
    back to: never another URL)."""
    query = params.copy()
    for name in ("offset", "column", "lane"):
        query.pop(name, None)
    path = reverse("boards:board", args=[project.key])
    return f"{path}?{query.urlencode()}" if query else path


def _move_action(project: Project, params: QueryDict) -> str:
    """Where the "Move to…" forms post: the move URL carrying the board's filters."""
    path = reverse("boards:move", args=[project.key])
    return _with_query(path, urlsplit(_board_path(project, params)).query)


def _release_action(project: Project, params: QueryDict) -> str:
    """Where the card menus' release choices post, carrying the board's filters."""
    path = reverse("boards:release", args=[project.key])
    return _with_query(path, urlsplit(_board_path(project, params)).query)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


# Input and refusals ----------------------------------------------------------------------------


def _whole_number(value: str | None, name: str, *, maximum: int) -> int:
    if value is None or value == "":
        raise Refused(f"Missing {name}.")
    number = whole_number(value, maximum=maximum)
    if number is None:
        raise Refused(f"“{value[:20]}” is not a valid {name}.")
    return number


def _move_issues(
    project: Project, data: QueryDict, known: tuple | None = None
) -> tuple[Issue, Issue | None, Issue | None, bool]:
    """The card to move and its new neighbours (`after`, `before`), in one query: the card
    missing is a 404, a neighbour missing means the board is stale (409). With the board
    version the browser showed (`known`), the same query says whether the project is
    unchanged since (see _known_version), the last item."""
    number = _whole_number(data.get("issue"), "issue number", maximum=2**31)
    numbers = {"issue": number}
    for name in ("after", "before"):
        value = data.get(name)
        if value is not None and value != "":
            numbers[name] = _whole_number(value, "neighbouring card", maximum=2**31)
    # With each card, the project ranks right beside it (the card moved left out): the gap a
    # drop next to it falls into, which operations.move_issue then need not read again.
    others = Issue.objects.filter(project=project).exclude(number=number).order_by()
    rows = (
        Issue.objects.filter(project=project, number__in=set(numbers.values()))
        .select_related("status")
        .annotate(
            next_rank=Subquery(
                others.filter(rank__gt=OuterRef("rank")).order_by("rank").values("rank")[:1]
            ),
            previous_rank=Subquery(
                others.filter(rank__lt=OuterRef("rank")).order_by("-rank").values("rank")[:1]
            ),
        )
        .order_by()
    )
    if known is not None:
        rows = rows.annotate(changed_since=Exists(_changed_since(project, known[1])))
    found = {issue.number: issue for issue in rows}
    issue = found.get(number)
    if issue is None:
        raise Refused(f"{project.key}-{number} does not exist (anymore?).", 404)
    neighbours = []
    for name in ("after", "before"):
        if name not in numbers:
            neighbours.append(None)
        elif numbers[name] not in found:
            raise Refused("The board is out of date: reload it and try again.", 409)
        else:
            neighbour = found[numbers[name]]
            neighbour.beside_ranks = (neighbour.previous_rank, neighbour.next_rank)
            neighbours.append(neighbour)
    for each in found.values():
        each.project = project
    unchanged = known is not None and not issue.changed_since
    return issue, neighbours[0], neighbours[1], unchanged


def _issue_or_404(project: Project, number: int) -> Issue:
    issue = Issue.objects.filter(project=project, number=number).select_related("status").first()
    if issue is None:
        raise Http404(f"{project.key}-{number} does not exist.")
    issue.project = project
    return issue


def _status(project: Project, value: str | None, statuses: list[Status] | None = None) -> Status:
    pk = _whole_number(value, "status", maximum=2**62)
    if statuses is None:
        status = project.statuses.filter(pk=pk).first()
    else:
        status = next((status for status in statuses if status.pk == pk), None)
    if status is None:
        raise Refused("That column is not in this project.", 404)
    return status


def _changed_since(project: Project, last):
    """The project's issues created or changed after `last` (as `unchanged_since` asks)."""
    issues = Issue.objects.filter(project=project).order_by()
    return issues.filter(updated_at__gt=last) if last else issues


def _known_version(request: HttpRequest, project: Project):
    """The version the browser's board showed, if nothing has changed since: then the version
    after this change can be handed back, and the next poll stays quiet. Else None, and the
    next poll brings the board up to date."""
    known = parse_version(request.headers.get(VERSION_HEADER))
    if known is None or not unchanged_since(project, known[1]):
        return None
    return known


def _version_after_move(known: tuple, moved: Issue) -> str:
    """The board's version after a move from a board that was up to date (`known`): the
    same count, the move's time as the latest change."""
    count, last = known
    return version(count, max(filter(None, (last, moved.updated_at))))


def _run(operation: Callable, **kwargs):
    """Call a domain operation, turning its refusals into `Refused` with an HTTP status."""
    try:
        return operation(**kwargs)
    except PermissionDenied as error:
        raise Refused(str(error) or "You may not do this.", 403) from error
    except ValidationError as error:
        code = getattr(error, "code", None)
        if hasattr(error, "error_dict"):  # {"status": …}: the field's code
            code = next(each.code for errors in error.error_dict.values() for each in errors)
        # Deleted while the request was under way: as if it had come a moment later.
        status = 404 if code in NOT_FOUND_CODES else 409 if code in CONFLICT_CODES else 400
        raise Refused(" ".join(error.messages), status) from error


def _error(refusal: Refused) -> HttpResponse:
    """A refusal for HTMX: the reason in the body and in a header the notices show."""
    response = HttpResponse(refusal.message, status=refusal.status, content_type="text/plain")
    response["X-Error-Message"] = quote(refusal.message)
    return response


def _refuse(
    request: HttpRequest, project: Project, params: QueryDict, refusal: Refused
) -> HttpResponse:
    if request.htmx:
        return _error(refusal)
    messages.error(request, refusal.message)
    context, _ = board_context(request, project, params)
    return render(request, "boards/board.html", context, status=refusal.status)
