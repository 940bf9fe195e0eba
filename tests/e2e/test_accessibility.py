"""axe-core on every page, light and dark: 0 serious or critical violations, and a visible
focus indicator on every kind of control."""

import pytest

from issues.models import Kind, Priority
from tests.factories import IssueFactory, LabelFactory, UserFactory


@pytest.fixture
def filled(transactional_db, project, member, other_member, status):
    """A small project with what a card can show: kinds, priorities, labels, assignees,
    points, an epic with progress."""
    bug = LabelFactory(project=project, name="bug", color="#d73a4a")
    ux = LabelFactory(project=project, name="ux", color="#fbca04")
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout")
    IssueFactory(
        project=project,
        actor=member,
        title="Pay by card",
        parent=epic,
        assignee=member,
        priority=Priority.HIGH,
        estimate=5,
        labels=[bug],
    )
    IssueFactory(
        project=project,
        actor=member,
        title="Guest checkout",
        parent=epic,
        assignee=other_member,
        priority=Priority.URGENT,
        estimate=3,
        labels=[ux],
        status=status("In progress"),
    )
    IssueFactory(
        project=project,
        actor=member,
        title="Receipt e-mail",
        kind=Kind.TASK,
        status=status("Done"),
        estimate=1,
    )
    return epic


def test_login_page_is_accessible(page, axe):
    page.goto("/accounts/login/")
    axe(page)


def test_project_list_is_accessible(page, login, member, filled, axe):
    login(member)
    page.goto("/")
    axe(page)


@pytest.mark.parametrize("query", ["", "?group=epic", "?group=assignee", "?group=priority"])
def test_board_is_accessible(page, login, member, filled, axe, query):
    login(member)
    page.goto(f"/projects/WEB/board/{query}")
    axe(page)


def test_board_with_open_menus_is_accessible(page, login, member, filled, axe):
    login(member)
    page.goto("/projects/WEB/board/")
    page.locator(".card-menu-button").first.click()
    axe(page)


def test_issue_list_is_accessible(page, login, member, filled, axe):
    login(member)
    page.goto("/projects/WEB/issues/")
    axe(page)


def test_issue_page_is_accessible(page, login, member, filled, axe):
    login(member)
    page.goto(f"/projects/WEB/issues/{filled.number}/")
    axe(page)


def test_create_form_is_accessible(page, login, member, filled, axe):
    login(member)
    page.goto("/projects/WEB/issues/new/")
    axe(page)


def test_viewer_pages_are_accessible(page, login, project, filled, axe):
    viewer = UserFactory(username="vera")
    from issues import operations
    from issues.models import Role

    operations.add_member(project=project, user=viewer, role=Role.VIEWER)
    login(viewer)
    page.goto("/projects/WEB/board/")
    axe(page)


FOCUS_INDICATOR = """() => {
    const el = document.activeElement;
    const ring = (node) => {
        if (!node) return false;
        const style = getComputedStyle(node);
        const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
        return outline || style.boxShadow.includes("0px 0px 0px 3px");
    };
    return {
        body: el === document.body,
        style: getComputedStyle(el).boxShadow + " " + getComputedStyle(el).outlineStyle + " " + el.type,
        tag: el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""),
        visible: ring(el) || ring(el.closest(".card")),
    };
}"""


def focus_indicators(page, presses: int) -> list[dict]:
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_INDICATOR)
        if not found["body"]:  # past the last control, Tab goes back to the page
            seen.append(found)
    return seen


@pytest.mark.parametrize("path", ["/projects/WEB/board/", "/projects/WEB/issues/", "/"])
def test_every_control_shows_a_focus_indicator(page, login, member, filled, path):
    login(member)
    page.goto(path)
    seen = focus_indicators(page, 40)
    assert {"button", "a", "summary", "select", "input"} & {s["tag"].split(".")[0] for s in seen}
    assert [(s["tag"], s["style"]) for s in seen if not s["visible"]] == []


def test_issue_page_controls_show_a_focus_indicator(page, login, member, filled):
    login(member)
    page.goto(f"/projects/WEB/issues/{filled.number}/")
    seen = focus_indicators(page, 40)
    assert any(s["tag"].startswith("button") for s in seen)
    assert [(s["tag"], s["style"]) for s in seen if not s["visible"]] == []


@pytest.mark.parametrize("section", ["", "workflow/", "transitions/", "labels/", "members/"])
def test_project_settings_are_accessible(page, login, admin_user, filled, axe, section):
    login(admin_user)
    page.goto(f"/projects/WEB/settings/{section}")
    axe(page)


@pytest.fixture
def planned(filled, project, member):
    """A sprint with an issue in it, a release with one too: what the backlog and the releases
    pages show."""
    from planning import operations as planning

    sprint = planning.create_sprint(project=project, actor=member, name="Sprint 1")
    release = planning.create_release(project=project, actor=member, name="1.0")
    first, second = project.issues.exclude(kind=Kind.EPIC).order_by("number")[:2]
    planning.plan_issue(issue=first, actor=member, sprint=sprint)
    from issues import operations

    operations.update_issue(issue=second, actor=member, changes={"release": release})
    return release


@pytest.mark.parametrize("path", ["backlog/", "releases/", "releases/{release}/", "reports/"])
def test_planning_and_reports_pages_are_accessible(page, login, member, planned, axe, path):
    login(member)
    page.goto("/projects/WEB/" + path.format(release=planned.pk))
    axe(page)


def test_inbox_is_accessible(page, login, member, other_member, filled, run_worker, axe):
    from issues import operations

    operations.add_comment(issue=filled, actor=other_member, body="Can you look, @alice?")
    run_worker()
    login(member)
    page.goto("/inbox/")
    assert page.locator("main").inner_text()
    axe(page)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/notifications/",
        "/accounts/profile/",
        "/accounts/password_change/",
    ],
)
def test_account_pages_are_accessible(page, login, member, filled, axe, path):
    login(member)
    page.goto(path)
    axe(page)


@pytest.fixture
def portal(filled, project, admin_user, member):
    from intake import operations as intake
    from intake.models import PortalMode
    from issues import operations
    from planning import operations as planning

    intake.configure_portal(
        project=project, actor=admin_user, enabled=True, mode=PortalMode.FULL, private=False
    )
    idea = operations.update_issue(issue=filled, actor=member, changes={"public": True})
    customer = intake.requester_for(email="ann@acme.example", name="Ann", verified=True)
    operations.add_customer_comment(issue=idea, requester=customer, body="We need this too.")
    operations.add_comment(issue=idea, actor=member, body="On our list.", public=True)
    release = planning.create_release(project=project, actor=member, name="2.4.0")
    planning.release_version(release=release, actor=member)
    return idea


@pytest.mark.parametrize(
    "path", ["", "ideas/{number}/", "submit/", "sign-in/", "?sort=top", "releases/"]
)
def test_portal_pages_are_accessible(page, portal, axe, path):
    page.goto("/portal/WEB/" + path.format(number=portal.number))
    axe(page)


def test_issue_page_with_the_parent_picker_open_is_accessible(page, login, member, filled, axe):
    login(member)
    story = filled.children.first()
    page.goto(f"/projects/WEB/issues/{story.number}/")
    page.get_by_role("searchbox", name="Parent").click()
    page.locator("#parent-results .parent-option").first.wait_for()
    axe(page)
