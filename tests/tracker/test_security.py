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


# Log-in throttling (django-axes) ------------------------------------------------------------------


@pytest.fixture
def person(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="alice")
    user.set_password("correct horse")
    user.save()
    return user


def log_in(url: str, username: str, password: str, ip: str = "203.0.113.7"):
    # A new client each time, as separate browsers (or app processes) would be.
    return Client(REMOTE_ADDR=ip).post(url, {"username": username, "password": password})


LOGIN_URLS = ["/accounts/login/", "/admin/login/"]


def test_someone_who_mistypes_twice_never_notices(person):
    for _ in range(2):
        assert log_in("/accounts/login/", "alice", "wrong").status_code == 200
    assert log_in("/accounts/login/", "alice", "correct horse").status_code == 302


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_many_wrong_passwords_lock_the_account_even_for_the_right_one(person, settings, url):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(url, "alice", "guess")
    response = log_in(url, "alice", "correct horse", ip="198.51.100.9")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_many_wrong_passwords_from_one_address_lock_that_address(person, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in("/accounts/login/", f"someone{number}", "guess", ip="192.0.2.1")
    assert log_in("/accounts/login/", "alice", "correct horse", ip="192.0.2.1").status_code == 429
    # The account itself was not the target: from elsewhere it logs in.
    assert log_in("/accounts/login/", "alice", "correct horse", ip="192.0.2.2").status_code == 302


def test_failures_are_counted_in_the_database_shared_by_every_process(person):
    from axes.models import AccessAttempt

    log_in("/accounts/login/", "alice", "guess")
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == 1


def test_a_success_resets_the_count(person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("/accounts/login/", "alice", "guess")
    assert log_in("/accounts/login/", "alice", "correct horse").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("/accounts/login/", "alice", "guess")
    assert log_in("/accounts/login/", "alice", "correct horse").status_code == 302


# Caching of signed-in pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/projects/WEB/board/",
        "/projects/WEB/issues/",
        "/projects/WEB/issues/1/",
        "/projects/WEB/board/column/?column={status}&offset=0",
        "/admin/",
    ],
)
def test_signed_in_pages_and_fragments_are_private_and_not_stored(
    client, project, member, issue, url
):
    member.is_staff = True
    member.save()
    client.force_login(member)
    response = client.get(url.format(status=issue.status_id), headers={"HX-Request": "true"})
    assert response.status_code in (200, 204)
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache", "no-store"} <= directives
    assert "public" not in directives
