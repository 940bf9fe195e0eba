"""The domain operations: the one way every entry point changes projects, issues and comments.

Every refusal is checked to leave the database exactly as it was (`db_snapshot`).
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from issues import operations
from issues.models import (
    Comment,
    Issue,
    IssueEvent,
    Kind,
    Membership,
    Priority,
    Project,
    Role,
    Source,
    Status,
    Transition,
)
from tests.factories import CommentFactory, IssueFactory, ProjectFactory, UserFactory


def events(issue: Issue, field: str) -> list[tuple[str, str]]:
    return [
        (event.old_value, event.new_value)
        for event in IssueEvent.objects.filter(issue=issue, field=field).order_by("id")
    ]


def fresh(issue: Issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def column(project: Project, name: str) -> list[str]:
    """The titles in a board column, top to bottom."""
    return list(
        Issue.objects.filter(project=project, status__name=name)
        .order_by("rank")
        .values_list("title", flat=True)
    )


def issue_updates(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "issues_issue"')
    ]


def set_wip_limit(status: Status, limit: int | None) -> Status:
    Status.objects.filter(pk=status.pk).update(wip_limit=limit)
    status.refresh_from_db()
    return status


@pytest.fixture
def epic(project, member):
    return IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout revamp")


# create_project ----------------------------------------------------------------------------


def test_new_project_gets_the_default_workflow_in_order(db):
    project = operations.create_project(key="APP", name="Mobile app")
    statuses = list(project.statuses.values_list("name", "category", "position", "is_default"))
    assert statuses == [
        ("Triage", "triage", 0, False),
        ("Backlog", "backlog", 1, False),
        ("To do", "todo", 2, True),
        ("In progress", "in_progress", 3, False),
        ("In review", "in_progress", 4, False),
        ("Done", "done", 5, False),
        ("Canceled", "canceled", 6, False),
    ]


def test_new_project_gets_the_default_labels(db):
    project = operations.create_project(key="APP", name="Mobile app")
    assert set(project.labels.values_list("name", flat=True)) == {
        "Bug fix",
        "Tech debt",
        "Refactoring",
        "Improvement",
        "Customer feedback",
    }


def test_new_project_owner_becomes_its_admin(db):
    owner = UserFactory()
    project = operations.create_project(key="APP", name="Mobile app", owner=owner)
    assert project.role_of(owner) == Role.ADMIN


def test_new_project_starts_numbering_at_one(db):
    assert operations.create_project(key="APP", name="Mobile app").next_number == 1


def test_project_workflow_and_labels_are_created_in_one_transaction(db, monkeypatch):
    """If the labels cannot be created, neither is the project nor its workflow."""
    monkeypatch.setattr(
        operations,
        "DEFAULT_LABELS",
        [("Bug fix", "#d73a4a", ""), ("BUG FIX", "#d73a4a", "")],
    )
    with pytest.raises(IntegrityError):
        operations.create_project(key="APP", name="Mobile app")
    assert not Project.objects.filter(key="APP").exists()
    assert not Status.objects.exists()


@pytest.mark.parametrize("key", ["app", "A", "APP-1", "ABCDEFGHIJK"])
def test_project_with_a_bad_key_is_refused(db, key):
    with pytest.raises(ValidationError):
        operations.create_project(key=key, name="Mobile app")
    assert not Project.objects.exists()


def test_project_key_is_unique(project, db_snapshot):
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.create_project(key="WEB", name="Another web app")
    assert db_snapshot() == before


def test_add_member_changes_an_existing_role(project, member):
    operations.add_member(project=project, user=member, role=Role.VIEWER)
    assert Membership.objects.get(project=project, user=member).role == Role.VIEWER


def test_add_member_refuses_an_unknown_role(project, outsider):
    with pytest.raises(ValidationError):
        operations.add_member(project=project, user=outsider, role="owner")
    assert project.role_of(outsider) is None


# create_issue ------------------------------------------------------------------------------


def create(project, actor, **fields) -> Issue:
    return operations.create_issue(project=project, actor=actor, **{"title": "A title", **fields})


def test_issue_numbers_count_up_per_project(project, member):
    numbers = [create(project, member).number for _ in range(3)]
    other = ProjectFactory()
    assert numbers == [1, 2, 3]
    assert IssueFactory(project=other).number == 1
    project.refresh_from_db()
    assert project.next_number == 4


def test_issue_numbers_are_never_reused_after_a_delete(project, member, admin_user):
    create(project, member)
    last = create(project, member)
    operations.delete_issue(issue=last, actor=admin_user)
    assert create(project, member).key == "WEB-3"


def test_reporter_is_whoever_created_the_issue(project, member):
    assert create(project, member).reporter == member


def test_new_issue_lands_in_the_default_status(project, member):
    assert create(project, member).status.name == "To do"


def test_new_issue_goes_to_the_bottom_of_the_project_order(project, member):
    first, second = create(project, member, title="First"), create(project, member, title="Second")
    assert first.rank < second.rank
    assert column(project, "To do") == ["First", "Second"]


def test_new_issue_keeps_every_field_given(project, member, epic, status):
    labels = list(project.labels.filter(name__in=["Bug fix", "Customer feedback"]))
    issue = create(
        project,
        member,
        title="  Coupon code is ignored at checkout  ",
        kind=Kind.BUG,
        status=status("Backlog"),
        description="Steps:\n\n1. Add a **coupon**",
        priority=Priority.HIGH,
        assignee=member,
        labels=labels,
        parent=epic,
        estimate=3,
        source=Source.SUPPORT_TICKET,
        due_date=datetime.date(2026, 3, 1),
    )
    issue = fresh(issue)
    assert issue.title == "Coupon code is ignored at checkout"
    assert (issue.kind, issue.status.name, issue.priority) == (Kind.BUG, "Backlog", Priority.HIGH)
    assert (issue.assignee, issue.parent, issue.estimate) == (member, epic, 3)
    assert (issue.source, issue.due_date) == (Source.SUPPORT_TICKET, datetime.date(2026, 3, 1))
    assert set(issue.labels.all()) == set(labels)
    assert issue.version == 1
    assert issue.resolved_at is None


def test_creation_is_logged(project, member):
    issue = create(project, member, title="Search ignores accents")
    assert events(issue, "created") == [("", "Search ignores accents")]


def test_issue_created_as_done_is_resolved(project, member, status):
    assert create(project, member, status=status("Done")).resolved_at is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"estimate": -1}, "estimate"),
        ({"estimate": 101}, "estimate"),
        ({"kind": "saga"}, "kind"),
        ({"kind": Kind.SUBTASK}, "parent"),
        ({"priority": 7}, "priority"),
        ({"source": "carrier_pigeon"}, "source"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_created(project, member, db_snapshot, fields, field):
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, **fields)
    assert field in error.value.message_dict
    assert db_snapshot() == before


def test_blank_title_gets_one_clear_message(project, member):
    with pytest.raises(ValidationError) as error:
        create(project, member, title="  ")
    assert error.value.message_dict == {"title": ["An issue needs a title."]}


def test_title_of_200_characters_is_accepted(project, member):
    assert len(create(project, member, title="x" * 200).title) == 200


def test_labels_of_another_project_are_refused(project, member, db_snapshot):
    foreign = ProjectFactory().labels.first()
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, labels=[project.labels.first(), foreign])
    assert error.value.message_dict == {"labels": ["Labels must belong to the issue's project."]}
    assert db_snapshot() == before


def test_assignee_who_is_not_a_member_is_refused(project, member, outsider, db_snapshot):
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, assignee=outsider)
    assert error.value.message_dict == {
        "assignee": ["The assignee must be a member of the project."]
    }
    assert db_snapshot() == before


def test_status_of_another_project_is_refused(project, member, db_snapshot):
    foreign = ProjectFactory().statuses.get(name="To do")
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, status=foreign)
    assert error.value.message_dict == {"status": ["That status belongs to another project."]}
    assert db_snapshot() == before


def test_parent_in_another_project_is_refused(project, member, db_snapshot):
    foreign_epic = IssueFactory(project=ProjectFactory(), kind=Kind.EPIC)
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, parent=foreign_epic)
    assert error.value.message_dict == {"parent": ["The parent must be in the same project."]}
    assert db_snapshot() == before


def test_viewer_cannot_create_issues(project, viewer, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        create(project, viewer)
    assert db_snapshot() == before


def test_outsider_cannot_create_issues(project, outsider, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        create(project, outsider)
    assert db_snapshot() == before


def test_creating_into_a_column_at_its_wip_limit_is_refused(project, member, status, db_snapshot):
    in_progress = set_wip_limit(status("In progress"), 1)
    create(project, member, status=in_progress)
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        create(project, member, status=in_progress)
    assert "WIP limit (1 / 1)" in error.value.messages[0]
    assert db_snapshot() == before


# update_issue: every field is logged -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "logged"),
    [
        (
            "title",
            "Checkout button ignores clicks",
            ("Checkout button does nothing", "Checkout button ignores clicks"),
        ),
        ("description", "It *really* does nothing.", ("", "It *really* does nothing.")),
        ("kind", Kind.BUG, ("Story", "Bug")),
        ("priority", Priority.URGENT, ("No priority", "Urgent")),
        ("estimate", 8, ("", "8")),
        ("source", Source.IN_APP_FEEDBACK, ("Internal", "In-app feedback")),
        ("due_date", datetime.date(2026, 4, 30), ("", "2026-04-30")),
    ],
)
def test_each_field_change_is_logged_with_old_and_new_value(issue, member, field, value, logged):
    operations.update_issue(issue=issue, actor=member, changes={field: value})
    assert getattr(fresh(issue), field) == value
    assert events(issue, field) == [logged]
    event = IssueEvent.objects.get(issue=issue, field=field)
    assert event.actor == member


def test_clearing_a_field_is_logged(issue, member):
    operations.update_issue(issue=issue, actor=member, changes={"estimate": 5})
    operations.update_issue(issue=issue, actor=member, changes={"estimate": None})
    assert events(issue, "estimate") == [("", "5"), ("5", "")]


def test_status_change_keeps_the_old_and_new_status(issue, member, status):
    operations.update_issue(issue=issue, actor=member, changes={"status": status("In progress")})
    event = IssueEvent.objects.get(issue=issue, field="status")
    assert (event.old_value, event.new_value) == ("To do", "In progress")
    assert (event.old_status, event.new_status) == (status("To do"), status("In progress"))


def test_status_events_survive_a_rename(issue, member, status):
    operations.update_issue(issue=issue, actor=member, changes={"status": status("In progress")})
    Status.objects.filter(name="In progress").update(name="Doing")
    assert IssueEvent.objects.get(issue=issue, field="status").new_status.name == "Doing"


def test_assignee_change_is_logged(issue, member, other_member):
    operations.update_issue(issue=issue, actor=member, changes={"assignee": other_member})
    operations.update_issue(issue=issue, actor=member, changes={"assignee": None})
    assert events(issue, "assignee") == [("", "bob"), ("bob", "")]


def test_parent_change_is_logged(issue, member, epic):
    operations.update_issue(issue=issue, actor=member, changes={"parent": epic})
    assert fresh(issue).parent == epic
    assert events(issue, "parent") == [("", epic.key)]


def test_labels_added_and_removed_are_logged_one_by_one(issue, member, project):
    bug_fix, debt, feedback = (
        project.labels.get(name=name) for name in ("Bug fix", "Tech debt", "Customer feedback")
    )
    operations.update_issue(issue=issue, actor=member, changes={"labels": [bug_fix, debt]})
    operations.update_issue(issue=issue, actor=member, changes={"labels": [debt, feedback]})
    assert set(fresh(issue).labels.all()) == {debt, feedback}
    assert events(issue, "labels") == [
        ("", "Bug fix"),
        ("", "Tech debt"),
        ("", "Customer feedback"),
        ("Bug fix", ""),
    ]


def test_each_change_bumps_the_version_and_updated_at(issue, member):
    updated = operations.update_issue(issue=issue, actor=member, changes={"priority": Priority.LOW})
    assert updated.version == fresh(issue).version == 2
    assert updated.updated_at > issue.updated_at


def test_change_to_the_same_values_writes_nothing(issue, member, db_snapshot):
    before = db_snapshot()
    operations.update_issue(
        issue=issue, actor=member, changes={"title": issue.title, "labels": [], "estimate": None}
    )
    assert db_snapshot() == before


def test_several_fields_change_in_one_version(issue, member):
    operations.update_issue(
        issue=issue, actor=member, changes={"priority": Priority.HIGH, "estimate": 3}
    )
    assert fresh(issue).version == 2
    assert IssueEvent.objects.filter(issue=issue).exclude(field="created").count() == 2


def test_unknown_fields_are_refused(issue, member, db_snapshot):
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        operations.update_issue(issue=issue, actor=member, changes={"number": 7, "rank": "a0"})
    assert error.value.messages == ["These fields cannot be changed: number, rank."]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": " "}, "title"),
        ({"estimate": -3}, "estimate"),
        ({"estimate": "lots"}, "estimate"),
        ({"priority": 9}, "priority"),
        ({"kind": Kind.SUBTASK}, "parent"),
        ({"status": None}, "status"),
        ({"assignee": "alice"}, "assignee"),
        ({"due_date": "someday"}, "due_date"),
    ],
)
def test_bad_changes_are_refused_and_nothing_changes(issue, member, db_snapshot, changes, field):
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        operations.update_issue(issue=issue, actor=member, changes=changes)
    assert field in error.value.message_dict
    assert db_snapshot() == before


def test_update_refuses_a_status_of_another_project(issue, member, db_snapshot):
    foreign = ProjectFactory().statuses.get(name="Done")
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.update_issue(issue=issue, actor=member, changes={"status": foreign})
    assert db_snapshot() == before


def test_update_refuses_labels_of_another_project(issue, member, db_snapshot):
    foreign = ProjectFactory().labels.first()
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.update_issue(issue=issue, actor=member, changes={"labels": [foreign]})
    assert db_snapshot() == before


def test_update_refuses_an_assignee_who_is_not_a_member(issue, member, outsider, db_snapshot):
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.update_issue(issue=issue, actor=member, changes={"assignee": outsider})
    assert db_snapshot() == before


def test_story_with_subtasks_cannot_become_a_subtask(project, member, epic, db_snapshot):
    story = IssueFactory(project=project, actor=member, parent=epic)
    IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    task = IssueFactory(project=project, actor=member, kind=Kind.TASK)
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        operations.update_issue(
            issue=story, actor=member, changes={"kind": Kind.SUBTASK, "parent": task}
        )
    assert error.value.message_dict["kind"] == [
        "This issue has children (subtask) that cannot sit under a subtask; move them first."
    ]
    assert db_snapshot() == before


def test_story_can_become_an_epic_when_its_parent_goes_too(project, member, epic):
    story = IssueFactory(project=project, actor=member, parent=epic)
    operations.update_issue(issue=story, actor=member, changes={"kind": Kind.EPIC, "parent": None})
    assert (fresh(story).kind, fresh(story).parent) == (Kind.EPIC, None)


def test_viewer_cannot_edit_issues(issue, viewer, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.update_issue(issue=issue, actor=viewer, changes={"title": "Mine now"})
    assert db_snapshot() == before


# update_issue: versions --------------------------------------------------------------------


def test_edit_of_the_current_version_is_saved(issue, member):
    operations.update_issue(
        issue=issue, actor=member, changes={"title": "New title"}, expected_version=1
    )
    assert fresh(issue).title == "New title"


def test_edit_of_a_stale_version_is_refused_with_the_newer_issue(
    issue, member, other_member, db_snapshot
):
    operations.update_issue(issue=issue, actor=other_member, changes={"title": "Bob's title"})
    before = db_snapshot()
    with pytest.raises(operations.Conflict) as conflict:
        operations.update_issue(
            issue=issue, actor=member, changes={"title": "Alice's title"}, expected_version=1
        )
    assert conflict.value.current.title == "Bob's title"
    assert conflict.value.current.version == 2
    assert "WEB-1 was changed by someone else" in str(conflict.value)
    assert db_snapshot() == before


# Status changes and moves: the workflow ----------------------------------------------------


def move(issue, actor, status, **neighbours) -> Issue:
    return operations.move_issue(issue=fresh(issue), actor=actor, status=status, **neighbours)


def test_without_transitions_every_move_is_allowed(issue, member, status):
    for name in ["Done", "Triage", "In review", "Canceled", "To do"]:
        move(issue, member, status(name))
    assert fresh(issue).status.name == "To do"


def test_with_transitions_only_those_moves_are_allowed(project, issue, member, status, db_snapshot):
    Transition.objects.create(
        project=project, from_status=status("To do"), to_status=status("In progress")
    )
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        move(issue, member, status("Done"))
    assert error.value.messages == ["The workflow does not allow moving from “To do” to “Done”."]
    assert db_snapshot() == before
    move(issue, member, status("In progress"))
    assert fresh(issue).status.name == "In progress"


def test_transitions_also_hold_for_edits(project, issue, member, status, db_snapshot):
    Transition.objects.create(
        project=project, from_status=status("To do"), to_status=status("In progress")
    )
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.update_issue(issue=issue, actor=member, changes={"status": status("Done")})
    assert db_snapshot() == before


def test_transitions_of_one_status_do_not_restrict_another(project, issue, member, status):
    Transition.objects.create(
        project=project, from_status=status("Backlog"), to_status=status("To do")
    )
    move(issue, member, status("Done"))
    assert fresh(issue).status.name == "Done"


def test_moving_into_a_column_at_its_wip_limit_is_refused_with_the_limit(
    project, member, status, db_snapshot
):
    in_progress = set_wip_limit(status("In progress"), 2)
    for _ in range(2):
        IssueFactory(project=project, actor=member, status=in_progress)
    waiting = IssueFactory(project=project, actor=member)
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        move(waiting, member, in_progress)
    assert error.value.messages == [
        "“In progress” is at its WIP limit (2 / 2): finish something there first."
    ]
    assert db_snapshot() == before


def test_edit_into_a_column_at_its_wip_limit_is_refused(project, member, status, db_snapshot):
    in_review = set_wip_limit(status("In review"), 1)
    IssueFactory(project=project, actor=member, status=in_review)
    waiting = IssueFactory(project=project, actor=member)
    before = db_snapshot()
    with pytest.raises(ValidationError):
        operations.update_issue(issue=waiting, actor=member, changes={"status": in_review})
    assert db_snapshot() == before


def test_reordering_inside_a_full_column_is_allowed(project, member, status):
    in_progress = set_wip_limit(status("In progress"), 2)
    top, bottom = (
        IssueFactory(project=project, actor=member, status=in_progress, title=title)
        for title in ("Top", "Bottom")
    )
    move(bottom, member, in_progress, before=top)
    assert column(project, "In progress") == ["Bottom", "Top"]


def test_moving_into_a_column_below_its_limit_is_allowed(project, member, status):
    in_progress = set_wip_limit(status("In progress"), 2)
    IssueFactory(project=project, actor=member, status=in_progress)
    move(IssueFactory(project=project, actor=member), member, in_progress)
    assert Issue.objects.filter(status=in_progress).count() == 2


@pytest.mark.parametrize("closed", ["Done", "Canceled"])
def test_entering_a_closed_status_sets_resolved_at(issue, member, status, closed):
    assert move(issue, member, status(closed)).resolved_at is not None
    assert fresh(issue).resolved_at is not None


def test_leaving_a_closed_status_clears_resolved_at(issue, member, status):
    move(issue, member, status("Done"))
    move(issue, member, status("In progress"))
    assert fresh(issue).resolved_at is None


def test_moving_between_closed_statuses_keeps_resolved_at(issue, member, status):
    resolved_at = move(issue, member, status("Done")).resolved_at
    move(issue, member, status("Canceled"))
    assert fresh(issue).resolved_at == resolved_at


def test_edit_into_done_sets_resolved_at(issue, member, status):
    operations.update_issue(issue=issue, actor=member, changes={"status": status("Done")})
    assert fresh(issue).resolved_at is not None


def test_move_to_another_column_is_logged_and_bumps_the_version(issue, member, status):
    moved = move(issue, member, status("In progress"))
    assert moved.version == fresh(issue).version == 2
    event = IssueEvent.objects.get(issue=issue, field="status")
    assert (event.old_status, event.new_status, event.actor) == (
        status("To do"),
        status("In progress"),
        member,
    )


def test_reorder_inside_a_column_writes_no_event(project, member, status):
    top, bottom = (IssueFactory(project=project, actor=member) for _ in range(2))
    move(bottom, member, status("To do"), before=top)
    assert not IssueEvent.objects.filter(field="status").exists()


def test_move_to_another_column_writes_one_issue_row(project, member, status):
    IssueFactory(project=project, actor=member, status=status("In progress"))
    cards = [IssueFactory(project=project, actor=member) for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        move(cards[2], member, status("In progress"))
    assert len(issue_updates(queries)) == 1


def test_reorder_writes_one_issue_row(project, member, status):
    cards = [IssueFactory(project=project, actor=member) for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        move(cards[4], member, status("To do"), after=fresh(cards[0]), before=fresh(cards[1]))
    assert len(issue_updates(queries)) == 1


def test_reorder_touches_updated_at_so_open_boards_notice_it(project, member, status):
    cards = [IssueFactory(project=project, actor=member) for _ in range(3)]
    before = fresh(cards[2]).updated_at
    move(cards[2], member, status("To do"), before=fresh(cards[0]))
    moved = fresh(cards[2])
    assert moved.updated_at > before
    assert moved.version == cards[2].version  # A reorder does not make open edit forms stale.


def test_move_query_count_does_not_grow_with_the_column(project, member, status):
    def queries_for_a_move() -> int:
        cards = list(Issue.objects.filter(project=project).order_by("rank"))
        with CaptureQueriesContext(connection) as queries:
            move(cards[-1], member, status("To do"), after=cards[0], before=cards[1])
        return len(queries)

    for _ in range(3):
        IssueFactory(project=project, actor=member)
    small = queries_for_a_move()
    for _ in range(30):
        IssueFactory(project=project, actor=member)
    assert queries_for_a_move() == small


# Moves: neighbours -------------------------------------------------------------------------


@pytest.fixture
def cards(project, member):
    """Four cards in To do: A, B, C, D."""
    return {title: IssueFactory(project=project, actor=member, title=title) for title in "ABCD"}


def test_card_dropped_between_two_neighbours_lands_between_them(project, member, status, cards):
    move(cards["D"], member, status("To do"), after=cards["A"], before=cards["B"])
    assert column(project, "To do") == ["A", "D", "B", "C"]


def test_card_dropped_above_the_first_goes_to_the_top(project, member, status, cards):
    move(cards["C"], member, status("To do"), before=cards["A"])
    assert column(project, "To do") == ["C", "A", "B", "D"]


def test_card_dropped_below_the_last_goes_to_the_bottom(project, member, status, cards):
    move(cards["A"], member, status("To do"), after=cards["D"])
    assert column(project, "To do") == ["B", "C", "D", "A"]


def test_card_moved_without_neighbours_goes_to_the_bottom_of_its_new_column(
    project, member, status, cards
):
    in_progress = status("In progress")
    move(cards["A"], member, in_progress)
    move(cards["C"], member, in_progress)
    move(cards["B"], member, in_progress)
    assert column(project, "In progress") == ["A", "C", "B"]


def test_status_change_without_neighbours_keeps_the_backlog_order_when_it_can(
    project, member, status, cards
):
    """Moved without a position, a card goes under the column's last card, and only when
    it ranks above that card does it get a new place in the project's order."""
    in_progress = status("In progress")

    def backlog() -> list[str]:
        return list(
            Issue.objects.filter(project=project).order_by("rank").values_list("title", flat=True)
        )

    move(cards["A"], member, in_progress)
    move(cards["C"], member, in_progress)
    assert backlog() == ["A", "B", "C", "D"]
    move(cards["B"], member, in_progress)
    assert column(project, "In progress") == ["A", "C", "B"]
    assert backlog() == ["A", "C", "B", "D"]


