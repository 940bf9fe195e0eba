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
