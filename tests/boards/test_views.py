"""The board through HTTP: pages and fragments, moves, quick add, filters, lanes, live refresh."""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from boards.board import PAGE_SIZE, fingerprint
from issues import operations
from issues.models import Issue, IssueEvent, Kind, Priority, Role, Source
from tests.factories import IssueFactory, LabelFactory, TransitionFactory, UserFactory

from .builders import bulk_issues

BOARD = "/projects/WEB/board/"
MOVE = "/projects/WEB/board/move/"
ADD = "/projects/WEB/board/add/"
COLUMN = "/projects/WEB/board/column/"


def column_html(response, status) -> str:
    """The HTML of one column of a board page or of an out-of-band answer."""
    html = response.content.decode()
    start = html.index(f'id="column-{status.pk}"')
    end = html.find('<section class="column"', start)
    return html[start : end if end != -1 else len(html)]


def card_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card" id="card-(\d+)"', html)]


def snapshot(project) -> list[tuple]:
    """Everything a refused request must leave alone."""
    rows = Issue.objects.filter(project=project).order_by("pk")
    return [
        *rows.values_list("pk", "status_id", "rank", "version", "title"),
        IssueEvent.objects.count(),
    ]


# The page ----------------------------------------------------------------------------------


def test_board_shows_the_workflow_columns_in_order_without_triage_and_canceled(as_member):
    response = as_member.get(BOARD)
    assert response.status_code == 200
    titles = re.findall(r'class="column-title"[^>]*>([^<]+)<', response.content.decode())
    assert titles == ["Backlog", "To do", "In progress", "In review", "Done"]


def test_hidden_columns_are_shown_when_the_url_asks(as_member):
    response = as_member.get(BOARD, {"show": ["triage", "canceled"]})
    titles = re.findall(r'class="column-title"[^>]*>([^<]+)<', response.content.decode())
    assert titles[0] == "Triage"
    assert titles[-1] == "Canceled"


def test_column_header_shows_count_wip_limit_and_points(as_member, project, member, status):
    in_progress = status("In progress")
    in_progress.wip_limit = 5
    in_progress.save()
    for estimate in (3, 5, None):
        IssueFactory(project=project, actor=member, status=in_progress, estimate=estimate)
    html = column_html(as_member.get(BOARD), in_progress)
    assert '<span class="column-count"' in html
    assert ">3</span>" in html
    assert "3 / 5</span>" in html
    assert "8 pts" in html
    assert "wip-at" not in html
    assert "wip-over" not in html


def test_column_at_its_wip_limit_is_highlighted(as_member, project, member, status):
    in_review = status("In review")
    IssueFactory(project=project, actor=member, status=in_review)
    in_review.wip_limit = 1
    in_review.save()
    assert 'class="wip wip-at"' in column_html(as_member.get(BOARD), in_review)


def test_column_over_its_wip_limit_is_highlighted(as_member, project, member, status):
    in_review = status("In review")
    IssueFactory.create_batch(3, project=project, actor=member, status=in_review)
    in_review.wip_limit = 2
    in_review.save()
    html = column_html(as_member.get(BOARD), in_review)
    assert 'class="wip wip-over"' in html
    assert "3 / 2" in html


def test_card_shows_what_helps_decide(as_member, project, member, other_member, status):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout revamp")
    label = LabelFactory(project=project, name="Payments", color="#fbca04")
    story = IssueFactory(
        project=project,
        actor=member,
        title="Pay with a saved card",
        parent=epic,
        priority=Priority.URGENT,
        assignee=other_member,
        estimate=5,
        labels=[label],
        status=status("In progress"),
    )
    IssueFactory(
        project=project, actor=member, kind=Kind.SUBTASK, parent=story, status=status("Done")
    )
    IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    html = as_member.get(BOARD).content.decode()
    card = html[html.index(f'id="card-{story.number}"') :]
    card = card[: card.index("</article>")]
    assert f"WEB-{story.number}" in card
    assert "Pay with a saved card" in card
    assert 'aria-label="Story"' in card
    assert 'aria-label="Urgent priority"' in card
    assert "Payments" in card
    # The chip's colour comes from the board's one label stylesheet, black text on yellow.
    assert f'class="chip label-chip lb{label.pk}"' in card
    assert f".lb{label.pk}{{background:#fbca04;color:#000000}}" in html
    initials = (other_member.first_name[0] + other_member.last_name[0]).upper()
    assert f">{initials}</span>" in card
    assert f'title="{other_member.get_full_name()}"' in card
    assert 'title="5 story points">5<' in card
    assert "1 / 2" in card
    assert "Checkout revamp" in card
    assert f'href="../issues/{story.number}/"' in card  # relative to the board's address


