"""A newcomer who is not staff sets up a project and brings a colleague in, without /admin/."""

import re

from issues.models import Project, Role
from tests.factories import UserFactory


def test_newcomer_creates_a_project_shapes_it_and_invites_a_colleague(
    browser, page, login, live_server, settings, mailoutbox, run_worker
):
    settings.PROJECT_CREATION = "everyone"
    newcomer = UserFactory(username="nora", first_name="Nora", last_name="Newman")
    login(newcomer)

    page.get_by_role("link", name="Create a project").click()
    page.get_by_label("Name").fill("Mobile app")
    page.get_by_label("Key").fill("mob")
    page.get_by_role("button", name="Create project").click()
    page.get_by_text("you are its admin").wait_for()
    assert page.url.endswith("/projects/MOB/settings/workflow/")

    # A status with a WIP limit.
    add = page.locator("#add-status")
    add.get_by_label("Name").fill("QA")
    add.get_by_label("WIP limit").fill("2")
    add.get_by_role("button", name="Add status").click()
    page.get_by_text("Added “QA”.").wait_for()
    assert page.get_by_label("WIP limit of QA").input_value() == "2"

    # A transition rule: from To do, only In progress.
    page.get_by_role("link", name="Transitions").click()
    page.get_by_label("Allow To do → In progress").check()
    page.get_by_role("button", name="Save allowed moves").click()
    page.get_by_text("moves are now forbidden").first.wait_for()
    assert page.get_by_text("To do → Done").count() >= 1

    # An invitation by e-mail, queued for the worker.
    page.get_by_role("link", name="Members").click()
    invite = page.locator("#invite")
    invite.get_by_label("E-mail").fill("colleague@example.com")
    invite.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation e-mailed to colleague@example.com").wait_for()
    assert page.locator("#invitations").get_by_text("colleague@example.com").count() == 1
    assert mailoutbox == []
    run_worker()
    (message,) = mailoutbox
    path = re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)

    # The colleague opens the link in their own browser and creates an account.
    colleague = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    other = colleague.new_page()
    other.goto(path)
    other.get_by_role("heading", name="Join Mobile app").wait_for()
    other.get_by_label("Username").fill("cole")
    other.get_by_label("Password", exact=True).fill("a-long-pass-phrase")
    other.get_by_label("Password again").fill("a-long-pass-phrase")
    other.get_by_role("button", name="Create account and join").click()
    other.get_by_text("Welcome to Mobile app").wait_for()
    assert other.url == f"{live_server.url}/projects/MOB/board/"  # signed in, on the board
    colleague.close()

    project = Project.objects.get(key="MOB")
    assert project.role_of(newcomer) == Role.ADMIN
    assert project.memberships.get(user__username="cole").role == Role.MEMBER
    assert project.statuses.get(name="QA").wip_limit == 2
    assert page.js_errors == []
