"""The widget endpoint: a publishable key, allow-listed origins, no cookies."""

import json

import pytest
from django.urls import reverse

from intake import operations
from intake.models import KeyKind, Request
from issues.models import Issue, StatusCategory

ORIGIN = "https://shop.example.com"


@pytest.fixture
def publishable(project, admin_user):
    _, raw = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.PUBLISHABLE, name="Shop",
        allowed_origins=ORIGIN,
    )  # fmt: skip
    return raw


def send(client, publishable, origin=ORIGIN, **fields):
    body = {"key": publishable, "title": "Search is slow", "text": "Takes ages",
            "page_url": "https://shop.example.com/search?q=shoes", **fields}  # fmt: skip
    return client.post(
        reverse("intake_public:widget", args=["WEB"]),
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def test_feedback_from_an_allowed_origin_lands_in_triage(client, project, publishable):
    response = send(client, publishable, email="ann@shop-customer.example", name="Ann")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    issue = Issue.objects.get()
    assert (issue.status.category, issue.source) == (StatusCategory.TRIAGE, "in_app_feedback")
    assert "https://shop.example.com/search?q=shoes" in issue.description
    request = Request.objects.get()
    assert (request.channel, request.words) == ("widget", "Takes ages")


def test_an_email_from_the_widget_is_unverified(client, project, publishable):
    send(client, publishable, email="ann@shop-customer.example")
    assert Request.objects.get().requester.verified_at is None


def test_feedback_from_another_origin_is_refused(client, project, publishable):
    response = send(client, publishable, origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert Issue.objects.count() == 0


def test_a_secret_key_is_not_a_widget_key(client, project, admin_user):
    _, secret = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.SECRET, name="Zendesk"
    )
    assert send(client, secret).status_code == 404


def test_the_widget_endpoint_sets_no_cookies(client, project, publishable):
    assert not send(client, publishable).cookies


def test_the_preflight_allows_posting_json(client, project):
    response = client.options(reverse("intake_public:widget", args=["WEB"]), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("body", ["nope", "[]", '{"title": 1}', '{"colour": "red"}'])
def test_bad_bodies_are_400(client, project, publishable, body):
    response = client.post(
        reverse("intake_public:widget", args=["WEB"]), body, content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )  # fmt: skip
    assert response.status_code == 400


def test_a_title_is_required(client, project, publishable):
    response = send(client, publishable, title="")
    assert response.status_code == 422
    assert response.json()["field"] == "title"


def test_the_widget_is_rate_limited_per_address(client, project, publishable, settings):
    settings.INTAKE_RATE_LIMITS = {"widget-ip": (1, 60)}
    send(client, publishable)
    response = send(client, publishable)
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == ORIGIN
