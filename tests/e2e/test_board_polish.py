"""The board's rough edges: one shared "Move to…" menu above everything, only allowed moves
offered, refusing columns dimmed during a drag, a live refresh that keeps what the person was
looking at, and a layout that fits the window."""

import re

import pytest
from playwright.sync_api import expect

from issues import operations
from tests.boards.builders import bulk_issues
from tests.factories import IssueFactory, TransitionFactory

from .test_board import BOARD, column


@pytest.fixture
def cards(transactional_db, project, member, status):
    return [
        IssueFactory(project=project, actor=member, title=f"Card {n}", status=status("To do"))
        for n in range(4)
    ]


def open_menu(page, issue):
    page.locator(f"#card-{issue.number}").hover()
    page.locator(f"#card-{issue.number} .card-menu-button").click()
    menu = page.locator("#move-menu")
    expect(menu).to_be_visible()
    return menu


def test_the_move_menu_is_above_the_next_card(page, login, member, cards, status):
    login(member)
    page.goto(BOARD)
    menu = open_menu(page, cards[0])
    # The menu overlaps the cards below: each of its buttons takes the click itself.
    for name in ("In progress", "In review", "Done", "Move down"):
        button = menu.get_by_role("button", name=name)
        box = button.bounding_box()
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('#move-menu') !== null",
            [box["x"] + box["width"] - 4, box["y"] + box["height"] / 2],
        )
        assert hit, name
    menu.get_by_role("button", name="Move down").click()
    expect(column(page, "To do").locator(".card").nth(1)).to_have_id(f"card-{cards[0].number}")
    assert page.js_errors == []


def test_escape_closes_the_menu_and_returns_to_its_button(page, login, member, cards):
    login(member)
    page.goto(BOARD)
    open_menu(page, cards[1])
    page.keyboard.press("Escape")
    expect(page.locator("#move-menu")).to_be_hidden()
    expect(page.locator(f"#card-{cards[1].number} .card-menu-button")).to_be_focused()


def test_the_menu_offers_only_allowed_moves_and_says_why(
    page, login, project, member, cards, status
):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    login(member)
    page.goto(BOARD)
    menu = open_menu(page, cards[0])
    expect(menu.locator("button[name=status]:visible")).to_have_count(1)
    expect(menu.get_by_role("button", name="In progress")).to_be_visible()
    expect(menu.get_by_role("button", name="Done")).to_be_hidden()
    note = menu.locator(".menu-note")
    expect(note).to_contain_text("Not allowed from “To do”")
    expect(note).to_have_attribute("title", re.compile("does not allow moving from “To do” to"))


def test_a_drag_dims_the_columns_that_would_refuse_the_card(
    page, login, project, member, cards, status
):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    login(member)
    page.goto(BOARD)
    start = page.locator(f"#card-{cards[0].number} .card-key").bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(start["x"] + 80, start["y"] + 60, steps=8)
    expect(column(page, "Done")).to_have_class(re.compile("is-refusing"))
    expect(column(page, "In progress")).not_to_have_class(re.compile("is-refusing"))
    expect(column(page, "To do")).not_to_have_class(re.compile("is-refusing"))
    page.mouse.move(start["x"] + 4, start["y"] + 4, steps=8)
    page.mouse.up()
    expect(column(page, "Done")).not_to_have_class(re.compile("is-refusing"))


