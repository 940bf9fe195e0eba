"""The report queries against the hand-computed history of conftest.py."""

import datetime

import pytest

from issues import flow
from issues.models import Issue, IssueEvent, Priority, Source, Status
from reports import queries
from reports.forms import Period

from .history import PERIOD, at, make_sprint

pytestmark = pytest.mark.django_db


def scope(project, period=PERIOD, issues=None):
    return queries.Scope(project_id=project.pk, period=period, issues=issues)


def flow_by_name(project, period=PERIOD):
    names = dict(Status.objects.filter(project=project).values_list("id", "name"))
    table: dict = {}
    for row in queries.cumulative_flow(scope(project, period)):
        if row.issues:
            table.setdefault(row.day.day, {})[names[row.status_id]] = row.issues
    return table


EXPECTED_FLOW = {
    1: {"To do": 3, "In progress": 1},
    2: {"To do": 1, "In progress": 3, "Canceled": 1},
    3: {"In progress": 3, "Done": 1, "Canceled": 1},
    4: {"In progress": 1, "In review": 1, "Done": 2, "Canceled": 1},
    5: {"In progress": 3, "Done": 1, "Canceled": 1},
    6: {"In progress": 2, "Done": 2, "Canceled": 1},
    7: {"In progress": 1, "Done": 3, "Canceled": 1},
    8: {"To do": 1, "In progress": 1, "Done": 3, "Canceled": 1},
    9: {"To do": 1, "In progress": 1, "Done": 3, "Canceled": 1},
    10: {"To do": 1, "In progress": 1, "Done": 3, "Canceled": 1},
}


def test_cumulative_flow_counts_each_status_at_the_end_of_each_day(project, history):
    assert flow_by_name(project) == EXPECTED_FLOW


def test_cumulative_flow_has_a_row_for_every_status_and_day(project, history):
    rows = queries.cumulative_flow(scope(project))
    assert len(rows) == 10 * project.statuses.count()
    assert rows[0].day == datetime.date(2026, 1, 1)
    assert rows[-1].day == datetime.date(2026, 1, 10)


def test_cumulative_flow_is_the_same_after_statuses_are_renamed(project, history):
    project.statuses.filter(name="Done").update(name="Shipped")
    project.statuses.filter(name="In progress").update(name="Doing")
    renamed = {
        day: {{"Shipped": "Done", "Doing": "In progress"}.get(k, k): v for k, v in counts.items()}
        for day, counts in flow_by_name(project).items()
    }
    assert renamed == EXPECTED_FLOW


def test_cumulative_flow_of_a_later_window_starts_from_the_history_before_it(project, history):
    period = Period(datetime.date(2026, 1, 6), datetime.date(2026, 1, 7))
    assert flow_by_name(project, period) == {6: EXPECTED_FLOW[6], 7: EXPECTED_FLOW[7]}


def test_cumulative_flow_counts_only_the_filtered_issues(project, history):
    bugs = Issue.objects.filter(project=project, kind="bug")
    names = dict(Status.objects.filter(project=project).values_list("id", "name"))
    rows = queries.cumulative_flow(scope(project, issues=bugs))
    day5 = {names[r.status_id]: r.issues for r in rows if r.day.day == 5 and r.issues}
    assert day5 == {"In progress": 1, "Canceled": 1}


def test_done_issues_are_those_last_done_in_the_period_with_cycle_and_lead_times(project, history):
    done = queries.done_issues(scope(project))
    assert [(d.number, d.done_at) for d in done] == [
        (history["A"].number, at(1, 4, 9)),
        (history["D"].number, at(1, 6)),
        (history["B"].number, at(1, 7, 12)),
    ]
    assert [round(d.cycle_days, 4) for d in done] == [2.0, 4.0, 6.0]
    assert [round(d.lead_days, 4) for d in done] == [round(71 / 24, 4), 5.0, 8.0]


def test_a_reopened_issue_is_timed_from_its_first_entry_into_progress(project, history):
    (reopened,) = [
        d for d in queries.done_issues(scope(project)) if d.number == history["B"].number
    ]
    assert reopened.cycle_days == pytest.approx(6.0)  # from Jan 1 12:00, not Jan 5 12:00


def test_an_issue_done_without_being_in_progress_has_a_lead_time_only(project, history, make):
    g = make("G", at(1, 3), [(at(1, 5), "Done")])
    (skipped,) = [d for d in queries.done_issues(scope(project)) if d.number == g.number]
    assert skipped.cycle_days is None
    assert skipped.lead_days == pytest.approx(2.0)


def test_an_issue_created_in_progress_starts_when_created(project, history, make):
    issue = make("H", at(1, 2), [(at(1, 3), "Done")])
    # Created in To do by the factory: make its first move leave from In progress instead.
    IssueEvent.objects.filter(issue=issue, field="status").update(
        old_status=project.statuses.get(name="In progress")
    )
    flow.rebuild(project.pk)
    (done,) = [d for d in queries.done_issues(scope(project)) if d.number == issue.number]
    assert done.cycle_days == pytest.approx(1.0)  # from its creation on Jan 2


def test_the_done_summary_has_nearest_rank_percentiles_and_weekly_sums(project, history):
    """Cycle days 2, 4, 6 (A, D, B) and lead days 71/24, 5, 8: the nearest-rank 50th is the
    2nd value, the 85th and 95th the 3rd; A (3 points) is done in the week of Dec 29, D and B
    (5 points) in the week of Jan 5."""
    summary = queries.done_summary(scope(project), (50, 85, 95))
    assert summary.count == summary.with_cycle == 3
    assert {p: round(v, 4) for p, v in summary.cycle_percentiles.items()} == {
        50: 4.0, 85: 6.0, 95: 6.0,
    }  # fmt: skip
    assert {p: round(v, 4) for p, v in summary.lead_percentiles.items()} == {
        50: 5.0, 85: 8.0, 95: 8.0,
    }  # fmt: skip
    assert summary.weekly == {
        datetime.date(2025, 12, 29): (1, 3),
        datetime.date(2026, 1, 5): (2, 5),
    }


