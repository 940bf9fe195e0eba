"""The board names the active sprint in its toolbar, and ?sprint=active filters it."""

import datetime

from django.urls import reverse

from issues import operations as issue_ops
from planning import operations

from ..factories import IssueFactory, SprintFactory

BOARD = "/projects/WEB/board/"


def test_the_board_toolbar_names_the_active_sprint_with_its_days_left(client, project, member):
    sprint = SprintFactory(project=project, name="Sprint 7")
    today = datetime.date.today()
    operations.start_sprint(
        sprint=sprint, actor=member, start=today, end=today + datetime.timedelta(days=9)
    )
    client.force_login(member)

    body = client.get(BOARD, follow=True).content.decode()

    assert "<strong>Sprint 7</strong>" in body
    assert "10 days left" in body
    assert f'href="{reverse("boards:board", args=["WEB"])}?sprint=active"' in body


def test_starting_a_sprint_shows_on_a_board_served_from_the_cache(client, project, member):
    client.force_login(member)
    client.get(BOARD)  # cached
    sprint = SprintFactory(project=project, name="Sprint 8")
    today = datetime.date.today()
    operations.start_sprint(sprint=sprint, actor=member, start=today, end=today)

    assert "<strong>Sprint 8</strong>" in client.get(BOARD, follow=True).content.decode()


def test_the_board_filtered_to_the_active_sprint(client, project, member):
    sprint = SprintFactory(project=project, name="Sprint 9")
    planned = IssueFactory(project=project, actor=member, title="In the sprint")
    IssueFactory(project=project, actor=member, title="Not in it")
    issue_ops.update_issue(issue=planned, actor=member, changes={"sprint": sprint})
    today = datetime.date.today()
    operations.start_sprint(sprint=sprint, actor=member, start=today, end=today)
    client.force_login(member)

    body = client.get(BOARD, {"sprint": "active"}).content.decode()

    assert "In the sprint" in body
    assert "Not in it" not in body


def test_the_board_opens_on_the_active_sprint_and_offers_every_issue(client, project, member):
    """A bare board address redirects to ?sprint=active while a sprint is active; the sprint
    filter lists the open sprints, and All issues (sprint=) stays on every issue."""
    sprint = SprintFactory(project=project, name="Sprint 10")
    SprintFactory(project=project, name="Sprint 11")
    planned = IssueFactory(project=project, actor=member, title="In the sprint")
    IssueFactory(project=project, actor=member, title="Not in it")
    issue_ops.update_issue(issue=planned, actor=member, changes={"sprint": sprint})
    client.force_login(member)
    assert client.get(BOARD).status_code == 200  # nothing active yet: the whole board
    today = datetime.date.today()
    operations.start_sprint(sprint=sprint, actor=member, start=today, end=today)

    response = client.get(BOARD)
    assert (response.status_code, response["Location"]) == (302, f"{BOARD}?sprint=active")
    body = client.get(response["Location"]).content.decode()
    assert "In the sprint" in body and "Not in it" not in body
    assert '<option value="active" selected>Sprint 10 (active)</option>' in body
    assert "Sprint 11</option>" in body
    everything = client.get(BOARD, {"sprint": ""}).content.decode()
    assert "In the sprint" in everything and "Not in it" in everything
    assert '<option value="">All issues</option>' in everything
    htmx = client.get(BOARD, headers={"HX-Request": "true"})
    assert htmx.status_code == 200  # the poll and the filters never redirect


def test_a_card_menu_puts_the_card_in_a_release(client, project, member, viewer):
    """The board's card menu and the move page offer the unreleased versions; choosing one sets
    the issue's release through update_issue (an event), and No release clears it."""
    from planning.models import Release, ReleaseState

    from ..factories import ReleaseFactory

    upcoming = ReleaseFactory(project=project, name="2.4.0")
    shipped = ReleaseFactory(project=project, name="2.3.0")
    Release.objects.filter(pk=shipped.pk).update(
        state=ReleaseState.RELEASED, release_date=datetime.date.today()
    )
    issue = IssueFactory(project=project, actor=member, title="Ship me")
    client.force_login(member)
    url = reverse("boards:release", args=["WEB"])

    board = client.get(BOARD, {"sprint": ""}).content.decode()
    assert f'name="release" value="{upcoming.pk}">2.4.0</button>' in board
    assert ">2.3.0</button>" not in board
    move_page = client.get(reverse("boards:move_form", args=["WEB", issue.number])).content
    assert b"Ships with" in move_page and b"2.4.0" in move_page

    answer = client.post(
        url, {"issue": issue.number, "release": upcoming.pk}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 204
    assert "ships with 2.4.0" in answer["HX-Trigger"]
    issue.refresh_from_db()
    assert issue.release == upcoming
    assert issue.events.filter(field="release", new_value="2.4.0").exists()

    back = client.post(url, {"issue": issue.number, "release": ""})
    assert back.status_code == 302
    issue.refresh_from_db()
    assert issue.release is None


def test_a_card_menu_release_refuses_bad_input_and_viewers(client, project, member, viewer):
    from ..factories import ReleaseFactory

    issue = IssueFactory(project=project, actor=member)
    foreign = ReleaseFactory(name="9.9.9")  # another project's
    url = reverse("boards:release", args=["WEB"])
    client.force_login(member)
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert (
        client.post(url, {"issue": issue.number, "release": foreign.pk}, **htmx).status_code == 400
    )
    assert client.post(url, {"issue": issue.number, "release": "x"}, **htmx).status_code == 400
    assert client.post(url, {"issue": 999999, "release": ""}, **htmx).status_code == 404
    issue.refresh_from_db()
    assert issue.release is None
    client.force_login(viewer)
    assert client.post(url, {"issue": issue.number, "release": ""}, **htmx).status_code == 403
