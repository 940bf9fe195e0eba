"""CSV export: columns, parity with the list, formula safety, RFC 4180, streaming, the command."""

import csv
import datetime
import io
import itertools
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.db.models.functions import Lower
from django.http import QueryDict, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues import export, operations
from issues.export import COLUMNS, FORMULA_STARTS, csv_response, stream_csv
from issues.filters import DEFAULT_LIST_ORDER, SEARCH_RANK, IssueFilter
from issues.models import Issue, IssueEvent, Kind, Priority, Role, Source, StatusCategory
from tests.factories import (
    IssueFactory,
    LabelFactory,
    ProjectFactory,
    StatusFactory,
    UserFactory,
    ask_for,
)

UTC = datetime.UTC
EXPECTED_COLUMNS = [
    "key",
    "title",
    "kind",
    "status",
    "status_category",
    "priority",
    "assignee",
    "reporter",
    "labels",
    "parent",
    "epic",
    "estimate",
    "source",
    "due_date",
    "created_at",
    "updated_at",
    "resolved_at",
    "started_at",
    "sprint",
    "release",
    "value",
    "reach",
    "impact",
    "confidence",
    "score",
    "requests",
]


def export_url(key="WEB", **params):
    url = reverse("issues:export", args=[key])
    return url + "?" + urlencode(params, doseq=True) if params else url


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def rows_of(data: bytes) -> list[dict[str, str]]:
    """Parse a CSV file as a spreadsheet would: UTF-8 (with or without BOM), RFC 4180."""
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def row_for(rows, key):
    return next(row for row in rows if row["key"] == key)


def set_times(issue, **times):
    """Test setup only: timestamps are not something any operation lets a user set."""
    Issue.objects.filter(pk=issue.pk).update(**times)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


# Columns ----------------------------------------------------------------------------------------


def test_header_row_lists_the_columns_in_order(viewer_client, issue):
    rows = list(csv.reader(io.StringIO(body_of(viewer_client.get(export_url())).decode())))
    assert rows[0] == EXPECTED_COLUMNS
    assert list(COLUMNS) == EXPECTED_COLUMNS


def test_each_column_holds_the_stored_value(viewer_client, project, member, other_member, status):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout v2")
    labels = [project.labels.get(name="Tech debt"), project.labels.get(name="Bug fix")]
    story = IssueFactory(
        project=project,
        actor=other_member,
        kind=Kind.STORY,
        title="Pay with a saved card",
        parent=epic,
        status=status("Done"),
        priority=Priority.HIGH,
        assignee=member,
        labels=labels,
        estimate=8,
        source=Source.CUSTOMER_FEEDBACK,
        due_date=datetime.date(2026, 12, 24),
    )
    for address in ("ann@example.com", "bo@example.com"):
        ask_for(story, address)
    set_times(
        story,
        created_at=datetime.datetime(2026, 11, 27, 7, 14, 26, 987654, tzinfo=UTC),
        updated_at=datetime.datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC),
        resolved_at=datetime.datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC),
    )

    row = row_for(rows_of(body_of(viewer_client.get(export_url()))), story.key)

    assert row == {
        "key": story.key,
        "title": "Pay with a saved card",
        "kind": "story",
        "status": "Done",
        "status_category": "done",
        "priority": "high",
        "assignee": "alice",
        "reporter": "bob",
        "labels": "Bug fix; Tech debt",
        "parent": epic.key,
        "epic": epic.key,
        "estimate": "8",
        "source": "customer_feedback",
        "due_date": "2026-12-24",
        "created_at": "2026-11-27T07:14:26Z",
        "updated_at": "2026-11-28T09:00:00Z",
        "resolved_at": "2026-11-28T09:00:00Z",
        "started_at": "",
        **dict.fromkeys(["sprint", "release", "value", "reach", "impact", "confidence"], ""),
        "score": "",
        "requests": "2",
    }


def test_started_at_is_the_first_move_into_progress(viewer_client, project, member, status):
    issue = IssueFactory(project=project, actor=member)
    for name in ("In progress", "In review", "In progress", "Done"):
        issue = operations.move_issue(issue=issue, actor=member, status=status(name))
    first = IssueEvent.objects.filter(issue=issue, field="status").order_by("id").first()
    IssueEvent.objects.filter(pk=first.pk).update(
        created_at=datetime.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    )
    row = row_for(rows_of(body_of(viewer_client.get(export_url()))), issue.key)
    assert row["started_at"] == "2026-03-04T05:06:07Z"


