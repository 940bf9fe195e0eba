"""The board in a real browser: drag and drop, the keyboard, filters, quick add, live updates."""

import re

import pytest
from playwright.sync_api import expect

from issues import operations
from issues.models import Issue
from tests.boards.builders import bulk_issues
from tests.factories import IssueFactory

BOARD = "/projects/WEB/board/"


@pytest.fixture
def cards(transactional_db, project, member, status):
    """Two cards to do and one in progress."""
    return {
        "login": IssueFactory(project=project, actor=member, title="Log in with Google"),
        "cart": IssueFactory(project=project, actor=member, title="Keep the cart for a week"),
        "busy": IssueFactory(
            project=project, actor=member, title="Speed up search", status=status("In progress")
        ),
    }


def column(page, name: str):
    return page.locator(
        ".column", has=page.locator(".column-title", has_text=re.compile(f"^{name}$"))
    )


def drag(page, card, target) -> None:
    """Drag with real pointer moves, as SortableJS needs them."""
    start = card.locator(".card-key").bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    steps = 15
    x, y = end["x"] + end["width"] / 2, end["y"] + 12
    for step in range(1, steps + 1):
        page.mouse.move(
            start["x"] + (x - start["x"]) * step / steps,
            start["y"] + (y - start["y"]) * step / steps,
        )
        page.wait_for_timeout(16)
    page.mouse.up()


def test_drag_a_card_to_another_column(page, login, member, cards, status):
    login(member)
    page.goto(BOARD)
    card = column(page, "To do").locator(f"#card-{cards['login'].number}")
    with page.expect_response(re.compile(r"/board/move/")) as answer:
        drag(page, card, column(page, "In progress").locator(".card").first)
    assert answer.value.status == 200
    expect(column(page, "In progress").locator(f"#card-{cards['login'].number}")).to_be_visible()
    expect(page.locator("#board-live")).to_contain_text("Moved WEB-")
    assert Issue.objects.get(pk=cards["login"].pk).status == status("In progress")

    page.reload()
    in_progress = column(page, "In progress")
    expect(in_progress.locator(f"#card-{cards['login'].number}")).to_be_visible()
    expect(in_progress.locator(".column-count")).to_have_text("2")
    assert page.js_errors == []


def test_refused_drag_snaps_back_with_the_reason(page, login, member, cards, status):
    in_progress = status("In progress")
    in_progress.wip_limit = 1
    in_progress.save()
    login(member)
    page.goto(BOARD)
    card = column(page, "To do").locator(f"#card-{cards['cart'].number}")
    with page.expect_response(re.compile(r"/board/move/")) as answer:
        drag(page, card, column(page, "In progress").locator(".card").first)
    assert answer.value.status == 409
    expect(page.locator("#notices")).to_contain_text("WIP limit")
    expect(column(page, "To do").locator(f"#card-{cards['cart'].number}")).to_be_visible()
    expect(column(page, "In progress").locator(".card")).to_have_count(1)
    assert Issue.objects.get(pk=cards["cart"].pk).status == status("To do")


def test_move_a_card_from_the_keyboard(page, login, member, cards, status):
    login(member)
    page.goto(BOARD)
    card = page.locator(f"#card-{cards['cart'].number}")
    card.locator(".card-title").focus()
    page.keyboard.press("Shift+Tab")  # the card's "Move to…" button
    expect(card.locator(".card-menu-button")).to_be_focused()
    page.keyboard.press("Enter")
    menu = page.locator("#move-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("button").first).to_be_focused()
    done = menu.get_by_role("button", name="Done")
    while not done.evaluate("button => button === document.activeElement"):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    moved = column(page, "Done").locator(f"#card-{cards['cart'].number}")
    expect(moved).to_be_visible()
    expect(moved.locator(".card-title")).to_be_focused()
    expect(page.locator("#board-live")).to_have_text(f"Moved WEB-{cards['cart'].number} to Done.")
    assert Issue.objects.get(pk=cards["cart"].pk).status == status("Done")


def test_move_without_javascript(browser, live_server, member, cards, status):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(BOARD)
    card = page.locator(f"#card-{cards['login'].number}")
    card.locator(".card-menu-button").click()  # the card's move page
    expect(page.get_by_role("heading", name=f"Move WEB-{cards['login'].number}")).to_be_visible()
    page.get_by_role("button", name="In review").click()
    expect(page.locator("#notices")).to_contain_text(
        f"Moved WEB-{cards['login'].number} to In review."
    )
    expect(column(page, "In review").locator(f"#card-{cards['login'].number}")).to_be_visible()
    context.close()


def test_a_filter_narrows_the_board_and_survives_a_reload(page, login, member, cards):
    login(member)
    page.goto(BOARD)
    expect(page.locator(".card")).to_have_count(3)
    with page.expect_response(re.compile(r"/board/\?q=cart")):
        page.get_by_label("Filter by text").fill("cart")
    expect(page.locator(".card")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/board/\?q=cart$"))
    page.reload()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.get_by_label("Filter by text")).to_have_value("cart")
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".card")).to_have_count(3)
    page.go_back()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.get_by_label("Filter by text")).to_have_value("cart")


