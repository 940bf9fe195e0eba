"""Security headers, CSRF, and no inline script anywhere (the CSP forbids it)."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILES = sorted(
    {*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")}
    - {*ROOT.glob(".venv/**")}
)


@pytest.mark.parametrize("url", ["/accounts/login/", "/"])
def test_pages_send_the_security_headers(client, db, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 200
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_http_only_and_same_site(client, db):
    user = UserFactory()

    client.post("/accounts/login/", {"username": user.username, "password": "password"})

    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_post_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert "session" in response.content.decode().lower()
    assert client.get("/").status_code == 200  # still logged in


def test_post_with_csrf_token_is_accepted(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    client.get("/")  # sets the CSRF cookie, as the page with the logout form does

    response = client.post(
        "/accounts/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )

    assert response.status_code == 302


def test_htmx_requests_carry_the_csrf_token_in_a_header(client, db):
    client.force_login(UserFactory())

    response = client.get("/")

    assert re.search(
        r'<body[^>]*hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', response.content.decode()
    )


def test_templates_are_found():
    assert len(TEMPLATE_FILES) >= 5


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script(path):
    """script-src 'self' blocks inline scripts and event handlers: they would silently not run."""
    html = path.read_text()

    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", html, re.I) if "src=" not in tag
    ]
    handlers = re.findall(r"<[^>]*\s(on[a-z]+\s*=)", html, re.I)
    javascript_urls = re.findall(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", html, re.I)
    assert inline_scripts == []
    assert handlers == []
    assert javascript_urls == []