def test_times_are_written_in_utc_whatever_the_time_zone(viewer_client, issue, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    set_times(issue, created_at=datetime.datetime(2026, 1, 2, 23, 30, 5, tzinfo=UTC))
    row = row_for(rows_of(body_of(viewer_client.get(export_url()))), issue.key)
    assert row["created_at"] == "2026-01-02T23:30:05Z"


def test_subtask_epic_is_its_storys_epic(viewer_client, project, member):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    story = IssueFactory(project=project, actor=member, kind=Kind.STORY, parent=epic)
    subtask = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    lonely = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK)  # under a loose story

    rows = rows_of(body_of(viewer_client.get(export_url())))

    assert (row_for(rows, subtask.key)["parent"], row_for(rows, subtask.key)["epic"]) == (
        story.key,
        epic.key,
    )
    assert row_for(rows, lonely.key)["parent"] == lonely.parent.key
    assert row_for(rows, lonely.key)["epic"] == ""
    assert (row_for(rows, epic.key)["parent"], row_for(rows, epic.key)["epic"]) == ("", "")


def test_empty_values_are_empty_cells(viewer_client, issue):
    row = row_for(rows_of(body_of(viewer_client.get(export_url()))), issue.key)
    empty = [
        "assignee", "labels", "parent", "epic", "estimate", "due_date", "resolved_at",
        "started_at",
    ]  # fmt: skip
    assert {name: row[name] for name in empty} == dict.fromkeys(empty, "")
    assert b",," in body_of(viewer_client.get(export_url()))  # empty, never ""


def test_every_priority_is_its_slug(viewer_client, project, member):
    for priority in Priority:
        IssueFactory(project=project, actor=member, priority=priority, title=priority.slug)
    rows = rows_of(body_of(viewer_client.get(export_url())))
    assert sorted(row["priority"] for row in rows) == sorted(p.slug for p in Priority)
    assert all(row["title"] == row["priority"] for row in rows)


# Same issues, same order as the list -------------------------------------------------------------