def test_user_text_on_cards_is_escaped(as_member, project, member):
    IssueFactory(project=project, actor=member, title='<script>alert("x")</script>')
    html = as_member.get(BOARD).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_htmx_request_gets_only_the_board(htmx_member):
    response = htmx_member.get(BOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board-body"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(htmx_member):
    response = htmx_member.get(BOARD, headers={"HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_viewer_sees_the_board_without_move_or_add_controls(client, viewer, project, member):
    IssueFactory(project=project, actor=member)
    client.force_login(viewer)
    html = client.get(BOARD).content.decode()
    assert 'class="card"' in html
    assert "move-form" not in html
    assert "card-menu-button" not in html
    assert "quick-add" not in html


# Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", BOARD), ("post", MOVE), ("post", ADD), ("get", COLUMN)],
)
def test_anonymous_users_are_sent_to_log_in(client, project, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_htmx_requests_redirect_the_whole_page_to_log_in(htmx_client, project):
    response = htmx_client.get(BOARD)
    assert response["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", BOARD), ("post", MOVE), ("post", ADD), ("get", COLUMN)],
)
def test_outsiders_get_404(client, outsider, project, method, url):
    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 404


def test_viewer_cannot_move_cards(htmx_client, viewer, issue, status):
    htmx_client.force_login(viewer)
    before = snapshot(issue.project)
    response = htmx_client.post(MOVE, {"issue": issue.number, "status": status("Done").pk})
    assert response.status_code == 403
    assert "member role" in unquote(response["X-Error-Message"])
    assert snapshot(issue.project) == before


def test_viewer_cannot_quick_add(htmx_client, viewer, project, status):
    htmx_client.force_login(viewer)
    response = htmx_client.post(ADD, {"status": status("To do").pk, "title": "Sneaky"})
    assert response.status_code == 403
    assert not Issue.objects.filter(title="Sneaky").exists()


# Moves -----------------------------------------------------------------------------------------


def test_move_to_another_column_answers_with_both_columns(htmx_member, project, member, status):
    todo, doing = status("To do"), status("In progress")
    issue = IssueFactory(project=project, actor=member, status=todo, estimate=3)
    response = htmx_member.post(MOVE, {"issue": issue.number, "status": doing.pk})
    assert response.status_code == 200
    issue.refresh_from_db()
    assert issue.status == doing
    html = response.content.decode()
    assert f'id="column-{todo.pk}" data-status="{todo.pk}"' in html
    assert html.count('hx-swap-oob="true"') == 2
    assert card_numbers(column_html(response, doing)) == [issue.number]
    assert "3 pts" in column_html(response, doing)
    assert card_numbers(column_html(response, todo)) == []
    assert f"Moved WEB-{issue.number} to In progress." in html


def test_move_between_neighbours_sets_the_order(htmx_member, project, member, status):
    doing = status("In progress")
    first, second, third = IssueFactory.create_batch(3, project=project, actor=member, status=doing)
    response = htmx_member.post(
        MOVE,
        {
            "issue": third.number,
            "status": doing.pk,
            "after": first.number,
            "before": second.number,
        },
    )
    assert response.status_code == 200
    order = list(doing.issues.order_by("rank").values_list("number", flat=True))
    assert order == [first.number, third.number, second.number]


def header_html(response, status) -> str:
    html = response.content.decode()
    start = html.index(f'<header class="column-header" id="column-header-{status.pk}"')
    return html[start : html.index("</header>", start)]


def card_html(response, number) -> str:
    html = response.content.decode()
    start = html.index(f'<article class="card" id="card-{number}"')
    return html[start : html.index("</article>", start)]


def test_dragged_card_is_answered_with_both_headers_and_the_changed_cards(
    htmx_member, project, member, status
):
    todo, doing = status("To do"), status("In progress")
    doing.wip_limit = 3
    doing.save()
    top, moved, rest = IssueFactory.create_batch(3, project=project, actor=member, status=todo)
    moved.estimate = 5
    moved.save()
    first, last = (
        IssueFactory(project=project, actor=member, status=doing, estimate=2) for _ in range(2)
    )
    response = htmx_member.post(
        MOVE,
        {"issue": moved.number, "status": doing.pk, "after": first.number, "before": last.number},
    )
    assert response.status_code == 200
    html = response.content.decode()
    # No column is re-rendered: the browser already shows the card in its place.
    assert '<section class="column"' not in html
    assert 'id="cards-' not in html
    doing_header, todo_header = header_html(response, doing), header_html(response, todo)
    assert 'hx-swap-oob="true"' in doing_header
    assert 'class="column-count"' in doing_header and ">3</span>" in doing_header
    assert 'class="wip wip-at"' in doing_header and "3 / 3</span>" in doing_header
    assert "9 pts" in doing_header
    assert ">2</span>" in todo_header
    assert "0 pts" in todo_header
    # The moved card and its old and new neighbours.
    assert sorted(card_numbers(html)) == sorted(
        [top.number, moved.number, rest.number, first.number, last.number]
    )
    assert 'hx-swap-oob="true"' in card_html(response, moved.number)
    assert f"Moved WEB-{moved.number} to In progress." in html


def test_dragged_card_in_its_column_refreshes_one_header(htmx_member, project, member, status):
    doing = status("In progress")
    first, second, third = IssueFactory.create_batch(3, project=project, actor=member, status=doing)
    response = htmx_member.post(
        MOVE, {"issue": third.number, "status": doing.pk, "before": first.number}
    )
    html = response.content.decode()
    assert html.count('<header class="column-header"') == 1
    assert ">3</span>" in header_html(response, doing)
    assert sorted(card_numbers(html)) == sorted([first.number, second.number, third.number])


def test_dragged_card_on_a_filtered_board_counts_what_matches(
    htmx_member, project, member, other_member, status
):
    todo, doing = status("To do"), status("In progress")
    mine = IssueFactory(project=project, actor=member, status=todo, assignee=member)
    beside = IssueFactory(project=project, actor=member, status=doing, assignee=member)
    IssueFactory(project=project, actor=member, status=doing, assignee=other_member)
    response = htmx_member.post(
        f"{MOVE}?assignee=me", {"issue": mine.number, "status": doing.pk, "after": beside.number}
    )
    header = header_html(response, doing)
    assert ">2</span>" in header
    assert "2 of 3 issues match the filters" in header


@pytest.mark.django_db(transaction=True)  # As in production: no test transaction around it.
@pytest.mark.parametrize("size", [5, 200])
@pytest.mark.parametrize("known", [False, True])
def test_drag_queries_do_not_grow_with_the_column(
    htmx_member, project, member, status, django_assert_max_num_queries, size, known
):
    todo, doing = status("To do"), status("In progress")
    bulk_issues(project, size, status=doing, actor=member)
    issue = IssueFactory(project=project, actor=member, status=todo)
    first, second = doing.issues.order_by("rank")[:2]
    headers = {}
    if known:  # The browser's board is up to date: the answer hands back the next version.
        headers = {"X-Board-Version": htmx_member.get(BOARD).headers["X-Board-Version"]}
    # 10 statements, and the transaction's BEGIN and COMMIT (which Django logs too; the old
    # figure, 20 with the test transaction's savepoint pairs, counted them as well): session,
    # user, project with role; the card and its neighbours with the ranks beside them (and
    # whether the board is unchanged since the version the browser sent); the move: the
    # target status locked with the workflow's word on the move, the card locked, its row,
    # its event and the notifications task; the answer: the cards around both places with
    # their labels, progress and the two columns' totals. No savepoint around the rank (a
    # clash runs the whole move again), no status list, nothing read twice.
    with django_assert_max_num_queries(12):
        response = htmx_member.post(
            MOVE,
            {
                "issue": issue.number,
                "status": doing.pk,
                "after": first.number,
                "before": second.number,
            },
            headers=headers,
        )
    assert response.status_code == 200
    assert f">{size + 1}</span>" in header_html(response, doing)
    assert f">{0}</span>" in header_html(response, todo)
    assert ("X-Board-Version" in response.headers) == known
    ranks = list(doing.issues.order_by("rank").values_list("number", flat=True)[:3])
    assert ranks == [first.number, issue.number, second.number]


def test_keyboard_move_to_another_column_re_renders_the_columns(
    htmx_member, project, member, status
):
    todo, doing = status("To do"), status("In progress")
    staying = IssueFactory(project=project, actor=member, status=doing)
    issue = IssueFactory(project=project, actor=member, status=todo)
    response = htmx_member.post(MOVE, {"issue": issue.number, "status": doing.pk})
    assert card_numbers(column_html(response, doing)) == [staying.number, issue.number]


def test_move_up_without_a_status_keeps_the_column(htmx_member, project, member, status):
    todo = status("To do")
    first, second = IssueFactory.create_batch(2, project=project, actor=member, status=todo)
    response = htmx_member.post(MOVE, {"issue": second.number, "before": first.number})
    assert response.status_code == 200
    assert list(todo.issues.order_by("rank")) == [second, first]


def test_form_post_moves_and_redirects_back_to_the_filtered_board(as_member, issue, status):
    response = as_member.post(
        f"{MOVE}?assignee=me&group=priority", {"issue": issue.number, "status": status("Done").pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}?assignee=me&group=priority"
    issue.refresh_from_db()
    assert issue.status == status("Done")
    page = as_member.get(response["Location"]).content.decode()
    assert f"Moved WEB-{issue.number} to Done." in page


def test_move_into_a_column_at_its_wip_limit_is_refused(htmx_member, project, member, status):
    doing = status("In progress")
    IssueFactory(project=project, actor=member, status=doing)
    doing.wip_limit = 1
    doing.save()
    issue = IssueFactory(project=project, actor=member)
    before = snapshot(project)
    response = htmx_member.post(MOVE, {"issue": issue.number, "status": doing.pk})
    assert response.status_code == 409
    assert "WIP limit" in unquote(response["X-Error-Message"])
    assert snapshot(project) == before


def test_move_the_workflow_does_not_allow_is_refused(htmx_member, project, issue, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    before = snapshot(project)
    response = htmx_member.post(MOVE, {"issue": issue.number, "status": status("Done").pk})
    assert response.status_code == 409
    assert "does not allow" in unquote(response["X-Error-Message"])
    assert snapshot(project) == before


def test_move_next_to_a_card_of_another_column_is_refused_as_stale(
    htmx_member, project, member, issue, status
):
    elsewhere = IssueFactory(project=project, actor=member, status=status("Backlog"))
    before = snapshot(project)
    response = htmx_member.post(
        MOVE, {"issue": issue.number, "status": status("Done").pk, "after": elsewhere.number}
    )
    assert response.status_code == 409
    assert "out of date" in unquote(response["X-Error-Message"])
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, 400),
        ({"issue": "abc"}, 400),
        ({"issue": "-3"}, 400),
        ({"issue": "99999"}, 404),
        ({"issue": "{issue}", "status": "x"}, 400),
        ({"issue": "{issue}", "status": "999999"}, 404),
        ({"issue": "{issue}", "status": "{foreign}"}, 404),
        ({"issue": "{issue}", "status": "{done}", "after": "99999"}, 409),
        ({"issue": "{issue}", "status": "{done}", "before": "1e3"}, 400),
        ({"issue": "{issue}", "status": "{done}", "after": "{issue}"}, 400),
    ],
)
def test_bad_move_requests_are_refused_and_change_nothing(htmx_member, issue, status, data, code):
    other = operations.create_project(key="OPS", name="Operations")
    values = {
        "issue": issue.number,
        "done": status("Done").pk,
        "foreign": other.default_status().pk,
    }
    data = {name: value.format(**values) for name, value in data.items()}
    before = snapshot(issue.project)
    response = htmx_member.post(MOVE, data)
    assert response.status_code == code
    assert response["X-Error-Message"]
    assert snapshot(issue.project) == before


