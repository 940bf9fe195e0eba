"""The reports page and the CSV of each chart, through the HTTP layer."""

import csv
import io

import pytest
from django.urls import reverse

from issues.models import Kind
from reports import snapshots
from tests.factories import IssueFactory

from .history import at, make_sprint

PERIOD = {"from": "2026-01-01", "to": "2026-01-10"}
CHARTS = (
    "flow", "aging", "cycle-time", "lead-time", "throughput", "points", "created-resolved",
    "burndown", "velocity", "sources", "requests", "bugs",
)  # fmt: skip


def page_url(project) -> str:
    return reverse("reports:reports", args=[project.key])


def csv_rows(client, project, chart: str, **params) -> list[list[str]]:
    response = client.get(reverse("reports:chart_csv", args=[project.key, chart]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_viewer_sees_every_chart(client, project, viewer, history):
    client.force_login(viewer)
    response = client.get(page_url(project), PERIOD)
    assert response.status_code == 200
    for slug in CHARTS:
        assert f'id="chart-{slug}"' in response.text


# Session and user, project and role, statuses, the filter's choices, one per query of
# reports.queries (cumulative flow, done issues summed up and the latest drawn, created/
# resolved, aging, sources, customer requests, bugs), the sprints of the burndown and velocity
# (with sprints: one more for the burndown, and one per closed sprint drawn, at most
# report.VELOCITY_SPRINTS), the filter bar's epics and sprints, the project switcher and the
# top bar's unread count; without a filter, the look for daily snapshots (and, when one is
# missing, the queued fill). With snapshots and today in the period: today's state, resolved
# moves and the week's creations instead of the flow and created/resolved queries.
QUERIES = 22


def test_the_page_runs_a_fixed_number_of_queries(
    client, project, viewer, history, make, django_assert_max_num_queries
):
    client.force_login(viewer)
    with django_assert_max_num_queries(QUERIES):
        client.get(page_url(project), PERIOD)
    for n in range(10):
        make(f"More {n}", at(1, 2), [(at(1, 3), "In progress"), (at(1, 4), "Done")])
    with django_assert_max_num_queries(QUERIES):
        response = client.get(page_url(project), {**PERIOD, "kind": "story"})
    assert response.status_code == 200
    snapshots.fill(project.pk)
    for period in (PERIOD, {"range": "30"}):  # past days only, and up to today
        with django_assert_max_num_queries(QUERIES):
            assert client.get(page_url(project), period).status_code == 200


def test_each_chart_has_a_title_description_and_data_table(client, project, viewer, history):
    client.force_login(viewer)
    response = client.get(page_url(project), PERIOD)
    assert '<title id="flow-title">Cumulative flow</title>' in response.text
    assert '<desc id="flow-desc">' in response.text
    assert '<title id="cycle-time-title">Cycle time</title>' in response.text
    # No sprint and no customer request in this history: the burndown, the velocity and the
    # requests chart say so instead of drawing.
    assert response.text.count("<summary>Show data</summary>") == len(CHARTS) - 3
    assert "No customer asked for anything in this period." in response.text
    assert "No sprint has started yet." in response.text


def test_a_dot_of_the_cycle_time_chart_links_to_its_issue(client, project, viewer, history):
    client.force_login(viewer)
    response = client.get(page_url(project), PERIOD)
    assert f'href="{history["A"].get_absolute_url()}" class="chart-link"' in response.text


def test_the_flow_csv_is_the_count_per_status_and_day(client, project, viewer, history):
    client.force_login(viewer)
    rows = csv_rows(client, project, "flow", **PERIOD)
    header = rows[0]
    assert header == ["Day", "To do", "In progress", "In review", "Done", "Canceled"]
    jan4 = dict(zip(header, rows[4], strict=True))
    assert jan4["Day"] == "2026-01-04"
    assert (jan4["In progress"], jan4["In review"], jan4["Done"], jan4["Canceled"]) == (
        "1", "1", "2", "1",
    )  # fmt: skip


def test_the_cycle_time_csv_lists_each_done_issue_with_its_days(client, project, viewer, history):
    client.force_login(viewer)
    rows = csv_rows(client, project, "cycle-time", **PERIOD)
    assert rows == [
        ["Issue", "Title", "Done", "Days"],
        ["WEB-1", "A", "2026-01-04", "2.0"],
        ["WEB-4", "D", "2026-01-06", "4.0"],
        ["WEB-2", "B", "2026-01-07", "6.0"],
    ]


def test_the_throughput_csv_counts_issues_and_points_per_week(client, project, viewer, history):
    client.force_login(viewer)
    assert csv_rows(client, project, "throughput", **PERIOD)[1:] == [
        ["2025-12-29", "1"],
        ["2026-01-05", "2"],
    ]
    assert csv_rows(client, project, "points", **PERIOD)[1:] == [
        ["2025-12-29", "3"],
        ["2026-01-05", "5"],
    ]


def test_filters_narrow_every_chart(client, project, viewer, history):
    client.force_login(viewer)
    rows = csv_rows(client, project, "created-resolved", **PERIOD, kind="bug")
    assert rows[1:] == [["2025-12-29", "1", "1"], ["2026-01-05", "1", "0"]]


def test_a_chart_csv_neutralises_formulas_in_titles(client, project, member, make):
    make("=HYPERLINK(1)", at(1, 2), [(at(1, 3), "In progress"), (at(1, 4), "Done")])
    client.force_login(member)
    rows = csv_rows(client, project, "cycle-time", **PERIOD)
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_an_unknown_chart_is_404(client, project, viewer):
    client.force_login(viewer)
    response = client.get(reverse("reports:chart_csv", args=[project.key, "pie"]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "7"}, "range: Select a valid choice."),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "comes after the last"),
        ({"from": "yesterday"}, "from: Enter a valid date."),
        ({"to": "2026-01-01"}, "Give the first day"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most 366 days"),
        ({"range": "30", "from": "2026-01-01"}, "either a range of days or dates"),
        ({"kind": "novel"}, "Kind: Select a valid choice."),
        ({"sprint": "12345"}, "is not a started sprint"),
    ],
)
def test_bad_period_or_filter_is_a_400_with_the_reason(client, project, viewer, params, message):
    client.force_login(viewer)
    response = client.get(page_url(project), params)
    assert response.status_code == 400
    assert message in response.text
    csv_response = client.get(reverse("reports:chart_csv", args=[project.key, "flow"]), params)
    assert csv_response.status_code == 400
    assert message in csv_response.text


