"""Whatever an admin's browser or a script sends to the settings, the answer is never a 500,
and a refusal (4xx) writes nothing."""

import pytest
from django.urls import reverse
from hypothesis import given, settings

from issues.models import Label, Membership, Project, Status, Transition
from projects.models import Invitation, ProjectEvent
from tests.factories import ProjectFactory
from tests.test_bad_input import FUZZ, form_data

KEYS = [
    "name", "category", "color", "wip_limit", "description", "move_to", "order", "status",
    "offset", "allow", "into", "who", "role", "email", "archived",
]  # fmt: skip
ENDPOINTS = [
    ("general_save", None), ("archive", None), ("status_add", None), ("status_order", None),
    ("status_edit", "status"), ("status_default", "status"), ("status_delete", "status"),
    ("transitions", None), ("label_add", None), ("label_edit", "label"),
    ("label_delete", "label"), ("label_merge", "label"), ("member_add", None),
    ("member_role", "member"), ("member_remove", "member"), ("invite", None),
]  # fmt: skip


@pytest.fixture
def world(client, project, admin_user, member, status):
    client.force_login(admin_user)
    ProjectFactory(key="OPS")  # a foreign project whose ids the fuzzer may name
    return {
        "status": status("In review").pk,
        "label": project.labels.first().pk,
        "member": member.pk,
        "client": client,
    }


def snapshot() -> dict:
    models = (Project, Membership, Status, Transition, Label, Invitation, ProjectEvent)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@settings(FUZZ, max_examples=12)
@given(data=form_data(KEYS))
@pytest.mark.parametrize(("name", "needs"), ENDPOINTS)
def test_settings_changes_never_fail(world, name, needs, data):
    args = ["WEB"] + ([world[needs]] if needs else [])
    before = snapshot()
    response = world["client"].post(reverse(f"projects:{name}", args=args), data)
    assert response.status_code < 500
    if 400 <= response.status_code < 500:
        assert snapshot() == before, "a refused request changed the database"
