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