def test_card_dropped_into_another_column_between_its_cards(project, member, status, cards):
    in_progress = status("In progress")
    move(cards["A"], member, in_progress)
    move(cards["B"], member, in_progress)
    move(cards["D"], member, in_progress, after=cards["A"], before=cards["B"])
    assert column(project, "In progress") == ["A", "D", "B"]
    assert column(project, "To do") == ["C"]


def test_card_already_in_place_is_not_written(project, member, status, cards):
    with CaptureQueriesContext(connection) as queries:
        move(cards["B"], member, status("To do"), after=cards["A"], before=cards["C"])
    assert issue_updates(queries) == []


def test_neighbours_ranks_are_read_from_the_database(project, member, status, cards):
    """The caller's copies may be older than a rebalance: the drop still lands where shown."""
    stale_a, stale_b = fresh(cards["A"]), fresh(cards["B"])
    operations.rebalance_ranks(project=project)
    move(cards["D"], member, status("To do"), after=stale_a, before=stale_b)
    assert column(project, "To do") == ["A", "D", "B", "C"]


@pytest.mark.parametrize(
    ("after", "before", "moved_away"),
    [("B", "A", None), ("A", "B", "A"), ("A", "B", "B")],
    ids=["reversed", "upper-neighbour-moved-away", "lower-neighbour-moved-away"],
)
def test_drop_on_a_stale_board_is_refused(
    project, member, status, cards, db_snapshot, after, before, moved_away
):
    """The board showed neighbours that are no longer so: reload rather than guess."""
    if moved_away:
        move(cards[moved_away], member, status("In progress"))
    snapshot = db_snapshot()
    with pytest.raises(ValidationError) as error:
        move(cards["D"], member, status("To do"), after=cards[after], before=cards[before])
    assert error.value.messages == ["The board is out of date: reload it and try again."]
    assert db_snapshot() == snapshot


