"""The "Move to…" menu: one per board (not one form per card), a move page for the ⋯ link
without JavaScript, and only the moves the workflow allows offered."""

import json
import re

import pytest

from issues.models import Issue
from tests.factories import IssueFactory, TransitionFactory

from .builders import bulk_issues

BOARD = "/projects/WEB/board/"


def move_page(number: int) -> str:
    return f"/projects/WEB/board/cards/{number}/move/"


def menu_of(html: str) -> str:
    return html[html.index('id="move-menu"') : html.index("</form>", html.index('id="move-menu"'))]


def test_the_board_has_one_move_form_for_all_its_cards(as_member, project, member, status):
    bulk_issues(project, 30, status=status("To do"), actor=member)
    html = as_member.get(BOARD).content.decode()
    assert html.count("<article class=") == 30
    assert html.count('class="move-form"') == 1
    assert html.count('name="csrfmiddlewaretoken"') <= 1 + 7  # the menu + a quick add a column


def test_each_card_links_to_its_move_page(as_member, project, member):
    issue = IssueFactory(project=project, actor=member)
    html = as_member.get(BOARD, {"assignee": str(member.pk)}).content.decode()
    link = re.search(r'<a class="card-menu-button" href="([^"]+)"[^>]*>', html).group(1)
    # Relative to the board's address (/projects/WEB/board/): the card's move page.
    assert link == f"cards/{issue.number}/move/?assignee={member.pk}"
    assert f"{BOARD}{link.split('?')[0]}" == move_page(issue.number)


def test_the_menu_knows_the_workflow_transitions(as_member, project, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    html = as_member.get(BOARD).content.decode()
    data = re.search(r'data-transitions="([^"]*)"', html).group(1).replace("&quot;", '"')
    assert json.loads(data) == {str(status("To do").pk): [status("In progress").pk]}


def test_without_transitions_every_move_is_open(as_member):
    html = as_member.get(BOARD).content.decode()
    assert 'data-transitions="{}"' in html


def test_move_page_offers_every_other_status_without_transitions(as_member, project, issue):
    html = as_member.get(move_page(issue.number)).content.decode()
    offered = re.findall(r'name="status" value="(\d+)"', html)
    expected = [s.pk for s in project.statuses.order_by("position") if s.pk != issue.status_id]
    assert [int(pk) for pk in offered] == expected
    assert "Not offered" not in html


def test_move_page_offers_only_allowed_moves_and_says_why(as_member, project, issue, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    html = as_member.get(move_page(issue.number)).content.decode()
    assert re.findall(r'name="status" value="(\d+)"', html) == [str(status("In progress").pk)]
    assert "does not allow moving from “To do” to" in html
    assert "“Done”" in html


def test_move_page_offers_up_and_down_within_the_column(as_member, project, member):
    first, middle, last = IssueFactory.create_batch(3, project=project, actor=member)
    html = as_member.get(move_page(middle.number)).content.decode()
    assert f'name="before" value="{first.number}">Move up' in html
    assert f'name="after" value="{last.number}">Move down' in html
    assert "Move up" not in as_member.get(move_page(first.number)).content.decode()


def test_move_page_posts_to_the_move_with_the_board_filters(as_member, project, issue, member):
    html = as_member.get(move_page(issue.number), {"assignee": str(member.pk)}).content.decode()
    assert f'action="/projects/WEB/board/move/?assignee={member.pk}"' in html


def test_moving_from_the_move_page_goes_back_to_the_board(as_member, issue, status):
    response = as_member.post(
        "/projects/WEB/board/move/", {"issue": issue.number, "status": status("Done").pk}
    )
    assert response.status_code == 302
    assert Issue.objects.get(pk=issue.pk).status == status("Done")


def test_move_page_of_a_missing_issue_is_404(as_member, project):
    assert as_member.get(move_page(999)).status_code == 404


def test_viewers_get_no_move_page(client, viewer, issue):
    client.force_login(viewer)
    assert client.get(move_page(issue.number)).status_code == 403


@pytest.mark.parametrize("count", [10, 40])
def test_move_page_queries_do_not_grow(
    as_member, project, member, status, count, django_assert_max_num_queries
):
    issues = bulk_issues(project, count, status=status("To do"), actor=member)
    with django_assert_max_num_queries(12):
        assert as_member.get(move_page(issues[count // 2].number)).status_code == 200


def test_a_card_with_everything_weighs_at_most_1_kb_of_html(
    as_member, project, member, other_member
):
    """Kind, priority, assignee, a label, an epic, progress, points and a long title on every
    card (before the shared move menu and the CSS-drawn icons: about 2.5 KB)."""
    from issues.models import Kind, Priority
    from tests.factories import LabelFactory

    label = LabelFactory(project=project, name="Customer input", color="#fbca04")
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout redesign")
    for n in range(40):
        story = IssueFactory(
            project=project,
            actor=member,
            title=f"Single-page checkout with an order summary that stays in view {n}",
            parent=epic,
            assignee=other_member,
            priority=Priority.HIGH,
            estimate=5,
            labels=[label],
        )
        IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story, title="Sub")
    html = as_member.get(BOARD).content.decode()
    cards = re.findall(r'<article class="card".*?</article>', html, re.S)
    full = [card for card in cards if "card-epic" in card and "card-progress" in card]
    assert len(full) >= 20  # the first page of the column holds stories and sub-tasks
    assert max(len(card.encode()) for card in full) <= 1024
