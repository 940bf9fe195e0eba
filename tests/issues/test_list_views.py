"""The issue list: filters, search, ordering, pages, bulk edit, permissions, query counts."""

import datetime
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues import operations, views
from issues.models import Issue, IssueEvent, Kind, Priority
from tests.factories import IssueFactory, LabelFactory, TransitionFactory
from tests.issues.test_markdown import XSS_PAYLOADS, live_markup

HTMX = {"HTTP_HX_REQUEST": "true"}


def list_url(**params):
    url = reverse("issues:list", args=["WEB"])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params, doseq=True)
    return url


def bulk_url():
    return reverse("issues:bulk", args=["WEB"])


def keys_in(response) -> list[str]:
    """Issue keys of the table rows, in order."""
    page = response.context["page"]
    return [f"WEB-{issue.number}" for issue in page.object_list] if page else []


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


# Showing the list ----------------------------------------------------------------------------


def test_list_shows_each_column(member_client, project, member, status):
    label = project.labels.get(name="Bug fix")
    IssueFactory(
        project=project,
        actor=member,
        title="Checkout button does nothing",
        kind=Kind.BUG,
        priority=Priority.HIGH,
        assignee=member,
        labels=[label],
        estimate=5,
    )
    response = member_client.get(list_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("WEB-1", "Checkout button does nothing", "Bug", "To do", "High", "Bug fix", ">5<"):
        assert text in html
    assert member.get_full_name() in html


def test_list_sets_the_issues_nav_section(member_client, project):
    response = member_client.get(list_url())
    assert response.context["nav_section"] == "issues"


def test_default_order_is_most_recently_updated_first(member_client, project, member):
    first = IssueFactory(project=project, actor=member)
    second = IssueFactory(project=project, actor=member)
    operations.update_issue(issue=first, actor=member, changes={"priority": Priority.LOW})
    assert keys_in(member_client.get(list_url())) == [f"WEB-{first.number}", f"WEB-{second.number}"]


def test_empty_project_invites_to_create(member_client, project):
    response = member_client.get(list_url())
    assert "No issues yet" in response.content.decode()


def test_no_match_shows_clear_filters(member_client, project, member):
    IssueFactory(project=project, actor=member, title="Something")
    html = member_client.get(list_url(q="nothing-like-this")).content.decode()
    assert "No issues match these filters — " in html
    assert f'<a href="{list_url()}">clear filters</a>' in html


def test_unknown_parameters_do_not_count_as_filters(member_client, project, member):
    IssueFactory(project=project, actor=member)
    response = member_client.get(list_url(utm_source="mail", page="1"))
    assert response.context["filtered"] is False
    assert "Clear filters" not in response.content.decode()


# Filters -------------------------------------------------------------------------------------


def test_filter_by_status(member_client, project, member, status):
    moved = IssueFactory(project=project, actor=member)
    IssueFactory(project=project, actor=member)
    operations.move_issue(issue=moved, actor=member, status=status("In progress"))
    response = member_client.get(list_url(status=status("In progress").pk))
    assert keys_in(response) == [moved.key]


def test_filter_by_state_open_hides_resolved(member_client, project, member, status):
    done = IssueFactory(project=project, actor=member)
    still_open = IssueFactory(project=project, actor=member)
    operations.move_issue(issue=done, actor=member, status=status("Done"))
    assert keys_in(member_client.get(list_url(state="open"))) == [still_open.key]
    assert keys_in(member_client.get(list_url(state="resolved"))) == [done.key]


def test_filter_by_assignee_me(member_client, project, member, other_member):
    mine = IssueFactory(project=project, actor=member, assignee=member)
    IssueFactory(project=project, actor=member, assignee=other_member)
    assert keys_in(member_client.get(list_url(assignee="me"))) == [mine.key]


def test_filter_by_label_and_kind(member_client, project, member):
    label = project.labels.get(name="Tech debt")
    wanted = IssueFactory(project=project, actor=member, kind=Kind.TASK, labels=[label])
    IssueFactory(project=project, actor=member, kind=Kind.STORY, labels=[label])
    IssueFactory(project=project, actor=member, kind=Kind.TASK)
    response = member_client.get(list_url(label="Tech debt", kind="task"))
    assert keys_in(response) == [wanted.key]


def test_filter_by_category(member_client, project, member, status):
    started = IssueFactory(project=project, actor=member)
    IssueFactory(project=project, actor=member)
    operations.move_issue(issue=started, actor=member, status=status("In review"))
    assert keys_in(member_client.get(list_url(category="in_progress"))) == [started.key]


def test_filter_by_created_range(member_client, project, member):
    old = IssueFactory(project=project, actor=member)
    Issue.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    recent = IssueFactory(project=project, actor=member)
    since = (timezone.now() - datetime.timedelta(days=2)).date().isoformat()
    assert keys_in(member_client.get(list_url(created_after=since))) == [recent.key]


def test_unknown_filter_value_is_an_error_not_ignored(member_client, project, member):
    IssueFactory(project=project, actor=member)
    response = member_client.get(list_url(label="No such label"))
    assert response.status_code == 400
    assert "Invalid filter" in response.content.decode()
    assert keys_in(response) == []


def test_a_status_id_beyond_any_integer_is_a_400(member_client, project, member):
    response = member_client.get(list_url(status="99999999999999999999"))
    assert response.status_code == 400
    assert "is not a valid value" in response.content.decode()


def test_filters_are_shown_as_chosen(member_client, project, member):
    html = member_client.get(list_url(kind="bug", q="login")).content.decode()
    assert 'value="bug" checked' in html
    assert 'value="login"' in html


# Search --------------------------------------------------------------------------------------


def test_search_by_key(member_client, project, member):
    IssueFactory(project=project, actor=member, title="First")
    second = IssueFactory(project=project, actor=member, title="Second")
    # With another parameter the list filters; a search for the key alone opens the issue
    # instead (tests/issues/test_polish_views.py).
    assert keys_in(member_client.get(list_url(q="WEB-2", per_page=50))) == [second.key]
    assert keys_in(member_client.get(list_url(q="web-2", per_page=50))) == [second.key]


def test_search_by_number_finds_that_issue_first(member_client, project, member):
    IssueFactory(project=project, actor=member, title="First")
    second = IssueFactory(project=project, actor=member, title="Second")
    assert keys_in(member_client.get(list_url(q="2")))[0] == second.key


def test_search_by_words_of_title_and_description(member_client, project, member):
    by_title = IssueFactory(project=project, actor=member, title="Checkout button broken")
    by_description = IssueFactory(
        project=project, actor=member, title="Payment", description="The checkout page hangs."
    )
    IssueFactory(project=project, actor=member, title="Unrelated login problem")
    found = set(keys_in(member_client.get(list_url(q="checkout"))))
    assert found == {by_title.key, by_description.key}


def test_search_needs_every_word(member_client, project, member):
    both = IssueFactory(project=project, actor=member, title="Checkout button broken on Safari")
    IssueFactory(project=project, actor=member, title="Checkout slow")
    assert keys_in(member_client.get(list_url(q="checkout safari"))) == [both.key]


def test_search_is_case_insensitive(member_client, project, member):
    issue = IssueFactory(project=project, actor=member, title="Checkout Button")
    assert keys_in(member_client.get(list_url(q="CHECKOUT"))) == [issue.key]


@pytest.mark.postgres
def test_search_is_ranked_by_relevance_on_postgres(member_client, project, member):
    once = IssueFactory(project=project, actor=member, title="Invoice", description="refund once")
    often = IssueFactory(
        project=project, actor=member, title="Refund flow", description="Refund refund refunds."
    )
    # Updated last, so the default order alone would put it first.
    operations.update_issue(issue=once, actor=member, changes={"priority": Priority.LOW})
    assert keys_in(member_client.get(list_url(q="refund"))) == [often.key, once.key]


@pytest.mark.postgres
def test_search_uses_stemming_on_postgres(member_client, project, member):
    issue = IssueFactory(project=project, actor=member, title="Refunds are failing")
    assert keys_in(member_client.get(list_url(q="refund fail"))) == [issue.key]


@pytest.mark.postgres
def test_explicit_order_beats_search_rank(member_client, project, member):
    a = IssueFactory(project=project, actor=member, title="Refund refund refund", estimate=1)
    b = IssueFactory(project=project, actor=member, title="Refund", estimate=8)
    assert keys_in(member_client.get(list_url(q="refund", order="-estimate"))) == [b.key, a.key]


@pytest.mark.postgres
def test_search_uses_the_gin_index_on_postgres(project, member, rf):
    from issues.filters import IssueFilter

    IssueFactory(project=project, actor=member, title="Refund")
    request = rf.get("/")
    request.user = member
    # Across projects, so that the text is the only thing an index could narrow.
    filterset = IssueFilter({"q": "refund"}, Issue.objects.all(), request=request, project=project)
    queryset = filterset.qs.order_by()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "issue_search_idx" in plan, plan


# Ordering ------------------------------------------------------------------------------------


def test_order_by_title(member_client, project, member):
    IssueFactory(project=project, actor=member, title="Banana")
    IssueFactory(project=project, actor=member, title="Apple")
    response = member_client.get(list_url(order="title"))
    assert [i.title for i in response.context["page"].object_list] == ["Apple", "Banana"]


def test_order_by_priority_descending(member_client, project, member):
    low = IssueFactory(project=project, actor=member, priority=Priority.LOW)
    urgent = IssueFactory(project=project, actor=member, priority=Priority.URGENT)
    assert keys_in(member_client.get(list_url(order="-priority"))) == [urgent.key, low.key]


def test_column_header_toggles_the_order(member_client, project, member):
    IssueFactory(project=project, actor=member)
    columns = member_client.get(list_url(order="title")).context["columns"]
    title = next(c for c in columns if c["name"] == "title")
    assert title["sort"] == "ascending"
    assert "order=-title" in title["url"]
    html = member_client.get(list_url(order="title")).content.decode()
    assert 'aria-sort="ascending"' in html


def test_sorting_keeps_the_filters(member_client, project, member):
    IssueFactory(project=project, actor=member)
    columns = member_client.get(list_url(kind="bug")).context["columns"]
    assert all("kind=bug" in c["url"] for c in columns if c["url"])


def test_rejected_ordering_is_an_error_not_a_500(member_client, project, member):
    IssueFactory(project=project, actor=member)
    response = member_client.get(list_url(order="password"))
    assert response.status_code == 400
    assert "Order by" in response.content.decode()
    assert "Order by" in unquote(response["X-Error-Message"])


def test_rejected_ordering_over_htmx_says_why_in_a_header(member_client, project, member):
    response = member_client.get(list_url(order="reporter__password"), **HTMX)
    assert response.status_code == 400
    assert "Invalid filter" in unquote(response["X-Error-Message"])


# Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def sixty_issues(project, member):
    for _ in range(60):
        IssueFactory(project=project, actor=member)


def test_fifty_issues_a_page(member_client, sixty_issues):
    response = member_client.get(list_url())
    assert len(response.context["page"].object_list) == 50
    second = member_client.get(list_url(page=2))
    assert len(second.context["page"].object_list) == 10


def test_pages_do_not_overlap(member_client, sixty_issues):
    first = keys_in(member_client.get(list_url(per_page=25)))
    second = keys_in(member_client.get(list_url(per_page=25, page=2)))
    assert len(set(first) | set(second)) == 50


@pytest.mark.parametrize("size", [25, 100, 200])
def test_per_page_on_request(member_client, sixty_issues, size):
    response = member_client.get(list_url(per_page=size))
    assert response.context["per_page"] == size
    assert len(response.context["page"].object_list) == min(size, 60)


@pytest.mark.parametrize("size", ["7", "1000", "-1", "abc", "50.5"])
def test_other_page_sizes_fall_back_to_fifty_with_a_message(member_client, sixty_issues, size):
    response = member_client.get(list_url(per_page=size))
    assert response.status_code == 200
    assert response.context["per_page"] == 50
    assert "Rows per page can be 25, 50, 100, 200" in response.content.decode()


def test_page_past_the_end_shows_the_last_page_with_a_message(member_client, sixty_issues):
    response = member_client.get(list_url(page=99))
    assert response.context["page"].number == 2
    assert "There is no page “99”" in response.content.decode()


def test_page_links_keep_filters_and_order(member_client, sixty_issues):
    response = member_client.get(list_url(order="title", state="open"))
    next_url = response.context["page_links"]["next"]
    assert "order=title" in next_url
    assert "state=open" in next_url
    assert "page=2" in next_url


def test_count_below_the_cap_is_exact_with_a_last_page_link(member_client, sixty_issues):
    response = member_client.get(list_url())
    html = response.content.decode()
    assert "<strong>60</strong> issues" in html
    assert "Page 1 of 2 · 1–50 of 60" in html
    assert "page=2" in response.context["page_links"]["last"]


def test_count_above_the_cap_says_plus_and_has_no_last_page_link(
    member_client, sixty_issues, monkeypatch
):
    monkeypatch.setattr(views, "COUNT_CAP", 30)
    response = member_client.get(list_url(per_page=25))
    html = response.content.decode()
    assert "<strong>30+</strong> issues" in html
    assert "Page 1 · 1–25 of 30+" in html
    assert "All 30+ matching" in html
    links = response.context["page_links"]
    assert "page=2" in links["next"]
    assert links["last"] is None


def test_pages_past_the_cap_keep_their_numbers(member_client, sixty_issues, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 30)
    everything = keys_in(member_client.get(list_url(per_page=100)))
    second = member_client.get(list_url(per_page=25, page=2))
    assert keys_in(second) == everything[25:50]
    assert "page=3" in second.context["page_links"]["next"]
    third = member_client.get(list_url(per_page=25, page=3))
    assert keys_in(third) == everything[50:]
    assert "There is no page" not in third.content.decode()
    assert "Page 3 of 3 · 51–60 of 60" in third.content.decode()
    assert third.context["page_links"]["next"] is None


def test_count_never_reads_more_than_the_cap(member_client, sixty_issues, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 30)
    with CaptureQueriesContext(connection) as queries:
        member_client.get(list_url(per_page=25))
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "issues_issue" in q["sql"]  # Not the unread count.
    ]
    assert len(counts) == 1
    assert "LIMIT 31" in counts[0]
    assert "ORDER BY" not in counts[0].upper()


