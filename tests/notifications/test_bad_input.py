"""Whatever reaches the notifications pages, the answer is never a 500, and a refusal writes
nothing (hypothesis, with the project's catalogue of nasty values)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from notifications.models import Notification, Preferences, Watch

from ..test_bad_input import FUZZ, NASTY, form_data


@pytest.fixture
def world(client, project, issue, other_member):
    client.force_login(other_member)
    return {"client": client, "issue": issue}


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Watch, Preferences, Preferences.muted_projects.through, Notification)
    }


def check(response, before) -> None:
    assert response.status_code < 500
    if 400 <= response.status_code < 500:
        assert snapshot() == before, "a refused request changed the database"


@FUZZ
@given(data=form_data(["show", "page"]))
def test_the_inbox_never_fails(world, data):
    assert world["client"].get(reverse("notifications:inbox"), data).status_code < 500


@FUZZ
@given(data=form_data(["email", "email_mentions", "muted_projects"]))
def test_preferences_never_fail(world, data):
    before = snapshot()
    check(world["client"].post(reverse("notifications:preferences"), data), before)


@FUZZ
@given(data=form_data(["watch"]))
def test_watching_never_fails(world, data):
    before = snapshot()
    url = reverse("watching:watch", args=["WEB", world["issue"].number])
    check(world["client"].post(url, data), before)


@FUZZ
@given(data=form_data(["q"]))
def test_mention_suggestions_never_fail(world, data):
    response = world["client"].get(reverse("watching:mentions", args=["WEB"]), data)
    # A NUL anywhere is the bad-input middleware's 400; anything else is searched.
    has_nul = any("\x00" in value for values in data.values() for value in values)
    assert response.status_code == (400 if has_nul else 200)


@FUZZ
@given(token=st.one_of(NASTY, st.text(min_size=1, max_size=80)))
def test_unsubscribe_links_never_fail(world, token):
    before = snapshot()
    token = token.replace("/", "") or "x"
    response = world["client"].post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert snapshot() == before
