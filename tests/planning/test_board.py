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

    body = client.get(BOARD).content.decode()

    assert "<strong>Sprint 7</strong>" in body
    assert "10 days left" in body
    assert f'href="{reverse("boards:board", args=["WEB"])}?sprint=active"' in body


def test_starting_a_sprint_shows_on_a_board_served_from_the_cache(client, project, member):
    client.force_login(member)
    client.get(BOARD)  # cached
    sprint = SprintFactory(project=project, name="Sprint 8")
    today = datetime.date.today()
    operations.start_sprint(sprint=sprint, actor=member, start=today, end=today)

    assert "<strong>Sprint 8</strong>" in client.get(BOARD).content.decode()


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