def test_live_refresh_keeps_scroll_and_loaded_cards_of_unchanged_columns(
    page, login, project, member, other_member, cards, status, settings
):
    settings.BOARD_POLL_INTERVAL_MS = 300
    bulk_issues(project, 60, status=status("Backlog"), actor=member)
    login(member)
    page.goto(BOARD)
    backlog = column(page, "Backlog")
    backlog.get_by_role("link", name="Show 10 more").click()
    expect(backlog.locator(".card")).to_have_count(60)
    backlog.locator(".card-list").evaluate("list => { list.scrollTop = 900; }")
    focused = page.locator(f"#card-{cards[2].number} .card-title")
    focused.focus()
    operations.update_issue(issue=cards[1], actor=other_member, changes={"title": "Renamed"})
    changed = page.locator(f"#card-{cards[1].number}")
    expect(changed).to_contain_text("Renamed")
    expect(changed).to_have_class(re.compile("is-changed"))  # highlighted for a moment
    expect(backlog.locator(".card")).to_have_count(60)
    assert backlog.locator(".card-list").evaluate("list => list.scrollTop") == 900
    expect(focused).to_be_focused()
    expect(page.locator(f"#card-{cards[2].number}")).not_to_have_class(re.compile("is-changed"))
    assert page.js_errors == []


def test_live_refresh_keeps_the_loaded_cards_of_a_column_that_changed(
    page, login, project, member, other_member, cards, status, settings
):
    settings.BOARD_POLL_INTERVAL_MS = 300
    issues = bulk_issues(project, 70, status=status("Backlog"), actor=member)
    login(member)
    page.goto(BOARD)
    backlog = column(page, "Backlog")
    backlog.get_by_role("link", name="Show 20 more").click()
    expect(backlog.locator(".card")).to_have_count(70)
    backlog.locator(".card-list").evaluate("list => { list.scrollTop = 1500; }")
    # A change in the column's first page and one in the page "Show more" loaded.
    operations.update_issue(issue=issues[3], actor=other_member, changes={"title": "Renamed"})
    operations.update_issue(issue=issues[65], actor=other_member, changes={"title": "Far below"})
    expect(page.locator(f"#card-{issues[3].number}")).to_contain_text("Renamed")
    expect(page.locator(f"#card-{issues[65].number}")).to_contain_text("Far below")
    expect(backlog.locator(".card")).to_have_count(70)
    assert backlog.locator(".card-list").evaluate("list => list.scrollTop") == 1500
    numbers = backlog.locator(".card").evaluate_all("cards => cards.map(c => +c.id.slice(5))")
    assert numbers == [issue.number for issue in issues]
    expect(backlog.locator(".column-more a")).to_have_count(0)
    # A new card at the bottom: the 70 stay, "Show 1 more" offers the new one.
    IssueFactory(project=project, actor=other_member, title="Newest", status=status("Backlog"))
    expect(backlog.get_by_role("link", name="Show 1 more")).to_be_visible()
    expect(backlog.locator(".card")).to_have_count(70)
    assert page.js_errors == []


def test_live_refresh_keeps_an_open_quick_add(page, login, member, other_member, cards, settings):
    settings.BOARD_POLL_INTERVAL_MS = 300
    login(member)
    page.goto(BOARD)
    todo = column(page, "To do")
    todo.locator(".quick-add summary").click()
    field = todo.get_by_label("Title of the new story in To do")
    field.fill("Half typed")
    operations.update_issue(issue=cards[3], actor=other_member, changes={"title": "Elsewhere"})
    expect(page.locator(f"#card-{cards[3].number}")).to_contain_text("Elsewhere")
    expect(field).to_be_focused()
    expect(field).to_have_value("Half typed")


def test_seven_columns_scroll_inside_the_board_not_the_page(page, login, member, cards):
    login(member)
    page.goto(BOARD + "?show=triage&show=canceled")
    expect(page.locator(".column")).to_have_count(7)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "(() => { const c = document.querySelector('.columns'); return c.scrollWidth > c.clientWidth; })()"
    )


def test_on_a_phone_the_toolbar_fits_and_export_is_not_covered(browser, live_server, member, cards):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(BOARD)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    export = page.locator("#board-export")
    box = export.bounding_box()
    assert box["x"] + box["width"] <= 390
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('#board-export') !== null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit
    # The filters are one tap away.
    page.get_by_role("button", name=re.compile("Filters")).click()
    expect(page.get_by_label("Filter by text")).to_be_visible()
    context.close()
