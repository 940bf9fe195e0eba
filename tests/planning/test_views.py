"""The backlog page: sections, moves, sprints from the browser's side (HTTP)."""

import datetime
import re

import pytest
from django.urls import reverse

from issues import operations as issue_ops
from issues.models import Issue, IssueEvent
from planning import backlog as queries
from planning import operations
from planning.models import Sprint, SprintState

from ..factories import IssueFactory, ProjectFactory, ReleaseFactory, SprintFactory

MONDAY = datetime.date(2026, 11, 30)
FRIDAY = datetime.date(2026, 12, 11)


def url(name, *args):
    return reverse(f"planning:{name}", args=["WEB", *args])


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def sprint(project):
    return SprintFactory(project=project, name="Sprint 7")


def plan(issue, sprint, actor):
    return issue_ops.update_issue(issue=issue, actor=actor, changes={"sprint": sprint})


def numbers(section):
    return [issue.number for issue in section.rows]


def test_backlog_shows_unstarted_issues_not_in_an_open_sprint_in_rank_order(
    logged_in, project, member, status, sprint
):
    first = IssueFactory(project=project, actor=member, title="First")
    IssueFactory(project=project, actor=member, title="Started", status=status("In progress"))
    IssueFactory(project=project, actor=member, title="Untriaged", status=status("Triage"))
    planned = IssueFactory(project=project, actor=member, title="Planned")
    plan(planned, sprint, member)
    last = IssueFactory(project=project, actor=member, title="Later", status=status("Backlog"))

    response = logged_in.get(url("backlog"))

    (backlog,) = (s for s in response.context["sections"] if s.sprint is None)
    assert numbers(backlog) == [first.number, last.number]


def test_open_sprints_are_sections_above_the_backlog_with_their_points(
    logged_in, project, member, sprint
):
    issue = IssueFactory(project=project, actor=member, estimate=5)
    plan(issue, sprint, member)

    response = logged_in.get(url("backlog"))

    sprint_section, backlog = response.context["sections"]
    assert (sprint_section.sprint, numbers(sprint_section)) == (sprint, [issue.number])
    assert (sprint_section.count, sprint_section.points) == (1, 5)
    assert backlog.sprint is None


def test_an_issue_done_in_a_closed_sprint_and_reopened_is_back_in_the_backlog(
    project, member, status, sprint
):
    issue = IssueFactory(project=project, actor=member, status=status("Done"))
    plan(issue, sprint, member)
    operations.start_sprint(sprint=sprint, actor=member, start=MONDAY, end=FRIDAY)
    operations.complete_sprint(sprint=sprint, actor=member)
    issue_ops.update_issue(issue=issue, actor=member, changes={"status": status("To do")})

    assert list(queries.backlog_issues(project)) == [issue]


def test_the_backlog_shows_its_first_page_and_loads_the_rest(logged_in, project, member):
    issues = [IssueFactory(project=project, actor=member) for _ in range(queries.PAGE_SIZE + 3)]

    first = logged_in.get(url("backlog"))
    rest = logged_in.get(url("backlog_rows"), {"offset": queries.PAGE_SIZE})

    assert len(first.context["sections"][-1].rows) == queries.PAGE_SIZE
    rows = re.findall(r'<li class="backlog-row" id="row-(\d+)"', rest.content.decode())
    assert rows == [str(i.number) for i in issues[-3:]]


def test_backlog_queries_do_not_grow_with_the_issues(
    logged_in, project, member, sprint, django_assert_max_num_queries
):
    def add(count):
        for index in range(count):
            issue = IssueFactory(project=project, actor=member, estimate=index % 5)
            if index % 3 == 0:
                plan(issue, sprint, member)

    add(3)
    with django_assert_max_num_queries(18) as few:  # the top bar counts unread notifications
        logged_in.get(url("backlog"))
    add(30)
    with django_assert_max_num_queries(len(few)):
        response = logged_in.get(url("backlog"))
    assert response.status_code == 200