def test_drop_into_a_gap_someone_else_filled_meanwhile_is_kept(project, member, status, cards):
    """Two people drop into the same gap at once: both cards stay, under the upper neighbour."""
    board_a, board_b = fresh(cards["A"]), fresh(cards["B"])
    move(cards["C"], member, status("To do"), after=board_a, before=board_b)
    move(cards["D"], member, status("To do"), after=board_a, before=board_b)
    assert column(project, "To do") == ["A", "D", "C", "B"]


def test_move_that_clashes_on_a_rank_recomputes_and_retries(
    project, member, status, cards, monkeypatch
):
    """As if another move took the same key first: the unique index refuses, we try again."""
    taken = fresh(cards["C"]).rank
    real_key_between = operations.ranking.key_between
    calls = []

    def clashing_once(low, high):
        calls.append((low, high))
        return taken if len(calls) == 1 else real_key_between(low, high)

    monkeypatch.setattr(operations.ranking, "key_between", clashing_once)
    move(cards["D"], member, status("To do"), after=cards["A"], before=cards["B"])
    assert len(calls) == 2
    assert column(project, "To do") == ["A", "D", "B", "C"]


def test_drop_next_to_a_deleted_card_is_refused(project, member, admin_user, status, cards):
    gone = cards["A"]
    operations.delete_issue(issue=gone, actor=admin_user)
    with pytest.raises(ValidationError) as error:
        move(cards["D"], member, status("To do"), after=gone)
    assert error.value.messages == ["The board is out of date: reload it and try again."]


