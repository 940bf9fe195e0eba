"""The feedback widget in a real browser, on a page served from another origin."""

import http.server
import socket
import threading

import pytest

from intake import operations
from intake.models import KeyKind
from issues.models import Issue


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def host_page(live_server):
    """A product's page on its own origin (another local port) with the widget's tag."""
    port = free_port()
    state = {"key": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (
                "<!doctype html><html lang='en'><head><title>Shop</title>"
                "<style>button { background: lime !important; }</style></head><body>"
                "<h1>Our shop</h1>"
                f"<script src='{live_server.url}/static/intake/widget.js' data-project='WEB' "
                f"data-key='{state['key']}' data-email='ann@customer.example' "
                "data-name='Ann' defer></script></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", state
    server.shutdown()


def send_feedback(page, url):
    page.goto(url)
    page.get_by_role("button", name="Feedback").click()
    page.get_by_label("What is it about?").fill("Search is slow")
    page.get_by_label("Tell us more").fill("Takes ten seconds")
    page.get_by_role("button", name="Send").click()


def test_feedback_from_an_allowed_origin_arrives(page, project, admin_user, host_page):
    origin, state = host_page
    _, state["key"] = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.PUBLISHABLE, name="Shop",
        allowed_origins=origin,
    )  # fmt: skip
    send_feedback(page, origin)
    page.get_by_text("Thank you! The team will read it.").wait_for()
    issue = Issue.objects.get(project=project)
    assert issue.title == "Search is slow"
    assert issue.requests.get().requester.email == "ann@customer.example"


def test_a_page_from_an_unlisted_origin_is_refused(page, project, admin_user, host_page):
    origin, state = host_page
    _, state["key"] = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.PUBLISHABLE, name="Shop",
        allowed_origins="https://shop.example.com",
    )  # fmt: skip
    send_feedback(page, origin)
    page.get_by_text("Could not send").wait_for()
    assert not Issue.objects.filter(project=project).exists()
