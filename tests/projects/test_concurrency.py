"""Settings races against PostgreSQL (threads with their own connections)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from issues import operations as issue_ops
from issues.models import Role
from projects import operations
from tests.factories import UserFactory
from tests.issues.test_concurrency import at_once, failures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(project):
    ada, bea = UserFactory(username="ada"), UserFactory(username="bea")
    for user in (ada, bea):
        issue_ops.add_member(project=project, user=user, role=Role.ADMIN)
    memberships = {m.user_id: m for m in project.memberships.all()}
    pairs = [(ada, memberships[bea.pk]), (bea, memberships[ada.pk])]
    results = at_once(
        2,
        lambda i: operations.change_role(
            membership=pairs[i][1], actor=pairs[i][0], role=Role.MEMBER
        ),
    )
    refused = failures(results)
    assert len(refused) == 1
    assert isinstance(refused[0], ValidationError | PermissionDenied)
    assert project.memberships.filter(role=Role.ADMIN).count() == 1


def test_creates_while_the_workflow_changes_do_not_deadlock(project, member, admin_user):
    statuses = list(project.statuses.all())

    def work(i: int):
        if i % 2:
            return issue_ops.create_issue(
                project=project, actor=member, title=f"Bug {i}", status=statuses[i % 3]
            )
        return operations.update_status(
            status=statuses[i % 3], actor=admin_user, name=statuses[i % 3].name,
            category=statuses[i % 3].category, color="#123456", wip_limit=None,
        )  # fmt: skip

    assert failures(at_once(12, work)) == []
