"""Planning the next sprint from the backlog in a real browser: create it, drag issues in,
start it."""

import re

import pytest
from playwright.sync_api import expect

from issues.models import Issue
from planning.models import Sprint, SprintState
from tests.factories import IssueFactory

from .test_board import drag

BACKLOG = "/projects/WEB/backlog/"


@pytest.fixture
def backlog(transactional_db, project, member):
    return [
        IssueFactory(project=project, actor=member, title=title, estimate=points)
        for title, points in (
            ("Pay with Apple Pay", 5),
            ("Remember the delivery address", 3),
            ("Show stock per size", 2),
        )
    ]


def test_plan_and_start_a_sprint_from_the_backlog(page, login, member, backlog):
    login(member)
    page.goto(BACKLOG)

    page.get_by_text("Create sprint", exact=True).first.click()
    page.get_by_label("Name").first.fill("Sprint 1")
    page.get_by_role("button", name="Create sprint").last.click()
    sprint = page.locator(".sprint-section", has_text="Sprint 1")
    expect(sprint).to_contain_text("Planned")

    apple_pay = page.locator(f"#row-{backlog[0].number}")
    with page.expect_response(re.compile(r"/backlog/move/")) as answer:
        drag(page, apple_pay, sprint.locator(".backlog-list"))
    assert answer.value.status == 200
    expect(page.locator("#backlog-live")).to_contain_text("Moved WEB-1 to Sprint 1.")
    expect(sprint.locator(f"#row-{backlog[0].number}")).to_be_visible()
    expect(sprint).to_contain_text("1 issue · 5 pts")

    # Without dragging: the row's "Move to…" menu, from the keyboard.
    row = page.locator(f"#row-{backlog[2].number}")
    row.locator(".card-menu > summary").focus()
    page.keyboard.press("Enter")
    row.get_by_role("button", name="Sprint 1").press("Enter")
    expect(sprint).to_contain_text("2 issues · 7 pts")

    sprint.get_by_text("Start sprint", exact=True).click()
    sprint.get_by_role("button", name="Start Sprint 1").click()
    expect(page.locator(".sprint-section", has_text="Sprint 1")).to_contain_text("Active")

    started = Sprint.objects.get(name="Sprint 1")
    assert started.state == SprintState.ACTIVE
    assert set(started.issues.values_list("title", flat=True)) == {
        "Pay with Apple Pay",
        "Show stock per size",
    }
    assert Issue.objects.get(pk=backlog[1].pk).sprint is None
    assert page.js_errors == []