def test_refused_form_post_shows_the_board_with_the_reason(as_member, project, member, status):
    doing = status("In progress")
    IssueFactory(project=project, actor=member, status=doing)
    doing.wip_limit = 1
    doing.save()
    issue = IssueFactory(project=project, actor=member)
    response = as_member.post(MOVE, {"issue": issue.number, "status": doing.pk})
    assert response.status_code == 409
    html = response.content.decode()
    assert "is at its WIP limit" in html
    assert 'id="board-body"' in html


def test_move_in_a_swimlane_board_answers_with_the_whole_board(htmx_member, issue, status):
    response = htmx_member.post(
        f"{MOVE}?group=assignee", {"issue": issue.number, "status": status("Done").pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="board-body"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Unassigned" in html


# Quick add -------------------------------------------------------------------------------------


def test_quick_add_creates_a_story_at_the_bottom_of_the_column(
    htmx_member, project, member, status
):
    doing = status("In progress")
    existing = IssueFactory(project=project, actor=member, status=doing)
    response = htmx_member.post(ADD, {"status": doing.pk, "title": "  Write release notes "})
    assert response.status_code == 200
    issue = Issue.objects.get(title="Write release notes")
    assert (issue.kind, issue.status, issue.reporter) == (Kind.STORY, doing, member)
    assert list(doing.issues.order_by("rank")) == [existing, issue]
    html = response.content.decode()
    assert card_numbers(html) == [issue.number]
    assert f'id="column-header-{doing.pk}" hx-swap-oob="true"' in html
    assert "<html" not in html


def test_quick_add_form_post_redirects_to_the_board(as_member, status):
    response = as_member.post(ADD, {"status": status("To do").pk, "title": "Plain form"})
    assert response.status_code == 302
    assert response["Location"] == BOARD
    assert Issue.objects.filter(title="Plain form").exists()


@pytest.mark.parametrize(("title", "code"), [("", 400), ("   ", 400), ("x" * 201, 400)])
def test_quick_add_with_a_bad_title_is_refused(htmx_member, project, status, title, code):
    before = snapshot(project)
    response = htmx_member.post(ADD, {"status": status("To do").pk, "title": title})
    assert response.status_code == code
    assert response["X-Error-Message"]
    assert snapshot(project) == before


def test_quick_add_into_a_full_column_is_refused(htmx_member, project, member, status):
    doing = status("In progress")
    IssueFactory(project=project, actor=member, status=doing)
    doing.wip_limit = 1
    doing.save()
    response = htmx_member.post(ADD, {"status": doing.pk, "title": "One more"})
    assert response.status_code == 409
    assert not Issue.objects.filter(title="One more").exists()


def test_quick_add_into_another_projects_column_is_404(htmx_member, project):
    other = operations.create_project(key="OPS", name="Operations")
    response = htmx_member.post(ADD, {"status": other.default_status().pk, "title": "Lost"})
    assert response.status_code == 404
    assert not Issue.objects.filter(title="Lost").exists()


# Filters ---------------------------------------------------------------------------------------


@pytest.fixture
def mixed(project, member, other_member, status):
    """Issues that each filter tells apart."""
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Search epic")
    label = LabelFactory(project=project, name="Frontend")
    return {
        "mine": IssueFactory(
            project=project, actor=member, title="Fix the login button", assignee=member
        ),
        "bob": IssueFactory(
            project=project,
            actor=member,
            title="Speed up search",
            assignee=other_member,
            parent=epic,
            priority=Priority.HIGH,
        ),
        "bug": IssueFactory(
            project=project,
            actor=member,
            title="Crash on empty cart",
            kind=Kind.BUG,
            labels=[label],
            source=Source.SUPPORT_TICKET,
        ),
        "epic": epic,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "login"}, {"mine"}),
        ({"q": "WEB-{bug}"}, {"bug"}),
        ({"assignee": "me"}, {"mine"}),
        ({"assignee": "bob"}, {"bob"}),
        ({"assignee": "none"}, {"bug", "epic"}),
        ({"label": "Frontend"}, {"bug"}),
        ({"kind": "bug"}, {"bug"}),
        ({"priority": "high"}, {"bob"}),
        ({"epic": "{epic}"}, {"bob"}),
        ({"source": "support_ticket"}, {"bug"}),
    ],
)
def test_filters_narrow_the_board(as_member, mixed, query, expected):
    numbers = {name: issue.number for name, issue in mixed.items()}
    query = {name: value.format(**numbers) for name, value in query.items()}
    response = as_member.get(BOARD, query)
    assert response.status_code == 200
    shown = set(card_numbers(response.content.decode()))
    assert shown == {numbers[name] for name in expected}


