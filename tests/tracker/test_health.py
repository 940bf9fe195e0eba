"""/healthz and the 503 page: an outage is reported, never shown as a trace."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse, HttpResponseServerError
from django.test import RequestFactory

from tests.factories import UserFactory
from tracker.middleware import DatabaseUnavailableMiddleware


def database_down():
    """Every new cursor fails, as when the server is stopped."""
    return mock.patch.object(
        BaseDatabaseWrapper, "cursor", side_effect=OperationalError("connection refused")
    )


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with database_down():
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


def test_view_hitting_an_outage_gets_the_503_page_not_a_trace(client, db):
    client.force_login(UserFactory())

    with database_down():
        response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Back in a moment" in response.content
    assert b"Traceback" not in response.content
    assert b"OperationalError" not in response.content


def test_503_page_keeps_the_security_headers(client, db):
    client.force_login(UserFactory())

    with database_down():
        response = client.get("/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_htmx_request_during_an_outage_gets_a_message_for_the_notice(client, db):
    client.force_login(UserFactory())

    with database_down():
        response = client.get("/", headers={"HX-Request": "true"})

    assert response.status_code == 503
    assert "database" in response["X-Error-Message"]


def test_query_error_while_the_database_answers_is_not_disguised_as_an_outage(db):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())

    result = middleware.process_exception(RequestFactory().get("/"), OperationalError("bad SQL"))

    assert result is None


def test_server_error_outside_the_view_during_an_outage_becomes_503(db):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponseServerError())

    with database_down():
        response = middleware(RequestFactory().get("/"))

    assert response.status_code == 503


def test_server_error_while_the_database_answers_stays_500(db):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponseServerError())

    response = middleware(RequestFactory().get("/"))

    assert response.status_code == 500


@pytest.mark.parametrize("status", [400, 403, 404, 405])
def test_client_errors_are_left_alone(db, status):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse(status=status))

    with database_down():
        response = middleware(RequestFactory().get("/"))

    assert response.status_code == status


def test_healthz_answers_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
