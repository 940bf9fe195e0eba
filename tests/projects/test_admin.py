import pytest
from django.urls import reverse

from issues.models import Role
from projects import operations
from projects.models import Invitation
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(client, project, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def test_staff_see_invitations_of_projects_they_administer_only(staff_admin, project, admin_user):
    operations.invite(
        project=project, actor=admin_user, email_address="a@example.com", role="member"
    )
    other = ProjectFactory(key="OPS")
    Invitation.objects.create(project=other, email="b@example.com", role=Role.MEMBER)
    page = staff_admin.get(reverse("admin:projects_invitation_changelist")).content.decode()
    assert "a@example.com" in page
    assert "b@example.com" not in page


def test_revoking_from_the_admin_goes_through_the_operation(staff_admin, project, admin_user):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="a@example.com", role="member"
    )
    response = staff_admin.post(
        reverse("admin:projects_invitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    assert project.events.filter(action="invitation_revoked").exists()


def test_settings_log_is_listed(staff_admin, project, admin_user):
    operations.add_label(project=project, actor=admin_user, name="Flaky")
    page = staff_admin.get(reverse("admin:projects_projectevent_changelist")).content.decode()
    assert "Flaky" in page


def test_non_staff_cannot_open_the_invitations(client, project, admin_user):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:projects_invitation_changelist"))
    assert response.status_code == 302
