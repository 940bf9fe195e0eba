"""Notifications in a real browser: Alice mentions Bob; Bob sees the count and the inbox row."""

import pytest
from playwright.sync_api import expect

from tests.factories import IssueFactory


@pytest.fixture
def story(transactional_db, project, member, other_member):
    return IssueFactory(project=project, actor=member, title="Guest checkout")


def test_alice_mentions_bob_and_bob_sees_it_in_his_inbox(
    browser, live_server, page, login, member, other_member, story, run_worker
):
    run_worker()  # The issue's creation.
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    box = page.locator("#comment-body")
    box.click()
    box.press_sequentially("Can you check this, @bo")
    option = page.locator(".mention-list [data-username=bob]")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("Can you check this, @bob ")
    box.press_sequentially("please?")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#timeline a.mention")).to_have_text("@bob")
    assert page.js_errors == []

    run_worker()  # What the worker beside the server does within a second.

    bob = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    bob.set_default_timeout(10_000)
    bobs = bob.new_page()
    try:
        bobs.goto("/accounts/login/")
        bobs.get_by_label("Username").fill("bob")
        bobs.get_by_label("Password").fill("password")
        bobs.get_by_role("button", name="Log in").click()
        bobs.wait_for_url(lambda url: "/accounts/login/" not in url)
        expect(bobs.locator("[data-unread-count]")).to_have_text("1")
        bobs.locator("[data-inbox-link]").click()
        row = bobs.locator(".inbox-row.is-unread")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("mentioned you")
        expect(row).to_contain_text("Guest checkout")
        row.get_by_role("link").click()
        expect(bobs.locator("#issue-title")).to_have_text("Guest checkout")
        expect(bobs.locator("[data-unread-count]")).to_be_hidden()
    finally:
        bob.close()