def test_filtered_board_keeps_its_filters_in_forms_and_links(as_member, mixed):
    html = as_member.get(BOARD, {"assignee": "me", "kind": "story"}).content.decode()
    assert 'action="/projects/WEB/board/move/?assignee=me&amp;kind=story"' in html
    assert 'action="/projects/WEB/board/add/?assignee=me&amp;kind=story"' in html
    assert "1</strong> matching issue" in html
    assert 'href="/projects/WEB/board/" hx-get="/projects/WEB/board/"' in html


def test_clear_filters_keeps_swimlanes_and_shown_columns(as_member, mixed):
    html = as_member.get(BOARD, {"q": "login", "group": "epic", "show": "triage"}).content.decode()
    assert 'href="/projects/WEB/board/?show=triage&amp;group=epic"' in html


def test_filter_that_matches_nothing_says_so(as_member, mixed):
    html = as_member.get(BOARD, {"q": "nothing like this"}).content.decode()
    assert "No issues match these filters" in html
    assert "Clear filters" in html


@pytest.mark.parametrize(
    "query",
    [
        {"assignee": "ghost"},
        {"label": "No such label"},
        {"kind": "feature"},
        {"priority": "critical"},
        {"epic": "99999"},
        {"epic": "abc"},
        {"source": "fax"},
        {"group": "status"},
        {"show": "done"},
        {"q": "x" * 500},
    ],
)
def test_invalid_filters_show_the_error_instead_of_failing(as_member, htmx_member, mixed, query):
    response = as_member.get(BOARD, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="board-errors" role="alert"' in html
    assert 'id="board-body"' in html
    assert htmx_member.get(BOARD, query).status_code == 400


def test_wip_counts_the_whole_column_when_filters_hide_cards(
    as_member, project, member, other_member, status
):
    doing = status("In progress")
    IssueFactory(project=project, actor=member, status=doing, assignee=other_member)
    IssueFactory(project=project, actor=member, status=doing, assignee=member)
    doing.wip_limit = 2
    doing.save()
    html = column_html(as_member.get(BOARD, {"assignee": "me"}), doing)
    assert "2 / 2" in html
    assert "wip-at" in html
    assert len(card_numbers(html)) == 1


# Swimlanes -------------------------------------------------------------------------------------


def test_swimlanes_by_assignee_split_the_columns(as_member, mixed, member, other_member):
    html = as_member.get(BOARD, {"group": "assignee"}).content.decode()
    lanes = re.findall(r'<section class="lane" aria-labelledby="lane-(\w+)"', html)
    assert lanes == [str(member.pk), str(other_member.pk), "none"] or lanes == [
        str(other_member.pk),
        str(member.pk),
        "none",
    ]
    assert 'id="cards-{}-none"'.format(mixed["bug"].status_id) in html


def test_swimlanes_by_epic_put_stories_under_their_epic(as_member, mixed):
    html = as_member.get(BOARD, {"group": "epic"}).content.decode()
    epic = mixed["epic"]
    lane = html[html.index(f'aria-labelledby="lane-{epic.pk}"') :]
    lane = lane[: lane.index("</section>")]
    assert set(card_numbers(lane)) == {epic.number, mixed["bob"].number}
    assert "No epic" in html


def test_swimlanes_by_priority_go_from_urgent_to_none(as_member, project, member):
    for priority in (Priority.LOW, Priority.URGENT, Priority.NONE):
        IssueFactory(project=project, actor=member, priority=priority)
    html = as_member.get(BOARD, {"group": "priority"}).content.decode()
    lanes = re.findall(r'<section class="lane" aria-labelledby="lane-(\w+)"', html)
    assert lanes == [str(Priority.URGENT.value), str(Priority.LOW.value), str(Priority.NONE.value)]


def lane_titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="lane-title" id="lane-\w+">(.*?)</h2>', html, re.S)


def test_priority_lanes_are_headed_by_the_priority_icon(as_member, project, member):
    for priority in (Priority.URGENT, Priority.NONE):
        IssueFactory(project=project, actor=member, priority=priority)
    urgent, none = lane_titles(as_member.get(BOARD, {"group": "priority"}).content.decode())
    assert 'class="priority-icon priority-urgent"' in urgent
    assert "priority-icon" not in none


def test_epic_lanes_are_headed_by_the_epic_icon(as_member, mixed):
    epic, no_epic = lane_titles(as_member.get(BOARD, {"group": "epic"}).content.decode())
    assert 'class="kind-icon kind-epic"' in epic
    assert "kind-icon" not in no_epic


# Big boards --------------------------------------------------------------------------------------


def test_column_renders_its_first_cards_and_offers_the_rest(as_member, project, member, status):
    doing = status("In progress")
    bulk_issues(project, PAGE_SIZE + 7, status=doing, actor=member)
    html = column_html(as_member.get(BOARD), doing)
    assert len(card_numbers(html)) == PAGE_SIZE
    assert "Show 7 more" in html


def test_show_more_loads_the_next_cards_of_a_column(htmx_member, project, member, status):
    doing = status("In progress")
    issues = bulk_issues(project, PAGE_SIZE + 7, status=doing, actor=member)
    response = htmx_member.get(COLUMN, {"column": doing.pk, "offset": PAGE_SIZE})
    assert response.status_code == 200
    html = response.content.decode()
    assert card_numbers(html) == [issue.number for issue in issues[PAGE_SIZE:]]
    assert f'id="more-{doing.pk}" hx-swap-oob="true"' in html
    assert "Show" not in html.split('id="more-')[1]


def test_the_live_refresh_reloads_as_many_cards_as_a_column_showed(
    htmx_member, project, member, status, django_assert_max_num_queries
):
    doing = status("In progress")
    issues = bulk_issues(project, 2 * PAGE_SIZE + 30, status=doing, actor=member)
    query = {"column": doing.pk, "offset": PAGE_SIZE, "limit": PAGE_SIZE + 20}
    with django_assert_max_num_queries(12):
        response = htmx_member.get(COLUMN, query)
    html = response.content.decode()
    assert card_numbers(html) == [issue.number for issue in issues[PAGE_SIZE : 2 * PAGE_SIZE + 20]]
    more = html.split('id="more-')[1]
    assert "Show 10 more" in more
    assert f"offset={2 * PAGE_SIZE + 20}" in more
    assert "limit" not in more  # the next "Show more" is a page again


def test_show_more_keeps_the_filters(htmx_member, project, member, other_member, status):
    doing = status("In progress")
    bulk_issues(project, 60, status=doing, actor=member, assignee=member)
    bulk_issues(project, 60, status=doing, actor=member, assignee=other_member)
    response = htmx_member.get(COLUMN, {"column": doing.pk, "offset": 50, "assignee": "me"})
    html = response.content.decode()
    assert len(card_numbers(html)) == 10
    assert "Show" not in html.split('id="more-')[1]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"column": "x", "offset": "0"},
        {"column": "{todo}", "offset": "-1"},
        {"column": "{todo}", "offset": "a"},
        {"column": "{todo}", "offset": "0", "group": "nope"},
        {"column": "{todo}", "offset": "0", "group": "assignee", "lane": "x"},
        {"column": "{todo}", "offset": "0", "kind": "feature"},
        {"column": "{todo}", "offset": "0", "limit": "0"},
        {"column": "{todo}", "offset": "0", "limit": "501"},
        {"column": "{todo}", "offset": "0", "limit": "-5"},
        {"column": "{todo}", "offset": "0", "limit": ""},
    ],
)
def test_bad_show_more_requests_are_400(htmx_member, status, query):
    query = {name: value.format(todo=status("To do").pk) for name, value in query.items()}
    assert htmx_member.get(COLUMN, query).status_code == 400


