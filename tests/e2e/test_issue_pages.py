"""The issue pages in a real browser: edit in place, add a comment, filter the list."""

import re

import pytest
from playwright.sync_api import expect

from issues import operations
from issues.models import Comment, Issue, Priority
from tests.factories import IssueFactory, TransitionFactory


@pytest.fixture
def story(transactional_db, project, member):
    return IssueFactory(project=project, actor=member, title="Guest checkout")


def test_edit_a_field_in_place(page, login, member, story):
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    page.evaluate("window.notReloaded = true")
    with page.expect_response(re.compile(r"/fields/priority/$")) as answer:
        page.get_by_label("Priority").select_option("high")
    assert answer.value.status == 200
    expect(page.locator("#timeline")).to_contain_text("changed priority from No priority to High")
    assert page.evaluate("window.notReloaded") is True
    assert Issue.objects.get(pk=story.pk).priority == Priority.HIGH
    assert page.js_errors == []


def test_status_list_offers_only_allowed_moves(page, login, project, member, story, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    select = page.get_by_label("Status")
    expect(select.locator("option")).to_have_text(["To do", "In progress"])
    expect(select).to_have_attribute("title", re.compile("does not allow moving from “To do”"))
    select.select_option(label="In progress")
    expect(page.locator("#timeline")).to_contain_text("moved this from To do to In progress")
    assert Issue.objects.get(pk=story.pk).status == status("In progress")


def test_edit_the_title_in_place_after_changing_a_field(page, login, member, story):
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    # An own save first: the title editor must not take it for someone else's.
    with page.expect_response(re.compile(r"/fields/estimate/$")):
        page.get_by_label("Estimate").fill("5")
        page.get_by_label("Estimate").press("Tab")
    page.locator("#title-block").get_by_role("link", name="Edit").click()
    page.locator("#edit-title").fill("Guest checkout without an account")
    page.locator("#title-block").get_by_role("button", name="Save").click()
    expect(page.locator("#issue-title")).to_have_text("Guest checkout without an account")
    assert Issue.objects.get(pk=story.pk).title == "Guest checkout without an account"


def test_stale_title_shows_both_versions(page, login, member, other_member, story):
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    operations.update_issue(issue=story, actor=other_member, changes={"title": "Their title"})
    page.locator("#title-block").get_by_role("link", name="Edit").click()
    page.locator("#edit-title").fill("My title")
    page.locator("#title-block").get_by_role("button", name="Save").click()
    expect(page.locator(".conflict-theirs")).to_contain_text("Their title")
    expect(page.locator("#edit-title")).to_have_value("My title")
    assert Issue.objects.get(pk=story.pk).title == "Their title"


def test_add_a_comment(page, login, member, story):
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    page.get_by_label("Add a comment").fill("Looks **good** to me")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#timeline .timeline-comment strong", has_text="good")).to_be_visible()
    expect(page.get_by_label("Add a comment")).to_have_value("")
    assert Comment.objects.get().body == "Looks **good** to me"
    assert page.js_errors == []


def test_search_updates_the_table_and_the_address(page, login, project, member):
    IssueFactory(project=project, actor=member, title="Refund button missing")
    IssueFactory(project=project, actor=member, title="Login slow")
    login(member)
    page.goto("/projects/WEB/issues/")
    page.locator("#filter-q").fill("refund")
    expect(page.locator(".issue-table tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=refund"))
    expect(page.locator(".issue-table")).to_contain_text("Refund button missing")


def test_parent_choices_follow_the_kind_in_the_create_form(page, login, project, member):
    from issues.models import Kind

    IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Big epic")
    story = IssueFactory(project=project, actor=member, kind=Kind.STORY, title="A story")
    login(member)
    page.goto("/projects/WEB/issues/new/")
    parent = page.locator("#parent-field select")
    expect(parent.locator("option")).to_have_text(["No parent", re.compile("Big epic")])
    page.get_by_label("Kind").select_option("subtask")
    expect(page.locator("#parent-field select option")).to_have_text(
        ["No parent", re.compile("A story")]
    )
    page.locator("#parent-field select").select_option(str(story.number))
    page.get_by_label("Title").fill("Write the migration")
    page.get_by_role("button", name="Create issue").click()
    expect(page.locator("#issue-title")).to_have_text("Write the migration")
    created = Issue.objects.get(title="Write the migration")
    assert (created.kind, created.parent_id) == (Kind.SUBTASK, story.pk)


@pytest.mark.parametrize("value", ["500", "-3"])
def test_an_invalid_estimate_is_explained_next_to_the_field(page, login, member, story, value):
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    with page.expect_response(re.compile(r"/fields/estimate/$")) as answer:
        page.get_by_label("Estimate").fill(value)
        page.get_by_label("Estimate").press("Tab")
    assert answer.value.status == 422
    expect(page.locator("#error-estimate")).to_be_visible()
    expect(page.get_by_label("Estimate")).to_have_attribute("aria-invalid", "true")
    assert Issue.objects.get(pk=story.pk).estimate is None


def test_bulk_edit_of_all_matching_asks_with_the_count(page, login, project, member, story):
    IssueFactory.create_batch(2, project=project, actor=member)
    login(member)
    page.goto("/projects/WEB/issues/")
    page.locator("#bulk-form input[name=all_matching]").check()
    page.get_by_label("Set priority").select_option("high")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("#bulk-form")).to_be_visible()
    page.wait_for_timeout(300)
    assert asked == ["Change 3 issues?"]
    assert not Issue.objects.filter(priority=Priority.HIGH).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".bulk-summary")).to_contain_text("Changed 3 issues")
    assert Issue.objects.filter(priority=Priority.HIGH).count() == 3


