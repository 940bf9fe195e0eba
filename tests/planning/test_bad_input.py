"""Whatever is posted to the backlog and sprint endpoints, the answer is never a 500 and a
refusal writes nothing (hypothesis, with the same nasty values as tests/test_bad_input.py)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import IssueFactory, ProjectFactory, ReleaseFactory, SprintFactory
from tests.test_bad_input import FUZZ, check, form_data

MOVE_KEYS = ["issue", "sprint", "after", "before", "position", "q", "assignee"]
PLAN_KEYS = ["issues", "sprint", "action", "kind"]
SPRINT_KEYS = ["name", "goal", "start", "end", "move_to"]


@pytest.fixture
def world(client, project, member):
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    sprint = SprintFactory(project=project, name="Sprint 1")
    release = ReleaseFactory(project=project, name="1.0.0")
    SprintFactory(project=ProjectFactory(key="OPS"), name="Foreign")
    ReleaseFactory(project=ProjectFactory(key="OTHER"), name="9.0.0")
    client.force_login(member)
    return {"client": client, "issues": issues, "sprint": sprint, "release": release}


@FUZZ
@given(data=form_data(MOVE_KEYS))
def test_backlog_moves_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(
        world["client"].post(reverse("planning:backlog_move", args=["WEB"]), data),
        db_snapshot,
        before,
    )


@FUZZ
@given(data=form_data(PLAN_KEYS))
def test_planning_selections_never_fail(world, db_snapshot, data):
    before = db_snapshot()
    check(
        world["client"].post(reverse("planning:backlog_plan", args=["WEB"]), data),
        db_snapshot,
        before,
    )


@FUZZ
@given(
    name=st.sampled_from(["sprint_create", "sprint_edit", "sprint_start", "sprint_complete"]),
    data=form_data(SPRINT_KEYS),
)
def test_sprint_forms_never_fail(world, db_snapshot, name, data):
    args = ["WEB"] if name == "sprint_create" else ["WEB", world["sprint"].pk]
    before = db_snapshot()
    check(world["client"].post(reverse(f"planning:{name}", args=args), data), db_snapshot, before)


@FUZZ
@given(data=form_data(["offset", "sprint", "q", "kind", "order"]))
def test_backlog_pages_never_fail(world, data):
    for name in ("planning:backlog", "planning:backlog_rows"):
        assert world["client"].get(reverse(name, args=["WEB"]), data).status_code < 500


@FUZZ
@given(
    name=st.sampled_from(["release_create", "release_edit", "release_release"]),
    data=form_data(["name", "description", "target_date", "notes", "move_open_to",
                    "release_date", "include_internal"]),
)  # fmt: skip
def test_release_forms_never_fail(world, db_snapshot, name, data):
    args = ["WEB"] if name == "release_create" else ["WEB", world["release"].pk]
    before = db_snapshot()
    check(world["client"].post(reverse(f"planning:{name}", args=args), data), db_snapshot, before)
