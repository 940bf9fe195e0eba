"""The database going away and coming back, on a real PostgreSQL server and a real app server.

This stops the PostgreSQL cluster, so it runs only when asked: FAULT_TESTS=1 with DATABASE_URL
pointing at that cluster. FAULT_PG_CLUSTER names it ("15 main" by default).
"""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection, connections

from issues import operations
from issues.models import Role
from tests.factories import ProjectFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = os.environ.get("FAULT_PG_CLUSTER", "15 main").split()

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("FAULT_TESTS") != "1",
        reason="stops the PostgreSQL server: run with FAULT_TESTS=1 (and DATABASE_URL=postgres://…)",
    ),
]


def pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, action], check=True, timeout=120
    )


def pg_is_ready(settings_dict: dict) -> bool:
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or "5432"
    return subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], check=False).returncode == 0


def ensure_running(settings_dict: dict) -> None:
    """Always leave the server running, whatever happened in the test."""
    if not pg_is_ready(settings_dict):
        pg_ctl("start")
    assert wait_for(lambda: pg_is_ready(settings_dict)), "PostgreSQL did not come back"
    connections.close_all()  # this test's own connection died with the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, CSRF token, no redirects followed."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


@pytest.fixture
def app_server(transactional_db):
    """gunicorn with two workers and persistent connections, on the test database."""
    settings_dict = connection.settings_dict
    database_url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
        **{key: settings_dict[key] or "" for key in ("USER", "HOST", "PORT", "NAME")}
    )
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database_url,
        "SECRET_KEY": "fault-test-secret-key-that-is-long-enough-0123456789abcdefghijkl",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "TESTING": "1",  # static files from the finders: no collectstatic needed
        "CONN_MAX_AGE": "600",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tracker.wsgi",
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: Browser(base_url).request("/healthz")[0] == 200), (
            "app did not start"
        )
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_outage_gives_503_pages_and_the_app_recovers_by_itself(app_server):
    user = UserFactory(username="fault")
    operations.add_member(
        project=ProjectFactory(key="WEB", name="Web app"), user=user, role=Role.MEMBER
    )
    browser = Browser(app_server)
    browser.request("/accounts/login/")
    assert (
        browser.request("/accounts/login/", {"username": "fault", "password": "password"})[0] == 302
    )
    assert "Web app" in browser.request("/")[1]
    settings_dict = dict(connection.settings_dict)

    newcomer = Browser(app_server)

    pg_ctl("stop")
    try:
        assert not pg_is_ready(settings_dict), f"cluster {CLUSTER} is not the one DATABASE_URL uses"
        during = {
            "project list": browser.request("/"),
            "health": browser.request("/healthz"),
            "login form": newcomer.request("/accounts/login/"),  # needs no database
            "login": newcomer.request(
                "/accounts/login/", {"username": "fault", "password": "password"}
            ),
        }
    finally:
        ensure_running(settings_dict)

    assert during["project list"][0] == 503
    assert "Back in a moment" in during["project list"][1]
    assert "Traceback" not in during["project list"][1]
    assert during["health"][0] == 503
    assert during["login form"][0] == 200
    assert during["login"][0] == 503

    # No restart of the app: every worker finds a fresh connection on its own.
    assert wait_for(lambda: browser.request("/healthz")[0] == 200), "app did not recover"
    for _ in range(6):  # enough requests to reach both workers
        status, body = browser.request("/")
        assert status == 200
        assert "Web app" in body  # the session survived: it lives in the database
    assert newcomer.request("/")[0] == 302  # the login refused during the outage left no session


def test_restart_between_requests_goes_unnoticed(app_server):
    """Persistent connections that died in a restart are health-checked and replaced."""
    user = UserFactory(username="fault")
    operations.add_member(
        project=ProjectFactory(key="WEB", name="Web app"), user=user, role=Role.MEMBER
    )
    browser = Browser(app_server)
    browser.request("/accounts/login/")
    browser.request("/accounts/login/", {"username": "fault", "password": "password"})
    for _ in range(4):
        assert browser.request("/")[0] == 200  # both workers now hold a connection

    settings_dict = dict(connection.settings_dict)

    try:
        pg_ctl("restart")
    finally:
        ensure_running(settings_dict)

    statuses = [browser.request("/")[0] for _ in range(6)]
    assert statuses == [200] * 6
