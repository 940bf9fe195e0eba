"""E-mail is queued by the request and delivered by a worker, through a real SMTP server."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from notifications import email

from ..smtp import SMTPServer, free_port


@pytest.fixture
def templates(settings, tmp_path):
    (tmp_path / "hello.txt").write_text("Hello {{ name }}, see {{ site_url }}/")
    (tmp_path / "hello.html").write_text("<p>Hello <b>{{ name }}</b></p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


def test_send_queues_the_email_without_sending_it(db, templates):
    email.send(to="ann@example.com", subject="Hi", template="hello", context={"name": "Ann"})

    assert mail.outbox == []
    assert DBTaskResult.objects.filter(task_path="notifications.email.deliver").count() == 1


def test_worker_sends_the_queued_email_as_text_and_html(db, templates, run_worker, settings):
    settings.SITE_URL = "https://tracker.example.com"
    email.send(
        to="ann@example.com",
        subject="Hi\nthere",
        template="hello",
        context={"name": "Ann"},
        headers={"X-Tracker": "yes"},
    )

    run_worker()

    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "Hi there"
    assert message.body == "Hello Ann, see https://tracker.example.com/"
    assert message.alternatives[0].content == "<p>Hello <b>Ann</b></p>"
    assert message.extra_headers["X-Tracker"] == "yes"


def test_an_email_of_a_rolled_back_change_is_never_sent(db, templates, run_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        email.send(to="ann@example.com", subject="Hi", template="hello", context={"name": "A"})
        raise RuntimeError("the change failed")

    run_worker()

    assert mail.outbox == []


def test_email_arrives_once_through_a_real_smtp_server(db, smtp_server, run_worker):
    email.deliver.enqueue(
        to="ann@example.com", subject="Hi", text="Hello", html="<p>Hello</p>", headers={}
    )

    run_worker()
    run_worker()

    [message] = smtp_server.messages
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Hi"
    assert message["Message-ID"]
    assert message.get_body(("plain",)).get_content().strip() == "Hello"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"


def test_email_is_retried_when_the_smtp_server_is_down_and_arrives_exactly_once(
    db, settings, run_worker
):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    email.deliver.enqueue(to="ann@example.com", subject="Hi", text="Hello", html="", headers={})

    run_worker()  # Nothing listens on the port: the delivery is scheduled again, later.

    assert not DBTaskResult.objects.ready().exists()
    [later] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert later.run_after > timezone.now()
    assert later.args_kwargs["kwargs"]["attempt"] == 2
    server = SMTPServer(port=port).start()
    try:
        # The back-off has passed.
        DBTaskResult.objects.filter(pk=later.pk).update(run_after=timezone.now())
        run_worker()
        run_worker()
    finally:
        server.stop()

    assert [message["To"] for message in server.messages] == ["ann@example.com"]
