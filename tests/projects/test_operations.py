import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from issues import operations as issue_ops
from issues.models import IssueEvent, Membership, Role, StatusCategory, Transition
from projects import operations
from projects.models import Invitation, ProjectEvent
from tests.factories import IssueFactory, LabelFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


# Project -------------------------------------------------------------------------------------


def test_anyone_signed_in_starts_a_project_and_becomes_its_admin(settings, outsider):
    settings.PROJECT_CREATION = "everyone"
    project = operations.start_project(actor=outsider, key="ops", name="Operations")
    assert project.key == "OPS"
    assert project.role_of(outsider) == Role.ADMIN
    assert project.statuses.count() == 7


def test_only_staff_start_projects_when_the_site_says_so(settings, outsider):
    settings.PROJECT_CREATION = "staff"
    with pytest.raises(PermissionDenied):
        operations.start_project(actor=outsider, key="OPS", name="Operations")


def test_a_taken_key_is_refused(project, outsider):
    with pytest.raises(ValidationError):
        operations.start_project(actor=outsider, key="WEB", name="Another web")


def test_renaming_a_project_is_logged(project, admin_user):
    operations.update_project(project=project, actor=admin_user, name="Web", description="")
    assert project.name == "Web"
    assert ProjectEvent.objects.filter(project=project, action="renamed").exists()


def test_members_cannot_change_settings(project, member):
    with pytest.raises(PermissionDenied):
        operations.update_project(project=project, actor=member, name="Mine", description="")


def test_an_archived_project_refuses_issue_changes(project, admin_user, issue):
    operations.archive_project(project=project, actor=admin_user)
    issue.project.refresh_from_db()
    with pytest.raises(PermissionDenied, match="archived"):
        issue_ops.update_issue(issue=issue, actor=admin_user, changes={"title": "New"})


def test_an_archived_project_refuses_settings_changes_until_unarchived(project, admin_user):
    operations.archive_project(project=project, actor=admin_user)
    with pytest.raises(PermissionDenied):
        operations.add_label(project=project, actor=admin_user, name="Later")
    operations.unarchive_project(project=project, actor=admin_user)
    assert operations.add_label(project=project, actor=admin_user, name="Later").pk


# Workflow ------------------------------------------------------------------------------------


def test_a_new_status_goes_to_the_end_of_the_workflow(project, admin_user):
    status = operations.add_status(
        project=project, actor=admin_user, name="QA", category=StatusCategory.IN_PROGRESS,
        wip_limit=3,
    )  # fmt: skip
    assert list(project.statuses.all())[-1] == status
    assert status.wip_limit == 3


def test_status_names_are_unique_whatever_their_case(project, admin_user):
    with pytest.raises(ValidationError, match="already has a status called “Done”"):
        operations.add_status(project=project, actor=admin_user, name="done ", category="done")


def test_renaming_a_status_to_another_case_of_itself_is_fine(project, admin_user, status):
    done = status("Done")
    renamed = operations.update_status(
        status=done, actor=admin_user, name="DONE", category="done", color="#1a7f37",
        wip_limit=None,
    )  # fmt: skip
    assert renamed.name == "DONE"


def test_a_column_turned_closed_resolves_its_issues_and_turned_open_reopens_them(
    project, admin_user, member, status
):
    review = status("In review")
    waiting = IssueFactory(project=project, actor=member)
    issue_ops.move_issue(issue=waiting, actor=member, status=review)
    waiting.refresh_from_db()
    assert waiting.resolved_at is None

    def recategorise(category):
        operations.update_status(
            status=review, actor=admin_user, name="In review", category=category,
            color=review.color, wip_limit=None,
        )  # fmt: skip
        waiting.refresh_from_db()

    recategorise(StatusCategory.DONE)
    assert waiting.resolved_at is not None
    resolved = waiting.resolved_at
    recategorise(StatusCategory.CANCELED)  # closed to closed: the date stays
    assert waiting.resolved_at == resolved
    recategorise(StatusCategory.IN_PROGRESS)
    assert waiting.resolved_at is None
    assert waiting.version == 2  # created, moved; recategorising edits no issue