@pytest.mark.parametrize("query", [{}, {"group": "epic"}, {"group": "assignee"}])
def test_board_queries_do_not_grow_with_the_issues(
    as_member, busy_board, django_assert_max_num_queries, query
):
    busy_board(10)
    with django_assert_max_num_queries(10) as small:
        assert as_member.get(BOARD, query).status_code == 200
    busy_board(500)
    with django_assert_max_num_queries(len(small)) as big:
        response = as_member.get(BOARD, query)
    assert response.status_code == 200
    assert len(card_numbers(response.content.decode())) >= PAGE_SIZE
    assert len(big) == len(small)


def test_htmx_board_queries_do_not_grow_with_the_issues(
    htmx_member, busy_board, django_assert_max_num_queries
):
    busy_board(500)
    with django_assert_max_num_queries(10):  # 9, + the unread count the answer carries
        assert htmx_member.get(BOARD, {"assignee": "bob"}).status_code == 200


def test_show_more_queries_do_not_grow_with_the_issues(
    htmx_member, busy_board, status, django_assert_max_num_queries
):
    busy_board(500)
    done = status("Done")
    with django_assert_max_num_queries(10):
        response = htmx_member.get(COLUMN, {"column": done.pk, "offset": 50})
    assert len(card_numbers(response.content.decode())) == PAGE_SIZE