def test_an_empty_project_says_there_is_nothing_to_show(client, project, viewer):
    client.force_login(viewer)
    response = client.get(page_url(project))
    assert response.status_code == 200
    assert "No issue was done in this period." in response.text
    assert "Nothing is in progress." in response.text


def test_the_project_nav_links_to_reports(client, project, viewer):
    IssueFactory(project=project, kind=Kind.STORY)
    client.force_login(viewer)
    response = client.get(reverse("boards:board", args=[project.key]))
    assert f'href="{page_url(project)}"' in response.text


def test_the_burndown_csv_is_points_left_per_day_with_the_ideal_and_the_scope_added(
    client, project, viewer, member
):
    sprint = make_sprint(project, member)
    client.force_login(viewer)
    rows = csv_rows(client, project, "burndown", sprint=str(sprint.pk))
    # Ideal: 10 points over the 111 hours from Jan 5 09:00 to the end of Jan 9; the last point
    # is a minute before the completion (Jan 9 17:59), when X still counted.
    assert rows == [
        ["Day", "Points remaining", "Ideal", "Points added"],
        ["Start", "10", "10.0", "0"],
        ["Jan 5", "10", "8.6", "0"],
        ["Jan 6", "15", "6.5", "8"],
        ["Jan 7", "13", "4.3", "0"],
        ["Jan 8", "8", "2.2", "0"],
        ["Jan 9", "8", "0.5", "0"],
    ]


def test_the_velocity_csv_is_committed_and_done_per_closed_sprint(client, project, viewer, member):
    make_sprint(project, member)
    client.force_login(viewer)
    assert csv_rows(client, project, "velocity")[1:] == [["Sprint 1", "10", "8"]]


def test_the_filter_bar_offers_epics_and_sprints(client, project, viewer, member, history):
    """The burndown's sprint and the epic are chosen from the bar, not typed into the URL."""
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout")
    sprint = make_sprint(project, member)
    client.force_login(viewer)
    page = client.get(page_url(project), PERIOD).content.decode()
    assert f'name="epic" value="{epic.number}"' in page
    assert f'name="sprint" value="{sprint.pk}"' in page
    assert 'name="sprint" value="none"' in page
    chosen = client.get(page_url(project), {**PERIOD, "sprint": sprint.pk}).content.decode()
    assert f'name="sprint" value="{sprint.pk}" checked' in chosen