def test_reorder_puts_the_statuses_in_the_given_order(project, admin_user):
    ids = list(project.statuses.values_list("pk", flat=True))
    operations.reorder_statuses(project=project, actor=admin_user, order=ids[::-1])
    assert list(project.statuses.values_list("pk", flat=True)) == ids[::-1]


def test_reorder_with_a_foreign_status_is_refused(project, admin_user):
    ids = list(project.statuses.values_list("pk", flat=True))
    foreign = ProjectFactory().statuses.first().pk
    with pytest.raises(ValidationError):
        operations.reorder_statuses(project=project, actor=admin_user, order=[*ids[1:], foreign])


def test_shift_moves_a_status_one_place(project, admin_user, status):
    backlog = status("Backlog")
    operations.shift_status(status=backlog, actor=admin_user, offset=-1)
    assert project.statuses.first() == backlog


def test_the_default_status_cannot_be_deleted(project, admin_user, status):
    with pytest.raises(ValidationError, match="make another status the default"):
        operations.delete_status(status=status("To do"), actor=admin_user)


def test_a_status_with_issues_needs_a_target(project, admin_user, member, status):
    IssueFactory(project=project, actor=member, status=status("Backlog"))
    with pytest.raises(ValidationError, match="holds 1 issue"):
        operations.delete_status(status=status("Backlog"), actor=admin_user)


def test_deleting_a_status_moves_its_issues_with_one_event_each(
    project, admin_user, member, status
):
    review = status("In review")
    issues = [IssueFactory(project=project, actor=member, status=review) for _ in range(3)]
    moved = operations.delete_status(status=review, actor=admin_user, move_to=status("Done"))
    assert moved == 3
    for issue in issues:
        issue.refresh_from_db()
        assert issue.status == status("Done")
        assert issue.resolved_at is not None
    events = IssueEvent.objects.filter(field="status", old_value="In review", new_value="Done")
    assert events.count() == 3


def test_moving_issues_into_a_full_column_is_refused(project, admin_user, member, status):
    review = status("In review")
    IssueFactory(project=project, actor=member, status=review)
    done = status("Done")
    done.wip_limit = 1
    done.save()
    IssueFactory(project=project, actor=member, status=done)
    with pytest.raises(ValidationError, match="WIP limit"):
        operations.delete_status(status=review, actor=admin_user, move_to=done)
    assert project.statuses.filter(pk=review.pk).exists()


def test_the_last_status_cannot_be_deleted(admin_user):
    project = ProjectFactory()
    issue_ops.add_member(project=project, user=admin_user, role=Role.ADMIN)
    default = project.default_status()
    for status in project.statuses.exclude(pk=default.pk):
        operations.delete_status(status=status, actor=admin_user)
    default.is_default = False  # as if it were not the default: the last one still stays
    with pytest.raises(ValidationError):
        operations.delete_status(status=project.statuses.get(), actor=admin_user)


def test_transitions_replace_the_rule_and_report_what_they_forbid(project, admin_user, status):
    todo, doing, done = status("To do"), status("In progress"), status("Done")
    forbidden = operations.set_transitions(
        project=project, actor=admin_user, allowed=[(todo.pk, doing.pk), (doing.pk, done.pk)]
    )
    assert set(Transition.objects.values_list("from_status", "to_status")) == {
        (todo.pk, doing.pk),
        (doing.pk, done.pk),
    }
    assert (todo, done) in forbidden
    assert (todo, doing) not in forbidden
    assert all(a in (todo, doing) for a, _ in forbidden)


def test_transitions_with_a_foreign_status_are_refused(project, admin_user, status):
    foreign = ProjectFactory().statuses.first()
    with pytest.raises(ValidationError):
        operations.set_transitions(
            project=project, actor=admin_user, allowed=[(status("To do").pk, foreign.pk)]
        )
    assert not Transition.objects.exists()


# Labels --------------------------------------------------------------------------------------


def test_label_names_are_unique_whatever_their_case(project, admin_user):
    with pytest.raises(ValidationError, match="already has a label"):
        operations.add_label(project=project, actor=admin_user, name="BUG FIX")