# The epic filter -----------------------------------------------------------------------------


def epic_options(response) -> list[tuple[str, str, bool]]:
    return response.context["epics"]["options"]


def test_epic_filter_lists_open_epics_by_number(member_client, project, member, status):
    second = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Payments")
    first = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Search")
    done = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Old")
    operations.move_issue(issue=done, actor=member, status=status("Done"))
    IssueFactory(project=project, actor=member, title="A story")
    response = member_client.get(list_url())
    assert epic_options(response) == [
        (str(second.number), f"{second.key} Payments", False),
        (str(first.number), f"{first.key} Search", False),
    ]
    html = response.content.decode()
    assert f'<option value="{second.number}">{second.key} Payments</option>' in html
    assert 'type="number" name="epic"' not in html


def test_chosen_epic_is_listed_and_selected_even_when_resolved(
    member_client, project, member, status
):
    done = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Old")
    child = IssueFactory(project=project, actor=member, parent=done)
    operations.move_issue(issue=done, actor=member, status=status("Done"))
    response = member_client.get(list_url(epic=done.number))
    assert epic_options(response) == [(str(done.number), f"{done.key} Old", True)]
    assert f'<option value="{done.number}" selected>' in response.content.decode()
    assert keys_in(response) == [child.key]


def test_long_epic_titles_are_shortened(member_client, project, member):
    IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="x" * 60)
    [(_, text, _)] = epic_options(member_client.get(list_url()))
    assert text.endswith("x" * 39 + "…")


