"""Sprints and releases in the admin: scoped to the projects a staff user administers, saved
through planning.operations."""

import pytest
from django.urls import reverse

from issues import operations as issue_ops
from issues.models import Role
from planning.models import PlanningEvent, Release, Sprint

from ..factories import IssueFactory, ProjectFactory, ReleaseFactory, SprintFactory, UserFactory


@pytest.fixture
def staff_client(client, project):
    user = UserFactory(username="tess", is_staff=True)
    issue_ops.add_member(project=project, user=user, role=Role.ADMIN)
    client.force_login(user)
    return client


def test_adding_a_sprint_in_the_admin_logs_its_creation(staff_client, project):
    response = staff_client.post(
        reverse("admin:planning_sprint_add"),
        {"project": project.pk, "name": "Sprint 1", "goal": "", "start": "", "end": ""},
    )

    assert response.status_code == 302
    sprint = Sprint.objects.get()
    assert PlanningEvent.objects.filter(sprint=sprint, action="created").exists()


def test_a_sprint_with_dates_out_of_order_is_refused_in_the_admin(staff_client, project):
    response = staff_client.post(
        reverse("admin:planning_sprint_add"),
        {"project": project.pk, "name": "S", "start": "2026-12-10", "end": "2026-12-01"},
    )

    assert response.status_code == 200
    assert "before the start date" in response.content.decode()
    assert not Sprint.objects.exists()


def test_staff_see_only_the_releases_of_projects_they_administer(staff_client, project):
    ReleaseFactory(project=project, name="2.4.0")
    ReleaseFactory(project=ProjectFactory(key="OPS"), name="9.9.9")

    response = staff_client.get(reverse("admin:planning_release_changelist"))

    assert "2.4.0" in response.content.decode()
    assert "9.9.9" not in response.content.decode()


def test_deleting_a_release_in_the_admin_takes_it_off_its_issues(staff_client, project, member):
    release = ReleaseFactory(project=project)
    issue = IssueFactory(project=project, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})

    staff_client.post(reverse("admin:planning_release_delete", args=[release.pk]), {"post": "yes"})

    issue.refresh_from_db()
    assert issue.release is None
    assert not Release.objects.exists()


def test_the_issue_form_offers_only_the_projects_sprints(staff_client, project, issue):
    SprintFactory(project=project, name="Ours")
    SprintFactory(project=ProjectFactory(key="OPS"), name="Theirs")

    response = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk]))

    assert "Ours" in response.content.decode()
    assert "Theirs" not in response.content.decode()
