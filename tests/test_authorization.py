"""Every project URL × {anonymous, outsider, viewer, member, admin}.

Outsiders get 404 (a private project's existence is not revealed), viewers 403 on writes,
anonymous users a login redirect. The table is checked against the URL configuration, so a new
project URL without a row here fails this test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from intake import operations as intake_operations
from intake.models import IntakeKey
from issues.models import Role
from projects.models import Invitation

from .factories import CommentFactory, IssueFactory, ReleaseFactory, SprintFactory

VIEWER, MEMBER, ADMIN = Role.VIEWER, Role.MEMBER, Role.ADMIN
AUTHOR = "author"  # Only the comment's author (a member here), whatever else their role.

# url name → [(method, minimum role)]
ROWS = {
    "boards:board": [("get", VIEWER)],
    "boards:column": [("get", VIEWER)],
    "boards:move": [("post", MEMBER)],
    "boards:release": [("post", MEMBER)],
    "boards:add": [("post", MEMBER)],
    "boards:move_form": [("get", MEMBER)],
    "issues:list": [("get", VIEWER)],
    "issues:export": [("get", VIEWER)],
    "issues:create": [("get", MEMBER), ("post", MEMBER)],
    "issues:parent_field": [("get", MEMBER)],
    "issues:bulk": [("post", MEMBER)],
    "issues:bulk_undo": [("post", MEMBER)],
    "issues:detail": [("get", VIEWER)],
    "issues:field": [("post", MEMBER)],
    "issues:parents": [("get", MEMBER)],
    "issues:delete": [("post", ADMIN)],
    "issues:comment_add": [("post", MEMBER)],
    "issues:comment_edit": [("post", AUTHOR)],
    "issues:comment_delete": [("post", MEMBER)],
    "projects:general": [("get", ADMIN)],
    "projects:general_save": [("post", ADMIN)],
    "projects:archive": [("post", ADMIN)],
    "projects:workflow": [("get", ADMIN)],
    "projects:status_add": [("post", ADMIN)],
    "projects:status_order": [("post", ADMIN)],
    "projects:status_edit": [("post", ADMIN)],
    "projects:status_default": [("post", ADMIN)],
    "projects:status_delete": [("post", ADMIN)],
    "projects:transitions": [("get", ADMIN), ("post", ADMIN)],
    "projects:labels": [("get", ADMIN)],
    "projects:label_add": [("post", ADMIN)],
    "projects:label_edit": [("post", ADMIN)],
    "projects:label_delete": [("post", ADMIN)],
    "projects:label_merge": [("post", ADMIN)],
    "projects:members": [("get", ADMIN)],
    "projects:member_add": [("post", ADMIN)],
    "projects:member_role": [("post", ADMIN)],
    "projects:member_remove": [("post", ADMIN)],
    "projects:invite": [("post", ADMIN)],
    "projects:invitation_revoke": [("post", ADMIN)],
    "reports:reports": [("get", VIEWER)],
    "reports:chart_csv": [("get", VIEWER)],
    "watching:watch": [("post", VIEWER)],
    "watching:mentions": [("get", VIEWER)],
    "planning:backlog": [("get", VIEWER)],
    "planning:backlog_rows": [("get", VIEWER)],
    "planning:backlog_move": [("post", MEMBER)],
    "planning:backlog_plan": [("post", MEMBER)],
    "planning:sprint_create": [("post", MEMBER)],
    "planning:sprint_edit": [("post", MEMBER)],
    "planning:sprint_start": [("post", MEMBER)],
    "planning:sprint_complete": [("post", MEMBER)],
    "planning:sprint_delete": [("post", MEMBER)],
    "planning:releases": [("get", VIEWER)],
    "planning:release_create": [("post", MEMBER)],
    "planning:release": [("get", VIEWER)],
    "planning:release_notes": [("get", VIEWER)],
    "planning:release_edit": [("post", MEMBER)],
    "planning:release_release": [("post", MEMBER)],
    "intake:request_add": [("post", MEMBER)],
    "intake:publish": [("post", MEMBER)],
    "intake:settings": [("get", ADMIN)],
    "intake:key_create": [("post", ADMIN)],
    "intake:key_revoke": [("post", ADMIN)],
    "intake:docs": [("get", VIEWER)],
    "intake:portal_settings": [("post", ADMIN)],
    "intake:triage": [("get", VIEWER)],
    "intake:merge": [("post", MEMBER)],
    "intake:accept": [("post", MEMBER)],
    "intake:decline": [("post", MEMBER)],
}
# Public doors (no login; outside /projects/): url name → what anyone gets for a request
# without valid credentials. test_public_doors checks each; a new public URL needs a row.
PUBLIC_ROWS = {
    "intake_public:unsubscribe": [("get", 404), ("post", 404)],
    "intake_public:api": [("post", 401), ("get", 405)],
    "intake_public:widget": [("post", 400), ("options", 204), ("get", 405)],
    # The portal of a project whose portal is off: every page is the same 404.
    "intake_public:portal": [("get", 404)],
    "intake_public:idea": [("get", 404)],
    "intake_public:vote": [("post", 404)],
    "intake_public:submit": [("get", 404), ("post", 404)],
    "intake_public:similar": [("get", 404)],
    "intake_public:mine": [("get", 404)],
    "intake_public:sign_in": [("get", 404), ("post", 404)],
    "intake_public:sign_in_confirm": [("get", 404), ("post", 404)],
    "intake_public:sign_out": [("post", 404)],
    "intake_public:comment": [("post", 404)],
    "intake_public:releases": [("get", 404)],
    "intake_public:releases_feed": [("get", 404)],
}
# Outside /projects/, not a public door and not in SITE_ROWS: log in and out, the project
# list, health.
OTHER_URLS = {"home", "healthz", "login", "logout"}
ROLE_RANK = {None: -1, VIEWER: 0, MEMBER: 1, ADMIN: 2}


def project_url_names() -> set[str]:
    names = set()

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif isinstance(pattern, URLPattern) and prefix.startswith("projects/<str:key>/"):
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_project_url_has_a_row():
    assert project_url_names() == set(ROWS)


def other_url_names() -> set[str]:
    """Named URLs outside /projects/ and /admin/."""
    names = set()

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith(("admin/", "projects/")):
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_public_url_has_a_row():
    assert other_url_names() == set(PUBLIC_ROWS) | OTHER_URLS | set(SITE_ROWS)


PUBLIC_ARGS = {
    "intake_public:unsubscribe": {"token": "not-a-signed-token"},
    "intake_public:api": {"key": "WEB"},
    "intake_public:idea": {"key": "WEB", "number": 1},
    "intake_public:vote": {"key": "WEB", "number": 1},
    "intake_public:comment": {"key": "WEB", "number": 1},
    "intake_public:sign_in_confirm": {"key": "WEB", "token": "x"},
}


@pytest.mark.parametrize(
    ("name", "method", "expected"),
    [(name, method, code) for name, rows in PUBLIC_ROWS.items() for method, code in rows],
)
def test_public_doors(client, world, name, method, expected):
    """Without valid credentials (a signed token, a key, an enabled portal) a public door
    answers the same 404 as a URL that does not exist, whoever asks."""
    kwargs = PUBLIC_ARGS.get(name, {"key": "WEB"} if name.startswith("intake_public:") else {})
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == expected


def url_for(name: str, issue, comment, invitation=None, sprint=None, release=None) -> str:
    kwargs = {"key": issue.project.key}
    project = issue.project
    if name.startswith("planning:sprint_") and name != "planning:sprint_create":
        kwargs["sprint_id"] = sprint.pk
    if name.startswith("planning:release") and name not in {
        "planning:releases",
        "planning:release_create",
    }:
        kwargs["release_id"] = release.pk
    if name in {
        "issues:detail",
        "issues:parents",
        "issues:delete",
        "issues:comment_add",
        "watching:watch",
        "boards:move_form",
        "intake:request_add",
        "intake:publish",
        "intake:merge",
        "intake:accept",
        "intake:decline",
    }:
        kwargs["number"] = issue.number
    elif name == "issues:field":
        kwargs.update(number=issue.number, field="priority")
    elif name in {"issues:comment_edit", "issues:comment_delete"}:
        kwargs.update(number=issue.number, comment_id=comment.pk)
    elif name in {"projects:status_edit", "projects:status_default", "projects:status_delete"}:
        kwargs["status_id"] = project.statuses.get(name="Backlog").pk
    elif name in {"projects:label_edit", "projects:label_delete", "projects:label_merge"}:
        kwargs["label_id"] = project.labels.first().pk
    elif name in {"projects:member_role", "projects:member_remove"}:
        kwargs["user_id"] = comment.author_id
    elif name == "projects:invitation_revoke":
        kwargs["invitation_id"] = invitation.pk
    elif name == "reports:chart_csv":
        kwargs["chart"] = "flow"
    elif name == "intake:key_revoke":
        kwargs["key_id"] = IntakeKey.objects.get(project=issue.project).pk
    return reverse(name, kwargs=kwargs)


CASES = [(name, method, minimum) for name, rows in ROWS.items() for method, minimum in rows]


@pytest.fixture
def world(project, admin_user, member, viewer, outsider):
    issue = IssueFactory(project=project, actor=member, title="Login page times out")
    comment = CommentFactory(issue=issue, author=member, body="Seen on staging too.")
    invitation = Invitation.objects.create(project=project, email="new@example.com")
    intake_operations.create_key(project=project, actor=admin_user, kind="secret", name="Zendesk")
    return {
        "invitation": invitation,
        "anonymous": None,
        "outsider": outsider,
        "viewer": viewer,
        "member": member,
        "admin": admin_user,
        "issue": issue,
        "comment": comment,
        "sprint": SprintFactory(project=project, name="Sprint 1"),
        "release": ReleaseFactory(project=project, name="1.0.0"),
    }


@pytest.mark.parametrize(("name", "method", "minimum"), CASES)
@pytest.mark.parametrize("who", ["anonymous", "outsider", "viewer", "member", "admin"])
def test_access(client, world, who, name, method, minimum):
    user = world[who]
    if user is not None:
        client.force_login(user)
    url = url_for(
        name,
        world["issue"],
        world["comment"],
        world["invitation"],
        sprint=world["sprint"],
        release=world["release"],
    )
    response = getattr(client, method)(url)
    role = {
        "anonymous": None,
        "outsider": None,
        "viewer": VIEWER,
        "member": MEMBER,
        "admin": ADMIN,
    }[who]

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif who == "outsider":
        assert response.status_code == 404
    elif minimum == AUTHOR:
        assert (response.status_code == 403) == (user != world["comment"].author)
    elif ROLE_RANK[role] < ROLE_RANK[minimum]:
        assert response.status_code == 403
    else:
        # Allowed: an empty POST may be refused as bad input (4xx), but never 403/404/5xx.
        assert response.status_code not in (403, 404)
        assert response.status_code < 500


# URLs outside a project, in the apps that own them: name → what anonymous users get
# ("login": sent to log in; "open": the page answers them) and the method to try.
SITE_ROWS = {
    "project_new": [("get", "login"), ("post", "login")],
    "invitation": [("get", "open"), ("post", "open")],
    "notifications:inbox": [("get", "login")],
    "notifications:mark_all_read": [("post", "login")],
    "notifications:preferences": [("get", "login"), ("post", "login")],
    # A signed link from an e-mail: no login (a forged one is a 400).
    "notifications:unsubscribe": [("get", "open"), ("post", "open")],
    "account_profile": [("get", "login"), ("post", "login")],
    "account_sessions": [("post", "login")],
    "password_change": [("get", "login"), ("post", "login")],
    "password_reset": [("get", "open"), ("post", "open")],
    "password_reset_done": [("get", "open")],
    "password_reset_confirm": [("get", "open"), ("post", "open")],
    "password_reset_complete": [("get", "open")],
}
SITE_APPS = ("projects.", "notifications.", "accounts.")


def site_url_names() -> set[str]:
    """URLs outside a project whose views are in SITE_APPS; an include's names carry its
    namespace."""
    names = set()

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif not prefix.startswith("projects/<str:key>/"):
                view = getattr(pattern.callback, "view_class", pattern.callback)
                if view.__module__.startswith(SITE_APPS):
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_site_url_of_these_apps_has_a_row():
    assert site_url_names() == set(SITE_ROWS)


SITE_CASES = [(name, method, anon) for name, rows in SITE_ROWS.items() for method, anon in rows]


def site_url(name: str) -> str:
    if name in ("invitation", "notifications:unsubscribe"):
        return reverse(name, args=["not-a-token"])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "not-a-token"])
    return reverse(name)


@pytest.mark.parametrize(("name", "method", "anonymous"), SITE_CASES)
def test_site_url_anonymous(client, db, name, method, anonymous):
    response = getattr(client, method)(site_url(name))
    if anonymous == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code < 500
        assert response.status_code != 302


@pytest.mark.parametrize(("name", "method", "anonymous"), SITE_CASES)
def test_site_url_signed_in(client, outsider, name, method, anonymous):
    client.force_login(outsider)
    response = getattr(client, method)(site_url(name))
    assert response.status_code < 500
    # Never sent to log in, nor a 404; a redirect elsewhere ("Mark all read" back to the inbox)
    # is an answer.
    to_login = response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not (to_login or response.status_code == 404) or name == "invitation"