@pytest.fixture
def varied_issues(project, member, other_member, viewer, status):
    """A dozen issues across kinds, priorities, labels, statuses, people and times (with ties)."""
    bug_fix, tech_debt = project.labels.get(name="Bug fix"), project.labels.get(name="Tech debt")
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout rewrite")
    specs = [
        dict(kind=Kind.BUG, priority=Priority.URGENT, labels=[bug_fix], assignee=member),
        dict(kind=Kind.BUG, priority=Priority.HIGH, labels=[bug_fix, tech_debt]),
        dict(kind=Kind.STORY, priority=Priority.HIGH, parent=epic, assignee=other_member),
        dict(kind=Kind.STORY, priority=Priority.LOW, status=status("In progress")),
        dict(kind=Kind.TASK, priority=Priority.MEDIUM, labels=[tech_debt], assignee=viewer),
        dict(kind=Kind.TASK, priority=Priority.NONE, status=status("Done")),
        dict(kind=Kind.BUG, priority=Priority.MEDIUM, status=status("In progress")),
        dict(kind=Kind.STORY, priority=Priority.URGENT, title="Checkout times out"),
        dict(kind=Kind.TASK, priority=Priority.LOW, status=status("Canceled")),
        dict(kind=Kind.STORY, priority=Priority.NONE, labels=[bug_fix], assignee=member),
    ]
    issues = [epic]
    for n, spec in enumerate(specs):
        issues.append(
            IssueFactory(project=project, actor=member, **{"title": f"Issue {n}", **spec})
        )
    base = datetime.datetime(2026, 3, 1, tzinfo=UTC)
    for n, issue in enumerate(issues):
        # Pairs of issues share an updated_at, so the tie-breaker matters.
        set_times(issue, updated_at=base + datetime.timedelta(hours=n // 2))
    return issues


def list_keys(project, user, query: str) -> list[str]:
    """The keys the list shows for this query string, in its order (see issues/views.py)."""
    request = RequestFactory().get("/", QueryDict(query))
    request.user = user
    filterset = IssueFilter(request.GET, request=request, project=project)
    assert filterset.is_valid(), filterset.form.errors
    issues = filterset.qs
    if filterset.form.cleaned_data.get("order"):
        issues = issues.order_by(*issues.query.order_by, "-number")
    elif SEARCH_RANK in issues.query.annotations:
        issues = issues.order_by(f"-{SEARCH_RANK}", *DEFAULT_LIST_ORDER)
    else:
        issues = issues.order_by(*DEFAULT_LIST_ORDER)
    return [f"{project.key}-{number}" for number in issues.values_list("number", flat=True)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "kind=bug",
        "kind=bug&kind=task",
        "priority=high&priority=urgent",
        "label=Bug+fix",
        "label=Bug+fix&label=Tech+debt",
        "assignee=alice",
        "assignee=me",
        "assignee=none",
        "state=open",
        "state=resolved",
        "category=in_progress",
        "q=checkout",
        "order=priority",
        "order=-priority",
        "order=status",
        "order=assignee",
        "order=-estimate",
        "order=key",
        "label=Bug+fix&order=-created",
    ],
)
def test_export_has_the_lists_issues_in_the_lists_order(
    viewer_client, project, viewer, varied_issues, query
):
    rows = rows_of(body_of(viewer_client.get(export_url() + "?" + query)))
    expected = list_keys(project, viewer, query)
    assert expected  # The query selects something, so that the comparison means something.
    assert [row["key"] for row in rows] == expected


def test_default_order_is_most_recently_updated_then_newest(viewer_client, project, member):
    older, newer = (
        IssueFactory(project=project, actor=member),
        IssueFactory(project=project, actor=member),
    )
    tied = datetime.datetime(2026, 5, 1, tzinfo=UTC)
    set_times(older, updated_at=tied)
    set_times(newer, updated_at=tied)
    latest = IssueFactory(project=project, actor=member)
    set_times(latest, updated_at=tied + datetime.timedelta(seconds=1))

    rows = rows_of(body_of(viewer_client.get(export_url())))

    assert [row["key"] for row in rows] == [latest.key, newer.key, older.key]
    assert DEFAULT_LIST_ORDER == ("-updated_at", "-number")


def test_status_filter_by_id_as_in_the_list(viewer_client, project, varied_issues, status):
    in_progress = status("In progress")
    rows = rows_of(body_of(viewer_client.get(export_url(status=in_progress.pk))))
    assert {row["status"] for row in rows} == {"In progress"}
    assert len(rows) == project.issues.filter(status=in_progress).count()


# Bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"priority": "bogus"}, "Priority"),
        ({"kind": "saga"}, "Kind"),
        ({"label": "No such label"}, "Labels"),
        ({"assignee": "nobody-here"}, "Assignee"),
        ({"status": "999999"}, "Status"),
        ({"order": "password"}, "Order"),
        ({"created_after": "yesterday-ish"}, "Created"),
        ({"bom": "yes please"}, "bom"),
        ({"label": "a\nb"}, "Labels"),
    ],
)
def test_invalid_filter_is_a_400_with_the_reason(viewer_client, issue, params, reason):
    response = viewer_client.get(export_url(**params))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert reason in response.content.decode()


# Permissions -------------------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_log_in(client, issue):
    response = client.get(export_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_outsider_gets_404(client, outsider, issue):
    client.force_login(outsider)
    assert client.get(export_url()).status_code == 404


def test_unknown_project_is_404(viewer_client, issue):
    assert viewer_client.get(export_url("NOPE")).status_code == 404


def test_viewer_may_export(viewer_client, issue):
    response = viewer_client.get(export_url())
    assert response.status_code == 200
    assert issue.key.encode() in body_of(response)


def test_export_is_get_only(viewer_client, issue):
    assert viewer_client.post(export_url()).status_code == 405


def test_export_holds_only_the_projects_issues(viewer_client, project, member):
    other = ProjectFactory(key="OPS")
    operations.add_member(project=other, user=member, role=Role.MEMBER)
    IssueFactory(project=other, actor=member, title="Someone else's secret")
    mine = IssueFactory(project=project, actor=member)
    rows = rows_of(body_of(viewer_client.get(export_url())))
    assert [row["key"] for row in rows] == [mine.key]


# Formula injection --------------------------------------------------------------------------------

FUZZ_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
counter = itertools.count()


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rest=FUZZ_TEXT)
def test_cells_starting_like_a_formula_get_an_apostrophe(project, start, rest):
    """Titles, label names, user names and status names a user typed; whatever else follows."""
    n = next(counter)
    text = start + rest
    person = UserFactory(username=f"{text}{n}"[:150])
    operations.add_member(project=project, user=person, role=Role.MEMBER)
    label = LabelFactory(project=project, name=f"{text}{n}"[:50])
    column = StatusFactory(project=project, name=f"{text}{n}"[:50], category=StatusCategory.TODO)
    issue = IssueFactory(
        project=project, actor=person, assignee=person, labels=[label], status=column, estimate=3
    )
    # Stored as typed: an import or the admin may keep what create_issue would strip.
    Issue.objects.filter(pk=issue.pk).update(title=text)

    row = row_for(rows_of(b"".join(stream_csv(Issue.objects.filter(pk=issue.pk)))), issue.key)

    assert row["title"] == "'" + text
    assert row["labels"] == "'" + label.name
    assert row["assignee"] == row["reporter"] == "'" + person.username
    assert row["status"] == "'" + column.name
    assert row["estimate"] == "3"  # Numbers and dates are left alone.
    assert row["created_at"][0].isdigit()


