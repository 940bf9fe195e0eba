"""Triage in the Django admin, in a real browser: actions, intermediate pages, autocomplete.

The admin runs under the app's Content Security Policy (no inline script): every page used
here must work with no CSP violation in the console.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from issues import operations
from issues.models import Issue, IssueEvent, Priority, Role
from tests.factories import IssueFactory, UserFactory


@pytest.fixture
def console_errors(page):
    """Console errors (CSP violations are reported there), collected for the test to check."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


@pytest.fixture
def triager(project):
    user = UserFactory(username="tess", is_staff=True)
    operations.add_member(project=project, user=user, role=Role.ADMIN)
    return user


def waiting_issue(project, reporter, status, title: str, days_ago: int) -> Issue:
    issue = IssueFactory(project=project, actor=reporter, title=title, status=status("Triage"))
    Issue.objects.filter(pk=issue.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return issue


def run_action(page, issue: Issue, action: str) -> None:
    page.locator(f"#result_list tr:has(a:text-is('{issue.key}')) input.action-select").check()
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_staff_works_the_triage_queue(
    page, login, console_errors, project, triager, member, status
):
    accepted = waiting_issue(project, member, status, "Export drops accented names", 4)
    declined = waiting_issue(project, member, status, "Please add a Comic Sans theme", 3)
    prioritised = waiting_issue(project, member, status, "Checkout fails on Safari", 2)
    assigned = waiting_issue(project, member, status, "Password reset mail is late", 1)

    login(triager)
    page.goto("/admin/")
    page.get_by_role("link", name="Open the triage queue").click()
    keys = page.locator("#result_list tbody th.field-key a")
    expect(keys).to_have_text([accepted.key, declined.key, prioritised.key, assigned.key])
    notes = page.locator(".messagelist")

    run_action(page, accepted, "Accept into the backlog")
    expect(notes).to_contain_text("Accepted 1 issue into the backlog.")

    run_action(page, declined, "Decline (move to canceled)")
    expect(notes).to_contain_text("Declined 1 issue.")

    run_action(page, prioritised, "Set priority…")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_role("button", name="Apply to 1 issue").click()
    expect(notes).to_contain_text("Set the priority of 1 issue to High.")

    run_action(page, assigned, "Assign to a member…")
    page.get_by_label("Assign to").select_option(value=str(member.pk))
    page.get_by_role("button", name="Apply to 1 issue").click()
    expect(notes).to_contain_text("Assigned 1 issue to alice.")

    # The queue is worked top-down: accepted and declined issues have left it.
    expect(keys).to_have_text([prioritised.key, assigned.key])

    def logged(issue: Issue, field: str) -> tuple[str, str, str]:
        event = IssueEvent.objects.get(issue=issue, field=field)
        return event.actor.username, event.old_value, event.new_value

    assert logged(accepted, "status") == ("tess", "Triage", "Backlog")
    assert logged(declined, "status") == ("tess", "Triage", "Canceled")
    assert logged(prioritised, "priority") == ("tess", "No priority", "High")
    assert logged(assigned, "assignee") == ("tess", "", "alice")
    prioritised.refresh_from_db()
    assert prioritised.priority == Priority.HIGH
    assert console_errors == []
    assert page.js_errors == []


def test_change_form_autocomplete_and_comment_work_under_csp(
    page, login, console_errors, project, triager, issue
):
    login(triager)
    page.goto(f"/admin/issues/issue/{issue.pk}/change/")
    page.locator(".field-labels .select2-selection").click()
    page.locator(".select2-search__field").fill("bug")
    page.locator(".select2-results__option", has_text="Bug fix").click()
    page.locator("#id_comments-0-body").fill("Reproduced on Safari 17.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    assert [label.name for label in issue.labels.all()] == ["Bug fix"]
    events = IssueEvent.objects.filter(issue=issue).exclude(field="created")
    assert {(event.field, event.new_value, event.actor) for event in events} == {
        ("labels", "Bug fix", triager),
        ("comment", "Reproduced on Safari 17.", triager),
    }
    assert console_errors == []
    assert page.js_errors == []