def test_merging_labels_moves_the_issues_and_deletes_the_source(project, admin_user, member):
    source = LabelFactory(project=project, name="defect")
    target = project.labels.get(name="Bug fix")
    issue = IssueFactory(project=project, actor=member, labels=[source])
    assert operations.merge_labels(source=source, target=target, actor=admin_user) == 1
    assert list(issue.labels.all()) == [target]
    assert not project.labels.filter(name="defect").exists()
    assert IssueEvent.objects.filter(issue=issue, field="labels", old_value="defect").exists()


# Members -------------------------------------------------------------------------------------


def test_a_member_is_found_by_email(project, admin_user):
    user = UserFactory(username="carol", email="Carol@Example.com")
    assert operations.find_user("carol@example.com") == user


def test_adding_an_existing_member_is_refused(project, admin_user, member):
    with pytest.raises(ValidationError, match="already a member"):
        operations.add_member(project=project, actor=admin_user, user=member, role=Role.ADMIN)


def test_the_last_admin_cannot_be_demoted(project, admin_user):
    membership = project.memberships.get(user=admin_user)
    with pytest.raises(ValidationError, match="last admin"):
        operations.change_role(membership=membership, actor=admin_user, role=Role.MEMBER)


def test_the_last_admin_cannot_be_removed(project, admin_user):
    membership = project.memberships.get(user=admin_user)
    with pytest.raises(ValidationError, match="last admin"):
        operations.remove_member(membership=membership, actor=admin_user)


def test_removing_a_member_unassigns_their_issues(project, admin_user, member):
    issue = IssueFactory(project=project, actor=member, assignee=member)
    membership = project.memberships.get(user=member)
    assert operations.remove_member(membership=membership, actor=admin_user) == 1
    issue.refresh_from_db()
    assert issue.assignee is None
    assert not Membership.objects.filter(pk=membership.pk).exists()


# Invitations ---------------------------------------------------------------------------------


def test_an_invitation_is_queued_as_an_email(project, admin_user, mailoutbox, run_worker):
    operations.invite(
        project=project, actor=admin_user, email_address="new@example.com", role=Role.MEMBER
    )
    assert mailoutbox == []  # not sent inside the request
    run_worker()
    assert [message.to for message in mailoutbox] == [["new@example.com"]]
    assert "/invitations/" in mailoutbox[0].body


def test_inviting_a_member_is_refused(project, admin_user, member):
    with pytest.raises(ValidationError, match="already belongs to a member"):
        operations.invite(
            project=project, actor=admin_user, email_address=member.email, role=Role.MEMBER
        )


def test_inviting_twice_is_refused(project, admin_user):
    operations.invite(
        project=project, actor=admin_user, email_address="a@example.com", role="member"
    )
    with pytest.raises(ValidationError, match="pending invitation"):
        operations.invite(
            project=project, actor=admin_user, email_address="A@example.com", role="member"
        )


def test_an_invitation_link_works_once(project, admin_user, outsider):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="olga@example.com", role=Role.VIEWER
    )
    token = operations.invitation_url(invitation).rstrip("/").rsplit("/", 1)[-1]
    found = operations.invitation_from_token(token)
    operations.accept_invitation(invitation=found, user=outsider)
    assert project.role_of(outsider) == Role.VIEWER
    with pytest.raises(ValidationError, match="already been used"):
        operations.invitation_from_token(token)


def test_a_revoked_invitation_link_is_refused(project, admin_user):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="x@example.com", role=Role.MEMBER
    )
    operations.revoke_invitation(invitation=invitation, actor=admin_user)
    token = operations.invitation_url(invitation).rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(ValidationError, match="revoked"):
        operations.invitation_from_token(token)
    assert Invitation.objects.pending().count() == 0


def test_an_expired_invitation_link_is_refused(project, admin_user):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="x@example.com", role=Role.MEMBER
    )
    token = operations.invitation_url(invitation).rstrip("/").rsplit("/", 1)[-1]
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    with pytest.raises(ValidationError, match="expired"):
        operations.invitation_from_token(token)


def test_a_tampered_invitation_link_is_refused(db):
    with pytest.raises(ValidationError, match="not valid"):
        operations.invitation_from_token("abc:def")