def test_dragging_an_issue_into_a_sprint_plans_and_ranks_it(logged_in, project, member, sprint):
    first = IssueFactory(project=project, actor=member)
    plan(first, sprint, member)
    dragged = IssueFactory(project=project, actor=member)
    IssueFactory(project=project, actor=member)

    response = logged_in.post(
        url("backlog_move"), {"issue": dragged.number, "sprint": sprint.pk, "before": first.number}
    )

    assert response.status_code == 302
    dragged.refresh_from_db()
    first.refresh_from_db()
    assert dragged.sprint == sprint
    assert dragged.rank < first.rank
    assert IssueEvent.objects.filter(issue=dragged, field="sprint", new_sprint=sprint).exists()


def test_dragging_within_the_backlog_only_reranks(logged_in, project, member):
    first, second, third = (IssueFactory(project=project, actor=member) for _ in range(3))

    logged_in.post(
        url("backlog_move"), {"issue": third.number, "sprint": "", "after": first.number}
    )

    order = list(queries.backlog_issues(project).order_by("rank").values_list("number", flat=True))
    assert order == [first.number, third.number, second.number]


def test_move_to_the_top_of_the_backlog_without_javascript(logged_in, project, member):
    first, second = (IssueFactory(project=project, actor=member) for _ in range(2))

    logged_in.post(url("backlog_move"), {"issue": second.number, "position": "top"})

    order = list(queries.backlog_issues(project).order_by("rank").values_list("number", flat=True))
    assert order == [second.number, first.number]


