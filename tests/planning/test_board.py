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
