"""Triage in the app: similar issues with "Merge into", accept, decline (with a kind note)."""

import pytest
from django.core import mail
from django.urls import reverse

from intake import operations
from intake.models import Channel
from intake.portal import similar
from issues.models import StatusCategory
from tests.factories import IssueFactory, ask_for


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def incoming(project):
    return operations.receive(
        project=project, channel=Channel.API, title="Export my orders to Excel",
        requester={"email": "ann@acme.example", "name": "Ann"}, words="Every month, by hand",
    ).issue  # fmt: skip


def test_near_identical_titles_are_found(project, member, incoming):
    existing = IssueFactory(project=project, actor=member, title="Export orders to Excel")
    IssueFactory(project=project, actor=member, title="Dark mode")
    rows = similar(project, incoming.title, public_only=False, exclude=incoming.pk)
    assert [row["number"] for row in rows] == [existing.number]


def test_similar_titles_stay_in_the_project(project, member, incoming):
    from tests.factories import ProjectFactory

    IssueFactory(project=ProjectFactory(key="APP"), title="Export my orders to Excel")
    assert similar(project, incoming.title, public_only=False, exclude=incoming.pk) == []


def test_triage_lists_incoming_issues_with_their_look_alikes(member_client, project, member,
                                                             incoming):  # fmt: skip
    existing = IssueFactory(project=project, actor=member, title="Export orders to Excel")
    page = member_client.get(reverse("intake:triage", args=[project.key])).content.decode()
    assert incoming.title in page
    assert "Every month, by hand" in page
    assert f"Merge into {existing.key}" in page


def test_triage_queries_do_not_grow_with_the_queue(member_client, project, member,
                                                   django_assert_max_num_queries):  # fmt: skip
    url = reverse("intake:triage", args=[project.key])
    for number in range(2):
        operations.receive(project=project, channel=Channel.API, title=f"Idea {number}")
    member_client.get(url)
    with django_assert_max_num_queries(20) as few:
        member_client.get(url)
    for number in range(6):
        operations.receive(project=project, channel=Channel.API, title=f"More {number}")
    # One similar-titles query per row shown (a page is at most 20 rows), nothing else grows.
    with django_assert_max_num_queries(len(few.captured_queries) + 6):
        member_client.get(url)


def test_merge_into_from_triage(member_client, project, member, incoming):
    existing = IssueFactory(project=project, actor=member, title="Export orders to Excel")
    url = reverse("intake:merge", args=[project.key, incoming.number])
    assert member_client.post(url, {"primary": existing.number}).status_code == 303
    existing.refresh_from_db()
    assert existing.demand == 1


def test_merge_into_itself_is_refused_with_a_message(member_client, project, incoming):
    url = reverse("intake:merge", args=[project.key, incoming.number])
    response = member_client.post(url, {"primary": incoming.number}, follow=True)
    assert "not merged" in response.content.decode()


def test_merge_needs_a_primary(member_client, project, incoming):
    url = reverse("intake:merge", args=[project.key, incoming.number])
    assert member_client.post(url, {"primary": "x"}).status_code == 400


def test_accept_moves_to_the_backlog_and_can_publish(member_client, project, incoming):
    url = reverse("intake:accept", args=[project.key, incoming.number])
    member_client.post(url, {"publish": "1"})
    incoming.refresh_from_db()
    assert incoming.status.category == StatusCategory.BACKLOG
    assert incoming.public


def test_decline_with_a_note_tells_the_requesters(member_client, project, incoming, run_worker):
    url = reverse("intake:decline", args=[project.key, incoming.number])
    member_client.post(url, {"note": "It does not fit the product."})
    incoming.refresh_from_db()
    assert incoming.status.category == StatusCategory.CANCELED
    run_worker()
    assert "It does not fit the product." in mail.outbox[0].body


def test_decline_without_a_note_tells_nobody(member_client, project, incoming, run_worker):
    member_client.post(reverse("intake:decline", args=[project.key, incoming.number]))
    run_worker()
    assert mail.outbox == []


def test_admin_merge_action(client, project, admin_user, member, incoming):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    existing = IssueFactory(project=project, actor=member, title="Export orders to Excel")
    ask_for(existing)
    response = client.post(
        reverse("admin:issues_issue_changelist"),
        {"action": "merge_into", "_selected_action": [incoming.pk], "apply": "1",
         "primary": existing.key},
    )  # fmt: skip
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.demand == 2


def test_admin_change_form_lists_similar_issues(client, project, admin_user, member, incoming):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    existing = IssueFactory(project=project, actor=member, title="Export orders to Excel")
    page = client.get(reverse("admin:issues_issue_change", args=[incoming.pk])).content.decode()
    assert existing.key in page