def test_htmx_moves_answer_with_the_sections(logged_in, project, member, sprint):
    issue = IssueFactory(project=project, actor=member)

    response = logged_in.post(
        url("backlog_move"), {"issue": issue.number, "sprint": sprint.pk}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert 'id="backlog-sections"' in response.content.decode()
    assert f"Moved WEB-{issue.number} to Sprint 7." in response.content.decode()


def test_moving_into_a_closed_sprint_is_refused(logged_in, project, member, sprint, db_snapshot):
    operations.start_sprint(sprint=sprint, actor=member, start=MONDAY, end=FRIDAY)
    operations.complete_sprint(sprint=sprint, actor=member)
    issue = IssueFactory(project=project, actor=member)
    before = db_snapshot()

    response = logged_in.post(
        url("backlog_move"), {"issue": issue.number, "sprint": sprint.pk}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert db_snapshot() == before


def test_moving_into_a_sprint_of_another_project_is_not_found(
    logged_in, project, member, db_snapshot
):
    foreign = SprintFactory(project=ProjectFactory(key="OPS"))
    issue = IssueFactory(project=project, actor=member)
    before = db_snapshot()

    response = logged_in.post(url("backlog_move"), {"issue": issue.number, "sprint": foreign.pk})

    assert response.status_code == 404
    assert db_snapshot() == before


def test_viewers_see_the_backlog_but_cannot_move(client, viewer, project, member, sprint):
    issue = IssueFactory(project=project, actor=member)
    client.force_login(viewer)

    page = client.get(url("backlog"))
    move = client.post(url("backlog_move"), {"issue": issue.number, "sprint": sprint.pk})

    assert page.status_code == 200
    assert 'class="menu-list menu-right move-form"' not in page.content.decode()
    assert move.status_code == 403


def test_moving_selected_issues_into_a_sprint(logged_in, project, member, sprint):
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]

    logged_in.post(
        url("backlog_plan"), {"issues": [i.number for i in issues[:2]], "sprint": sprint.pk}
    )

    assert list(sprint.issues.order_by("number")) == issues[:2]


def test_rank_by_score_reorders_the_selection_in_one_step(logged_in, project, member):
    low = IssueFactory(project=project, actor=member, estimate=5)
    other = IssueFactory(project=project, actor=member)
    high = IssueFactory(project=project, actor=member, estimate=1)
    unknown = IssueFactory(project=project, actor=member, estimate=2)
    for issue, value in ((low, 1), (high, 5)):
        issue_ops.update_issue(issue=issue, actor=member, changes={"value": value})
    selection = [low.number, high.number, unknown.number]

    logged_in.post(url("backlog_plan"), {"issues": selection, "action": "rank_by_score"})

    order = list(
        Issue.objects.filter(project=project).order_by("rank").values_list("pk", flat=True)
    )
    assert order == [high.pk, other.pk, low.pk, unknown.pk]
    assert IssueEvent.objects.filter(field="rank", new_value="ranked by score").count() == 2


def test_creating_a_sprint_with_dates_out_of_order_says_so(logged_in, project):
    response = logged_in.post(
        url("sprint_create"), {"name": "Backwards", "start": "2026-12-10", "end": "2026-12-01"}
    )

    assert response.status_code == 400
    assert "before the start date" in response.content.decode()
    assert not Sprint.objects.exists()


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-1-1", "\x00"])
def test_a_sprint_date_that_is_not_a_date_is_refused(logged_in, project, value):
    response = logged_in.post(url("sprint_create"), {"name": "S", "start": value})

    assert response.status_code == 400
    assert not Sprint.objects.exists()


def test_starting_a_second_sprint_is_refused_with_a_sentence(logged_in, project, member, sprint):
    operations.start_sprint(sprint=sprint, actor=member, start=MONDAY, end=FRIDAY)
    second = SprintFactory(project=project, name="Sprint 8")

    response = logged_in.post(
        url("sprint_start", second.pk), {"start": "2026-12-14", "end": "2026-12-25"}
    )

    assert response.status_code == 400
    assert "“Sprint 7” is still active" in response.content.decode()
    second.refresh_from_db()
    assert second.state == SprintState.PLANNED


def test_completing_a_sprint_sends_unfinished_issues_to_the_chosen_sprint(
    logged_in, project, member, sprint
):
    issue = IssueFactory(project=project, actor=member)
    plan(issue, sprint, member)
    operations.start_sprint(sprint=sprint, actor=member, start=MONDAY, end=FRIDAY)
    following = SprintFactory(project=project, name="Sprint 8")

    response = logged_in.post(url("sprint_complete", sprint.pk), {"move_to": following.pk})

    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.sprint == following


def test_the_sprint_filter_narrows_the_issue_list(logged_in, project, member, sprint):
    planned = IssueFactory(project=project, actor=member)
    plan(planned, sprint, member)
    unplanned = IssueFactory(project=project, actor=member)
    operations.start_sprint(sprint=sprint, actor=member, start=MONDAY, end=FRIDAY)
    list_url = reverse("issues:list", args=["WEB"])

    def listed(value):
        response = logged_in.get(list_url, {"sprint": value})
        return [issue.number for issue in response.context["page"]]

    assert listed("active") == [planned.number]
    assert listed(str(sprint.pk)) == [planned.number]
    assert listed("none") == [unplanned.number]


def test_an_unknown_sprint_filter_value_is_a_bad_request(logged_in):
    response = logged_in.get(reverse("issues:export", args=["WEB"]), {"sprint": "current"})

    assert response.status_code == 400


def test_setting_the_release_of_selected_issues(logged_in, project, member):
    release = ReleaseFactory(project=project, name="2.4.0")
    issues = [IssueFactory(project=project, actor=member) for _ in range(2)]

    logged_in.post(
        url("backlog_plan"),
        {"issues": [i.number for i in issues], "release": release.pk, "action": "set_release"},
    )

    assert list(release.issues.order_by("number")) == issues


def test_a_drag_is_answered_with_the_sections_totals_only(
    logged_in, project, member, sprint, django_assert_max_num_queries
):
    first = IssueFactory(project=project, actor=member, estimate=2)
    dragged = IssueFactory(project=project, actor=member, estimate=3)

    with django_assert_max_num_queries(
        31
    ):  # update_issue (validation, event, watchers), rank_issue
        response = logged_in.post(
            url("backlog_move"),
            {"issue": dragged.number, "sprint": sprint.pk, "after": first.number, "placed": "1"},
            HTTP_HX_REQUEST="true",
        )

    body = response.content.decode()
    assert 'id="section-header-backlog" hx-swap-oob="true"' in body
    assert "1 issue · 3 pts" in body
    assert 'class="backlog-row"' not in body