# Live board ------------------------------------------------------------------------------------


def test_poll_with_the_current_version_is_answered_with_204(htmx_member, project, issue):
    version = htmx_member.get(BOARD)["X-Board-Version"]
    assert version == fingerprint(project)
    response = htmx_member.get(BOARD, headers={"X-Board-Version": version})
    assert response.status_code == 204
    assert response.content == b""


def test_poll_after_a_teammates_change_gets_the_board(htmx_member, project, issue, other_member):
    version = htmx_member.get(BOARD)["X-Board-Version"]
    operations.update_issue(issue=issue, actor=other_member, changes={"title": "Renamed by Bob"})
    response = htmx_member.get(BOARD, headers={"X-Board-Version": version})
    assert response.status_code == 200
    assert "Renamed by Bob" in response.content.decode()
    assert response["X-Board-Version"] != version


@pytest.mark.parametrize("version", ["", "nonsense", "1-2-3"])
def test_poll_with_a_strange_version_gets_the_board(htmx_member, issue, version):
    response = htmx_member.get(BOARD, headers={"X-Board-Version": version})
    assert response.status_code == 200
    assert card_numbers(response.content.decode()) == [issue.number]


def test_poll_after_an_own_move_and_a_deletion_gets_the_board(
    htmx_member, project, member, admin_user, issue, status
):
    other = IssueFactory(project=project, actor=member)
    version = htmx_member.get(BOARD)["X-Board-Version"]
    operations.delete_issue(issue=other, actor=admin_user)
    moved = htmx_member.post(
        MOVE,
        {"issue": issue.number, "status": status("Done").pk},
        headers={"X-Board-Version": version},
    )
    # The deletion went unseen by the move; the count tells the next poll.
    response = htmx_member.get(BOARD, headers={"X-Board-Version": moved["X-Board-Version"]})
    assert response.status_code == 200
    assert card_numbers(response.content.decode()) == [issue.number]