@given(title=FUZZ_TEXT.filter(lambda text: text.strip() and text[0] not in FORMULA_STARTS))
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_other_text_round_trips_unchanged(issue, title):
    Issue.objects.filter(pk=issue.pk).update(title=title)
    rows = rows_of(b"".join(stream_csv(Issue.objects.filter(pk=issue.pk))))
    assert rows[0]["title"] == title


def test_empty_export_is_just_the_header(viewer_client, project):
    project.labels.all().delete()
    for params in ({}, {"kind": "epic"}):
        assert (
            body_of(viewer_client.get(export_url(**params)))
            == (",".join(COLUMNS) + "\r\n").encode()
        )
    assert b"".join(stream_csv(Issue.objects.none())).count(b"\r\n") == 1


def test_only_the_first_label_decides_the_labels_cell(viewer_client, project, member):
    labels = [
        LabelFactory(project=project, name="Backend"),
        LabelFactory(project=project, name="-x"),
    ]
    issue = IssueFactory(project=project, actor=member, labels=labels)
    row = row_for(rows_of(body_of(viewer_client.get(export_url()))), issue.key)
    assert row["labels"] == "'-x; Backend"  # "-" sorts before "B"


# RFC 4180 and encodings ---------------------------------------------------------------------------

AWKWARD_TITLES = [
    "Totals wrong, again",
    'Button says "Pay" twice',
    "Line one\nline two",
    "Windows line\r\nends",
    "Café ☕ and rocket 🚀",
    '"Quoted", with comma\nand newline',
    "Trailing space ",
]


def test_awkward_titles_round_trip_through_pythons_csv_reader(viewer_client, project, member):
    issues = [
        IssueFactory(project=project, actor=member, title="placeholder") for _ in AWKWARD_TITLES
    ]
    for issue, title in zip(issues, AWKWARD_TITLES, strict=True):
        Issue.objects.filter(pk=issue.pk).update(title=title)

    rows = rows_of(body_of(viewer_client.get(export_url(order="key"))))

    assert [row["title"] for row in rows] == AWKWARD_TITLES


def test_records_end_with_crlf(viewer_client, project, member):
    for n in range(3):
        IssueFactory(project=project, actor=member, title=f"Plain title {n}")
    data = body_of(viewer_client.get(export_url()))
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == 4
    assert data.replace(b"\r\n", b"").count(b"\n") == 0


def test_newline_inside_a_title_stays_inside_its_quoted_cell(viewer_client, issue):
    Issue.objects.filter(pk=issue.pk).update(title="First\nsecond")
    data = body_of(viewer_client.get(export_url()))
    assert b'"First\nsecond"' in data
    assert data.count(b"\r\n") == 2


def test_file_is_utf8_without_bom_by_default(viewer_client, issue):
    Issue.objects.filter(pk=issue.pk).update(title="Ünïcödé 🚀")
    data = body_of(viewer_client.get(export_url()))
    assert data.startswith(b"key,")
    assert "Ünïcödé 🚀".encode() in data


def test_bom_is_added_when_asked(viewer_client, issue):
    data = body_of(viewer_client.get(export_url(bom=1)))
    assert data.startswith(b"\xef\xbb\xbfkey,title,")
    assert body_of(viewer_client.get(export_url(bom=0))).startswith(b"key,")


# Streaming ---------------------------------------------------------------------------------------


def test_response_is_a_streamed_csv_attachment(viewer_client, issue):
    response = viewer_client.get(export_url())
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="WEB-issues-{today}.csv"'


def test_rows_are_read_only_while_the_response_streams(viewer_client, issue):
    """The view returns before the export query runs: the download starts at once."""
    with CaptureQueriesContext(connection) as before:
        response = viewer_client.get(export_url())
    assert not any('"issues_issue"' in q["sql"] for q in before.captured_queries)
    assert issue.key.encode() in body_of(response)