def test_many_epics_become_a_number_field_with_suggestions(
    member_client, project, member, monkeypatch
):
    monkeypatch.setattr(views, "EPIC_OPTIONS", 2)
    epics = [IssueFactory(project=project, actor=member, kind=Kind.EPIC) for _ in range(3)]
    child = IssueFactory(project=project, actor=member, parent=epics[2])
    response = member_client.get(list_url(epic=epics[2].number))
    html = response.content.decode()
    assert response.context["epics"]["capped"]
    assert [value for value, _, _ in epic_options(response)] == [str(e.number) for e in epics[:2]]
    assert (
        f'type="number" name="epic" min="1" inputmode="numeric" list="epic-options" value="{epics[2].number}"'
        in html
    )
    assert "The first 2 open epics are suggested" in html
    assert keys_in(response) == [child.key]


def test_epic_options_are_one_query_however_many_epics(member_client, project, member):
    IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    few = _count_queries(member_client, list_url())
    for _ in range(5):
        IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    assert _count_queries(member_client, list_url()) == few


# HTMX and plain HTML -------------------------------------------------------------------------


def test_htmx_request_gets_only_the_results(member_client, project, member):
    IssueFactory(project=project, actor=member, title="Only the table")
    response = member_client.get(list_url(q="table"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "Only the table" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(member_client, project):
    response = member_client.get(list_url(), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_filter_form_works_without_javascript(member_client, project):
    html = member_client.get(list_url()).content.decode()
    assert f'<form id="filter-form" class="filter-bar" method="get" action="{list_url()}"' in html
    assert 'hx-push-url="true"' in html


def test_export_link_carries_the_query_string(member_client, project, member):
    IssueFactory(project=project, actor=member)
    html = member_client.get(list_url(kind="bug", q="x")).content.decode()
    export = reverse("issues:export", args=["WEB"])
    assert f'href="{export}?kind=bug&amp;q=x"' in html


# Bulk edit -----------------------------------------------------------------------------------


def test_bulk_set_priority(member_client, project, member):
    a = IssueFactory(project=project, actor=member)
    b = IssueFactory(project=project, actor=member)
    untouched = IssueFactory(project=project, actor=member)
    response = member_client.post(
        bulk_url(), {"issues": [a.number, b.number], "priority": "high"}, **HTMX
    )
    assert response.status_code == 200
    assert "Changed 2 issues." in response.content.decode()
    priorities = dict(Issue.objects.values_list("number", "priority"))
    assert priorities == {a.number: Priority.HIGH, b.number: Priority.HIGH, untouched.number: 0}


def test_bulk_edit_logs_activity_per_issue(member_client, project, member):
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    member_client.post(bulk_url(), {"issues": [i.number for i in issues], "priority": "low"})
    assert IssueEvent.objects.filter(field="priority").count() == 3


def test_bulk_move_reports_refused_issues_by_key(member_client, project, member, status):
    blocked = IssueFactory(project=project, actor=member)
    free = IssueFactory(project=project, actor=member)
    operations.move_issue(issue=blocked, actor=member, status=status("Backlog"))
    TransitionFactory(project=project, from_status=status("Backlog"), to_status=status("To do"))
    response = member_client.post(
        bulk_url(),
        {"issues": [blocked.number, free.number], "status": status("Done").pk},
        **HTMX,
    )
    html = response.content.decode()
    assert "Changed 1 issue." in html
    assert f"<strong>{blocked.key}</strong>: The workflow does not allow" in html
    assert Issue.objects.get(pk=free.pk).status == status("Done")
    assert Issue.objects.get(pk=blocked.pk).status == status("Backlog")


def test_the_bulk_form_carries_the_workflow_rules_and_each_row_its_status(
    member_client, project, member, status
):
    """What the page's script needs to offer only the allowed moves for the selection."""
    issue = IssueFactory(project=project, actor=member)
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("Done"))
    html = member_client.get(list_url()).content.decode()
    rules = f"{{&quot;{status('To do').pk}&quot;:[{status('Done').pk}]}}"
    assert f'data-transitions="{rules}"' in html
    assert f'value="{issue.number}" form="bulk-form" data-status="{issue.status_id}"' in html


def test_bulk_move_into_a_full_column_changes_what_fits(member_client, project, member, status):
    target = status("In review")
    target.wip_limit = 1
    target.save()
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    response = member_client.post(
        bulk_url(), {"issues": [i.number for i in issues], "status": target.pk}, **HTMX
    )
    html = response.content.decode()
    assert "Changed 1 issue." in html
    assert f"<strong>{issues[1].key}</strong>: “In review” is at its WIP limit (1 / 1)" in html
    assert f"<strong>{issues[2].key}</strong>: “In review” is at its WIP limit (1 / 1)" in html
    assert Issue.objects.filter(status=target).count() == 1


def test_bulk_assign_and_unassign(member_client, project, member, other_member):
    a = IssueFactory(project=project, actor=member, assignee=member)
    member_client.post(bulk_url(), {"issues": [a.number], "assignee": other_member.username})
    assert Issue.objects.get(pk=a.pk).assignee == other_member
    member_client.post(bulk_url(), {"issues": [a.number], "assignee": "none"})
    assert Issue.objects.get(pk=a.pk).assignee is None


def test_bulk_add_and_remove_label(member_client, project, member):
    bug_fix, debt = project.labels.get(name="Bug fix"), project.labels.get(name="Tech debt")
    a = IssueFactory(project=project, actor=member, labels=[debt])
    b = IssueFactory(project=project, actor=member)
    member_client.post(
        bulk_url(),
        {"issues": [a.number, b.number], "add_label": bug_fix.pk, "remove_label": debt.pk},
    )
    assert set(Issue.objects.get(pk=a.pk).labels.all()) == {bug_fix}
    assert set(Issue.objects.get(pk=b.pk).labels.all()) == {bug_fix}


def test_bulk_all_matching_follows_the_filters(member_client, project, member):
    bugs = [IssueFactory(project=project, actor=member, kind=Kind.BUG) for _ in range(2)]
    story = IssueFactory(project=project, actor=member, kind=Kind.STORY)
    member_client.post(
        bulk_url(), {"all_matching": "1", "filters": "kind=bug", "priority": "urgent"}
    )
    assert {i.priority for i in Issue.objects.filter(pk__in=[b.pk for b in bugs])} == {
        Priority.URGENT
    }
    assert Issue.objects.get(pk=story.pk).priority == Priority.NONE


def test_bulk_without_javascript_redirects_back_with_messages(member_client, project, member):
    a = IssueFactory(project=project, actor=member)
    response = member_client.post(
        bulk_url(), {"issues": [a.number], "priority": "low", "filters": "kind=story"}
    )
    assert response.status_code == 302
    assert response["Location"] == list_url(kind="story")
    followed = member_client.get(response["Location"])
    assert "Changed 1 issue." in followed.content.decode()


def test_bulk_without_selection_is_refused(member_client, project, member):
    IssueFactory(project=project, actor=member)
    response = member_client.post(bulk_url(), {"priority": "low"}, **HTMX)
    assert response.status_code == 400
    assert "Select at least one issue" in unquote(response["X-Error-Message"])


def test_bulk_all_matching_over_the_limit_is_refused_with_the_count(
    member_client, project, member, monkeypatch
):
    monkeypatch.setattr(views, "BULK_LIMIT", 2)
    issues = [IssueFactory(project=project, actor=member) for _ in range(3)]
    response = member_client.post(
        bulk_url(), {"all_matching": "1", "priority": "high"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert unquote(response["X-Error-Message"]) == (
        "3 issues match: change at most 2 at once (narrow the filters)."
    )
    assert all(Issue.objects.get(pk=i.pk).priority == Priority.NONE for i in issues)


def test_bulk_without_a_change_is_refused(member_client, project, member):
    a = IssueFactory(project=project, actor=member)
    response = member_client.post(bulk_url(), {"issues": [a.number]}, **HTMX)
    assert response.status_code == 400
    assert "Choose a change" in unquote(response["X-Error-Message"])


@pytest.mark.parametrize(
    "data",
    [
        {"issues": ["abc"], "priority": "low"},
        {"issues": ["1"], "priority": "extreme"},
        {"issues": ["1"], "status": "999999"},
        {"issues": ["1"], "assignee": "somebody-else"},
        {"issues": ["1"], "add_label": "not-a-number"},
        {"all_matching": "1", "filters": "order=password", "priority": "low"},
    ],
)
def test_bulk_bad_input_is_a_400_and_changes_nothing(member_client, project, member, data):
    issue = IssueFactory(project=project, actor=member)
    response = member_client.post(bulk_url(), data, **HTMX)
    assert response.status_code == 400
    assert Issue.objects.get(pk=issue.pk).version == issue.version


def test_bulk_foreign_label_is_refused(member_client, project, member):
    issue = IssueFactory(project=project, actor=member)
    foreign = LabelFactory()
    response = member_client.post(
        bulk_url(), {"issues": [issue.number], "add_label": foreign.pk}, **HTMX
    )
    assert response.status_code == 400
    assert not Issue.objects.get(pk=issue.pk).labels.exists()


def test_bulk_never_touches_other_projects(member_client, project, member):
    from tests.factories import ProjectFactory

    other = IssueFactory(project=ProjectFactory(key="OPS"))
    IssueFactory(project=project, actor=member)
    member_client.post(bulk_url(), {"issues": [other.number], "priority": "urgent"})
    assert Issue.objects.get(pk=other.pk).priority == Priority.NONE


# Permissions and CSRF ------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, project):
    for response in (client.get(list_url()), client.post(bulk_url(), {})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_outsider_gets_404(client, project, outsider):
    client.force_login(outsider)
    assert client.get(list_url()).status_code == 404
    assert client.post(bulk_url(), {"issues": [1], "priority": "low"}).status_code == 404


def test_viewer_sees_a_read_only_list(client, project, member, viewer):
    IssueFactory(project=project, actor=member)
    client.force_login(viewer)
    response = client.get(list_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="bulk-form"' not in html
    assert 'name="issues"' not in html
    assert reverse("issues:create", args=["WEB"]) not in html


def test_viewer_cannot_bulk_edit(client, project, member, viewer):
    issue = IssueFactory(project=project, actor=member)
    client.force_login(viewer)
    response = client.post(bulk_url(), {"issues": [issue.number], "priority": "high"})
    assert response.status_code == 403
    assert Issue.objects.get(pk=issue.pk).priority == Priority.NONE


def test_bulk_edit_needs_the_csrf_token(project, member):
    issue = IssueFactory(project=project, actor=member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(bulk_url(), {"issues": [issue.number], "priority": "high"}, **HTMX)
    assert response.status_code == 403
    assert Issue.objects.get(pk=issue.pk).priority == Priority.NONE


def test_bulk_edit_with_the_csrf_token_works(project, member):
    issue = IssueFactory(project=project, actor=member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(list_url())
    token = client.cookies["csrftoken"].value
    response = client.post(
        bulk_url(),
        {"issues": [issue.number], "priority": "high"},
        HTTP_X_CSRFTOKEN=token,
        **HTMX,
    )
    assert response.status_code == 200
    assert Issue.objects.get(pk=issue.pk).priority == Priority.HIGH


# Stored XSS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_titles_and_label_names_are_escaped_on_the_list(member_client, project, member, payload):
    label = LabelFactory(project=project, name=payload[:50])
    IssueFactory(project=project, actor=member, title=payload[:200], labels=[label])
    html = member_client.get(list_url()).content.decode()
    assert live_markup(html, page=True) == []
    assert "<script>alert" not in html


# Query counts --------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows_or_labels(
    member_client, project, member, other_member, django_assert_max_num_queries
):
    labels = list(project.labels.all())
    IssueFactory(project=project, actor=member, labels=labels[:1], assignee=member)
    few = _count_queries(member_client, list_url())
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC)
    for n in range(30):
        IssueFactory(
            project=project,
            actor=member,
            labels=labels[: n % 5 + 1],
            assignee=(member, other_member)[n % 2],
            parent=epic,
        )
    many = _count_queries(member_client, list_url())
    assert many == few
    with django_assert_max_num_queries(16):
        member_client.get(list_url(q="x", kind="story", label="Bug fix", order="-priority"))
