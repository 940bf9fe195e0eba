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
    email.queue(to="ann@example.com", subject="Hi", text="Hello", html="<p>Hello</p>", headers={})

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
    email.queue(to="ann@example.com", subject="Hi", text="Hello", html="", headers={})

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


def test_a_task_queued_before_batches_is_still_delivered(db, run_worker):
    email.deliver.enqueue(to="ann@example.com", subject="Hi", text="Hello", html="", headers={})

    run_worker()

    assert [message.to for message in mail.outbox] == [["ann@example.com"]]


def _queue_three() -> None:
    with transaction.atomic(), email.batch():
        for name in ("ann", "ben", "cy"):
            email.queue(
                to=f"{name}@example.com", subject=f"Hi {name}", text="Hello", html="", headers={}
            )


def test_a_batch_is_one_task_sent_over_one_connection(db, smtp_server, run_worker):
    _queue_three()

    assert DBTaskResult.objects.filter(task_path="notifications.email.deliver").count() == 1
    run_worker()

    assert [message["To"] for message in smtp_server.messages] == [
        "ann@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    assert len(smtp_server.inbox.connections) == 1


def test_a_batch_is_split_into_tasks_of_at_most_batch_emails(db, monkeypatch):
    monkeypatch.setattr(email, "BATCH", 2)

    _queue_three()

    tasks = DBTaskResult.objects.filter(task_path="notifications.email.deliver")
    assert sorted(len(task.args_kwargs["kwargs"]["messages"]) for task in tasks) == [1, 2]


def test_a_batch_rolled_back_queues_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic(), email.batch():
        email.queue(to="ann@example.com", subject="Hi", text="Hello", html="", headers={})
        raise RuntimeError("the change failed")

    assert not DBTaskResult.objects.exists()


def test_only_the_refused_email_of_a_batch_is_retried_and_each_arrives_once(
    db, smtp_server, run_worker
):
    smtp_server.inbox.refuse = {"ben@example.com"}
    _queue_three()

    run_worker()

    assert [message["To"] for message in smtp_server.messages] == [
        "ann@example.com",
        "cy@example.com",
    ]
    [later] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert later.run_after > timezone.now()
    kwargs = later.args_kwargs["kwargs"]
    assert kwargs["attempt"] == 2
    assert [message["to"] for message in kwargs["messages"]] == ["ben@example.com"]

    smtp_server.inbox.refuse = set()
    DBTaskResult.objects.filter(pk=later.pk).update(run_after=timezone.now())  # Back-off over.
    run_worker()
    run_worker()

    assert sorted(message["To"] for message in smtp_server.messages) == [
        "ann@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_batch_gives_up_after_the_last_attempt(db, settings, run_worker, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    email.deliver.enqueue(
        messages=[
            {"to": "ann@example.com", "subject": "Hi", "text": "Hello", "html": "", "headers": {}}
        ],
        attempt=email.MAX_ATTEMPTS,
    )

    run_worker()

    [task] = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.FAILED
    assert "given up after 8 attempts" in caplog.text
