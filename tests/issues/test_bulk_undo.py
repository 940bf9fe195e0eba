"""Undo of the last bulk change: it puts back exactly what that change changed, one update per
issue through issues.operations, checked against the version the change left; issues changed
since are skipped and named; only for the person who made it, for a limited time."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from issues import operations, views
from issues.models import Issue, IssueEvent, Priority
from tests.factories import IssueFactory, LabelFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
BULK = "/projects/WEB/issues/bulk/"
UNDO = "/projects/WEB/issues/bulk/undo/"


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def three(project, member):
    return [IssueFactory(project=project, actor=member, title=f"Issue {n}") for n in range(3)]


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "the answer offers no Undo"
    return match.group(1)


def fresh(issue) -> Issue:
    return Issue.objects.get(pk=issue.pk)


def test_undo_puts_back_a_bulk_assign_with_one_event_per_issue(
    as_member, three, member, other_member
):
    operations.update_issue(issue=three[0], actor=member, changes={"assignee": other_member})
    changed = as_member.post(
        BULK, {"issues": [i.number for i in three], "assignee": member.username}, **HTMX
    )
    assert "Changed 3 issues." in changed.content.decode()
    events = IssueEvent.objects.count()
    response = as_member.post(UNDO, {"token": token_of(changed)}, **HTMX)
    assert response.status_code == 200
    assert "Undid the bulk change on 3 issues." in response.content.decode()
    assert [fresh(i).assignee for i in three] == [other_member, None, None]
    assert IssueEvent.objects.count() == events + 3
    assert IssueEvent.objects.filter(field="assignee").order_by("-pk")[0].actor == member


def test_undo_of_a_move_a_priority_and_labels(as_member, project, three, member, status):
    bug = LabelFactory(project=project, name="bug")
    ux = LabelFactory(project=project, name="ux")
    operations.update_issue(issue=three[0], actor=member, changes={"labels": [bug, ux]})
    operations.update_issue(issue=three[1], actor=member, changes={"priority": Priority.LOW})
    before = [(fresh(i).status, fresh(i).priority, set(fresh(i).labels.all())) for i in three]
    changed = as_member.post(
        BULK,
        {"issues": [i.number for i in three], "status": status("Done").pk, "priority": "urgent",
         "add_label": bug.pk, "remove_label": ux.pk},
        **HTMX,
    )  # fmt: skip
    assert fresh(three[2]).status == status("Done")
    as_member.post(UNDO, {"token": token_of(changed)}, **HTMX)
    assert [(fresh(i).status, fresh(i).priority, set(fresh(i).labels.all())) for i in three] == (
        before
    )


def test_issues_changed_since_are_skipped_and_named(as_member, three, member, other_member):
    changed = as_member.post(
        BULK, {"issues": [i.number for i in three], "priority": "high"}, **HTMX
    )
    operations.update_issue(issue=three[1], actor=other_member, changes={"title": "Renamed"})
    response = as_member.post(UNDO, {"token": token_of(changed)}, **HTMX)
    html = response.content.decode()
    assert "Undid the bulk change on 2 issues." in html
    assert f"<strong>{three[1].key}</strong>: changed since, so it was left as it is." in html
    assert [fresh(i).priority for i in three] == [0, Priority.HIGH, 0]
    assert fresh(three[1]).title == "Renamed"


def test_undo_works_once(as_member, three):
    changed = as_member.post(BULK, {"issues": [three[0].number], "priority": "high"}, **HTMX)
    token = token_of(changed)
    assert as_member.post(UNDO, {"token": token}, **HTMX).status_code == 200
    again = as_member.post(UNDO, {"token": token}, **HTMX)
    assert again.status_code == 400
    assert fresh(three[0]).priority == 0


def test_only_the_person_who_made_it_can_undo(as_member, three, other_member):
    changed = as_member.post(BULK, {"issues": [three[0].number], "priority": "high"}, **HTMX)
    bob = Client()
    bob.force_login(other_member)
    response = bob.post(UNDO, {"token": token_of(changed)}, **HTMX)
    assert response.status_code == 400
    assert fresh(three[0]).priority == Priority.HIGH


def test_undo_is_offered_for_a_limited_time(as_member, three, monkeypatch):
    changed = as_member.post(BULK, {"issues": [three[0].number], "priority": "high"}, **HTMX)
    later = views.time.time() + views.UNDO_SECONDS + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    response = as_member.post(UNDO, {"token": token_of(changed)}, **HTMX)
    assert response.status_code == 400
    assert "nothing to undo" in response["X-Error-Message"].replace("%20", " ")
    assert fresh(three[0]).priority == Priority.HIGH


@pytest.mark.parametrize("token", ["", "nope", "x" * 5000])
def test_a_wrong_token_changes_nothing(as_member, three, token):
    as_member.post(BULK, {"issues": [three[0].number], "priority": "high"}, **HTMX)
    assert as_member.post(UNDO, {"token": token}, **HTMX).status_code == 400
    assert fresh(three[0]).priority == Priority.HIGH


def test_outsiders_get_404_and_viewers_403(client, three, outsider, viewer):
    client.force_login(outsider)
    assert client.post(UNDO, {"token": "x"}).status_code == 404
    client.force_login(viewer)
    assert client.post(UNDO, {"token": "x"}).status_code == 403


def test_without_javascript_the_list_offers_undo_once_after_the_redirect(as_member, three):
    response = as_member.post(BULK, {"issues": [three[0].number], "priority": "high"})
    assert response.status_code == 302
    page = as_member.get(response["Location"])
    token = token_of(page)
    assert "can be undone for 10 minutes" in page.content.decode()
    assert (
        'name="token"' not in as_member.get(reverse("issues:list", args=["WEB"])).content.decode()
    )
    undone = as_member.post(UNDO, {"token": token})
    assert undone.status_code == 302
    assert fresh(three[0]).priority == 0


def test_undo_queries_grow_only_by_one_update_per_issue(
    as_member, project, member, django_assert_max_num_queries
):
    """The loading is a fixed number of queries; each issue then costs what one update_issue
    costs (its lock, its row, its event), the same for every issue."""

    def undo(count) -> int:
        issues = [IssueFactory(project=project, actor=member) for _ in range(count)]
        numbers = [i.number for i in issues]
        changed = as_member.post(BULK, {"issues": numbers, "priority": "high"}, **HTMX)
        with django_assert_max_num_queries(400) as queries:
            as_member.post(UNDO, {"token": token_of(changed)}, **HTMX)
        return len(queries)

    two, four, six = undo(2), undo(4), undo(6)
    assert six - four == four - two
    assert (four - two) / 2 <= 15