def test_checkbox_filters_and_swimlanes_go_into_the_url(page, login, member, cards):
    login(member)
    page.goto(BOARD)
    page.locator("summary", has_text="Kind").click()
    with page.expect_response(re.compile(r"kind=bug")):
        page.get_by_label("Bug", exact=True).check()
    expect(page.locator(".empty-state")).to_contain_text("No issues match these filters")
    page.get_by_label("Bug", exact=True).uncheck()
    page.get_by_label("Swimlanes").select_option("assignee")
    expect(page.locator(".lane")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"group=assignee"))


def test_quick_add_shows_the_new_card_without_a_reload(page, login, member, cards, status):
    login(member)
    page.goto(BOARD)
    page.evaluate("window.notReloaded = true")
    todo = column(page, "To do")
    todo.locator(".quick-add summary").click()
    todo.get_by_label("Title of the new story in To do").fill("Remember me on this device")
    todo.get_by_label("Title of the new story in To do").press("Enter")
    expect(todo.locator(".card").last).to_contain_text("Remember me on this device")
    expect(todo.locator(".column-count")).to_have_text("3")
    expect(todo.get_by_label("Title of the new story in To do")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    assert Issue.objects.get(title="Remember me on this device").status == status("To do")


def test_teammates_changes_appear_without_a_reload(
    page, login, member, other_member, cards, settings
):
    settings.BOARD_POLL_INTERVAL_MS = 300
    login(member)
    page.goto(BOARD)
    page.evaluate("window.notReloaded = true")
    operations.update_issue(
        issue=cards["busy"], actor=other_member, changes={"title": "Speed up search a lot"}
    )
    expect(page.locator(f"#card-{cards['busy'].number}")).to_contain_text("Speed up search a lot")
    assert page.evaluate("window.notReloaded") is True


def test_show_more_loads_the_rest_of_a_column(page, login, project, member, cards, status):
    bulk_issues(project, 53, status=status("Backlog"), actor=member)
    login(member)
    page.goto(BOARD)
    backlog = column(page, "Backlog")
    expect(backlog.locator(".card")).to_have_count(50)
    backlog.get_by_role("link", name="Show 3 more").click()
    expect(backlog.locator(".card")).to_have_count(53)
    expect(backlog.get_by_role("link", name=re.compile("Show"))).to_have_count(0)


def test_the_board_does_not_refresh_under_a_drag(
    page, login, member, other_member, cards, settings
):
    settings.BOARD_POLL_INTERVAL_MS = 200
    login(member)
    page.goto(BOARD)
    polls = []
    page.on(
        "request", lambda request: polls.append(request.url) if "/board/" in request.url else None
    )
    card = page.locator(f"#card-{cards['login'].number}")
    start = card.locator(".card-key").bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(start["x"] + 60, start["y"] + 40, steps=8)
    polls.clear()
    operations.update_issue(issue=cards["cart"], actor=other_member, changes={"title": "Changed"})
    page.wait_for_timeout(1000)
    assert polls == []
    page.mouse.move(start["x"] + 4, start["y"] + 4, steps=8)
    page.mouse.up()
    expect(page.locator(f"#card-{cards['cart'].number}")).to_contain_text("Changed")


def test_put_a_card_in_a_release_from_its_menu(page, login, project, member, cards, axe):
    from tests.factories import ReleaseFactory

    upcoming = ReleaseFactory(project=project, name="2.4.0")
    login(member)
    page.goto(BOARD)
    card = page.locator(f"#card-{cards['cart'].number}")
    card.locator(".card-menu-button").click()
    menu = page.locator("#move-menu")
    expect(menu.get_by_text("Ships with")).to_be_visible()
    axe(page)
    with page.expect_response(re.compile(r"/board/release/")) as answer:
        menu.get_by_role("button", name="2.4.0").click()
    assert answer.value.status == 204
    expect(menu).to_be_hidden()
    expect(page.locator("#notices")).to_contain_text(
        f"WEB-{cards['cart'].number} ships with 2.4.0."
    )
    assert Issue.objects.get(pk=cards["cart"].pk).release == upcoming
    assert page.js_errors == []