def test_undo_of_a_bulk_edit_skips_what_changed_since(
    page, login, project, member, other_member, story
):
    others = IssueFactory.create_batch(2, project=project, actor=member)
    login(member)
    page.goto("/projects/WEB/issues/")
    page.get_by_label("Select WEB-", exact=False).nth(0).check()
    page.locator("#bulk-form input[name=all_matching]").check()
    page.get_by_label("Set priority").select_option("high")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply to selected").click()
    summary = page.locator(".bulk-summary")
    expect(summary).to_contain_text("Changed 3 issues")
    operations.update_issue(issue=others[0], actor=other_member, changes={"title": "Renamed"})
    page.wait_for_timeout(6500)  # longer than a success notice stays: this one waits for Undo
    summary.get_by_role("button", name="Undo").click()
    expect(summary).to_contain_text("Undid the bulk change on 2 issues. 1 left as they are:")
    expect(summary).to_contain_text(f"{others[0].key}: changed since")
    priorities = dict(Issue.objects.values_list("pk", "priority"))
    assert priorities == {story.pk: 0, others[0].pk: Priority.HIGH, others[1].pk: 0}
    assert page.js_errors == []


def test_bulk_edit_offers_only_the_moves_the_workflow_allows(page, login, project, member, status):
    """To do may only go to In progress: with a To do issue selected, Done is disabled and
    says why; with only an unrestricted issue selected, or All matching, every status is
    offered (the server still refuses, by key, what the workflow forbids)."""
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    waiting = IssueFactory(project=project, actor=member, title="Waiting")
    started = IssueFactory(project=project, actor=member, title="Started")
    operations.move_issue(issue=started, actor=member, status=status("In progress"))
    login(member)
    page.goto("/projects/WEB/issues/")
    done = page.locator("#bulk-status option", has_text="Done")
    page.get_by_label(f"Select WEB-{waiting.number}").check()
    expect(done).to_be_disabled()
    expect(done).to_have_attribute(
        "title", "The workflow does not allow moving from “To do” to “Done”."
    )
    expect(page.locator("#bulk-status option", has_text="In progress")).to_be_enabled()
    page.get_by_label(f"Select WEB-{started.number}").check()
    expect(done).to_be_disabled()
    page.get_by_label(f"Select WEB-{waiting.number}").uncheck()
    expect(done).to_be_enabled()
    page.get_by_label(f"Select WEB-{waiting.number}").check()
    page.locator("#bulk-form input[name=all_matching]").check()
    expect(done).to_be_enabled()
    assert page.js_errors == []


def test_the_parent_picker_searches_and_sets_the_parent(page, login, project, member, story):
    from issues.models import Kind

    old = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout v1")
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout revamp")
    IssueFactory(project=project, actor=member, kind=Kind.TASK, title="Checkout task")
    login(member)
    page.goto(f"/projects/WEB/issues/{story.number}/")
    search = page.get_by_role("searchbox", name="Parent")
    search.click()  # the first results come with the focus: the project's epics only
    results = page.locator("#parent-results .parent-option")
    expect(results).to_have_count(2)
    search.press_sequentially("revamp")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(f"WEB-{epic.number}")
    search.fill(f"web-{old.number}")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Checkout v1")
    with page.expect_response(re.compile(r"/fields/parent/$")) as answer:
        results.first.press("Enter")
    assert answer.value.status == 200
    expect(page.locator("#parent-current")).to_contain_text(f"WEB-{old.number} Checkout v1")
    expect(page.locator("#timeline")).to_contain_text("the parent")
    assert Issue.objects.get(pk=story.pk).parent_id == old.pk
    # And once more, with the version the first answer handed back.
    search = page.get_by_role("searchbox", name="Parent")
    search.fill("revamp")
    expect(results).to_have_count(1)
    results.first.click()
    expect(page.locator("#parent-current")).to_contain_text(f"WEB-{epic.number}")
    assert Issue.objects.get(pk=story.pk).parent_id == epic.pk
    assert page.js_errors == []


def test_the_parent_picker_works_without_javascript(browser, live_server, member, story):
    from issues.models import Kind

    epic = IssueFactory(project=story.project, actor=member, kind=Kind.EPIC, title="Revamp")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(member.username)
        page.get_by_label("Password").fill("password")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/projects/WEB/issues/{story.number}/")
        page.get_by_role("searchbox", name="Parent").fill("revamp")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", name=f"Parent of WEB-{story.number}")).to_be_visible()
        page.get_by_role("button", name=re.compile(f"WEB-{epic.number}")).click()
        expect(page).to_have_url(re.compile(rf"/issues/{story.number}/$"))
        expect(page.locator("#parent-current")).to_contain_text("Revamp")
    finally:
        context.close()
