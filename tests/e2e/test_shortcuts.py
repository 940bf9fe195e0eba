"""Keyboard shortcuts, Linear-style: "?" lists them; none fires while typing in a field."""

import re

import pytest
from playwright.sync_api import expect

from issues.models import Issue
from tests.factories import IssueFactory


@pytest.fixture
def issues(transactional_db, project, member):
    return [IssueFactory(project=project, actor=member, title=f"Issue {n}") for n in range(3)]


def test_question_mark_lists_the_shortcuts_and_escape_closes_them(page, login, member, issues, axe):
    login(member)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Assign to me")
    axe(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_slash_focuses_the_search(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("/")
    expect(page.locator("#topbar-q")).to_be_focused()
    expect(page.locator("#topbar-q")).to_have_value("")


def test_g_then_i_and_g_then_b_go_to_the_issues_and_the_board(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("g")
    page.keyboard.press("i")
    expect(page).to_have_url(re.compile(r"/projects/WEB/issues/$"))
    page.keyboard.press("g")
    page.keyboard.press("b")
    expect(page).to_have_url(re.compile(r"/projects/WEB/board/$"))


def test_c_opens_the_new_issue_form(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/issues/")
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(r"/projects/WEB/issues/new/$"))


def test_j_and_k_walk_the_board_and_enter_opens(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("j")
    expect(page.locator(f"#card-{issues[0].number} .card-title")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator(f"#card-{issues[1].number} .card-title")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/projects/WEB/issues/{issues[1].number}/$"))


def test_j_walks_the_issue_list(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/issues/")
    page.keyboard.press("j")
    expect(page.locator(".issue-title-link").first).to_be_focused()


def test_e_edits_the_title_and_a_assigns_to_me(page, login, member, issues):
    login(member)
    page.goto(f"/projects/WEB/issues/{issues[0].number}/")
    with page.expect_response(re.compile(r"/fields/assignee/$")):
        page.keyboard.press("a")
    expect(page.get_by_label("Assignee")).to_have_value(str(member.pk))
    assert Issue.objects.get(pk=issues[0].pk).assignee == member
    page.keyboard.press("e")
    expect(page.locator("#edit-title")).to_be_visible()


def test_a_assigns_the_focused_card_and_e_edits_its_title(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("j")
    page.keyboard.press("j")
    card = page.locator(f"#card-{issues[1].number}")
    expect(card.locator(".card-title")).to_be_focused()
    with page.expect_response(re.compile(rf"/issues/{issues[1].number}/fields/assignee/$")):
        page.keyboard.press("a")
    expect(page.locator("#notices")).to_contain_text(f"Assigned WEB-{issues[1].number} to you.")
    assert Issue.objects.get(pk=issues[1].pk).assignee == member
    expect(card.locator(".avatar")).to_be_visible()  # the board refreshed at once
    expect(card.locator(".card-title")).to_be_focused()
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(rf"/issues/{issues[1].number}/\?edit=title"))
    expect(page.locator("#edit-title")).to_be_focused()
    page.keyboard.type("Retitled from the board")
    page.keyboard.press("Enter")
    expect(page.locator("#issue-title")).to_have_text("Retitled from the board")
    assert page.js_errors == []


def test_a_and_e_act_on_the_focused_row_of_the_list(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/issues/")
    page.keyboard.press("j")
    row = page.locator(".issue-table tbody tr").first
    key = row.locator(".issue-key").inner_text()
    number = int(key.split("-")[1])
    with page.expect_response(re.compile(rf"/issues/{number}/fields/assignee/$")):
        page.keyboard.press("a")
    expect(row.locator(".col-assignee")).to_contain_text(member.get_full_name())
    expect(row.locator(".issue-title-link")).to_be_focused()
    assert Issue.objects.get(project__key="WEB", number=number).assignee == member
    page.keyboard.press("e")
    expect(page.locator("#edit-title")).to_be_focused()
    assert page.js_errors == []


def test_a_on_a_card_is_refused_to_a_viewer(page, login, viewer, issues):
    login(viewer)
    page.goto("/projects/WEB/board/")
    page.keyboard.press("j")
    with page.expect_response(re.compile(r"/fields/assignee/$")) as answer:
        page.keyboard.press("a")
    assert answer.value.status in (403, 404)
    expect(page.locator("#notices .notice-error")).to_be_visible()
    assert Issue.objects.get(pk=issues[0].pk).assignee is None


def test_no_shortcut_while_typing(page, login, member, issues):
    login(member)
    page.goto("/projects/WEB/board/")
    page.get_by_label("Filter by text").focus()
    page.keyboard.type("gi c/?")
    expect(page).to_have_url(re.compile(r"/projects/WEB/board/"))
    expect(page.get_by_label("Filter by text")).to_have_value("gi c/?")
    expect(page.get_by_role("dialog")).to_have_count(0)
