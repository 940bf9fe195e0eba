"""The cache of rendered boards: a repeat request is served from it, and any change to what the
board shows (or to who asks, or how) renders afresh."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from boards import cache as board_cache
from boards import views
from issues import operations
from issues.models import Role
from tests.factories import IssueFactory, ProjectFactory, TransitionFactory, UserFactory

from .test_views import BOARD, MOVE

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def renders(monkeypatch):
    """How many times the board was rendered (not served from the cache)."""
    calls = []
    original = views.board_context

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "board_context", counting)
    return calls


@pytest.fixture
def board(as_member, renders):
    """GET the board; returns (html, whether it was rendered)."""

    def get(client=as_member, query=None, **headers):
        before = len(renders)
        if isinstance(query, str):
            response = client.get(f"{BOARD}?{query}", headers=headers)
        else:
            response = client.get(BOARD, query or {}, headers=headers)
        assert response.status_code == 200
        return response.content.decode(), len(renders) > before

    return get


def without_tokens(html: str) -> str:
    return CSRF.sub(r"\1TOKEN", html)


@pytest.fixture
def card(project, member, status):
    return IssueFactory(project=project, actor=member, title="Cached card", status=status("To do"))


def test_repeat_request_is_served_from_the_cache(
    as_member, card, board, django_assert_max_num_queries
):
    first, rendered = board()
    assert rendered
    # session, user, project, role, content version, unread count (the top bar shows it)
    with django_assert_max_num_queries(6):
        second, rendered = board()
    assert not rendered
    assert without_tokens(second) == without_tokens(first)
    assert "Cached card" in second


def test_cached_page_carries_a_working_csrf_token_of_the_requester(project, member, card, status):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(BOARD)
    html = client.get(BOARD).content.decode()  # from the cache
    assert board_cache.csrf_placeholder() not in html
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post(
        MOVE,
        {"issue": card.number, "status": status("In progress").pk},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_another_browser_of_the_same_user_gets_its_own_csrf_token(member, card):
    first, second = Client(), Client()
    first.force_login(member)
    second.force_login(member)
    first.get(BOARD)
    html = second.get(BOARD).content.decode()
    secret = second.cookies["csrftoken"].value
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    assert token != board_cache.csrf_placeholder()
    assert _unmask_cipher_token(token) == secret


def test_htmx_refresh_is_cached_apart_from_the_page(card, board):
    board()
    fragment, rendered = board(**{"HX-Request": "true"})
    assert rendered
    assert "<html" not in fragment
    again, rendered = board(**{"HX-Request": "true"})
    assert not rendered
    assert without_tokens(again) == without_tokens(fragment)


def test_an_issue_edit_renders_afresh(card, member, board):
    board()
    operations.update_issue(issue=card, actor=member, changes={"title": "Renamed card"})
    html, rendered = board()
    assert rendered
    assert "Renamed card" in html


def test_a_move_renders_afresh(as_member, card, status, board):
    board()
    response = as_member.post(
        MOVE, {"issue": card.number, "status": status("In progress").pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    _, rendered = board()
    assert rendered


def test_a_create_renders_afresh(project, member, card, board):
    board()
    IssueFactory(project=project, actor=member, title="Brand new card")
    html, rendered = board()
    assert rendered
    assert "Brand new card" in html


def test_a_delete_renders_afresh(project, member, admin_user, card, board):
    other = IssueFactory(project=project, actor=member, title="Doomed card")
    board()
    operations.delete_issue(issue=other, actor=admin_user)
    html, rendered = board()
    assert rendered
    assert "Doomed card" not in html


def test_a_status_rename_renders_afresh(card, status, board):
    board()
    todo = status("To do")
    todo.name = "Ready"
    todo.save()
    html, rendered = board()
    assert rendered
    assert "Ready" in html


def test_a_wip_limit_change_renders_afresh(card, status, board):
    board()
    todo = status("To do")
    todo.wip_limit = 7
    todo.save()
    html, rendered = board()
    assert rendered
    assert "1 / 7" in html


def test_a_transition_change_renders_afresh(project, card, status, board):
    board()
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("Done"))
    html, rendered = board()
    assert rendered
    assert f"[{status('Done').pk}]" in html  # the move menu's allowed moves


@pytest.mark.parametrize("change", [{"name": "hotfix-renamed"}, {"color": "#123456"}])
def test_a_label_change_renders_afresh(project, member, card, board, change):
    label = project.labels.order_by("name").first()
    operations.update_issue(issue=card, actor=member, changes={"labels": [label]})
    board()
    for name, value in change.items():
        setattr(label, name, value)
    label.save()
    html, rendered = board()
    assert rendered
    assert next(iter(change.values())) in html


def test_a_membership_change_renders_afresh(project, card, board):
    board()
    operations.add_member(project=project, user=UserFactory(username="newcomer"), role=Role.MEMBER)
    html, rendered = board()
    assert rendered
    assert "newcomer" in html


def test_a_name_change_renders_afresh(member, card, board):
    board()
    member.first_name, member.last_name = "Alice", "Liddell"
    member.save()
    html, rendered = board()
    assert rendered
    assert "Alice Liddell" in html


def test_a_new_project_in_the_switcher_renders_afresh(member, card, board):
    board()
    ProjectFactory(key="OPS", name="Operations", owner=member)
    html, rendered = board()
    assert rendered
    assert "Operations" in html


def test_another_user_gets_their_own_board(other_member, card, board):
    board()
    client = Client()
    client.force_login(other_member)
    html, rendered = board(client)
    assert rendered
    assert "@bob" in html


@pytest.mark.parametrize("query", [{"q": "Cached"}, {"group": "priority"}, {"show": "triage"}])
def test_another_query_string_renders_afresh(card, board, query):
    board()
    _, rendered = board(query=query)
    assert rendered
    _, rendered = board(query=query)
    assert not rendered


def test_the_same_query_in_another_order_is_the_same_board(card, board):
    board(query="kind=story&priority=high")
    _, rendered = board(query="priority=high&kind=story")
    assert not rendered


def test_a_pending_message_is_shown_not_a_cached_page(as_member, card, status, board):
    board()
    # A form post (no JavaScript) moves the card and redirects back with a message.
    response = as_member.post(MOVE, {"issue": card.number, "status": status("Done").pk})
    assert response.status_code == 302
    html, rendered = board()
    assert rendered
    assert f"Moved {card.key} to Done." in html
    html, _ = board()
    assert "Moved" not in html  # shown once