def test_poll_notices_a_deleted_issue(htmx_member, project, issue, admin_user):
    version = htmx_member.get(BOARD)["X-Board-Version"]
    operations.delete_issue(issue=issue, actor=admin_user)
    assert htmx_member.get(BOARD, headers={"X-Board-Version": version}).status_code == 200


def test_move_from_an_up_to_date_board_hands_back_the_new_version(htmx_member, issue, status):
    version = htmx_member.get(BOARD)["X-Board-Version"]
    response = htmx_member.post(
        MOVE,
        {"issue": issue.number, "status": status("Done").pk},
        headers={"X-Board-Version": version},
    )
    assert response["X-Board-Version"] == fingerprint(issue.project)


def test_move_from_an_outdated_board_leaves_the_refresh_to_the_poll(
    htmx_member, project, member, issue, status
):
    version = htmx_member.get(BOARD)["X-Board-Version"]
    IssueFactory(project=project, actor=member, title="Added by a teammate")
    response = htmx_member.post(
        MOVE,
        {"issue": issue.number, "status": status("Done").pk},
        headers={"X-Board-Version": version},
    )
    assert response.status_code == 200
    assert "X-Board-Version" not in response


def test_board_page_tells_the_script_how_often_to_poll(as_member, settings):
    settings.BOARD_POLL_INTERVAL_MS = 10_000
    assert 'data-poll-interval="10000"' in as_member.get(BOARD).content.decode()


def test_superuser_who_is_not_a_member_can_use_the_board(client, project, issue, status):
    boss = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(boss)
    assert client.get(BOARD).status_code == 200
    response = client.post(MOVE, {"issue": issue.number, "status": status("Done").pk})
    assert response.status_code == 302


