"""Demand on the team's pages: the issue page, the list, cards, the admin; adding a request."""

import pytest
from django.urls import reverse

from intake.models import Channel, Request
from tests.factories import IssueFactory, ask_for


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def add_url(issue):
    return reverse("intake:request_add", args=[issue.project.key, issue.number])


def test_issue_page_shows_who_asked_in_their_words(member_client, issue):
    ask_for(issue, "ann@example.com", words="We lose orders every day")
    page = member_client.get(issue.get_absolute_url()).content.decode()
    assert "ann@example.com" in page
    assert "We lose orders every day" in page


def test_a_member_adds_a_customer_request_from_the_issue_page(member_client, issue, member):
    response = member_client.post(
        add_url(issue),
        {"email": "ann@example.com", "name": "Ann", "words": "On a sales call",
         "source": "customer_feedback", "external_url": "https://crm.example.com/1"},
    )  # fmt: skip
    assert response.status_code == 303
    request = Request.objects.get()
    assert (request.channel, request.added_by, request.words) == (
        Channel.MEMBER,
        member,
        "On a sales call",
    )
    issue.refresh_from_db()
    assert issue.demand == 1


def test_an_invalid_request_is_refused_with_the_reason(member_client, issue):
    response = member_client.post(add_url(issue), {"email": "nope", "source": "x"}, follow=True)
    assert "not added" in response.content.decode()
    assert Request.objects.count() == 0


def test_a_viewer_does_not_see_the_add_form(client, viewer, issue):
    client.force_login(viewer)
    assert "Add a customer request" not in client.get(issue.get_absolute_url()).content.decode()


def test_list_sorts_by_requests(member_client, project, member):
    few = IssueFactory(project=project, actor=member, title="Few asked")
    many = IssueFactory(project=project, actor=member, title="Many asked")
    ask_for(few)
    ask_for(many)
    ask_for(many)
    url = reverse("issues:list", args=[project.key]) + "?order=-requests"
    page = member_client.get(url).content.decode()
    assert page.index("Many asked") < page.index("Few asked")


def test_cards_show_demand(member_client, issue):
    ask_for(issue)
    page = member_client.get(reverse("boards:board", args=[issue.project.key])).content.decode()
    assert 'class="demand" title="1 customer request"' in page


def test_admin_changelist_shows_requests(client, project, issue, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    ask_for(issue)
    page = client.get(reverse("admin:issues_issue_changelist")).content.decode()
    assert "column-requests" in page


def test_publishing_from_the_issue_page(member_client, issue):
    url = reverse("intake:publish", args=[issue.project.key, issue.number])
    assert member_client.post(url, {"public": "1"}).status_code == 303
    issue.refresh_from_db()
    assert issue.public


def test_publish_needs_a_clear_value(member_client, issue):
    url = reverse("intake:publish", args=[issue.project.key, issue.number])
    assert member_client.post(url, {"public": "maybe"}).status_code == 400


# Keys ------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_new_key_is_shown_once(admin_client, project):
    url = reverse("intake:key_create", args=[project.key])
    response = admin_client.post(url, {"name": "Zendesk", "kind": "secret"})
    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0")
    key = project.intake_keys.get()
    page = response.content.decode()
    raw = page.split('<code class="key-text">')[1].split("</code>")[0]
    assert raw.startswith("sk_") and raw.startswith(key.prefix)
    settings_page = admin_client.get(reverse("intake:settings", args=[project.key]))
    assert raw not in settings_page.content.decode()
    assert key.prefix in settings_page.content.decode()


def test_a_key_needs_a_name(admin_client, project):
    url = reverse("intake:key_create", args=[project.key])
    assert admin_client.post(url, {"name": "", "kind": "secret"}).status_code == 422
    assert not project.intake_keys.exists()


def test_a_widget_key_refuses_a_bad_origin(admin_client, project):
    url = reverse("intake:key_create", args=[project.key])
    response = admin_client.post(
        url, {"name": "Site", "kind": "publishable", "allowed_origins": "not an origin"}
    )
    assert response.status_code == 422
    assert "not an origin" in response.content.decode()


def test_revoking_a_key(admin_client, project, admin_user):
    from intake import operations

    key, _ = operations.create_key(project=project, actor=admin_user, kind="secret", name="Z")
    response = admin_client.post(reverse("intake:key_revoke", args=[project.key, key.pk]))
    assert response.status_code == 303
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_docs_show_curl_and_the_zendesk_mapping(member_client, project):
    page = member_client.get(reverse("intake:docs", args=[project.key])).content.decode()
    assert "curl -X POST" in page
    assert "{{ticket.requester.email}}" in page


def test_a_project_admin_turns_the_portal_on(admin_client, project):
    response = admin_client.post(
        reverse("intake:portal_settings", args=[project.key]),
        {"enabled": "on", "mode": "full", "title": "Web ideas"},
    )
    assert response.status_code == 303
    assert project.portal.enabled
    assert admin_client.get(reverse("intake_public:portal", args=[project.key])).status_code == 200


def test_a_private_portal_without_domains_is_refused(admin_client, project):
    response = admin_client.post(
        reverse("intake:portal_settings", args=[project.key]),
        {"enabled": "on", "mode": "full", "private": "on"},
    )
    assert response.status_code == 422
    assert "allowed e-mail domain" in response.content.decode()


def test_a_public_comment_is_marked_on_the_issue_page(member_client, issue, member):
    from issues import operations as issue_operations

    issue_operations.update_issue(issue=issue, actor=member, changes={"public": True})
    url = reverse("issues:comment_add", args=[issue.project.key, issue.number])
    member_client.post(url, {"body": "Shipping soon", "public": "1"})
    assert issue.comments.get().public
