"""Races against the real database: threads, each with its own PostgreSQL connection.

SQLite serialises every writer, so these run on PostgreSQL only (see tests/conftest.py).
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from issues import operations, ranking
from issues.models import Comment, Issue, Priority, Status
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


# Deadlocks: moves in opposite directions ------------------------------------------------------


ROUNDS = 6


def opposite_pairs(project, member, status, rounds: int = ROUNDS):
    """`rounds` pairs of cards, one in To do and one in In progress."""
    to_do, in_progress = status("To do"), status("In progress")
    return (
        to_do,
        in_progress,
        [
            (
                IssueFactory(project=project, actor=member, status=to_do),
                IssueFactory(project=project, actor=member, status=in_progress),
            )
            for _ in range(rounds)
        ],
    )


def test_opposite_moves_between_two_columns_never_deadlock(project, member, status):
    to_do, in_progress, pairs = opposite_pairs(project, member, status)
    for down, up in pairs:
        results = at_once(
            2,
            lambda i, down=down, up=up: operations.move_issue(
                issue=(down, up)[i], actor=member, status=(in_progress, to_do)[i]
            ),
        )
        assert failures(results) == []
    assert Issue.objects.filter(status=to_do).count() == ROUNDS
    assert Issue.objects.filter(status=in_progress).count() == ROUNDS


def test_status_edit_against_an_opposite_move_never_deadlocks(project, member, status):
    to_do, in_progress, pairs = opposite_pairs(project, member, status)
    for down, up in pairs:

        def race(i: int, down=down, up=up) -> Issue:
            if i:
                return operations.move_issue(issue=up, actor=member, status=to_do)
            return operations.update_issue(
                issue=down, actor=member, changes={"status": in_progress}
            )

        assert failures(at_once(2, race)) == []
    assert Issue.objects.filter(status=in_progress).count() == ROUNDS


def test_bulk_move_against_opposite_moves_never_deadlocks(project, member, status):
    to_do, in_progress, pairs = opposite_pairs(project, member, status)
    downs = [down for down, _ in pairs]

    def race(i: int):
        if i == 0:
            return operations.bulk_move(issues=downs, actor=member, status=in_progress)
        return operations.move_issue(issue=pairs[i - 1][1], actor=member, status=to_do)

    results = at_once(ROUNDS + 1, race)
    assert failures(results) == []
    assert results[0].refused == {}
    assert Issue.objects.filter(status=in_progress).count() == ROUNDS


def test_opposite_moves_with_comments_and_edits_never_fail(project, member, status):
    """The mix a busy board sees: moves both ways, edits and comments on the same cards."""
    to_do, in_progress, pairs = opposite_pairs(project, member, status, rounds=2)
    (a, b), (c, d) = pairs
    work = [
        lambda: operations.move_issue(issue=a, actor=member, status=in_progress),
        lambda: operations.move_issue(issue=b, actor=member, status=to_do),
        lambda: operations.move_issue(issue=c, actor=member, status=in_progress, after=b),
        lambda: operations.move_issue(issue=d, actor=member, status=to_do, before=a),
        lambda: operations.update_issue(issue=a, actor=member, changes={"priority": 3}),
        lambda: operations.update_issue(issue=d, actor=member, changes={"title": "Renamed"}),
        lambda: operations.add_comment(issue=b, actor=member, body="On it"),
        lambda: operations.bulk_update(issues=[c, d], actor=member, changes={"priority": 2}),
    ]
    for _ in range(3):
        results = at_once(len(work), lambda i: work[i]())
        # A neighbour that moved away meanwhile is a stale board (refused with a message).
        assert [
            error
            for error in failures(results)
            if not (isinstance(error, ValidationError) and error.code == "stale_board")
        ] == []


# An edit racing a move of the same issue ---------------------------------------------------------


def test_an_edit_racing_a_move_of_the_same_issue_both_succeed(project, member, status):
    in_progress = status("In progress")
    for _ in range(ROUNDS):
        issue = IssueFactory(project=project, actor=member)

        def race(i: int, issue=issue):
            if i:
                return operations.move_issue(issue=issue, actor=member, status=in_progress)
            return operations.update_issue(issue=issue, actor=member, changes={"priority": 4})

        assert failures(at_once(2, race)) == []
        issue.refresh_from_db()
        assert (issue.status_id, issue.priority) == (in_progress.pk, 4)


def test_a_subtask_edit_racing_its_move_is_not_refused_for_its_parent(project, member, status):
    in_progress = status("In progress")
    story = IssueFactory(project=project, actor=member, title="Story")
    for _ in range(ROUNDS):
        subtask = IssueFactory(project=project, actor=member, kind="subtask", parent=story)

        def race(i: int, subtask=subtask):
            if i:
                return operations.move_issue(issue=subtask, actor=member, status=in_progress)
            return operations.update_issue(issue=subtask, actor=member, changes={"estimate": 3})

        assert failures(at_once(2, race)) == []


def test_two_identical_concurrent_edits_bump_the_version_once(issue, member, other_member):
    editors = [member, other_member]
    results = at_once(
        2,
        lambda i: operations.update_issue(issue=issue, actor=editors[i], changes={"priority": 3}),
    )
    assert failures(results) == []
    issue.refresh_from_db()
    assert issue.version == 2
    assert issue.events.filter(field="priority").count() == 1


def test_two_identical_concurrent_label_edits_write_one_event(project, issue, member):
    label = project.labels.get(name="Bug fix")
    results = at_once(
        2, lambda i: operations.update_issue(issue=issue, actor=member, changes={"labels": [label]})
    )
    assert failures(results) == []
    issue.refresh_from_db()
    assert issue.version == 2
    assert issue.events.filter(field="labels").count() == 1


# Acting on an issue while an admin deletes it ----------------------------------------------------


def while_deleting(issue, admin, work: Callable[[], object]) -> object:
    """Run `work` while another connection deletes `issue` and holds its transaction open a
    moment: the work queues behind the delete and must be refused, not crash."""
    from django.db import transaction

    def run(i: int):
        if i == 0:
            with transaction.atomic():
                operations.delete_issue(issue=issue, actor=admin)
                time.sleep(0.4)  # The other thread reaches its lock (or its commit) meanwhile.
            return None
        time.sleep(0.1)
        return work()

    deleted, result = at_once(2, run)
    assert deleted is None
    assert not Issue.objects.filter(pk=issue.pk).exists()
    return result


def assert_refused_as_deleted(result: object) -> None:
    assert isinstance(result, ValidationError), repr(result)
    assert result.code == "deleted"
    assert "was deleted" in result.messages[0]


def test_a_comment_on_an_issue_being_deleted_is_refused(issue, member, admin_user):
    result = while_deleting(
        issue, admin_user, lambda: operations.add_comment(issue=issue, actor=member, body="Hi")
    )
    assert_refused_as_deleted(result)


def test_an_edit_of_an_issue_being_deleted_is_refused(issue, member, admin_user):
    result = while_deleting(
        issue,
        admin_user,
        lambda: operations.update_issue(issue=issue, actor=member, changes={"priority": 2}),
    )
    assert_refused_as_deleted(result)


def test_a_move_of_an_issue_being_deleted_is_refused(issue, member, admin_user, status):
    result = while_deleting(
        issue,
        admin_user,
        lambda: operations.move_issue(issue=issue, actor=member, status=status("Done")),
    )
    assert_refused_as_deleted(result)


def test_a_bulk_edit_reports_an_issue_being_deleted_and_changes_the_others(
    project, issue, member, admin_user
):
    other = IssueFactory(project=project, actor=member)
    result = while_deleting(
        issue,
        admin_user,
        lambda: operations.bulk_update(
            issues=[issue, other], actor=member, changes={"priority": 4}
        ),
    )
    assert [changed.pk for changed in result.changed] == [other.pk]
    assert "was deleted" in result.refused[issue.key]


def test_setting_as_parent_an_issue_being_deleted_is_refused(project, member, admin_user):
    epic = IssueFactory(project=project, actor=member, kind="epic")
    story = IssueFactory(project=project, actor=member)
    result = while_deleting(
        epic,
        admin_user,
        lambda: operations.update_issue(issue=story, actor=member, changes={"parent": epic}),
    )
    assert isinstance(result, ValidationError), repr(result)
    assert result.code == "deleted"
    story.refresh_from_db()
    assert story.parent_id is None


def test_deleting_an_issue_while_it_gets_a_child_is_refused_for_the_child(
    project, member, admin_user
):
    """The other way round: the child is set first, so the delete sees it and refuses."""
    from django.db import transaction

    epic = IssueFactory(project=project, actor=member, kind="epic")
    story = IssueFactory(project=project, actor=member)

    def run(i: int):
        if i == 0:
            with transaction.atomic():
                operations.update_issue(issue=story, actor=member, changes={"parent": epic})
                time.sleep(0.4)
            return None
        time.sleep(0.1)
        return operations.delete_issue(issue=epic, actor=admin_user)

    _, refused = at_once(2, run)
    assert isinstance(refused, ValidationError), repr(refused)
    assert refused.code == "has_children"
    assert Issue.objects.filter(pk=epic.pk).exists()


@pytest.mark.parametrize("action", ["comment", "priority", "move", "bulk", "delete"])
def test_requests_on_an_issue_being_deleted_answer_404_or_409_not_500(
    project, issue, member, admin_user, status, action
):
    from django.test import Client
    from django.urls import reverse

    client = Client(raise_request_exception=False)
    client.force_login(admin_user if action == "delete" else member)
    key, number = project.key, issue.number
    requests = {
        "comment": (reverse("issues:comment_add", args=[key, number]), {"body": "Hi"}),
        "priority": (reverse("issues:field", args=[key, number, "priority"]), {"priority": "high"}),
        "move": (
            reverse("boards:move", args=[key]),
            {"issue": number, "status": status("Done").pk},
        ),
        "bulk": (reverse("issues:bulk", args=[key]), {"issues": number, "priority": "low"}),
        "delete": (reverse("issues:delete", args=[key, number]), {}),
    }
    url, data = requests[action]
    response = while_deleting(issue, admin_user, lambda: client.post(url, data))
    assert response.status_code in (302, 404, 409), response.content[:300]
    assert not Comment.objects.exists()


# A rank rebalance against a bulk edit ---------------------------------------------------------


def test_a_move_that_rebalances_while_a_bulk_edit_holds_issues_does_not_deadlock(
    project, member, other_member, status, monkeypatch
):
    """A bulk edit takes its issues by number and holds each until it commits; a move that
    rebalances the project needs every row of it. The move held its card (the bulk edit's
    next issue) and waited for the bulk edit's first one: a deadlock. Now the move's rebalance
    does not wait (NOWAIT): it runs after the move commits, in its own transaction, and takes
    the rows by number as the bulk edit does."""
    monkeypatch.setattr(ranking, "REBALANCE_THRESHOLD", 0)  # Every move rebalances.
    first = IssueFactory(project=project, actor=member, title="First")
    second = IssueFactory(project=project, actor=member, title="Second")
    for _ in range(4):
        IssueFactory(project=project, actor=member)
    in_progress = status("In progress")
    heads = {rank[0] for rank in Issue.objects.values_list("rank", flat=True)}

    def slowly():
        yield Issue.objects.select_related("project").get(pk=first.pk)
        time.sleep(0.5)  # The move locks `second` and rebalances meanwhile.
        yield Issue.objects.select_related("project").get(pk=second.pk)

    def race(i: int):
        if i == 0:
            return operations.bulk_update(
                issues=slowly(), actor=member, changes={"priority": Priority.HIGH}
            )
        time.sleep(0.15)
        moving = Issue.objects.select_related("project").get(pk=second.pk)
        return operations.move_issue(issue=moving, actor=other_member, status=in_progress)

    results = at_once(2, race)

    assert failures(results) == []
    assert results[0].refused == {}
    assert Issue.objects.filter(priority=Priority.HIGH).count() == 2
    assert Issue.objects.get(pk=second.pk).status == in_progress
    titles = [issue.title for issue in Issue.objects.filter(project=project).order_by("rank")]
    assert titles[:2] == ["First", "Second"]  # Moved to an empty column: it keeps its place.
    # The rebalance ran (after the move): every key was rewritten, under a new first letter.
    ranks = set(Issue.objects.filter(project=project).values_list("rank", flat=True))
    assert not {rank[0] for rank in ranks} & heads
