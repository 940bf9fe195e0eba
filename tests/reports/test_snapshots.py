"""The daily snapshots (reports/snapshots.py): the unfiltered charts read them instead of the
history, and say exactly what the live queries say."""

import datetime

import pytest
from django.core.cache import cache
from django_tasks_db.models import DBTaskResult

from issues import operations
from issues.models import StatusCategory
from projects import operations as project_ops
from reports import queries, snapshots
from reports.forms import Period
from reports.models import FlowDay
from reports.report import Report

from .history import PERIOD, at

pytestmark = pytest.mark.django_db

LATER = at(1, 20, 12)  # long after the period: every day of it is settled


def report(project, period=PERIOD, now=LATER):
    return Report(project, period, None, list(project.statuses.all()), now=now)


def live(project, period=PERIOD):
    scope = queries.Scope(project_id=project.pk, period=period)
    return queries.cumulative_flow(scope), queries.created_and_resolved(scope)


def test_a_fill_snapshots_every_settled_day_from_the_first_issue(project, history):
    written = snapshots.fill(project.pk, now=LATER)
    days = sorted(set(FlowDay.objects.filter(project=project).values_list("day", flat=True)))
    assert days[0] == datetime.date(2025, 12, 20)  # F, the first issue, was created then
    assert days[-1] == datetime.date(2026, 1, 19)  # the day before LATER
    assert written == len(days) * project.statuses.count()
    assert snapshots.fill(project.pk, now=LATER) == 0  # nothing left to fill


def test_charts_from_snapshots_are_the_live_ones(project, history):
    snapshots.fill(project.pk, now=LATER)
    from_snapshots = report(project)
    assert from_snapshots.snapshots is not None
    flow, weekly = live(project)
    assert from_snapshots.flow == flow
    assert from_snapshots.created_and_resolved() == weekly


def test_today_is_the_current_state_and_the_rest_snapshots(project, history, member, status):
    now = at(1, 10, 15)  # Jan 9 is settled, Jan 10 is today
    snapshots.fill(project.pk, now=now)
    # Today's row is the issues' current state, whenever their moves were logged.
    operations.move_issue(issue=history["E"], actor=member, status=status("In progress"))
    from_snapshots = report(project, now=now)
    assert from_snapshots.snapshots is not None
    names = {s.pk: s.name for s in project.statuses.all()}
    today = {
        names[row.status_id]: row.issues
        for row in from_snapshots.flow
        if row.day == datetime.date(2026, 1, 10) and row.issues
    }
    assert today == {"In progress": 2, "Done": 3, "Canceled": 1}  # E moved out of To do


def test_a_missing_day_is_computed_live_and_a_fill_is_queued(project, history):
    cache.clear()
    snapshots.fill(project.pk, now=at(1, 6, 12))  # up to Jan 5 only
    from_snapshots = report(project)
    assert from_snapshots.snapshots is None
    assert from_snapshots.flow == live(project)[0]
    assert DBTaskResult.objects.filter(task_path__endswith="fill_flow_snapshots").count() == 1


def test_an_unsettled_yesterday_is_computed_live(project, history):
    snapshots.fill(project.pk, now=LATER)
    just_after_midnight = datetime.datetime(2026, 1, 11, 0, 5, tzinfo=datetime.UTC)
    assert snapshots.settled_day(just_after_midnight) == datetime.date(2026, 1, 9)
    assert report(project, now=just_after_midnight).snapshots is None


def test_a_filtered_report_never_reads_snapshots(project, history):
    snapshots.fill(project.pk, now=LATER)
    filtered = Report(
        project, PERIOD, project.issues.filter(kind="bug"), list(project.statuses.all()), now=LATER
    )
    assert filtered.snapshots is None


def test_deleting_an_issue_forgets_the_days_it_lived_through(project, history, admin_user):
    snapshots.fill(project.pk, now=LATER)
    operations.delete_issue(issue=history["D"], actor=admin_user)  # created Jan 1
    assert not FlowDay.objects.filter(project=project, day__gte=datetime.date(2026, 1, 1))
    assert FlowDay.objects.filter(project=project, day=datetime.date(2025, 12, 31)).exists()
    snapshots.fill(project.pk, now=LATER)
    assert report(project).flow == live(project)[0]


def test_a_status_changing_category_forgets_every_snapshot(project, history, admin_user, status):
    snapshots.fill(project.pk, now=LATER)
    review = status("In review")
    project_ops.update_status(
        status=review, actor=admin_user, name=review.name, category=StatusCategory.DONE,
        color=review.color, wip_limit=None,
    )  # fmt: skip
    assert not FlowDay.objects.filter(project=project).exists()
    snapshots.fill(project.pk, now=LATER)
    assert report(project).created_and_resolved() == live(project)[1]


def test_the_fill_task_fills(project, history, run_worker):
    from reports.tasks import fill_flow_snapshots

    fill_flow_snapshots.enqueue(project_id=project.pk)
    run_worker()
    assert FlowDay.objects.filter(project=project).exists()


def test_a_project_without_issues_has_nothing_to_fill(project):
    assert snapshots.fill(project.pk, now=LATER) == 0
    assert report(project, period=Period(PERIOD.first, PERIOD.last)).snapshots is None


def test_the_command_fills_and_rebuilds(project, history):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("snapshot_flow", stdout=out)
    filled = FlowDay.objects.filter(project=project).count()
    assert filled and f"WEB: {filled} rows" in out.getvalue()
    FlowDay.objects.filter(project=project).update(issues=99)
    call_command("snapshot_flow", "--project", "web", "--rebuild", stdout=StringIO())
    assert not FlowDay.objects.filter(project=project, issues=99).exists()
    with pytest.raises(CommandError):
        call_command("snapshot_flow", "--project", "NOPE", stdout=StringIO())


def test_today_adds_the_days_changes_to_yesterdays_snapshot(project, history, member, status):
    """A period ending today: yesterday's snapshot plus today's moves and new issues equals
    the live count, whatever happened today."""
    from django.utils import timezone

    from tests.factories import IssueFactory

    now = timezone.now()
    today = now.date()
    period = Period(today - datetime.timedelta(days=3), today)
    snapshots.fill(project.pk, now=now + datetime.timedelta(hours=1))
    operations.move_issue(issue=history["E"], actor=member, status=status("In progress"))
    fresh = IssueFactory(project=project, actor=member, title="New today")
    operations.move_issue(issue=fresh, actor=member, status=status("In review"))
    from_snapshots = report(project, period=period, now=now + datetime.timedelta(hours=1))
    assert from_snapshots.snapshots is not None
    assert from_snapshots.flow == live(project, period)[0]