def test_a_percentile_of_an_even_count_is_the_lower_middle_value(project, history, make):
    make("G", at(1, 3), [(at(1, 4), "In progress"), (at(1, 9), "Done")])  # cycle 5 days
    summary = queries.done_summary(scope(project), (50, 75))
    assert summary.with_cycle == 4
    assert {p: round(v, 4) for p, v in summary.cycle_percentiles.items()} == {50: 4.0, 75: 5.0}


def test_nothing_done_has_no_percentiles(project):
    summary = queries.done_summary(scope(project), (50,))
    assert (summary.count, summary.cycle_percentiles, summary.weekly) == (0, {50: None}, {})


def test_the_scatter_reads_only_the_latest_done_issues(project, history):
    latest = queries.done_issues(scope(project), limit=2)
    assert [d.title for d in latest] == ["D", "B"]  # oldest first, A left out


def test_created_and_resolved_per_week(project, history):
    assert queries.created_and_resolved(scope(project)) == {
        datetime.date(2025, 12, 29): (3, 3),
        datetime.date(2026, 1, 5): (1, 2),
    }


def test_aging_work_is_what_is_in_progress_now_by_age(project, history):
    aging, total = queries.aging_work(scope(project), now=at(1, 10))
    assert total == 1
    assert [(a.title, a.started_at, a.age_days) for a in aging] == [("C", at(1, 3), 7.0)]


def test_sources_by_month_count_issues_created_in_the_period(project, history):
    assert queries.sources_by_month(scope(project)) == {
        (datetime.date(2026, 1, 1), Source.CUSTOMER_FEEDBACK): 2,
        (datetime.date(2026, 1, 1), Source.SUPPORT_TICKET): 1,
        (datetime.date(2026, 1, 1), Source.QA_TESTING): 1,
    }


def test_customer_requests_by_month_count_what_came_in_during_the_period(project, history):
    """Two votes for A in the period (one from a support ticket), one for C before it."""
    from intake.models import Request
    from tests.factories import ask_for

    ask_for(history["A"], "ann@example.com", source=Source.SUPPORT_TICKET)
    ask_for(history["A"], "bo@example.com", source=Source.IDEAS_PORTAL)
    ask_for(history["C"], "cy@example.com", source=Source.IDEAS_PORTAL)
    Request.objects.filter(requester__email="ann@example.com").update(created_at=at(1, 3))
    Request.objects.filter(requester__email="bo@example.com").update(created_at=at(1, 9))
    Request.objects.filter(requester__email="cy@example.com").update(created_at=at(12, 30))
    assert queries.requests_by_month(scope(project)) == {
        (datetime.date(2026, 1, 1), Source.SUPPORT_TICKET): 1,
        (datetime.date(2026, 1, 1), Source.IDEAS_PORTAL): 1,
    }
    bugs = Issue.objects.filter(project=project, kind="bug")
    assert queries.requests_by_month(scope(project, issues=bugs)) == {}


def test_open_bugs_by_priority_leave_out_closed_bugs(project, history):
    assert queries.open_bugs_by_priority(scope(project)) == {Priority.HIGH: 2}


def test_burndown_counts_points_left_at_the_start_and_each_day_end(project, member):
    sprint = make_sprint(project, member)
    ends = [at(1, day + 1) for day in range(5, 9)]
    closing = sprint.completed_at - datetime.timedelta(minutes=1)
    days = queries.burndown(sprint.pk, [at(1, 5, 9), *ends, closing])
    assert [d.remaining for d in days] == [10, 10, 15, 13, 8, 8]
    assert [d.added for d in days] == [0, 0, 8, 0, 0, 0]


def test_burndown_and_velocity_count_each_day_with_that_days_estimates(project, member):
    """Q (5 points) is re-estimated to 2 on Jan 7 at 12:00 and P (3, done) to 13 on Jan 8:
    the days before keep the old estimates, the days after take the new ones, and P's change
    after it was done changes nothing left to do."""
    sprint = make_sprint(project, member)

    def estimate(name, points, moment):
        from issues import operations as ops
        from issues.models import Issue, IssueEvent

        issue = Issue.objects.get(project=project, title=name)
        last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first()
        ops.update_issue(issue=issue, actor=member, changes={"estimate": points})
        IssueEvent.objects.filter(id__gt=last).update(created_at=moment)

    estimate("Q", 2, at(1, 7, 12))
    estimate("P", 13, at(1, 8, 9))
    ends = [at(1, day + 1) for day in range(5, 9)]
    closing = sprint.completed_at - datetime.timedelta(minutes=1)
    days = queries.burndown(sprint.pk, [at(1, 5, 9), *ends, closing])
    assert [d.remaining for d in days] == [10, 10, 15, 10, 8, 8]
    points = queries.sprint_points(sprint.pk, sprint.started_at, sprint.completed_at)
    assert (points.committed, points.done) == (10, 15)  # done: P 13 and Q 2 at completion


def test_velocity_is_committed_at_the_start_and_done_at_the_completion(project, member):
    sprint = make_sprint(project, member)
    points = queries.sprint_points(sprint.pk, sprint.started_at, sprint.completed_at)
    assert (points.committed, points.done) == (10, 8)
