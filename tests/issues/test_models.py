"""The rules about one row (model validation) and the database constraints behind them.

Each rule is checked twice where it can be: `full_clean()` gives a person a message, and the
database refuses the same bad row when something bypasses validation.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from issues import operations
from issues.models import (
    Issue,
    Kind,
    Label,
    Membership,
    Priority,
    Project,
    Status,
    StatusCategory,
    Transition,
)
from tests.factories import IssueFactory, LabelFactory, ProjectFactory, UserFactory


def messages(error: ValidationError, field: str) -> list[str]:
    return error.value.message_dict[field]


def refused_by_database(save) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


# Projects and members ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["WEB", "W2", "ABCDEFGHIJ", "A1B2"])
def test_project_key_of_capitals_and_digits_is_accepted(db, key):
    Project(key=key, name="Web").full_clean()


@pytest.mark.parametrize("key", ["W", "web", "Web", "2WEB", "WEB-1", "WE B", "ABCDEFGHIJK", ""])
def test_project_key_outside_the_format_is_refused(db, key):
    with pytest.raises(ValidationError) as error:
        Project(key=key, name="Web").full_clean()
    assert "key" in error.value.message_dict


def test_project_key_is_unique(project):
    with pytest.raises(ValidationError) as error:
        Project(key="WEB", name="Another").full_clean()
    assert "key" in error.value.message_dict


def test_project_key_cannot_change_once_created(project):
    project.key = "APP"
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert messages(error, "key") == [
        "A project's key cannot change: issue keys and links depend on it."
    ]


def test_project_name_can_change(project):
    project.name = "Storefront"
    project.full_clean()


def test_membership_is_unique_per_project_and_user(project, member):
    refused_by_database(lambda: Membership.objects.create(project=project, user=member))


def test_superuser_acts_as_admin_of_every_project(project):
    root = UserFactory(is_superuser=True)
    assert project.role_of(root) == "admin"


def test_outsider_has_no_role(project, outsider):
    assert project.role_of(outsider) is None


# Statuses ----------------------------------------------------------------------------------


def test_status_name_is_unique_per_project_ignoring_case(project):
    with pytest.raises(ValidationError) as error:
        Status(project=project, name="to DO", category=StatusCategory.TODO).full_clean()
    assert "This project already has a status with this name." in error.value.messages


def test_same_status_name_is_allowed_in_another_project(project):
    other = ProjectFactory()
    Status(project=other, name="QA", category=StatusCategory.TODO).full_clean()
    Status(project=project, name="QA", category=StatusCategory.TODO).full_clean()


def test_database_refuses_a_status_name_clash_ignoring_case(project):
    refused_by_database(
        lambda: Status.objects.create(project=project, name="IN PROGRESS", category="todo")
    )


def test_status_name_cannot_be_blank(project):
    with pytest.raises(ValidationError) as error:
        Status(project=project, name="   ", category=StatusCategory.TODO).full_clean()
    assert messages(error, "name") == ["A status needs a name."]


def test_project_has_one_default_status(project):
    assert list(project.statuses.filter(is_default=True).values_list("name", flat=True)) == [
        "To do"
    ]


def test_second_default_status_is_refused(project):
    with pytest.raises(ValidationError) as error:
        Status(project=project, name="QA", category="todo", is_default=True).full_clean()
    assert "A project has exactly one default status." in error.value.messages


def test_database_refuses_a_second_default_status(project):
    refused_by_database(
        lambda: Status.objects.create(project=project, name="QA", category="todo", is_default=True)
    )


def test_default_status_cannot_simply_be_unset(project, status):
    to_do = status("To do")
    to_do.is_default = False
    with pytest.raises(ValidationError) as error:
        to_do.full_clean()
    assert messages(error, "is_default") == [
        "A project needs a default status: make another status the default instead."
    ]


def test_set_default_status_moves_the_default(project, admin_user, status):
    operations.set_default_status(status=status("Backlog"), actor=admin_user)
    assert project.default_status() == status("Backlog")


def test_only_admins_change_the_default_status(project, member, status):
    with pytest.raises(operations.PermissionDenied):
        operations.set_default_status(status=status("Backlog"), actor=member)
    assert project.default_status() == status("To do")


@pytest.mark.parametrize("color", ["#1a7f37", "#ABCDEF", "#abcdef"])
def test_status_colour_as_hex_is_accepted(project, color):
    Status(project=project, name="QA", category="todo", color=color).full_clean()


@pytest.mark.parametrize("color", ["red", "#fff", "1a7f37", "#1a7f3z", "#1a7f377", "#1a7f37\n"])
def test_status_colour_must_be_hex_rrggbb(project, color):
    with pytest.raises(ValidationError) as error:
        Status(project=project, name="QA", category="todo", color=color).full_clean()
    assert "Enter a colour as #rrggbb." in messages(error, "color")


@pytest.mark.parametrize("limit", [None, 1, 5])
def test_wip_limit_is_positive_or_empty(project, limit):
    Status(project=project, name="QA", category="todo", wip_limit=limit).full_clean()


def test_wip_limit_of_zero_is_refused(project):
    with pytest.raises(ValidationError) as error:
        Status(project=project, name="QA", category="todo", wip_limit=0).full_clean()
    assert "wip_limit" in error.value.message_dict


def test_database_refuses_a_wip_limit_of_zero(project, status):
    refused_by_database(
        lambda: Status.objects.filter(pk=status("In progress").pk).update(wip_limit=0)
    )


def test_closed_statuses_are_done_and_canceled(project):
    closed = {s.name for s in project.statuses.all() if s.is_closed}
    assert closed == {"Done", "Canceled"}


# Transitions -------------------------------------------------------------------------------


def test_transition_between_statuses_of_its_project_is_valid(project, status):
    Transition(project=project, from_status=status("To do"), to_status=status("Done")).clean()


def test_transition_to_a_status_of_another_project_is_refused(project, status):
    foreign = ProjectFactory().statuses.get(name="Done")
    with pytest.raises(ValidationError) as error:
        Transition(project=project, from_status=status("To do"), to_status=foreign).clean()
    assert error.value.messages == ["Both statuses of a transition belong to its project."]


def test_transition_to_the_same_status_is_refused(project, status):
    with pytest.raises(ValidationError) as error:
        Transition(project=project, from_status=status("To do"), to_status=status("To do")).clean()
    assert error.value.messages == ["A transition goes to another status."]


def test_transition_without_a_target_reports_the_missing_field_only(project, status):
    transition = Transition(project=project, from_status=status("To do"))
    with pytest.raises(ValidationError) as error:
        transition.full_clean()
    assert set(error.value.message_dict) == {"to_status"}


def test_database_refuses_a_duplicate_transition(project, status):
    Transition.objects.create(
        project=project, from_status=status("To do"), to_status=status("Done")
    )
    refused_by_database(
        lambda: Transition.objects.create(
            project=project, from_status=status("To do"), to_status=status("Done")
        )
    )


# Labels ------------------------------------------------------------------------------------


def test_project_starts_with_the_default_labels(project):
    assert sorted(project.labels.values_list("name", flat=True)) == [
        "Bug fix",
        "Customer feedback",
        "Improvement",
        "Refactoring",
        "Tech debt",
    ]


def test_label_name_is_unique_per_project_ignoring_case(project):
    with pytest.raises(ValidationError) as error:
        Label(project=project, name="BUG FIX").full_clean()
    assert "This project already has a label with this name." in error.value.messages


def test_same_label_name_is_allowed_in_another_project(project):
    Label(project=ProjectFactory(), name="Onboarding").full_clean()
    Label(project=project, name="Onboarding").full_clean()


def test_database_refuses_a_label_name_clash_ignoring_case(project):
    refused_by_database(lambda: Label.objects.create(project=project, name="tech DEBT"))


def test_label_name_of_50_characters_is_accepted(project):
    Label(project=project, name="x" * 50).full_clean()


def test_label_name_longer_than_50_characters_is_refused(project):
    with pytest.raises(ValidationError) as error:
        Label(project=project, name="x" * 51).full_clean()
    assert "name" in error.value.message_dict


def test_label_name_cannot_be_blank(project):
    with pytest.raises(ValidationError) as error:
        Label(project=project, name="   ").full_clean()
    assert messages(error, "name") == ["A label needs a name."]


def test_label_colour_must_be_hex_rrggbb(project):
    with pytest.raises(ValidationError) as error:
        Label(project=project, name="Design", color="blue").full_clean()
    assert messages(error, "color") == ["Enter a colour as #rrggbb."]


# Issues: fields ----------------------------------------------------------------------------


def test_issue_key_is_project_key_and_number(issue):
    assert issue.key == "WEB-1"
    assert str(issue) == "WEB-1 Checkout button does nothing"


def test_title_of_200_characters_is_accepted(issue):
    issue.title = "x" * 200
    issue.full_clean()


def test_title_longer_than_200_characters_is_refused(issue):
    issue.title = "x" * 201
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "title" in error.value.message_dict


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_blank_title_is_refused(issue, title):
    issue.title = title
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "title" in error.value.message_dict


def test_database_refuses_an_empty_title(issue):
    refused_by_database(lambda: Issue.objects.filter(pk=issue.pk).update(title=""))


@pytest.mark.parametrize("estimate", [None, 0, 1, 100])
def test_estimate_is_empty_or_0_to_100(issue, estimate):
    issue.estimate = estimate
    issue.full_clean()


@pytest.mark.parametrize("estimate", [-1, 101, 1000])
def test_estimate_outside_0_to_100_is_refused(issue, estimate):
    issue.estimate = estimate
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "estimate" in error.value.message_dict


def test_database_refuses_an_estimate_above_100(issue):
    refused_by_database(lambda: Issue.objects.filter(pk=issue.pk).update(estimate=101))


def test_database_refuses_an_unknown_priority(issue):
    refused_by_database(lambda: Issue.objects.filter(pk=issue.pk).update(priority=5))


def test_priorities_are_ordered():
    assert Priority.NONE < Priority.LOW < Priority.MEDIUM < Priority.HIGH < Priority.URGENT


def test_priority_slug_round_trips():
    assert [p.slug for p in Priority] == ["none", "low", "medium", "high", "urgent"]
    assert all(Priority.from_slug(p.slug) is p for p in Priority)


def test_unknown_priority_slug_is_an_error():
    with pytest.raises(ValueError):
        Priority.from_slug("critical")


def test_database_refuses_a_second_issue_with_the_same_number(issue):
    refused_by_database(
        lambda: Issue.objects.create(
            project=issue.project, number=issue.number, title="Copy", status=issue.status, rank="b0"
        )
    )


def test_database_refuses_two_issues_with_the_same_rank(issue):
    refused_by_database(
        lambda: Issue.objects.create(
            project=issue.project, number=99, title="Copy", status=issue.status, rank=issue.rank
        )
    )


def test_same_number_and_rank_are_fine_in_another_project(issue):
    other = IssueFactory(project=ProjectFactory())
    assert (other.number, other.rank) == (issue.number, issue.rank)


def test_assignee_must_be_a_member(issue, outsider):
    issue.assignee = outsider
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert messages(error, "assignee") == ["The assignee must be a member of the project."]


def test_status_must_belong_to_the_issue_project(issue):
    issue.status = ProjectFactory().statuses.get(name="Done")
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert messages(error, "status") == ["That status belongs to another project."]


def test_unknown_kind_is_a_field_error_not_a_crash(issue):
    issue.kind = "saga"
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    assert "kind" in error.value.message_dict


# Issues: hierarchy -------------------------------------------------------------------------


@pytest.fixture
def epic(project, member):
    return IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout revamp")


@pytest.fixture
def story(project, member, epic):
    return IssueFactory(project=project, actor=member, parent=epic, title="Pay with Apple Pay")


@pytest.fixture
def subtask(project, member, story):
    return IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)


def hierarchy_error(issue: Issue) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        issue.full_clean()
    return error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "level"),
    [(Kind.EPIC, 0), (Kind.STORY, 1), (Kind.TASK, 1), (Kind.BUG, 1), (Kind.SUBTASK, 2)],
)
def test_kind_levels(kind, level):
    assert Issue(kind=kind).level == level == kind.level


@pytest.mark.parametrize("kind", [Kind.STORY, Kind.TASK, Kind.BUG, Kind.EPIC])
def test_issue_may_stand_alone(project, member, kind):
    IssueFactory(project=project, actor=member, kind=kind).full_clean()


@pytest.mark.parametrize("kind", [Kind.STORY, Kind.TASK, Kind.BUG])
def test_story_task_and_bug_go_under_an_epic(epic, kind):
    Issue(project=epic.project, status=epic.status, kind=kind, title="x", parent=epic).clean()


@pytest.mark.parametrize("kind", [Kind.STORY, Kind.TASK, Kind.BUG])
def test_subtask_goes_under_a_story_task_or_bug(project, member, kind):
    parent = IssueFactory(project=project, actor=member, kind=kind)
    Issue(
        project=project, status=parent.status, kind=Kind.SUBTASK, title="x", parent=parent
    ).clean()


def test_subtask_without_parent_is_refused(issue):
    issue.kind = Kind.SUBTASK
    assert hierarchy_error(issue)["parent"] == ["A subtask needs a parent story, task or bug."]


def test_epic_with_parent_is_refused(epic, project, member):
    other_epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    other_epic.parent = epic
    assert hierarchy_error(other_epic)["parent"] == ["An epic cannot have a parent."]


def test_story_under_a_story_is_refused(story, issue):
    issue.parent = story
    assert hierarchy_error(issue)["parent"] == [
        "A story can only go under an epic, not under a story."
    ]


def test_subtask_under_an_epic_is_refused(subtask, epic):
    subtask.parent = epic
    assert hierarchy_error(subtask)["parent"] == [
        "A subtask can only go under a story, task or bug, not under an epic."
    ]


def test_subtask_under_a_subtask_is_refused(subtask, project, member):
    other = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK)
    other.parent = subtask
    assert hierarchy_error(other)["parent"] == [
        "A subtask can only go under a story, task or bug, not under a subtask."
    ]


def test_parent_in_another_project_is_refused(issue):
    issue.parent = IssueFactory(project=ProjectFactory(), kind=Kind.EPIC)
    assert hierarchy_error(issue)["parent"] == ["The parent must be in the same project."]


def test_issue_cannot_be_its_own_parent(issue):
    issue.parent = issue
    assert hierarchy_error(issue)["parent"] == ["An issue cannot be its own parent."]


def test_story_with_subtasks_cannot_become_a_subtask(story, subtask, epic):
    story.kind = Kind.SUBTASK
    story.parent = IssueFactory(project=story.project, kind=Kind.TASK)
    assert hierarchy_error(story)["kind"] == [
        "This issue has children (subtask) that cannot sit under a subtask; move them first."
    ]


def test_epic_with_stories_cannot_become_a_story(epic, story):
    epic.kind = Kind.STORY
    assert hierarchy_error(epic)["kind"] == [
        "This issue has children (story) that cannot sit under a story; move them first."
    ]


def test_story_with_subtasks_can_become_a_bug(story, subtask):
    story.kind = Kind.BUG
    story.full_clean()


def test_database_refuses_an_epic_with_a_parent(epic, story):
    refused_by_database(lambda: Issue.objects.filter(pk=story.pk).update(kind=Kind.EPIC))


def test_database_refuses_a_subtask_without_parent(issue):
    refused_by_database(lambda: Issue.objects.filter(pk=issue.pk).update(kind=Kind.SUBTASK))


def test_status_with_issues_cannot_be_deleted(issue):
    with pytest.raises(RestrictedError):
        issue.status.delete()
    assert Issue.objects.filter(pk=issue.pk).exists()


def test_parent_with_children_cannot_be_deleted_directly(epic, story):
    with pytest.raises(RestrictedError):
        epic.delete()
    assert Issue.objects.filter(pk=epic.pk).exists()


def test_deleting_a_project_deletes_its_workflow_and_issues(project, subtask):
    operations.add_comment(issue=subtask, actor=subtask.reporter, body="Done on staging.")
    project.delete()
    assert not Issue.objects.exists()
    assert not Status.objects.exists()
    assert not Label.objects.exists()


def test_epic_of_an_epic_is_none(epic):
    assert epic.epic is None


def test_epic_of_a_story_is_its_parent(epic, story):
    assert story.epic == epic


def test_epic_of_a_subtask_is_its_story_epic(epic, subtask):
    assert subtask.epic == epic


def test_standalone_story_has_no_epic(issue):
    assert issue.epic is None


def test_ancestors_run_from_the_epic_down(epic, story, subtask):
    assert subtask.ancestors() == [epic, story]


# Issues: parents' progress -----------------------------------------------------------------


def test_parent_shows_children_done_and_estimate_sum(project, member, epic, status):
    for estimate, status_name in [(3, "Done"), (5, "To do"), (None, "Done"), (2, "Canceled")]:
        IssueFactory(
            project=project,
            actor=member,
            parent=epic,
            estimate=estimate,
            status=status(status_name),
        )
    annotated = Issue.objects.with_child_progress().get(pk=epic.pk)
    assert (annotated.child_count, annotated.child_done_count) == (4, 2)
    assert annotated.child_estimate_sum == 10


def test_issue_without_children_shows_no_progress(issue):
    annotated = Issue.objects.with_child_progress().get(pk=issue.pk)
    assert (annotated.child_count, annotated.child_done_count) == (0, 0)
    assert annotated.child_estimate_sum is None


def test_child_progress_takes_one_query_whatever_the_number_of_children(
    project, member, django_assert_num_queries
):
    epics = [IssueFactory(project=project, actor=member, kind=Kind.EPIC) for _ in range(3)]
    for epic in epics:
        for _ in range(4):
            IssueFactory(project=project, actor=member, parent=epic, estimate=2)
    with django_assert_num_queries(1):
        rows = list(Issue.objects.filter(kind=Kind.EPIC).with_child_progress())
    assert [(row.child_count, row.child_estimate_sum) for row in rows] == [(4, 8)] * 3


def test_cards_show_status_assignee_epic_and_labels_in_fixed_queries(
    project, member, django_assert_num_queries
):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    for _ in range(5):
        story = IssueFactory(project=project, actor=member, parent=epic, assignee=member)
        story_labels = list(project.labels.all()[:2])
        operations.update_issue(issue=story, actor=member, changes={"labels": story_labels})
        IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    with django_assert_num_queries(2):
        cards = list(Issue.objects.for_project(project).for_cards().ranked())
        shown = [
            (c.status.name, c.assignee, c.epic, [label.name for label in c.labels.all()])
            for c in cards
        ]
    assert len(shown) == 11


def test_label_factory_makes_project_labels(project):
    assert LabelFactory(project=project).project == project