def test_members_added_later_see_moves_they_may_make(client, project, issue):
    newcomer = UserFactory(username="nina")
    operations.add_member(project=project, user=newcomer, role=Role.MEMBER)
    client.force_login(newcomer)
    assert "move-form" in client.get(BOARD).content.decode()


def test_invalid_filters_do_not_claim_to_filter(as_member, mixed):
    html = as_member.get(BOARD, {"kind": "feature"}).content.decode()
    assert "matching issue" not in html
    assert len(card_numbers(html)) == len(mixed)


def test_swimlane_cells_offer_more_cards(htmx_member, project, member, status):
    doing = status("In progress")
    issues = bulk_issues(project, PAGE_SIZE + 3, status=doing, actor=member)
    html = htmx_member.get(BOARD, {"group": "priority"}).content.decode()
    assert len(card_numbers(html)) == PAGE_SIZE
    assert "Show more" in html
    lane = str(issues[0].priority)
    response = htmx_member.get(
        COLUMN, {"column": doing.pk, "offset": PAGE_SIZE, "group": "priority", "lane": lane}
    )
    assert card_numbers(response.content.decode()) == [i.number for i in issues[PAGE_SIZE:]]
    assert f'id="more-{doing.pk}-{lane}" hx-swap-oob="true"' in response.content.decode()


def test_move_keeps_as_many_cards_as_the_browser_had_loaded(htmx_member, project, member, status):
    todo, doing = status("To do"), status("In progress")
    bulk_issues(project, 80, status=doing, actor=member)
    issue = IssueFactory(project=project, actor=member, status=todo)
    response = htmx_member.post(
        MOVE, {"issue": issue.number, "status": doing.pk, f"loaded_{doing.pk}": "75"}
    )
    assert len(card_numbers(column_html(response, doing))) == 75
    assert "Show 6 more" in column_html(response, doing)


def test_nothing_a_user_typed_runs_on_the_board(as_member, project, member, status):
    payload = '<img src=x onerror="alert(1)">'
    doing = status("In progress")
    doing.name = f"Doing {payload}"
    doing.save()
    label = LabelFactory(project=project, name=f"L {payload}", description=payload)
    member.first_name = payload
    member.save()
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title=f"E {payload}")
    IssueFactory(
        project=project,
        actor=member,
        title=f"T {payload}",
        parent=epic,
        labels=[label],
        assignee=member,
        status=doing,
    )
    for query in ({}, {"group": "epic"}, {"group": "assignee"}):
        html = as_member.get(BOARD, query).content.decode()
        assert payload not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


# Export --------------------------------------------------------------------------------------


def export_href(html: str) -> str:
    match = re.search(r'id="board-export"[^>]*href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&")


def exported_keys(client, href: str) -> list[str]:
    response = client.get(href)
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    return [line.split(",")[0] for line in lines[1:]]


def test_board_export_holds_the_visible_columns_in_board_order(as_member, project, member, status):
    todo = [IssueFactory(project=project, actor=member, title=f"Todo {i}") for i in range(3)]
    doing = IssueFactory(project=project, actor=member, title="Doing")
    operations.move_issue(issue=doing, actor=member, status=status("In progress"))
    operations.move_issue(issue=todo[2], actor=member, status=status("To do"), before=todo[0])
    hidden = IssueFactory(project=project, actor=member, status=status("Triage"))

    keys = exported_keys(as_member, export_href(as_member.get(BOARD).content.decode()))

    assert keys == [todo[2].key, todo[0].key, todo[1].key, doing.key]
    assert hidden.key not in keys


def test_board_export_follows_the_filters(htmx_member, project, member):
    bug = IssueFactory(project=project, actor=member, kind=Kind.BUG, title="Crash on save")
    IssueFactory(project=project, actor=member, kind=Kind.STORY, title="Dark mode")

    html = htmx_member.get(BOARD, {"kind": "bug"}).content.decode()

    assert 'hx-swap-oob="true"' in html.split('id="board-export"')[1].split(">")[0]
    assert exported_keys(htmx_member, export_href(html)) == [bug.key]


def test_the_label_stylesheet_takes_only_valid_colours(as_member, project, member):
    from issues.models import Label

    good = LabelFactory(project=project, name="Good", color="#0e8a16")
    bad = LabelFactory(project=project, name="Bad", color="#000000")
    Label.objects.filter(pk=bad.pk).update(color="}body{")  # past the model's validator
    IssueFactory(project=project, actor=member, labels=[good, bad])
    html = as_member.get(BOARD).content.decode()
    style = html[html.index('<style id="board-label-style">') :]
    style = style[: style.index("</style>")]
    assert f".lb{good.pk}{{background:#0e8a16;color:#000000}}" in style
    assert f".lb{bad.pk}" not in style and "body" not in style
