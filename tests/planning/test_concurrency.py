"""Planning races against the real database (PostgreSQL): threads, each its own connection.

Sprints and releases are locked FOR NO KEY UPDATE (FOR UPDATE only to delete them): an issue
UPDATE that sets `sprint_id` or `release_id` takes a KEY SHARE lock on that row for the foreign
key, which FOR UPDATE blocks.
"""

import datetime
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from issues import operations as issue_ops
from issues.models import Priority
from planning import operations
from planning.models import ReleaseState, SprintState

from ..factories import IssueFactory, ReleaseFactory, SprintFactory
from ..issues.test_concurrency import at_once, failures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def holding_one_and_planning_another(actor, held, planned, changes, close) -> list[object]:
    """Thread 0: one transaction (a bulk edit's) that changes `held` (so holds its row), waits
    a moment, then plans `planned` with `changes`. Thread 1 meanwhile runs `close()`, which
    locks the sprint or release and then waits for `held`. With FOR UPDATE on the sprint, the
    plan's KEY SHARE waited for `close` and `close` for `held`: a deadlock."""

    def run(i: int):
        if i == 0:
            with transaction.atomic():
                issue_ops.update_issue(issue=held, actor=actor, changes={"priority": Priority.HIGH})
                time.sleep(0.5)  # The completion locks the sprint and queues on `held`.
                return issue_ops.update_issue(issue=planned, actor=actor, changes=changes)
        time.sleep(0.15)
        return close()

    return at_once(2, run)


def test_planning_into_a_sprint_while_it_is_completed_does_not_deadlock(
    project, member, other_member
):
    sprint = SprintFactory(project=project, name="Sprint 7")
    held = IssueFactory(project=project, actor=member, title="In the sprint")
    planned = IssueFactory(project=project, actor=member, title="Joining it")
    issue_ops.update_issue(issue=held, actor=member, changes={"sprint": sprint})
    operations.start_sprint(
        sprint=sprint,
        actor=member,
        start=datetime.date(2026, 11, 30),
        end=datetime.date(2026, 12, 11),
    )
    sprint.refresh_from_db()

    results = holding_one_and_planning_another(
        member,
        held,
        planned,
        {"sprint": sprint},
        lambda: operations.complete_sprint(sprint=sprint, actor=other_member),
    )

    assert failures(results) == []
    sprint.refresh_from_db()
    assert sprint.state == SprintState.CLOSED
    # The issue that joined while the completion waited was moved out by it, as the one
    # that was in it: a closed sprint keeps no unfinished issue.
    assert not sprint.issues.open().exists()
    held.refresh_from_db()
    planned.refresh_from_db()
    assert (held.sprint_id, planned.sprint_id) == (None, None)
    assert planned.events.filter(field="sprint").count() == 2  # joined, then moved out


def test_giving_issues_a_release_while_it_is_released_does_not_deadlock(
    project, member, other_member
):
    release = ReleaseFactory(project=project, name="2.4.0")
    following = ReleaseFactory(project=project, name="2.5.0")
    held = IssueFactory(project=project, actor=member, title="In the release")
    planned = IssueFactory(project=project, actor=member, title="Joining it")
    issue_ops.update_issue(issue=held, actor=member, changes={"release": release})

    results = holding_one_and_planning_another(
        member,
        held,
        planned,
        {"release": release},
        lambda: operations.release_version(
            release=release, actor=other_member, move_open_to=following
        ),
    )

    assert failures(results) == []
    release.refresh_from_db()
    assert release.state == ReleaseState.RELEASED
    assert not release.issues.open().exists()
    assert set(following.issues.values_list("pk", flat=True)) == {held.pk, planned.pk}


def test_renaming_a_sprint_while_issues_are_planned_into_it(project, member, other_member):
    """A rename holds the sprint's row; planning into it does not wait for it."""
    sprint = SprintFactory(project=project, name="Sprint 7")
    issues = [IssueFactory(project=project, actor=member) for _ in range(6)]

    def run(i: int):
        if i == 0:
            with transaction.atomic():
                operations.update_sprint(
                    sprint=sprint, actor=other_member, changes={"name": "Sprint 7b"}
                )
                time.sleep(0.5)
            return None
        time.sleep(0.1)
        started = time.monotonic()
        issue_ops.update_issue(issue=issues[i - 1], actor=member, changes={"sprint": sprint})
        return time.monotonic() - started

    results = at_once(7, run)
    assert failures(results) == []
    assert all(waited < 0.3 for waited in results[1:])  # not queued behind the rename
    sprint.refresh_from_db()
    assert sprint.name == "Sprint 7b"
    assert sprint.issues.count() == 6


@pytest.mark.parametrize("kind", ["sprint", "release"])
def test_planning_into_a_sprint_or_release_being_deleted_is_refused(
    project, member, other_member, kind
):
    """The plan waits for the delete and is refused with a reason (it was an IntegrityError
    at the foreign key, or a DoesNotExist: a 500)."""
    target = (SprintFactory if kind == "sprint" else ReleaseFactory)(project=project, name="Next")
    issue = IssueFactory(project=project, actor=member)
    delete = operations.delete_sprint if kind == "sprint" else operations.delete_release

    def run(i: int):
        if i == 0:
            with transaction.atomic():
                delete(**{kind: target, "actor": other_member})
                time.sleep(0.4)  # The plan reaches the row meanwhile.
            return None
        time.sleep(0.1)
        return issue_ops.update_issue(issue=issue, actor=member, changes={kind: target})

    deleted, planned = at_once(2, run)
    assert deleted is None
    assert isinstance(planned, ValidationError), repr(planned)
    assert planned.error_dict[kind][0].code == f"{kind}_deleted"
    issue.refresh_from_db()
    assert getattr(issue, f"{kind}_id") is None
