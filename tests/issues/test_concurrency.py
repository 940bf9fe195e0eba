"""Races against the real database: threads, each with its own PostgreSQL connection.

SQLite serialises every writer, so these run on PostgreSQL only (see tests/conftest.py).
"""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from issues import operations
from issues.models import Issue, Status
from tests.factories import IssueFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """Run work(0) … work(count - 1) in threads released together; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            connection.ensure_connection()  # Connect first, so that the threads start level.
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # Reported to the test, which decides what is expected.
            results[index] = error
        finally:
            connection.close()  # This thread's own connection.

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def failures(results: list[object]) -> list[Exception]:
    return [result for result in results if isinstance(result, Exception)]


def test_fifty_concurrent_creates_get_fifty_distinct_numbers(project, member):
    # Spread over every column, so that only the project's counter orders them.
    statuses = list(project.statuses.all())
    results = at_once(
        50,
        lambda i: operations.create_issue(
            project=project, actor=member, title=f"Report {i}", status=statuses[i % len(statuses)]
        ),
    )
    assert failures(results) == []
    numbers = sorted(issue.number for issue in results)
    assert numbers == list(range(1, 51))
    assert sorted(Issue.objects.values_list("number", flat=True)) == numbers
    project.refresh_from_db()
    assert project.next_number == 51
    assert Issue.objects.values("rank").distinct().count() == 50


def test_twenty_concurrent_moves_into_one_gap_are_all_kept(project, member, status):
    to_do = status("To do")
    top = IssueFactory(project=project, actor=member, title="Top")
    bottom = IssueFactory(project=project, actor=member, title="Bottom")
    incoming = [
        IssueFactory(project=project, actor=member, status=status("Backlog")) for _ in range(20)
    ]
    results = at_once(
        20,
        lambda i: operations.move_issue(
            issue=incoming[i], actor=member, status=to_do, after=top, before=bottom
        ),
    )
    assert failures(results) == []
    column = list(Issue.objects.filter(status=to_do).order_by("rank"))
    assert len(column) == 22
    assert (column[0].title, column[-1].title) == ("Top", "Bottom")
    assert len({issue.rank for issue in column}) == 22


def test_concurrent_drops_into_one_project_gap_from_two_columns_retry_and_are_kept(
    project, member, status
):
    """Moves into different columns do not queue on one status row: their keys can clash
    on the project's unique rank, and the loser recomputes and retries."""
    to_do, in_progress = status("To do"), status("In progress")
    upper = IssueFactory(project=project, actor=member, status=to_do)
    lower = IssueFactory(project=project, actor=member, status=in_progress)
    incoming = [
        IssueFactory(project=project, actor=member, status=status("Backlog")) for _ in range(20)
    ]

    def drop(i: int) -> Issue:
        if i % 2:
            return operations.move_issue(issue=incoming[i], actor=member, status=to_do, after=upper)
        return operations.move_issue(
            issue=incoming[i], actor=member, status=in_progress, before=lower
        )

    results = at_once(20, drop)
    assert failures(results) == []
    ranks = list(Issue.objects.filter(project=project).values_list("rank", flat=True))
    assert len(set(ranks)) == len(ranks) == 22
    assert Issue.objects.filter(status=to_do).count() == 11
    assert Issue.objects.filter(status=in_progress).count() == 11


def test_two_edits_of_one_version_one_wins_and_the_other_conflicts(issue, member, other_member):
    editors = [member, other_member]
    results = at_once(
        2,
        lambda i: operations.update_issue(
            issue=issue,
            actor=editors[i],
            changes={"title": f"Title by {editors[i].username}"},
            expected_version=1,
        ),
    )
    conflicts = [result for result in results if isinstance(result, operations.Conflict)]
    saved = [result for result in results if isinstance(result, Issue)]
    assert (len(saved), len(conflicts)) == (1, 1)
    issue.refresh_from_db()
    assert issue.title == saved[0].title
    assert issue.version == 2
    assert conflicts[0].current.title == saved[0].title


def test_two_moves_racing_for_the_last_wip_slot_one_is_refused(project, member, status):
    in_progress = status("In progress")
    Status.objects.filter(pk=in_progress.pk).update(wip_limit=3)
    in_progress.refresh_from_db()
    for _ in range(2):
        IssueFactory(project=project, actor=member, status=in_progress)
    racers = [IssueFactory(project=project, actor=member) for _ in range(2)]
    results = at_once(
        2, lambda i: operations.move_issue(issue=racers[i], actor=member, status=in_progress)
    )
    refused = failures(results)
    assert len(refused) == 1
    assert isinstance(refused[0], ValidationError)
    assert "WIP limit (3 / 3)" in refused[0].messages[0]
    assert Issue.objects.filter(status=in_progress).count() == 3


def test_ten_moves_racing_for_the_last_wip_slot_one_wins(project, member, status):
    in_review = status("In review")
    Status.objects.filter(pk=in_review.pk).update(wip_limit=1)
    racers = [IssueFactory(project=project, actor=member) for _ in range(10)]
    results = at_once(
        10, lambda i: operations.move_issue(issue=racers[i], actor=member, status=in_review)
    )
    assert len(failures(results)) == 9
    assert Issue.objects.filter(status=in_review).count() == 1


def test_edit_and_move_racing_for_the_last_wip_slot_one_is_refused(project, member, status):
    in_review = status("In review")
    Status.objects.filter(pk=in_review.pk).update(wip_limit=1)
    in_review.refresh_from_db()
    racers = [IssueFactory(project=project, actor=member) for _ in range(2)]

    def race(i: int) -> Issue:
        if i:
            return operations.move_issue(issue=racers[i], actor=member, status=in_review)
        return operations.update_issue(issue=racers[i], actor=member, changes={"status": in_review})

    results = at_once(2, race)
    assert len(failures(results)) == 1
    assert Issue.objects.filter(status=in_review).count() == 1
