"""Sprints and releases change through planning.operations; issues through update_issue."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from issues import operations as issue_ops
from issues.models import IssueEvent
from planning import operations
from planning.models import PlanningEvent, ReleaseState, Sprint, SprintState

from ..factories import IssueFactory, LabelFactory, ProjectFactory, ReleaseFactory, SprintFactory

MONDAY = datetime.date(2026, 11, 30)
FRIDAY = datetime.date(2026, 12, 11)


@pytest.fixture
def sprint(project):
    return SprintFactory(project=project, name="Sprint 7")


@pytest.fixture
def release(project):
    return ReleaseFactory(project=project, name="2.4.0")


def start(sprint, actor):
    return operations.start_sprint(sprint=sprint, actor=actor, start=MONDAY, end=FRIDAY)


# Issues in sprints and releases ---------------------------------------------------------------


def test_planning_an_issue_into_a_sprint_is_an_event_with_the_sprint(issue, member, sprint):
    issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})

    event = IssueEvent.objects.get(issue=issue, field="sprint")
    assert (event.old_value, event.new_value) == ("", "Sprint 7")
    assert (event.old_sprint, event.new_sprint) == (None, sprint)


def test_an_issue_cannot_join_a_sprint_of_another_project(issue, member):
    foreign = SprintFactory(project=ProjectFactory(key="OPS"))

    with pytest.raises(ValidationError, match="another project"):
        issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": foreign})
    issue.refresh_from_db()
    assert issue.sprint is None


def test_an_issue_cannot_join_a_closed_sprint(issue, member, sprint):
    start(sprint, member)
    operations.complete_sprint(sprint=sprint, actor=member)

    with pytest.raises(ValidationError, match="closed"):
        issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})


def test_an_issue_cannot_join_a_released_version(issue, member, release):
    operations.release_version(release=release, actor=member)

    with pytest.raises(ValidationError, match="already released"):
        issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})


def test_score_inputs_are_logged_with_their_labels(issue, member):
    issue_ops.update_issue(
        issue=issue, actor=member, changes={"value": 4, "impact": "0.5", "confidence": 80}
    )

    events = dict(
        IssueEvent.objects.filter(issue=issue)
        .exclude(field="created")
        .values_list("field", "new_value")
    )
    assert events == {"value": "4", "impact": "Low (0.5)", "confidence": "Medium (80 %)"}


@pytest.mark.parametrize(
    ("field", "value"), [("value", 6), ("value", 0), ("impact", "7"), ("confidence", 90)]
)
def test_score_inputs_out_of_range_are_refused(issue, member, field, value):
    with pytest.raises(ValidationError):
        issue_ops.update_issue(issue=issue, actor=member, changes={field: value})


# Sprints --------------------------------------------------------------------------------------


def test_a_sprint_whose_end_is_before_its_start_is_refused(project, member):
    with pytest.raises(ValidationError, match="before the start"):
        operations.create_sprint(
            project=project, actor=member, name="Backwards", start=FRIDAY, end=MONDAY
        )
    assert not Sprint.objects.exists()


def test_sprint_names_are_unique_per_project_ignoring_case(project, member, sprint):
    with pytest.raises(ValidationError, match="already has a sprint"):
        operations.create_sprint(project=project, actor=member, name="sprint 7")


def test_viewers_cannot_create_sprints(project, viewer):
    with pytest.raises(PermissionDenied):
        operations.create_sprint(project=project, actor=viewer, name="Sprint 1")


def test_starting_a_sprint_makes_it_active_and_logs_the_commitment(sprint, member, project):
    IssueFactory(project=project, actor=member, estimate=3)
    issue = IssueFactory(project=project, actor=member, estimate=5)
    issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})

    started = start(sprint, member)

    assert started.state == SprintState.ACTIVE
    assert started.started_at is not None
    event = PlanningEvent.objects.get(sprint=sprint, action="started")
    assert event.detail == "2026-11-30 to 2026-12-11, 1 issues, 5 points"


def test_a_sprint_needs_dates_to_start(sprint, member):
    with pytest.raises(ValidationError, match="start and an end date"):
        operations.start_sprint(sprint=sprint, actor=member)
    sprint.refresh_from_db()
    assert sprint.state == SprintState.PLANNED


def test_a_second_active_sprint_is_refused(project, sprint, member):
    start(sprint, member)
    second = SprintFactory(project=project, name="Sprint 8")

    with pytest.raises(ValidationError, match="still active"):
        start(second, member)
    second.refresh_from_db()
    assert second.state == SprintState.PLANNED


def test_the_database_allows_one_active_sprint_per_project(project, sprint, member):
    start(sprint, member)
    second = SprintFactory(project=project, name="Sprint 8")

    with pytest.raises(IntegrityError), transaction.atomic():
        Sprint.objects.filter(pk=second.pk).update(
            state=SprintState.ACTIVE, start=MONDAY, end=FRIDAY
        )


def test_completing_moves_unfinished_issues_to_the_next_sprint(project, sprint, member, status):
    done = IssueFactory(project=project, actor=member, status=status("Done"))
    open_issue = IssueFactory(project=project, actor=member)
    for issue in (done, open_issue):
        issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})
    start(sprint, member)
    following = SprintFactory(project=project, name="Sprint 8")

    operations.complete_sprint(sprint=sprint, actor=member, move_to=following)

    done.refresh_from_db()
    open_issue.refresh_from_db()
    assert (done.sprint, open_issue.sprint) == (sprint, following)
    carried = IssueEvent.objects.filter(issue=open_issue, field="sprint").last()
    assert (carried.old_sprint, carried.new_sprint) == (sprint, following)
    sprint.refresh_from_db()
    assert sprint.state == SprintState.CLOSED


def test_completing_without_a_next_sprint_returns_unfinished_issues_to_the_backlog(
    project, sprint, member
):
    issue = IssueFactory(project=project, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})
    start(sprint, member)

    operations.complete_sprint(sprint=sprint, actor=member)

    issue.refresh_from_db()
    assert issue.sprint is None


def test_completing_into_a_sprint_of_another_project_changes_nothing(
    project, sprint, member, db_snapshot
):
    start(sprint, member)
    foreign = SprintFactory(project=ProjectFactory(key="OPS"))
    before = db_snapshot()

    with pytest.raises(ValidationError, match="another project"):
        operations.complete_sprint(sprint=sprint, actor=member, move_to=foreign)
    assert db_snapshot() == before


def test_only_the_active_sprint_can_be_completed(sprint, member):
    with pytest.raises(ValidationError, match="not active"):
        operations.complete_sprint(sprint=sprint, actor=member)


def test_velocity_is_the_mean_done_points_of_the_last_three_closed_sprints(project, member, status):
    for points in (10, 20, 30, 40):
        sprint = SprintFactory(project=project)
        issue = IssueFactory(project=project, actor=member, estimate=points, status=status("Done"))
        issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})
        start(sprint, member)
        operations.complete_sprint(sprint=sprint, actor=member)

    assert operations.velocity(project) == 30


def test_there_is_no_velocity_before_the_first_closed_sprint(project):
    assert operations.velocity(project) is None


def test_deleting_a_planned_sprint_returns_its_issues_to_the_backlog(project, sprint, member):
    issue = IssueFactory(project=project, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"sprint": sprint})

    operations.delete_sprint(sprint=sprint, actor=member)

    issue.refresh_from_db()
    assert issue.sprint is None
    assert not Sprint.objects.exists()


# Releases -------------------------------------------------------------------------------------


def test_releasing_with_open_issues_is_refused(project, release, member, db_snapshot):
    issue = IssueFactory(project=project, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})
    before = db_snapshot()

    with pytest.raises(ValidationError, match="1 open issue"):
        operations.release_version(release=release, actor=member)
    assert db_snapshot() == before


def test_releasing_moves_open_issues_to_another_release_in_the_same_step(project, release, member):
    issue = IssueFactory(project=project, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})
    following = ReleaseFactory(project=project, name="2.5.0")

    operations.release_version(release=release, actor=member, move_open_to=following)

    issue.refresh_from_db()
    release.refresh_from_db()
    assert issue.release == following
    assert release.state == ReleaseState.RELEASED
    assert IssueEvent.objects.filter(issue=issue, field="release", new_value="2.5.0").exists()


def test_releasing_twice_is_refused(release, member):
    operations.release_version(release=release, actor=member)

    with pytest.raises(ValidationError, match="already released"):
        operations.release_version(release=release, actor=member)


def test_release_notes_group_new_and_fixed_and_leave_out_internal_work(
    project, release, member, status
):
    done = status("Done")
    tech_debt = project.labels.get(name="Tech debt")
    issues = [
        IssueFactory(project=project, actor=member, title="Pay by invoice", status=done),
        IssueFactory(project=project, actor=member, kind="bug", title="Totals off", status=done),
        IssueFactory(
            project=project, actor=member, title="Split views", status=done, labels=[tech_debt]
        ),
    ]
    for issue in issues:
        issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})

    released = operations.release_version(
        release=release, actor=member, release_date=datetime.date(2026, 12, 2)
    )

    assert released.notes == (
        "## 2.4.0 (2026-12-02)\n\n"
        "### New\n\n- Pay by invoice (WEB-1)\n\n"
        "### Fixed\n\n- Totals off (WEB-2)\n"
    )


def test_release_notes_escape_markdown_in_titles(project, release, member, status):
    issue = IssueFactory(
        project=project, actor=member, title="Show [links](javascript:x)", status=status("Done")
    )
    issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})

    released = operations.release_version(release=release, actor=member)

    assert r"- Show \[links\](javascript:x) (WEB-1)" in released.notes


def test_bug_fix_label_counts_as_fixed(project, release, member, status):
    label = LabelFactory(project=project, name="bug fix 2")
    bug_fix = project.labels.get(name="Bug fix")
    issue = IssueFactory(
        project=project, actor=member, title="Typo", status=status("Done"), labels=[bug_fix, label]
    )
    issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})

    released = operations.release_version(release=release, actor=member)

    assert "### Fixed\n\n- Typo (WEB-1)" in released.notes


def test_released_notes_stay_editable(release, member):
    operations.release_version(release=release, actor=member)

    edited = operations.update_release(
        release=release, actor=member, changes={"notes": "Hand-written."}
    )

    assert edited.notes == "Hand-written."
    assert PlanningEvent.objects.filter(release=release, action="notes").exists()