def test_export_runs_a_fixed_number_of_queries(viewer_client, project, member):
    def queries_for_export() -> int:
        response = viewer_client.get(export_url())
        with CaptureQueriesContext(connection) as captured:
            body_of(response)
        return len(captured.captured_queries)

    IssueFactory(project=project, actor=member)
    few = queries_for_export()
    for _ in range(20):
        IssueFactory(project=project, actor=member, labels=[project.labels.first()])
    assert queries_for_export() == few


def test_chunks_stay_small(project, member, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_BYTES", 200)
    monkeypatch.setattr(export, "ROWS_PER_QUERY", 2)
    for n in range(6):
        IssueFactory(project=project, actor=member, title=f"Issue number {n}")
    chunks = list(stream_csv(Issue.objects.filter(project=project).order_by("number")))
    assert len(chunks) >= 3
    assert max(len(chunk) for chunk in chunks) < 1000
    assert len(rows_of(b"".join(chunks))) == 6


# The admin's entry point ----------------------------------------------------------------------------


def test_csv_response_exports_any_queryset_in_its_order(project, member):
    other = ProjectFactory(key="OPS")
    operations.add_member(project=other, user=member, role=Role.MEMBER)
    issues = [
        IssueFactory(project=other, actor=member),
        IssueFactory(project=project, actor=member),
        IssueFactory(project=project, actor=member),
    ]
    queryset = Issue.objects.filter(pk__in=[i.pk for i in issues]).order_by("-pk")

    response = csv_response(queryset, filename_prefix="triage")

    assert isinstance(response, StreamingHttpResponse)
    assert 'filename="triage-issues-' in response["Content-Disposition"]
    assert [row["key"] for row in rows_of(body_of(response))] == [i.key for i in reversed(issues)]


def test_csv_response_accepts_an_annotated_admin_queryset(project, member):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    story = IssueFactory(project=project, actor=member, parent=epic)
    loose = IssueFactory(project=project, actor=member)
    annotated = Issue.objects.with_child_progress().select_related("status")
    for queryset, expected in (
        (annotated.order_by("number"), [epic, story, loose]),
        (annotated.order_by("-child_count", "-number"), [epic, loose, story]),
        (annotated.filter(pk__in=[story.pk, loose.pk])[:1], [story]),
    ):
        rows = rows_of(body_of(csv_response(queryset, filename_prefix="x", bom=True)))
        assert [row["key"] for row in rows] == [issue.key for issue in expected]


def test_ordering_by_a_relation_uses_its_models_ordering(project, member, status):
    done = IssueFactory(project=project, actor=member, status=status("Done"))
    triage = IssueFactory(project=project, actor=member, status=status("Triage"))
    doing = IssueFactory(project=project, actor=member, status=status("In progress"))
    queryset = Issue.objects.filter(project=project).order_by("status", "-number")
    keys = [row["key"] for row in rows_of(b"".join(stream_csv(queryset)))]
    assert keys == [i.key for i in queryset] == [triage.key, doing.key, done.key]


def test_ordering_by_expressions_is_kept(project, member):
    titles = ["banana", "Apple", "cherry"]
    for title in titles:
        IssueFactory(project=project, actor=member, title=title)
    by_lower = Issue.objects.order_by(Lower("title").desc())
    by_field = Issue.objects.order_by(F("estimate").asc(nulls_last=True), F("title").desc())
    for queryset in (by_lower, by_field):
        keys = [row["key"] for row in rows_of(b"".join(stream_csv(queryset)))]
        assert keys == [issue.key for issue in queryset]
    assert [i.title for i in by_lower] == ["cherry", "banana", "Apple"]


def test_meta_ordering_is_used_when_the_queryset_has_no_order(project, member):
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    keys = [row["key"] for row in rows_of(b"".join(stream_csv(Issue.objects.all())))]
    assert keys == [i.key for i in Issue.objects.all()] == [i.key for i in issues]


# The command -------------------------------------------------------------------------------------


def test_command_writes_the_same_file_as_the_view(viewer_client, varied_issues, status, tmp_path):
    target = tmp_path / "out.csv"
    call_command("export_issues", "WEB", "--status", "in progress", "-o", str(target))
    in_progress = status("In progress").pk
    assert target.read_bytes() == body_of(viewer_client.get(export_url(status=in_progress)))


def test_command_filters_by_label_and_writes_to_stdout(varied_issues):
    out = io.StringIO()
    call_command("export_issues", "WEB", "--label", "Bug fix", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert rows
    assert all("Bug fix" in row["labels"] for row in rows)


def test_command_accepts_the_lists_query_string(viewer_client, varied_issues, tmp_path):
    target = tmp_path / "out.csv"
    call_command(
        "export_issues", "WEB", "--query", "kind=bug&order=-priority", "--bom", "-o", str(target)
    )
    assert target.read_bytes() == body_of(
        viewer_client.get(export_url(kind="bug", order="-priority", bom=1))
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "No project"),
        (["WEB", "--status", "Limbo"], "no status"),
        (["WEB", "--label", "Nope"], "no label"),
        (["WEB", "--query", "priority=bogus"], "Priority"),
    ],
)
def test_command_refuses_bad_input(issue, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_issues", *args, stdout=io.StringIO())


# PostgreSQL: COPY --------------------------------------------------------------------------------


@pytest.fixture
def awkward_issues(project, member, other_member):
    """Everything that could make the two writers differ: quoting, NULLs, formulas, labels."""
    odd_label = LabelFactory(project=project, name='=odd, "label"')
    emoji_label = LabelFactory(project=project, name="Émoji 🚀")
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title='Epic "one", first')
    story = IssueFactory(
        project=project,
        actor=other_member,
        parent=epic,
        labels=[odd_label, emoji_label, project.labels.get(name="Bug fix")],
        assignee=member,
        estimate=0,
        due_date=datetime.date(2027, 1, 31),
    )
    IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    ask_for(story, "ann@example.com")
    titles = [*AWKWARD_TITLES, "@SUM(A1)", "\tTabbed", "-1", "+1"]
    issues = [IssueFactory(project=project, actor=member) for _ in titles]
    for issue, title in zip(issues, titles, strict=True):
        Issue.objects.filter(pk=issue.pk).update(title=title)
    Issue.objects.filter(pk=story.pk).update(
        resolved_at=datetime.datetime(2026, 2, 3, 4, 5, 6, 999999, tzinfo=UTC)
    )
    operations.move_issue(
        issue=issues[0], actor=member, status=project.statuses.get(name="In progress")
    )
    IssueEvent.objects.filter(issue=issues[0], field="status").update(
        created_at=datetime.datetime(2026, 2, 3, 4, 5, 6, 999999, tzinfo=UTC)
    )
    return [epic, story, *issues]