def test_neighbour_from_another_project_is_refused(project, member, status, cards, db_snapshot):
    foreign = IssueFactory(project=ProjectFactory())
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        move(cards["D"], member, status("To do"), after=foreign)
    assert error.value.messages == ["The neighbouring card is not in this project."]
    assert db_snapshot() == before


def test_card_cannot_be_dropped_next_to_itself(project, member, status, cards):
    with pytest.raises(ValidationError) as error:
        move(cards["D"], member, status("To do"), after=cards["D"])
    assert error.value.messages == ["A card cannot be placed next to itself."]


def test_move_to_a_status_of_another_project_is_refused(issue, member, db_snapshot):
    foreign = ProjectFactory().statuses.get(name="Done")
    before = db_snapshot()
    with pytest.raises(ValidationError):
        move(issue, member, foreign)
    assert db_snapshot() == before


def test_viewer_cannot_move_cards(issue, viewer, status, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        move(issue, viewer, status("Done"))
    assert db_snapshot() == before


def test_outsider_cannot_move_cards(issue, outsider, status, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        move(issue, outsider, status("Done"))
    assert db_snapshot() == before


# delete_issue ------------------------------------------------------------------------------


def test_admin_deletes_an_issue_with_its_comments_and_history(issue, admin_user, member):
    operations.add_comment(issue=issue, actor=member, body="Reproduced on Safari.")
    operations.delete_issue(issue=issue, actor=admin_user)
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Comment.objects.exists()
    assert not IssueEvent.objects.exists()


def test_issue_with_children_cannot_be_deleted(project, member, admin_user, epic, db_snapshot):
    for _ in range(2):
        IssueFactory(project=project, actor=member, parent=epic)
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        operations.delete_issue(issue=epic, actor=admin_user)
    assert error.value.messages == ["WEB-1 has 2 child issues: move or delete them first."]
    assert db_snapshot() == before


def test_member_cannot_delete_issues(issue, member, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.delete_issue(issue=issue, actor=member)
    assert db_snapshot() == before


def test_viewer_cannot_delete_issues(issue, viewer, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.delete_issue(issue=issue, actor=viewer)
    assert db_snapshot() == before


# Bulk edits --------------------------------------------------------------------------------


def test_bulk_update_changes_every_issue_and_logs_each(project, member):
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    result = operations.bulk_update(
        issues=issues, actor=member, changes={"priority": Priority.HIGH}
    )
    assert result.refused == {}
    assert {issue.pk for issue in result.changed} == {issue.pk for issue in issues}
    assert set(Issue.objects.values_list("priority", flat=True)) == {Priority.HIGH}
    assert IssueEvent.objects.filter(field="priority").count() == 3


def test_bulk_update_reports_refusals_by_key_and_changes_the_rest(project, member, epic):
    story = IssueFactory(project=project, actor=member)
    other_epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    subtask = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK)
    result = operations.bulk_update(
        issues=[story, other_epic, subtask], actor=member, changes={"parent": epic}
    )
    assert [issue.pk for issue in result.changed] == [story.pk]
    assert result.refused == {
        other_epic.key: "An epic cannot have a parent.",
        subtask.key: "A subtask can only go under a story, task or bug, not under an epic.",
    }
    assert fresh(story).parent == epic
    assert fresh(other_epic).parent is None
    assert fresh(subtask).parent != epic
    assert events(other_epic, "parent") == []


def test_bulk_add_and_remove_label(project, member):
    debt, bug_fix = project.labels.get(name="Tech debt"), project.labels.get(name="Bug fix")
    issues = [IssueFactory(project=project, actor=member) for _ in range(2)]
    operations.update_issue(issue=issues[0], actor=member, changes={"labels": [bug_fix]})
    result = operations.bulk_update(
        issues=issues, actor=member, add_label=debt, remove_label=bug_fix
    )
    assert len(result.changed) == 2
    assert [set(fresh(issue).labels.all()) for issue in issues] == [{debt}, {debt}]
    assert events(issues[0], "labels") == [("", "Bug fix"), ("", "Tech debt"), ("Bug fix", "")]


def test_bulk_update_by_a_viewer_refuses_each(project, member, viewer, db_snapshot):
    issues = [IssueFactory(project=project, actor=member) for _ in range(2)]
    before = db_snapshot()
    result = operations.bulk_update(issues=issues, actor=viewer, changes={"priority": 4})
    assert result.changed == []
    assert set(result.refused) == {"WEB-1", "WEB-2"}
    assert db_snapshot() == before


def test_bulk_move_stops_at_the_wip_limit_and_reports_the_rest(project, member, status):
    in_progress = set_wip_limit(status("In progress"), 2)
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    result = operations.bulk_move(issues=issues, actor=member, status=in_progress)
    assert [issue.pk for issue in result.changed] == [issues[0].pk, issues[1].pk]
    assert result.refused == {
        "WEB-3": "“In progress” is at its WIP limit (2 / 2): finish something there first."
    }
    assert fresh(issues[2]).status.name == "To do"
    assert column(project, "In progress") == [issues[0].title, issues[1].title]


def test_bulk_move_respects_transitions(project, member, status):
    backlog_item = IssueFactory(project=project, actor=member, status=status("Backlog"))
    todo_item = IssueFactory(project=project, actor=member)
    Transition.objects.create(
        project=project, from_status=status("Backlog"), to_status=status("To do")
    )
    result = operations.bulk_move(
        issues=[backlog_item, todo_item], actor=member, status=status("Done")
    )
    assert [issue.pk for issue in result.changed] == [todo_item.pk]
    assert list(result.refused) == [backlog_item.key]


# Labels ------------------------------------------------------------------------------------


def test_deleting_a_label_takes_it_off_its_issues_with_events(project, member, admin_user):
    label = project.labels.get(name="Bug fix")
    issue = IssueFactory(project=project, actor=member, labels=[label])
    operations.delete_label(label=label, actor=admin_user)
    assert not project.labels.filter(name="Bug fix").exists()
    event = IssueEvent.objects.get(issue=issue, field="labels")
    assert (event.actor, event.old_value, event.new_value) == (admin_user, "Bug fix", "")


def test_members_cannot_delete_labels(project, member, db_snapshot):
    label = project.labels.get(name="Bug fix")
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.delete_label(label=label, actor=member)
    assert db_snapshot() == before


# Comments ----------------------------------------------------------------------------------


def test_member_comments_and_it_is_logged(issue, member):
    comment = operations.add_comment(issue=issue, actor=member, body="  Reproduced on iOS 17.  ")
    assert (comment.author, comment.body, comment.edited_at) == (
        member,
        "Reproduced on iOS 17.",
        None,
    )
    assert events(issue, "comment") == [("", "Reproduced on iOS 17.")]


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_001])
def test_empty_or_huge_comment_is_refused(issue, member, db_snapshot, body):
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        operations.add_comment(issue=issue, actor=member, body=body)
    assert "body" in error.value.message_dict
    assert db_snapshot() == before


def test_viewer_cannot_comment(issue, viewer, db_snapshot):
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.add_comment(issue=issue, actor=viewer, body="Me too")
    assert db_snapshot() == before


def test_author_edits_own_comment_and_it_is_logged(issue, member):
    comment = operations.add_comment(issue=issue, actor=member, body="Fails on Safari")
    operations.edit_comment(comment=comment, actor=member, body="Fails on Safari 17 only")
    comment.refresh_from_db()
    assert comment.body == "Fails on Safari 17 only"
    assert comment.edited_at is not None
    assert events(issue, "comment")[-1] == ("Fails on Safari", "Fails on Safari 17 only")


def test_editing_a_comment_to_the_same_text_changes_nothing(issue, member, db_snapshot):
    comment = operations.add_comment(issue=issue, actor=member, body="Same")
    before = db_snapshot()
    operations.edit_comment(comment=comment, actor=member, body="Same ")
    assert db_snapshot() == before


@pytest.mark.parametrize("editor", ["other_member", "admin_user"])
def test_nobody_edits_someone_elses_comment(issue, member, db_snapshot, request, editor):
    comment = operations.add_comment(issue=issue, actor=member, body="Mine")
    someone_else = request.getfixturevalue(editor)
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.edit_comment(comment=comment, actor=someone_else, body="Theirs")
    assert db_snapshot() == before


def test_author_deletes_own_comment_and_it_is_logged(issue, member):
    comment = operations.add_comment(issue=issue, actor=member, body="Oops, wrong issue")
    operations.delete_comment(comment=comment, actor=member)
    assert not Comment.objects.exists()
    assert events(issue, "comment")[-1] == ("Oops, wrong issue", "")


def test_admin_deletes_someone_elses_comment(issue, member, admin_user):
    comment = operations.add_comment(issue=issue, actor=member, body="Spam")
    operations.delete_comment(comment=comment, actor=admin_user)
    assert not Comment.objects.exists()
    assert IssueEvent.objects.filter(field="comment", actor=admin_user, old_value="Spam").exists()


def test_member_cannot_delete_someone_elses_comment(issue, member, other_member, db_snapshot):
    comment = CommentFactory(issue=issue, author=member)
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.delete_comment(comment=comment, actor=other_member)
    assert db_snapshot() == before


def test_former_member_cannot_delete_own_comment(project, issue, member, db_snapshot):
    comment = operations.add_comment(issue=issue, actor=member, body="Left the team")
    Membership.objects.filter(project=project, user=member).delete()
    before = db_snapshot()
    with pytest.raises(PermissionDenied):
        operations.delete_comment(comment=comment, actor=member)
    assert db_snapshot() == before
