"""Whatever a browser or a script sends, the answer is never a 500, and a refusal writes nothing.

Property-based: hypothesis posts random, oversized, foreign, negative and malformed values
(NUL bytes included, which PostgreSQL refuses to store) to every endpoint that takes input.
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.models import Comment
from issues.views import PANEL_FIELDS, TEXT_FIELDS

from .factories import IssueFactory

NASTY = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "1",
        "2",
        "99999999999999999999",
        "1.5",
        "WEB-1",
        "OTHER-1",
        "\x00",
        "a\x00b",
        "null",
        "[]",
        "{}",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "x" * 5000,
        "in_progress",
        "urgent",
        "epic",
        "subtask",
        "2026-02-30",
        "Bug fix",
        "alice",
        "me",
        "none",
    ]
)
VALUE = st.one_of(NASTY, st.text(max_size=60), st.integers(-(10**12), 10**12).map(str))
VALUES = st.lists(VALUE, min_size=1, max_size=3)


def form_data(keys: list[str]):
    return st.dictionaries(st.sampled_from(keys), VALUES, max_size=len(keys))


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FILTER_KEYS = [
    "q", "assignee", "label", "kind", "priority", "epic", "source", "status", "category",
    "state", "created_after", "created_before", "updated_after", "updated_before", "order",
    "page", "per_page", "group", "show", "column", "offset", "lane", "bom", "range", "from", "to",
]  # fmt: skip
BULK_KEYS = [
    "issues", "all_matching", "filters", "status", "assignee", "priority", "add_label",
    "remove_label",
]  # fmt: skip
ISSUE_KEYS = [
    "kind", "title", "description", "status", "priority", "assignee", "labels", "parent",
    "estimate", "source", "due_date", "version",
]  # fmt: skip


@pytest.fixture
def world(client, project, member, status):
    epic = IssueFactory(project=project, actor=member, kind="epic", title="Checkout")
    issue = IssueFactory(project=project, actor=member, parent=epic, title="Pay with a card")
    IssueFactory(project=project, actor=member, kind="subtask", parent=issue, title="Card form")
    comment = Comment.objects.create(issue=issue, author=member, body="First!")
    client.force_login(member)
    return {"client": client, "project": project, "issue": issue, "comment": comment}


def check(response, snapshot, before) -> None:
    assert response.status_code < 500
    if 400 <= response.status_code < 500:
        assert snapshot() == before, "a refused request changed the database"


@FUZZ
@given(data=form_data(FILTER_KEYS))
@pytest.mark.parametrize(
    "name", ["boards:board", "boards:column", "issues:list", "issues:export", "reports:reports"]
)
def test_filters_and_options_never_fail(world, db_snapshot, name, data):
    response = world["client"].get(reverse(name, args=["WEB"]), data)
    assert response.status_code < 500
    if response.streaming:
        b"".join(response.streaming_content)


@FUZZ
@given(data=form_data(["issue", "status", "after", "before", "group", "show", "q"]))
def test_moves_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(world["client"].post(reverse("boards:move", args=["WEB"]), data), db_snapshot, before)


@FUZZ
@given(data=form_data(["status", "title", "q"]))
def test_quick_adds_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(world["client"].post(reverse("boards:add", args=["WEB"]), data), db_snapshot, before)


@FUZZ
@given(data=form_data(ISSUE_KEYS))
def test_creates_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(world["client"].post(reverse("issues:create", args=["WEB"]), data), db_snapshot, before)


@FUZZ
@given(field=st.sampled_from(PANEL_FIELDS + TEXT_FIELDS), data=form_data(["value", *ISSUE_KEYS]))
def test_field_edits_never_fail(world, db_snapshot, field, data):
    url = reverse("issues:field", args=["WEB", world["issue"].number, field])
    before = db_snapshot()
    check(world["client"].post(url, data), db_snapshot, before)


@FUZZ
@given(data=form_data(BULK_KEYS))
def test_bulk_edits_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(world["client"].post(reverse("issues:bulk", args=["WEB"]), data), db_snapshot, before)


@FUZZ
@given(data=form_data(["body"]))
def test_comments_never_fail(world, db_snapshot, data):
    issue, comment = world["issue"], world["comment"]
    for url in (
        reverse("issues:comment_add", args=["WEB", issue.number]),
        reverse("issues:comment_edit", args=["WEB", issue.number, comment.pk]),
    ):
        before = db_snapshot()
        check(world["client"].post(url, data), db_snapshot, before)


@pytest.fixture
def superuser_client(db):
    """A second browser, signed in as a superuser (world's client is a member's)."""
    from django.test import Client

    from .factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


# Integer parameters: one parser (tracker.inputs.whole_number) for all of them -------------------

# Unicode digits pass str.isdigit() and then fail int() ("²"), or pass int() too ("３", "٣");
# numbers beyond any column; signs, spaces and underscores that int() accepts.
NOT_A_NUMBER = st.one_of(
    st.text(alphabet="²³¹⁴₅½Ⅻ٣۳३௩१３𝟑", min_size=1, max_size=4),
    st.integers(2**31, 10**40).map(str),
    st.sampled_from(["-1", "+1", " 7", "7 ", "1_000", "0x10", "1e3", "٣", "３"]),
)
INTEGER_PARAMS = {
    # url name: (method, parameter names)
    "boards:board": ("get", ["page", "offset", "column", "status"]),
    "boards:column": ("get", ["column", "offset", "lane"]),
    "boards:move": ("post", ["issue", "status", "after", "before", "loaded_1", "loaded_2"]),
    "boards:add": ("post", ["status"]),
    "issues:list": ("get", ["page", "per_page", "status", "epic", "assignee"]),
    "issues:export": ("get", ["status", "epic"]),
    "issues:create": ("get", ["parent", "status"]),
    "issues:parent_field": ("get", ["kind", "parent"]),
    "issues:detail": ("get", ["edit_comment"]),
    "issues:field": ("post", ["status", "assignee", "parent", "estimate", "version", "labels"]),
    "issues:bulk": ("post", ["issues", "status", "add_label", "remove_label"]),
    "issues:comment_edit": ("post", ["body"]),
}


def any_url(name: str, issue, comment) -> str:
    from intake.models import IntakeKey
    from projects.models import Invitation
    from tests.test_authorization import url_for

    invitation = None
    if name == "projects:invitation_revoke":
        invitation = Invitation.objects.create(project=issue.project, email="new@example.com")
    if name == "intake:key_revoke":
        IntakeKey.objects.get_or_create(
            project=issue.project, kind="secret", name="Zendesk", defaults={"prefix": "sk_test"}
        )
    sprint = release = None
    if name.startswith("planning:"):
        from tests.factories import ReleaseFactory, SprintFactory

        sprint = SprintFactory(project=issue.project)
        release = ReleaseFactory(project=issue.project)
    return url_for(name, issue, comment, invitation, sprint, release)


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(INTEGER_PARAMS))
def test_integer_parameters_that_are_not_plain_numbers_never_fail(world, db_snapshot, name, data):
    method, names = INTEGER_PARAMS[name]
    values = data.draw(st.dictionaries(st.sampled_from(names), NOT_A_NUMBER, min_size=1))
    if name == "boards:column":
        values.setdefault("group", "epic")
    url = any_url(name, world["issue"], world["comment"])
    before = db_snapshot()
    response = getattr(world["client"], method)(url, values)
    check(response, db_snapshot, before)
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "٣"])
def test_a_unicode_digit_page_number_is_not_a_500(world, value):
    response = world["client"].get(reverse("issues:list", args=["WEB"]), {"page": value})
    assert response.status_code == 200
    assert f"There is no page “{value}”" in response.content.decode()


# NUL characters: 400 everywhere, whatever the database -------------------------------------------


def every_request(issue, comment):
    from tests.test_authorization import ROWS

    return [
        (name, method, any_url(name, issue, comment))
        for name, rows in sorted(ROWS.items())
        for method, _ in rows
    ]


def test_a_nul_in_any_parameter_of_any_url_is_a_400(world, db_snapshot):
    requests = every_request(world["issue"], world["comment"])  # Their objects made first.
    before = db_snapshot()
    for name, method, url in requests:
        for data in ({"q": "a\x00b"}, {"title": "\x00"}, {"a\x00": "1"}):
            response = getattr(world["client"], method)(url, data)
            assert response.status_code == 400, (name, method, data)
            assert "NUL" in response.content.decode()
    assert db_snapshot() == before


def test_a_nul_in_the_query_string_of_a_post_is_a_400(world, db_snapshot):
    before = db_snapshot()
    url = reverse("boards:add", args=["WEB"]) + "?assignee=%00"
    assert world["client"].post(url, {"title": "Fine", "status": "1"}).status_code == 400
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/projects/WE%00B/board/",
        "/projects/WEB%00/issues/",
        "/projects/WEB/issues/1/?edit=title%00",
        "/admin/issues/issue/?q=%00",
        "/admin/issues/issue/?status=In%00progress",
        "/admin/issues/issue/%00/change/",
        "/accounts/login/?next=/%00",
    ],
)
def test_a_nul_in_a_path_key_an_admin_search_or_filter_is_a_400(world, superuser_client, path):
    assert superuser_client.get(path).status_code == 400


def test_a_nul_in_a_quick_add_title_adds_nothing(world, db_snapshot, status):
    before = db_snapshot()
    response = world["client"].post(
        reverse("boards:add", args=["WEB"]), {"title": "Pay\x00", "status": status("To do").pk}
    )
    assert response.status_code == 400
    assert db_snapshot() == before


# The board's version header ------------------------------------------------------------------------

VERSION_HEADERS = st.one_of(
    st.builds(
        "{}-{}".format,
        st.integers(0, 10**25),
        st.one_of(st.integers(0, 10**25), st.just(253402300800 * 10**6)),
    ),
    st.text(alphabet="0123456789-²", max_size=30),
    st.sampled_from(["1-99999999999999999999", "99999999999999999999-1", "-", "1-", "²-²"]),
)


@FUZZ
@given(header=VERSION_HEADERS)
def test_any_board_version_header_is_treated_as_unknown_or_known_never_a_500(world, status, header):
    client, url = world["client"], reverse("boards:board", args=["WEB"])
    headers = {"HX-Request": "true", "X-Board-Version": header}
    assert client.get(url, headers=headers).status_code in (200, 204)
    move = client.post(
        reverse("boards:move", args=["WEB"]),
        {"issue": world["issue"].number, "status": status("To do").pk},
        headers=headers,
    )
    assert move.status_code == 200


# The admin's changelist lookups ------------------------------------------------------------------

ADMIN_LOOKUPS = st.one_of(
    st.tuples(
        st.sampled_from(
            ["title", "description", "number", "priority", "created_at", "project__key", "rank"]
        ),
        st.sampled_from(
            [
                "regex",
                "iregex",
                "contains",
                "icontains",
                "startswith",
                "search",
                "year",
                "month",
                "day",
                "hour",
                "week_day",
                "exact",
                "gte",
                "lt",
                "in",
                "isnull",
                "len",
                "lower",
            ]
        ),
    ).map("__".join),
    st.sampled_from(["project", "assignee", "queue", "category", "status", "label", "q", "p"]),
)


@FUZZ
@given(lookup=ADMIN_LOOKUPS, value=st.one_of(VALUE, NOT_A_NUMBER))
def test_admin_changelist_lookups_never_fail(world, superuser_client, lookup, value):
    if "\x00" in value:
        return  # Covered above: 400.
    response = superuser_client.get("/admin/issues/issue/", {lookup: value})
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize(
    "query",
    ["title__regex=(a", "description__iregex=[", "created_at__year=2147483648",
     "created_at__year=0", "created_at__year=2026&created_at__month=13", "number__len=2"],
)  # fmt: skip
def test_dangerous_admin_lookups_are_refused_with_400(world, superuser_client, query):
    assert superuser_client.get(f"/admin/issues/issue/?{query}").status_code == 400


def _registered_admins():
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(
    "model_admin", [model_admin for _, model_admin in _registered_admins()], ids=str
)
def test_every_registered_admin_accepts_only_plain_lookups(world, superuser_client, model_admin):
    """Every changelist the site registers (the project's and third-party apps': auth's groups,
    the task queue, axes) refuses a regex or a date part past the calendar with 400, and still
    takes a plain lookup."""
    from django.urls import reverse

    from tracker.admin_site import SafeLookupsMixin

    assert isinstance(model_admin, SafeLookupsMixin)
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    pk = opts.pk.name
    assert superuser_client.get(url, {f"{pk}__isnull": "False"}).status_code == 200
    for lookup, value in ((f"{pk}__regex", "(a"), (f"{pk}__iregex", "["), ("pk__regex", "(a")):
        assert superuser_client.get(url, {lookup: value}).status_code == 400, (url, lookup)
    dates = [f.name for f in opts.get_fields() if f.get_internal_type() == "DateTimeField"]
    for name in dates[:1]:
        assert superuser_client.get(url, {f"{name}__year": "2147483648"}).status_code == 400


def test_the_admin_site_covers_admins_registered_later():
    """An admin registered after start-up (a new app's) gets the restriction too."""
    from django.contrib import admin

    from issues.models import Issue
    from tracker.admin_site import SafeLookupsMixin, TrackerAdminSite

    site = TrackerAdminSite(name="probe")
    site.register(Comment)
    site.register(Issue, admin.ModelAdmin)
    assert all(isinstance(each, SafeLookupsMixin) for each in site._registry.values())
    assert isinstance(admin.site._wrapped, TrackerAdminSite)


@pytest.mark.parametrize(
    "query",
    ["created_at__year=2026", "created_at__year=2026&created_at__month=2", "kind__exact=bug",
     "priority__exact=3", "project=1", "assignee=none", "queue=triage"],
)  # fmt: skip
def test_the_admins_own_filters_still_work(world, superuser_client, query):
    assert superuser_client.get(f"/admin/issues/issue/?{query}").status_code == 200