@pytest.mark.postgres
def test_copy_and_orm_paths_give_byte_identical_files(project, awkward_issues):
    for queryset in (
        Issue.objects.filter(project=project).order_by(*DEFAULT_LIST_ORDER),
        Issue.objects.filter(project=project, labels__name="Bug fix").distinct().order_by("title"),
        Issue.objects.with_child_progress().order_by("-status", "title"),
        Issue.objects.with_child_progress().order_by("-child_count", "-title"),
    ):
        by_copy = b"".join(stream_csv(queryset, bom=True, use_copy=True))
        by_orm = b"".join(stream_csv(queryset, bom=True, use_copy=False))
        assert by_copy == by_orm
        assert len(rows_of(by_copy)) == queryset.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_abandoned_download_leaves_the_connection_clean(monkeypatch):
    """A client that goes away mid-file: the COPY is cancelled, nothing is left open."""
    project = ProjectFactory(key="WEB")
    member = UserFactory(username="alice")
    operations.add_member(project=project, user=member, role=Role.MEMBER)
    for n in range(5):
        IssueFactory(project=project, actor=member, title=f"Issue {n}")
    monkeypatch.setattr(export, "CHUNK_BYTES", 1)  # one chunk per row
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    chunks = stream_csv(Issue.objects.filter(project=project))
    assert next(chunks).startswith(b"key,")
    assert next(chunks).startswith(b"WEB-")
    chunks.close()

    assert not connection.in_atomic_block
    assert connection.connection.info.transaction_status.name == "IDLE"
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == jit  # SET LOCAL ended with the export's transaction.
    assert Issue.objects.filter(project=project).count() == 5


@pytest.mark.postgres
def test_export_inside_a_transaction_leaves_its_settings_behind(project, issue):
    """The test runs in a transaction: the export's SET LOCALs must not outlive the export."""

    def settings_now():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
            return cursor.fetchone()

    before = settings_now()
    assert issue.key.encode() in b"".join(stream_csv(Issue.objects.filter(project=project)))
    assert settings_now() == before
