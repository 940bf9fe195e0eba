"""POST /api/intake/<KEY>/: issues from support tools, with a bearer secret."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from intake import operations
from intake.models import IntakeKey, KeyKind, Request
from issues.models import Issue, StatusCategory


@pytest.fixture
def secret(project, admin_user):
    _, raw = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.SECRET, name="Zendesk"
    )
    return raw


def post(client, body, secret=None, key="WEB", **headers):
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        reverse("intake_public:api", args=[key]), data, content_type="application/json", **headers
    )


TICKET = {
    "title": "Export invoices to Excel",
    "description": "Finance re-types every invoice.",
    "source": "support_ticket",
    "requester": {"email": "ann@acme.example", "name": "Ann Lee", "company": "Acme"},
    "words": "We lose a day a month.",
    "external_id": "ZD-48213",
    "external_url": "https://acme.zendesk.com/agent/tickets/48213",
}


def test_a_ticket_becomes_an_issue_in_triage(client, project, secret):
    response = post(client, TICKET, secret)
    assert response.status_code == 201
    issue = Issue.objects.get()
    assert response.json() == {
        "key": issue.key,
        "url": f"http://127.0.0.1:8000/projects/WEB/issues/{issue.number}/",
    }
    assert issue.status.category == StatusCategory.TRIAGE
    assert (issue.title, issue.source, issue.demand) == (TICKET["title"], "support_ticket", 1)
    request = Request.objects.get()
    assert (request.requester.company, request.words, request.channel) == (
        "Acme",
        "We lose a day a month.",
        "api",
    )


def test_a_repeated_delivery_answers_200_with_the_same_key(client, project, secret):
    first = post(client, TICKET, secret).json()
    again = post(client, TICKET, secret)
    assert again.status_code == 200
    assert again.json() == first
    assert Issue.objects.count() == 1


def test_no_authorization_header_is_401(client, project, secret):
    response = post(client, TICKET)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


@pytest.mark.parametrize("key", ["WEB", "NOPE"])
def test_wrong_secret_and_unknown_project_are_the_same_404(client, project, secret, key):
    response = post(client, TICKET, "sk_" + "x" * 40, key=key)
    assert (response.status_code, response.json()) == (
        404,
        {"message": "Not found.", "field": None},
    )


def test_a_revoked_key_is_404(client, project, secret, admin_user):
    operations.revoke_key(key=IntakeKey.objects.get(), actor=admin_user)
    assert post(client, TICKET, secret).status_code == 404


def test_a_key_of_another_project_is_404(client, project, secret):
    from tests.factories import ProjectFactory

    ProjectFactory(key="APP")
    assert post(client, TICKET, secret, key="APP").status_code == 404


def test_a_publishable_key_cannot_use_the_api(client, project, admin_user):
    _, raw = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.PUBLISHABLE, name="Site"
    )
    assert post(client, TICKET, raw).status_code == 404


def test_the_secret_is_stored_hashed(project, secret):
    key = IntakeKey.objects.get()
    assert secret not in (key.hashed, key.prefix)
    assert key.prefix == secret[:12]


def test_last_used_is_recorded(client, project, secret):
    post(client, TICKET, secret)
    assert IntakeKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 400, None),
        ("[1, 2]", 400, None),
        ({"title": "x", "colour": "red"}, 400, "colour"),
        ({"title": 5}, 400, "title"),
        ({"title": "x", "requester": "ann"}, 400, "requester"),
        ({"title": "x", "requester": {"name": "Ann"}}, 400, "requester.email"),
        ({"title": "x", "requester": {"email": "nope"}}, 422, "requester.email"),
        ({"title": ""}, 422, "title"),
        ({"title": "x" * 201}, 422, "title"),
        ({"title": "x", "source": "pigeon"}, 422, "source"),
        ({"title": "x", "external_url": "ftp://x"}, 422, "external_url"),
    ],
)
def test_bad_input_is_a_json_error_naming_the_field(client, project, secret, body, status, field):
    response = post(client, body, secret)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert Issue.objects.count() == 0


def test_a_body_that_is_too_big_is_413(client, project, secret):
    response = post(client, {"title": "x", "description": "y" * 70_000}, secret)
    assert response.status_code == 413


def test_form_data_is_415(client, project, secret):
    response = client.post(
        reverse("intake_public:api", args=["WEB"]),
        {"title": "x"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 415


def test_too_many_calls_get_429_with_retry_after(client, project, secret, settings):
    settings.INTAKE_RATE_LIMITS = {"api-key": (2, 60)}
    for number in range(2):
        post(client, {**TICKET, "external_id": str(number)}, secret)
    response = post(client, {**TICKET, "external_id": "3"}, secret)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61


def test_the_api_sets_no_cookies(client, project, secret):
    assert not post(client, TICKET, secret).cookies


def test_the_api_needs_no_csrf_token(project, secret):
    assert post(Client(enforce_csrf_checks=True), TICKET, secret).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_exactly_one_issue(project, secret):
    results = []

    def deliver():
        try:
            results.append(post(Client(), TICKET, secret).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 9 + [201]
    assert Issue.objects.filter(project=project).count() == 1
    assert Request.objects.count() == 1
