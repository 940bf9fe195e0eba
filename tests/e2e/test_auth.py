"""Logging in and out in a real browser."""

import re

from playwright.sync_api import expect

from issues import operations
from issues.models import Role
from tests.factories import ProjectFactory, UserFactory


def test_user_logs_in_sees_projects_and_logs_out(page, login, db):
    user = UserFactory(username="alice", first_name="Alice", last_name="Nguyen")
    operations.add_member(
        project=ProjectFactory(key="WEB", name="Web app"), user=user, role=Role.MEMBER
    )

    login(user)

    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    card = page.locator(".project-card", has_text="Web app")
    expect(card).to_contain_text("WEB")
    expect(card).to_contain_text("0 open issues")

    page.locator("summary", has_text="Account menu").click()
    expect(page.get_by_text("@alice")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="Log in to Tracker")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    assert page.js_errors == []


def test_wrong_password_shows_an_error(page, db):
    UserFactory(username="bob")

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )
    expect(page.get_by_label("Username")).to_have_value("bob")
    expect(page.get_by_label("Password")).to_be_focused()
    assert page.js_errors == []


def test_project_switcher_lists_the_users_projects(page, login, db):
    user = UserFactory()
    for key, name in [("WEB", "Web app"), ("MOB", "Mobile app")]:
        operations.add_member(
            project=ProjectFactory(key=key, name=name), user=user, role=Role.MEMBER
        )
    login(user)

    switcher = page.locator(".project-switcher")
    switcher.locator("summary", has_text="Switch project").click()
    switcher.get_by_role("link", name="MOB Mobile app").click()

    expect(page).to_have_url(re.compile(r"/projects/MOB/board/$"))


def test_notice_can_be_dismissed(page, login, db):
    login(UserFactory())

    page.evaluate("window.trackerNotify('Saved WEB-1', 'error')")
    notice = page.locator(".notice", has_text="Saved WEB-1")
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Dismiss").click()

    expect(notice).to_have_count(0)


def test_failed_htmx_request_shows_a_notice_instead_of_failing_silently(page, login, db):
    login(UserFactory())

    page.evaluate("htmx.ajax('GET', '/no-such-page/', {target: '#main', swap: 'none'})")

    expect(page.locator(".notice-error")).to_contain_text("Something went wrong (404)")
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()  # nothing swapped
