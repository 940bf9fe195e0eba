"""The notifications admin: superusers read, project staff see nothing of others' inboxes."""

import pytest
from django.urls import reverse

from ..factories import UserFactory

PAGES = ["notification", "watch", "preferences"]


@pytest.mark.parametrize("model", PAGES)
def test_superusers_can_read_the_lists(client, model, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get(reverse(f"admin:notifications_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", PAGES)
def test_project_staff_cannot(client, model, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)

    response = client.get(reverse(f"admin:notifications_{model}_changelist"))

    assert response.status_code == 403
