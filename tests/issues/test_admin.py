"""The Django admin as the triage tool: actions, the queue, scoping, the save path, speed."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues import operations
from issues.models import (
    Issue,
    IssueEvent,
    Kind,
    Label,
    Membership,
    Priority,
    Project,
    Role,
    Status,
    StatusCategory,
)
from tests.factories import (
    CommentFactory,
    IssueFactory,
    ProjectFactory,
    TransitionFactory,
    UserFactory,
)

CHANGELIST = "/admin/issues/issue/"
QUEUE = CHANGELIST + "?queue=triage"


def change_url(issue: Issue) -> str:
    return reverse("admin:issues_issue_change", args=[issue.pk])


@pytest.fixture
def triager(project):
    """A staff user who administers WEB: the admin is theirs for WEB only."""
    user = UserFactory(username="tess", is_staff=True)
    operations.add_member(project=project, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def staff_client(client, triager):
    client.force_login(triager)
    return client


@pytest.fixture
def other_project(db):
    return ProjectFactory(key="OPS", name="Operations")


@pytest.fixture
def foreign_issue(other_project):
    return IssueFactory(project=other_project, title="Rotate the TLS certificates")


@pytest.fixture
def triage_issue(project, member, status):
    """A new issue waiting in WEB's triage status: issue("title", days_ago=2)."""

    def make(title: str = "Report from support", days_ago: int = 0, **kwargs) -> Issue:
        issue = IssueFactory(
            project=project, actor=member, title=title, status=status("Triage"), **kwargs
        )
        if days_ago:
            # Only the test's clock: creation time is not something an operation changes.
            Issue.objects.filter(pk=issue.pk).update(
                created_at=timezone.now() - datetime.timedelta(days=days_ago)
            )
        return issue

    return make


