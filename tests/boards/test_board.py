"""How the board is loaded: what counts as a filter, lanes, and the live board's fingerprint."""

import pytest
from django.test import RequestFactory

from boards.board import (
    build_board,
    fingerprint,
    parse_version,
    statuses_version,
)
from issues import operations
from issues.filters import IssueFilter
from issues.models import Issue, Kind
from tests.factories import IssueFactory


def filterset(project, user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return IssueFilter(request.GET, request=request, project=project)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"label": []}, {"order": "title"}, {"created_after": ""}, {"assignee": ""}],
)
def test_empty_values_do_not_count_as_filters(project, member, params):
    assert not filterset(project, member, **params).active


@pytest.mark.parametrize(
    "params", [{"q": "login"}, {"label": "Bug fix"}, {"kind": "bug"}, {"assignee": "me"}]
)
def test_chosen_values_count_as_filters(project, member, params):
    assert filterset(project, member, **params).active


def test_invalid_filters_do_not_narrow_the_board(project, member, issue):
    board = build_board(project, filterset(project, member, kind="feature"))
    assert not board.filtered
    assert [card.pk for column in board.columns for card in column.cards] == [issue.pk]


def test_the_board_version_is_the_fingerprint(project, member, issue):
    board = build_board(project, filterset(project, member))
    assert statuses_version(board.statuses) == fingerprint(project)


def test_fingerprint_changes_when_an_issue_changes(project, member, issue, status):
    before = fingerprint(project)
    operations.move_issue(issue=issue, actor=member, status=status("Done"))
    assert fingerprint(project) != before


def test_epics_come_in_rank_order_with_the_progress_of_shown_lanes(project, member, status):
    second = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Second")
    first = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="First")
    operations.move_issue(issue=first, actor=member, status=status("To do"), before=second)
    IssueFactory(project=project, actor=member, parent=first, status=status("Done"))
    IssueFactory(project=project, actor=member, parent=first)
    board = build_board(project, filterset(project, member), group="epic")
    assert [epic.title for epic in board.epics] == ["First", "Second"]
    assert (board.epics[0].child_done_count, board.epics[0].child_count) == (1, 2)
    assert [lane.title for lane in board.lanes] == ["First", "Second"]


def test_subtasks_sit_in_their_storys_epic_lane(project, member):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Epic")
    story = IssueFactory(project=project, actor=member, parent=epic)
    subtask = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    board = build_board(project, filterset(project, member), group="epic")
    lane = next(lane for lane in board.lanes if lane.title == "Epic")
    assert {card.pk for cell in lane.cells for card in cell.cards} == {
        epic.pk,
        story.pk,
        subtask.pk,
    }


def test_a_version_reads_back_to_its_count_and_time(project, member, issue):
    count, last = parse_version(fingerprint(project))
    assert count == 1
    assert last == Issue.objects.get(pk=issue.pk).updated_at


@pytest.mark.parametrize("text", [None, "", "abc", "1-", "-5", "1-2-3", "1-" + "9" * 30, "½-1"])
def test_anything_else_is_not_a_version(text):
    assert parse_version(text) is None


def test_an_empty_project_has_a_version_too(project):
    assert parse_version(fingerprint(project)) == (0, None)