def run_action(client, action: str, issues, url: str = CHANGELIST, **values):
    """Choose an action for the selected issues; with values, apply its intermediate form."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [issue.pk for issue in issues]}
    if values:
        data.update(values, apply="Apply")
    else:
        data["index"] = "0"
    return client.post(url, data)


def notes(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def change_form_data(response) -> dict:
    """What the change page would post back unchanged (main form and inline formsets)."""
    data: dict = {}

    def put(form, prefix_name: str, name: str) -> None:
        value = form[name].value()
        if value is None or value is False:
            return
        if value is True:
            value = "on"
        if isinstance(value, list | tuple):
            value = [str(item) for item in value]
        data[prefix_name] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for subform in formset.forms:
            for name in subform.fields:
                put(subform, subform.add_prefix(name), name)
    return data


def field_events(issue: Issue, field: str):
    return IssueEvent.objects.filter(issue=issue, field=field).order_by("id")


# The changelist ------------------------------------------------------------------------------


def test_changelist_shows_issue_columns(staff_client, issue):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    text = response.content.decode()
    for column in ("Key", "Title", "Kind", "Status", "Priority", "Assignee", "Source", "Project"):
        assert f">{column}<" in text or f"{column}</a>" in text
    assert "WEB-1" in text
    assert "Checkout button does nothing" in text


def test_site_header_and_link_back_to_the_app(staff_client):
    response = staff_client.get("/admin/")
    text = response.content.decode()
    assert "Tracker admin" in text
    assert '<a href="/">← Back to the tracker</a>' in text


def test_search_finds_issue_by_full_key(staff_client, project, member):
    issues = [IssueFactory(project=project, actor=member, title=f"Issue {n}") for n in range(3)]
    response = staff_client.get(CHANGELIST, {"q": "WEB-2"})
    assert list(response.context["cl"].result_list) == [issues[1]]


def test_search_finds_issue_by_number(staff_client, project, member):
    issues = [IssueFactory(project=project, actor=member, title=f"Issue {n}") for n in range(3)]
    response = staff_client.get(CHANGELIST, {"q": "3"})
    assert list(response.context["cl"].result_list) == [issues[2]]


def test_search_finds_issue_by_reporter_and_text(staff_client, project, member, other_member):
    IssueFactory(project=project, actor=member, title="Dark mode")
    reported = IssueFactory(project=project, actor=other_member, title="Export is slow")
    assert list(staff_client.get(CHANGELIST, {"q": "bob"}).context["cl"].result_list) == [reported]
    assert list(staff_client.get(CHANGELIST, {"q": "slow"}).context["cl"].result_list) == [reported]


def test_filter_unassigned(staff_client, project, member):
    IssueFactory(project=project, actor=member, assignee=member, title="Taken")
    free = IssueFactory(project=project, actor=member, title="Free")
    response = staff_client.get(CHANGELIST, {"assignee": "none"})
    assert list(response.context["cl"].result_list) == [free]


def test_filter_by_label_and_status_category(staff_client, project, member, status):
    bug = project.labels.get(name="Bug fix")
    labelled = IssueFactory(project=project, actor=member, labels=[bug], title="Labelled")
    IssueFactory(project=project, actor=member, title="Plain")
    done = IssueFactory(project=project, actor=member, status=status("Done"), title="Done")
    by_label = staff_client.get(CHANGELIST, {"label": "Bug fix"}).context["cl"].result_list
    by_category = staff_client.get(CHANGELIST, {"category": "done"}).context["cl"].result_list
    assert list(by_label) == [labelled]
    assert list(by_category) == [done]


def test_changelist_queries_do_not_grow_with_issues(staff_client, project, member):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries)

    for n in range(10):
        IssueFactory(project=project, actor=member, title=f"Issue {n}", assignee=member)
    with_10 = count_queries()
    for n in range(190):
        IssueFactory(project=project, actor=member, title=f"More {n}", assignee=member)
    with_200 = count_queries()
    assert with_200 == with_10
    assert with_200 <= 15


# The triage queue ----------------------------------------------------------------------------


def test_triage_queue_lists_triage_issues_oldest_first(staff_client, triage_issue, issue):
    newest = triage_issue("Newest", days_ago=1)
    oldest = triage_issue("Oldest", days_ago=5)
    middle = triage_issue("Middle", days_ago=3)
    response = staff_client.get(QUEUE)
    assert list(response.context["cl"].result_list) == [oldest, middle, newest]
    assert issue not in response.context["cl"].result_list  # "To do" is not triage.
    assert "Triage queue" in response.context["title"]


def test_triage_queue_is_linked_from_index_and_issue_list(staff_client):
    for url in ("/admin/", CHANGELIST):
        assert 'href="/admin/issues/issue/?queue=triage"' in staff_client.get(url).content.decode()


# Actions -------------------------------------------------------------------------------------


def test_accept_moves_issues_into_the_backlog(staff_client, triager, triage_issue, status):
    first, second = triage_issue("One"), triage_issue("Two")
    response = run_action(staff_client, "accept", [first, second], url=QUEUE)
    assert response.status_code == 302
    assert response.url == QUEUE
    for issue in (first, second):
        issue.refresh_from_db()
        assert issue.status == status("Backlog")
        event = field_events(issue, "status").get()
        assert (event.actor, event.old_status, event.new_status) == (
            triager,
            status("Triage"),
            status("Backlog"),
        )
    assert ("success", "Accepted 2 issues into the backlog.") in notes(response)


def test_accept_reports_wip_refusal_by_key_and_applies_the_rest(staff_client, triage_issue, status):
    Status.objects.filter(pk=status("Backlog").pk).update(wip_limit=1)
    first, second = triage_issue("One", days_ago=2), triage_issue("Two", days_ago=1)
    # The queue lists (and the action treats) the oldest first: it takes the last slot.
    response = run_action(staff_client, "accept", [first, second], url=QUEUE)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == status("Backlog")
    assert second.status == status("Triage")
    assert not field_events(second, "status").exists()
    warnings = [text for level, text in notes(response) if level == "warning"]
    assert warnings == [
        "WEB-2: “Backlog” is at its WIP limit (1 / 1): finish something there first."
    ]
    assert ("success", "Accepted 1 issue into the backlog.") in notes(response)


def test_decline_moves_issues_to_canceled(staff_client, triager, triage_issue, status):
    issue = triage_issue()
    run_action(staff_client, "decline", [issue])
    issue.refresh_from_db()
    assert issue.status == status("Canceled")
    assert issue.resolved_at is not None
    assert field_events(issue, "status").get().actor == triager


def test_decline_refused_by_workflow_is_reported_by_key(
    staff_client, project, triage_issue, status
):
    TransitionFactory(project=project, from_status=status("Triage"), to_status=status("Backlog"))
    issue = triage_issue()
    response = run_action(staff_client, "decline", [issue])
    issue.refresh_from_db()
    assert issue.status == status("Triage")
    assert (
        "warning",
        "WEB-1: The workflow does not allow moving from “Triage” to “Canceled”.",
    ) in notes(response)


def test_move_to_status_asks_for_the_status_first(staff_client, triage_issue, status):
    issue = triage_issue()
    response = run_action(staff_client, "move_to_status", [issue])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/issues/issue/action_form.html"
    assert [value for value, _ in response.context["form"].fields["status"].choices][1:] == [
        "Triage",
        "Backlog",
        "To do",
        "In progress",
        "In review",
        "Done",
        "Canceled",
    ]
    issue.refresh_from_db()
    assert issue.status == status("Triage")


def test_move_to_status_moves_after_the_intermediate_page(
    staff_client, triager, triage_issue, status
):
    issue = triage_issue()
    response = run_action(staff_client, "move_to_status", [issue], status="In progress")
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == status("In progress")
    assert field_events(issue, "status").get().actor == triager


def test_move_to_unknown_status_answers_400_and_changes_nothing(staff_client, triage_issue, status):
    issue = triage_issue()
    response = run_action(staff_client, "move_to_status", [issue], status="Nowhere")
    assert response.status_code == 400
    assert response.context["form"].errors["status"]
    issue.refresh_from_db()
    assert issue.status == status("Triage")


def test_set_priority(staff_client, triager, triage_issue):
    first, second = triage_issue("One"), triage_issue("Two")
    response = run_action(staff_client, "set_priority", [first, second], priority=Priority.HIGH)
    assert ("success", "Set the priority of 2 issues to High.") in notes(response)
    for issue in (first, second):
        issue.refresh_from_db()
        assert issue.priority == Priority.HIGH
        event = field_events(issue, "priority").get()
        assert (event.actor, event.old_value, event.new_value) == (triager, "No priority", "High")


def test_action_on_all_matching_issues_keeps_the_filter(staff_client, triage_issue, issue):
    first = triage_issue("One")
    triage_issue("Two")
    data = {
        "action": "set_priority",
        ACTION_CHECKBOX_NAME: [first.pk],  # The page's boxes; "select all" covers the rest.
        "select_across": "1",
        "priority": Priority.LOW,
        "apply": "Apply",
    }
    response = staff_client.post(QUEUE, data)
    assert response.status_code == 302
    priorities = dict(Issue.objects.values_list("title", "priority"))
    assert priorities == {
        "One": Priority.LOW,
        "Two": Priority.LOW,
        "Checkout button does nothing": Priority.NONE,  # Not in the queue.
    }


def test_assign_to_me(staff_client, triager, triage_issue):
    issue = triage_issue()
    run_action(staff_client, "assign_to_me", [issue])
    issue.refresh_from_db()
    assert issue.assignee == triager
    assert field_events(issue, "assignee").get().new_value == "tess"


def test_assign_to_me_outside_my_projects_is_refused_by_key(client, triage_issue):
    boss = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(boss)
    issue = triage_issue()
    response = run_action(client, "assign_to_me", [issue])
    issue.refresh_from_db()
    assert issue.assignee is None
    assert ("warning", "WEB-1: The assignee must be a member of the project.") in notes(response)


def test_assign_to_member(staff_client, triager, triage_issue, other_member):
    issue = triage_issue()
    form = run_action(staff_client, "assign_to_member", [issue])
    assert str(other_member.pk) in dict(form.context["form"].fields["assignee"].choices)
    run_action(staff_client, "assign_to_member", [issue], assignee=other_member.pk)
    issue.refresh_from_db()
    assert issue.assignee == other_member
    assert field_events(issue, "assignee").get().actor == triager


def test_add_label(staff_client, triager, triage_issue):
    issue = triage_issue()
    response = run_action(staff_client, "add_label", [issue], label="Customer feedback")
    assert ("success", "Added “Customer feedback” to 1 issue.") in notes(response)
    assert [label.name for label in issue.labels.all()] == ["Customer feedback"]
    event = field_events(issue, "labels").get()
    assert (event.actor, event.new_value) == (triager, "Customer feedback")


def test_export_selected_issues_as_csv(staff_client, triage_issue):
    first, second = triage_issue("One"), triage_issue("Two")
    triage_issue("Not selected")
    response = run_action(staff_client, "export_csv", [first, second])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="WEB-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    keys = [line.split(",")[0] for line in body.splitlines()[1:]]
    assert sorted(keys) == ["WEB-1", "WEB-2"]


# Scoping -------------------------------------------------------------------------------------


def test_staff_sees_only_issues_of_projects_they_administer(staff_client, issue, foreign_issue):
    results = list(staff_client.get(CHANGELIST).context["cl"].result_list)
    assert results == [issue]


def test_staff_cannot_open_another_projects_issue(staff_client, foreign_issue):
    response = staff_client.get(change_url(foreign_issue))
    assert response.status_code == 302
    assert response.url == "/admin/"


def test_staff_cannot_change_another_projects_issue(staff_client, foreign_issue):
    response = staff_client.post(
        change_url(foreign_issue), {"title": "Hijacked", "loaded_version": 1}
    )
    assert response.status_code == 302
    foreign_issue.refresh_from_db()
    assert foreign_issue.title == "Rotate the TLS certificates"


def test_staff_cannot_delete_another_projects_issue(staff_client, foreign_issue):
    url = reverse("admin:issues_issue_delete", args=[foreign_issue.pk])
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert Issue.objects.filter(pk=foreign_issue.pk).exists()


def test_staff_action_on_another_projects_issue_changes_nothing(staff_client, foreign_issue):
    run_action(staff_client, "set_priority", [foreign_issue], priority=Priority.URGENT)
    run_action(staff_client, "decline", [foreign_issue])
    foreign_issue.refresh_from_db()
    assert foreign_issue.priority == Priority.NONE
    assert foreign_issue.status.name == "To do"


def test_staff_sees_only_their_projects_and_choices(staff_client, project, other_project):
    projects = list(staff_client.get("/admin/issues/project/").context["cl"].result_list)
    assert projects == [project]
    add_form = staff_client.get("/admin/issues/issue/add/").context["adminform"].form
    assert list(add_form.fields["project"].queryset) == [project]
    assert {status.project for status in add_form.fields["status"].queryset} == {project}
    response = staff_client.get(reverse("admin:issues_project_change", args=[other_project.pk]))
    assert response.status_code == 302


def test_staff_member_who_is_not_project_admin_has_no_issue_admin(client, project):
    user = UserFactory(username="sam", is_staff=True)
    operations.add_member(project=project, user=user, role=Role.MEMBER)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
    assert "issues" not in [app["app_label"] for app in client.get("/admin/").context["app_list"]]


def test_member_without_staff_status_has_no_admin(client, member):
    client.force_login(member)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_superuser_sees_every_project(client, issue, foreign_issue):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    results = client.get(CHANGELIST).context["cl"].result_list
    assert set(results) == {issue, foreign_issue}


def test_assignee_autocomplete_offers_members_of_administered_projects(
    staff_client, member, other_project
):
    stranger = UserFactory(username="zed")
    operations.add_member(project=other_project, user=stranger)
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "issues", "model_name": "issue", "field_name": "assignee", "term": ""},
    )
    assert response.status_code == 200
    names = {result["text"] for result in response.json()["results"]}
    assert "alice" in names
    assert "zed" not in names


def test_label_autocomplete_offers_labels_of_administered_projects(staff_client, other_project):
    Label.objects.filter(project=other_project, name="Bug fix").update(name="Ops only")
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "issues", "model_name": "issue", "field_name": "labels", "term": ""},
    )
    names = {result["text"] for result in response.json()["results"]}
    assert "Bug fix" in names
    assert "Ops only" not in names


def test_staff_cannot_browse_users_outside_pickers(staff_client):
    assert staff_client.get("/admin/auth/user/").status_code == 403


# Saving issues -------------------------------------------------------------------------------


def test_admin_change_goes_through_update_with_events(staff_client, triager, issue, status):
    data = change_form_data(staff_client.get(change_url(issue)))
    data.update(title="Checkout button does nothing on Safari", priority=Priority.URGENT)
    data["status"] = status("In progress").pk
    response = staff_client.post(change_url(issue), data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "Checkout button does nothing on Safari"
    assert issue.status == status("In progress")
    assert issue.version == 2
    fields = {event.field: event.actor for event in issue.events.exclude(field="created")}
    assert fields == {"title": triager, "priority": triager, "status": triager}


def test_admin_change_of_labels_writes_label_events(staff_client, triager, issue, project):
    bug = project.labels.get(name="Bug fix")
    data = change_form_data(staff_client.get(change_url(issue)))
    data["labels"] = [str(bug.pk)]
    staff_client.post(change_url(issue), data)
    assert list(issue.labels.all()) == [bug]
    event = field_events(issue, "labels").get()
    assert (event.actor, event.new_value) == (triager, "Bug fix")


def test_stale_admin_form_is_refused_not_overwritten(staff_client, issue, member):
    data = change_form_data(staff_client.get(change_url(issue)))
    operations.update_issue(issue=issue, actor=member, changes={"title": "Renamed by Alice"})
    data["title"] = "Renamed in the admin"
    response = staff_client.post(change_url(issue), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "was changed by someone else" in errors[0]
    issue.refresh_from_db()
    assert issue.title == "Renamed by Alice"
    assert not field_events(issue, "title").filter(new_value="Renamed in the admin").exists()


def test_admin_change_refused_by_workflow_shows_the_reason(staff_client, project, issue, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("Done"))
    data = change_form_data(staff_client.get(change_url(issue)))
    data["status"] = status("Canceled").pk
    data["title"] = "Also renamed"
    response = staff_client.post(change_url(issue), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "does not allow moving" in str(form.errors)
    assert form["title"].value() == "Also renamed"  # The person's input is kept.
    issue.refresh_from_db()
    assert (issue.status, issue.title, issue.version) == (
        status("To do"),
        "Checkout button does nothing",
        1,
    )


def test_admin_add_creates_through_operations(staff_client, triager, project, status):
    response = staff_client.post(
        "/admin/issues/issue/add/",
        {
            "project": project.pk,
            "title": "Crash when uploading an avatar",
            "kind": Kind.BUG,
            "priority": Priority.HIGH,
            "source": "support_ticket",
            "comments-TOTAL_FORMS": 1,
            "comments-INITIAL_FORMS": 0,
            "comments-0-body": "Seen by three customers today.",
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get(title="Crash when uploading an avatar")
    assert (issue.key, issue.status, issue.reporter) == ("WEB-1", status("To do"), triager)
    assert field_events(issue, "created").get().actor == triager
    assert issue.comments.get().body == "Seen by three customers today."
    assert field_events(issue, "comment").get().actor == triager


def test_admin_add_comment_inline_goes_through_add_comment(staff_client, triager, issue):
    CommentFactory(issue=issue, author=triager, body="First look: reproducible.")
    data = change_form_data(staff_client.get(change_url(issue)))
    data["comments-TOTAL_FORMS"] = 2
    data["comments-1-body"] = "Assigning to the web team."
    response = staff_client.post(change_url(issue), data)
    assert response.status_code == 302
    assert [c.body for c in issue.comments.all()] == [
        "First look: reproducible.",
        "Assigning to the web team.",
    ]
    assert field_events(issue, "comment").get().new_value == "Assigning to the web team."


def test_issue_change_page_shows_subtasks(staff_client, project, member, issue):
    subtask = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=issue)
    text = staff_client.get(change_url(issue)).content.decode()
    assert f'<a href="{change_url(subtask)}">{subtask.key}</a>' in text


def test_deleting_issue_with_children_is_refused(staff_client, project, member, issue):
    IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=issue)
    url = reverse("admin:issues_issue_delete", args=[issue.pk])
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # Django's "protected related objects" page.
    assert Issue.objects.filter(pk=issue.pk).exists()


def test_deleting_issue_goes_through_delete_issue(staff_client, issue):
    url = reverse("admin:issues_issue_delete", args=[issue.pk])
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Issue.objects.filter(pk=issue.pk).exists()


def test_refused_delete_shows_error_not_500(staff_client, issue, monkeypatch):
    """A child added between the confirmation page and the delete: the operation refuses."""
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError("WEB-1 has 1 child issue: move or delete them first.")

    monkeypatch.setattr(operations, "delete_issue", refuse)
    url = reverse("admin:issues_issue_delete", args=[issue.pk])
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert ("error", "WEB-1 has 1 child issue: move or delete them first.") in notes(response)
    assert Issue.objects.filter(pk=issue.pk).exists()


# Projects ------------------------------------------------------------------------------------


@pytest.fixture
def root_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def project_form_data(client, project) -> dict:
    return change_form_data(client.get(reverse("admin:issues_project_change", args=[project.pk])))


def test_new_project_gets_default_workflow_labels_and_admin(root_client):
    response = root_client.post(
        "/admin/issues/project/add/", {"key": "APP", "name": "Mobile app", "description": ""}
    )
    project = Project.objects.get(key="APP")
    assert response.url == reverse("admin:issues_project_change", args=[project.pk])
    assert project.statuses.count() == 7
    assert project.default_status().name == "To do"
    assert project.labels.count() == 5
    assert project.memberships.get().user.username == "root"
    assert project.memberships.get().role == Role.ADMIN


def test_project_key_is_read_only_after_creation(root_client, project):
    data = project_form_data(root_client, project)
    data["key"] = "NEW"
    root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    project.refresh_from_db()
    assert project.key == "WEB"


def test_status_with_issues_cannot_be_deleted(root_client, project, issue, status):
    data = project_form_data(root_client, project)
    position = list(project.statuses.all()).index(status("To do"))
    assert data[f"statuses-{position}-name"] == "To do"
    data[f"statuses-{position}-DELETE"] = "on"
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    assert "is the default status" in str(
        response.context["inline_admin_formsets"][1].formset.non_form_errors()
    )

    data = project_form_data(root_client, project)
    operations.move_issue(issue=issue, actor=issue.reporter, status=status("Backlog"))
    position = list(project.statuses.all()).index(status("Backlog"))
    data[f"statuses-{position}-DELETE"] = "on"
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][1].formset.non_form_errors())
    assert "“Backlog” still has 1 issue: move them to another status" in errors
    assert project.statuses.filter(name="Backlog").exists()


def test_unused_status_can_be_deleted(root_client, project):
    data = project_form_data(root_client, project)
    position = list(project.statuses.values_list("name", flat=True)).index("In review")
    data[f"statuses-{position}-DELETE"] = "on"
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 302
    assert not project.statuses.filter(name="In review").exists()


def test_default_status_is_chosen_on_the_project(root_client, project, status):
    data = project_form_data(root_client, project)
    data["default_status"] = status("Triage").pk
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 302
    assert project.default_status() == status("Triage")
    assert project.statuses.filter(is_default=True).count() == 1


def test_project_keeps_at_least_one_admin(root_client, project, admin_user):
    Membership.objects.filter(project=project).exclude(user=admin_user).delete()
    data = project_form_data(root_client, project)
    data["memberships-0-role"] = Role.MEMBER
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    assert project.memberships.get(user=admin_user).role == Role.ADMIN


def test_deleting_a_label_takes_it_off_issues_with_events(root_client, project, member):
    bug = project.labels.get(name="Bug fix")
    issue = IssueFactory(project=project, actor=member, labels=[bug])
    data = project_form_data(root_client, project)
    position = list(project.labels.values_list("name", flat=True)).index("Bug fix")
    data[f"labels-{position}-DELETE"] = "on"
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 302
    assert not project.labels.filter(name="Bug fix").exists()
    assert field_events(issue, "labels").get().old_value == "Bug fix"
    issue.refresh_from_db()
    assert issue.version == 2


def test_transition_without_target_status_is_a_form_error(root_client, project, status):
    data = project_form_data(root_client, project)
    data["transitions-TOTAL_FORMS"] = 1
    data["transitions-0-from_status"] = status("Triage").pk
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    assert not project.transitions.exists()


def test_transition_choices_are_the_projects_statuses(root_client, project, other_project):
    response = root_client.get(reverse("admin:issues_project_change", args=[project.pk]))
    transitions = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model.__name__ == "Transition"
    )
    choices = transitions.forms[0].fields["from_status"].queryset if transitions.forms else None
    statuses = transitions.empty_form.fields["from_status"].queryset
    assert choices is None
    assert set(statuses) == set(project.statuses.all())
    assert StatusCategory.TRIAGE in {status.category for status in statuses}


def test_admin_status_changes_go_through_the_project_operations(root_client, project):
    data = project_form_data(root_client, project)
    position = list(project.statuses.values_list("name", flat=True)).index("In review")
    data[f"statuses-{position}-name"] = "Code review"
    data[f"statuses-{position}-wip_limit"] = "4"
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 302
    assert project.statuses.get(name="Code review").wip_limit == 4
    assert project.events.filter(action="status_changed", detail="In review → Code review").exists()


def test_admin_transitions_go_through_the_project_operations(root_client, project, status):
    data = project_form_data(root_client, project)
    data.update(
        {
            "transitions-TOTAL_FORMS": "1",
            "transitions-0-from_status": status("To do").pk,
            "transitions-0-to_status": status("In progress").pk,
        }
    )
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 302
    assert project.transitions.get().to_status == status("In progress")
    assert project.events.filter(action="transitions").exists()


def test_admin_refused_rename_shows_the_sentence(root_client, project):
    data = project_form_data(root_client, project)
    position = list(project.labels.values_list("name", flat=True)).index("Tech debt")
    data[f"labels-{position}-name"] = "Refactoring "
    response = root_client.post(reverse("admin:issues_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    assert project.labels.filter(name="Tech debt").exists()


# What the admin reveals to a scoped staff user ---------------------------------------------------


def view_on_site_url(obj) -> str:
    from django.contrib.contenttypes.models import ContentType

    return f"/admin/r/{ContentType.objects.get_for_model(obj).pk}/{obj.pk}/"


def test_view_on_site_redirects_to_an_issue_of_an_administered_project(staff_client, issue):
    response = staff_client.get(view_on_site_url(issue))
    assert response.status_code == 302
    assert response["Location"].endswith("/projects/WEB/issues/1/")


@pytest.mark.parametrize("what", ["issue", "project"])
def test_view_on_site_is_404_for_other_projects(staff_client, foreign_issue, what):
    obj = foreign_issue if what == "issue" else foreign_issue.project
    response = staff_client.get(view_on_site_url(obj))
    assert response.status_code == 404
    assert "OPS" not in response.get("Location", "")


def test_view_on_site_is_404_for_objects_without_a_project(staff_client, other_member):
    assert staff_client.get(view_on_site_url(other_member)).status_code == 404


@pytest.mark.parametrize("object_id", ["x", "99999", "-1", "²"])
def test_view_on_site_is_404_for_unknown_objects(staff_client, issue, object_id):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Issue).pk
    assert staff_client.get(f"/admin/r/{content_type}/{object_id}/").status_code == 404


def test_view_on_site_still_works_for_superusers(root_client, foreign_issue):
    response = root_client.get(view_on_site_url(foreign_issue))
    assert response.status_code == 302
    assert response["Location"].endswith("/projects/OPS/issues/1/")


def member_picker(client, term: str):
    return client.get(
        "/admin/autocomplete/",
        {
            "app_label": "issues",
            "model_name": "membership",
            "field_name": "user",
            "term": term,
        },
    )


def test_member_picker_lists_no_accounts_for_a_partial_term(staff_client, outsider):
    outsider.email = "olga@example.com"
    outsider.save()
    for term in ("", "o", "olg", "example.com", "@"):
        response = member_picker(staff_client, term)
        assert response.status_code == 200
        assert response.json()["results"] == [], term


@pytest.mark.parametrize("term", ["olga", "OLGA", "olga@example.com", " Olga@Example.com "])
def test_member_picker_finds_an_account_by_exact_username_or_email(staff_client, outsider, term):
    outsider.email = "olga@example.com"
    outsider.save()
    response = member_picker(staff_client, term)
    assert response.json()["results"] == [{"id": str(outsider.pk), "text": "olga"}]
    assert "example.com" not in response.content.decode()
