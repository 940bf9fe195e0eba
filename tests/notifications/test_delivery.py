"""E-mails about notifications: batched per issue, a daily digest, unsubscribing, threading."""

import datetime
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from issues import operations
from notifications import delivery, tasks
from notifications.apps import schedule_digests_after_migrate
from notifications.models import (
    Digest,
    DigestRun,
    EmailMode,
    Notification,
    NotificationEvent,
    Preferences,
    Watch,
)
from notifications.operations import save_preferences


@pytest.fixture
def due_now():
    """Let the scheduled (batched) e-mails run: their five minutes have passed."""

    def run() -> None:
        DBTaskResult.objects.filter(run_after__isnull=False).exclude(
            task_path="notifications.tasks.send_daily_digests"  # Tomorrow's: not due yet.
        ).update(run_after=timezone.now())

    return run


@pytest.fixture
def watched(issue, other_member):
    Watch.objects.create(issue=issue, user=other_member)
    return issue


def send_all(run_worker, due_now) -> None:
    run_worker()  # fan out
    due_now()
    run_worker()  # the batched e-mails
    run_worker()  # their delivery


def test_no_email_before_the_batch_window_ends(watched, member, run_worker):
    operations.add_comment(issue=watched, actor=member, body="First look.")

    run_worker()

    assert mail.outbox == []


def test_several_changes_within_the_window_are_one_email(
    watched, member, status, run_worker, due_now
):
    operations.add_comment(issue=watched, actor=member, body="First look.")
    run_worker()
    operations.move_issue(issue=watched, actor=member, status=status("In review"))
    operations.add_comment(issue=watched, actor=member, body="Ready for review.")

    send_all(run_worker, due_now)

    [message] = mail.outbox
    assert message.to == ["bob@example.com"]
    assert message.subject == f"[WEB-{watched.number}] Checkout button does nothing"
    assert "moved WEB-1 to In review, commented twice" in message.body
    assert "Ready for review." in message.body
    assert "You are receiving this because you watch WEB-1." in message.body
    assert f"http://testserver{watched.get_absolute_url()}" in message.body


def test_the_email_is_html_too(watched, member, run_worker, due_now, settings):
    operations.add_comment(issue=watched, actor=member, body="<b>bold</b> claim")

    send_all(run_worker, due_now)

    [message] = mail.outbox
    html = message.alternatives[0].content
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html
    assert "<b>bold</b>" not in html


def test_a_later_change_is_a_second_email(watched, member, run_worker, due_now):
    operations.add_comment(issue=watched, actor=member, body="One.")
    send_all(run_worker, due_now)
    operations.add_comment(issue=watched, actor=member, body="Two.")
    send_all(run_worker, due_now)

    assert len(mail.outbox) == 2
    assert "Two." in mail.outbox[1].body
    assert "One." not in mail.outbox[1].body


def test_emails_thread_per_issue(watched, member, run_worker, due_now):
    operations.add_comment(issue=watched, actor=member, body="One.")
    send_all(run_worker, due_now)
    operations.add_comment(issue=watched, actor=member, body="Two.")
    send_all(run_worker, due_now)

    first, second = (message.extra_headers for message in mail.outbox)
    assert first["Message-ID"] != second["Message-ID"]
    assert first["In-Reply-To"] == second["In-Reply-To"] == delivery.thread_id(watched)
    assert first["References"] == delivery.thread_id(watched)


def test_emails_carry_one_click_unsubscribe(watched, member, run_worker, due_now):
    operations.add_comment(issue=watched, actor=member, body="One.")
    send_all(run_worker, due_now)

    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://testserver/notifications/unsubscribe/")


def test_an_issue_read_in_the_inbox_before_the_email_is_not_emailed(
    watched, member, other_member, run_worker, due_now
):
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()
    Notification.objects.filter(recipient=other_member).update(read_at=timezone.now())

    send_all(run_worker, due_now)

    assert mail.outbox == []


def test_a_former_member_gets_no_email(watched, member, other_member, run_worker, due_now):
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()
    other_member.memberships.all().delete()

    send_all(run_worker, due_now)

    assert mail.outbox == []


def test_never_means_no_email(watched, member, other_member, run_worker, due_now):
    save_preferences(
        user=other_member, email=EmailMode.NEVER, email_mentions=False, muted_projects=[]
    )
    operations.add_comment(issue=watched, actor=member, body="One.")

    send_all(run_worker, due_now)

    assert mail.outbox == []


def test_a_mention_is_emailed_to_someone_who_chose_the_digest(
    issue, member, other_member, run_worker, due_now
):
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    operations.add_comment(issue=issue, actor=member, body="@bob please check")

    send_all(run_worker, due_now)

    [message] = mail.outbox
    assert "You are receiving this because you were mentioned on WEB-1." in message.body


def test_digest_users_get_no_immediate_email(watched, member, other_member, run_worker, due_now):
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    operations.add_comment(issue=watched, actor=member, body="One.")

    send_all(run_worker, due_now)

    assert mail.outbox == []


def test_the_digest_lists_what_changed_once(watched, member, other_member, run_worker):
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()

    call_command("send_digests", stdout=StringIO())
    run_worker()
    call_command("send_digests", stdout=StringIO())
    run_worker()

    [digest] = mail.outbox
    assert digest.subject == "Your tracker digest: 1 issue changed"
    assert "WEB-1 Checkout button does nothing" in digest.body
    assert f"{member.get_full_name()} commented on WEB-1." in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not NotificationEvent.objects.filter(emailed_at__isnull=True).exists()


def test_the_digest_leaves_out_projects_the_user_left(watched, member, other_member, run_worker):
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()
    other_member.memberships.all().delete()

    call_command("send_digests", stdout=StringIO())
    run_worker()

    assert mail.outbox == []


# The daily digest on the queue ---------------------------------------------------------------


@pytest.fixture
def digest_user(other_member):
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    return other_member


def digest_tasks():
    return DBTaskResult.objects.filter(task_path="notifications.tasks.send_daily_digests")


def test_choosing_the_digest_queues_the_daily_task_once(digest_user, member, settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7
    save_preferences(user=member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[])

    [queued] = digest_tasks()
    day = delivery.next_digest_day()
    assert queued.args_kwargs["kwargs"] == {"day": day.isoformat()}
    assert queued.run_after == delivery.digest_time(day)
    assert timezone.localtime(queued.run_after).hour == 7
    assert timezone.now() < queued.run_after <= timezone.now() + datetime.timedelta(days=1)
    assert not delivery.schedule_digests()  # Asked again (a worker, the command): still one.
    assert digest_tasks().count() == 1


def test_the_worker_sends_the_digest_and_queues_the_next_days_run(
    watched, digest_user, member, run_worker
):
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()  # fan out
    [today] = digest_tasks()
    day = datetime.date.fromisoformat(today.args_kwargs["kwargs"]["day"])
    digest_tasks().update(run_after=timezone.now())  # Seven o'clock has come.

    run_worker()  # the digests, then their delivery

    [digest] = mail.outbox
    assert digest.subject == "Your tracker digest: 1 issue changed"
    assert Digest.objects.filter(user=digest_user, day=day).count() == 1
    [tomorrow] = digest_tasks().filter(status=TaskResultStatus.READY)
    assert tomorrow.args_kwargs["kwargs"] == {"day": (day + datetime.timedelta(days=1)).isoformat()}
    assert tomorrow.run_after == delivery.digest_time(day + datetime.timedelta(days=1))


def test_two_runs_of_one_day_send_one_digest_and_keep_the_rest_for_the_next(
    watched, digest_user, member, run_worker
):
    """Two workers, a restart that runs the day again, or a manual run on top of the worker's:
    one digest a day; what happened after it waits for the next day's, nothing is lost."""
    today = timezone.localdate()
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()
    tasks.send_daily_digests.enqueue(day=today.isoformat())
    tasks.send_daily_digests.enqueue(day=today.isoformat())
    run_worker()
    operations.add_comment(issue=watched, actor=member, body="Two.")
    run_worker()

    call_command("send_digests", stdout=StringIO())
    run_worker()

    [digest] = mail.outbox
    assert digest.subject == "Your tracker digest: 1 issue changed"
    assert Digest.objects.filter(user=digest_user).count() == 1
    assert NotificationEvent.objects.filter(emailed_at__isnull=True).count() == 1

    assert delivery.send_digests(today + datetime.timedelta(days=1)) == 1
    run_worker()
    assert len(mail.outbox) == 2
    assert "commented on WEB-1" in mail.outbox[1].body
    # However often the day ran, the chain of daily runs is one task per day.
    assert digest_tasks().filter(status=TaskResultStatus.READY).count() == 1


def test_a_digest_that_lost_the_race_sends_nothing_and_marks_nothing(
    watched, digest_user, member, run_worker
):
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()
    Digest.objects.create(user=digest_user, day=timezone.localdate())  # The other worker's.

    assert delivery.send_digest(digest_user) == 0

    assert mail.outbox == []
    assert NotificationEvent.objects.filter(emailed_at__isnull=True).count() == 1


def test_migrate_queues_the_daily_task_when_someone_chose_the_digest(digest_user):
    digest_tasks().delete()
    DigestRun.objects.all().delete()

    schedule_digests_after_migrate(sender=None)
    schedule_digests_after_migrate(sender=None)

    assert digest_tasks().count() == 1


def test_the_command_queues_the_daily_task_if_it_is_missing(digest_user):
    digest_tasks().delete()
    DigestRun.objects.all().delete()
    out = StringIO()

    call_command("send_digests", stdout=out)

    assert "queued again" in out.getvalue()
    assert digest_tasks().count() == 1


def test_a_late_worker_skips_the_days_it_missed(db, settings):
    """A worker that was down for days sends the missed day's digests once, then waits for the
    next digest time, not for each missed day in turn."""
    long_ago = timezone.localdate() - datetime.timedelta(days=5)

    tasks.send_daily_digests.call(day=long_ago.isoformat())

    [next_run] = digest_tasks()
    assert next_run.args_kwargs["kwargs"]["day"] == delivery.next_digest_day().isoformat()


# Unsubscribing -------------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_before_it_acts(client, watched, other_member):
    url = reverse(
        "notifications:unsubscribe", args=[delivery.unsubscribe_token(other_member, watched)]
    )

    response = client.get(url)

    assert response.status_code == 200
    assert b"Stop watching" in response.content
    assert Watch.objects.filter(issue=watched, user=other_member).exists()


def test_one_click_unsubscribe_works_without_login_and_twice(watched, other_member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = reverse(
        "notifications:unsubscribe", args=[delivery.unsubscribe_token(other_member, watched)]
    )

    first = client.post(url, {"List-Unsubscribe": "One-Click"})
    second = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert first.status_code == second.status_code == 200
    assert not Watch.objects.filter(issue=watched, user=other_member).exists()


def test_the_digest_link_turns_email_off(client, other_member):
    url = reverse("notifications:unsubscribe", args=[delivery.unsubscribe_token(other_member)])

    response = client.post(url)

    assert response.status_code == 200
    assert Preferences.of(other_member).email == EmailMode.NEVER


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "eyJ1IjoxLCJpIjpudWxsfQ:1vQ9xK:forged-signature",
    ],
)
def test_a_tampered_link_is_refused_and_changes_nothing(client, watched, other_member, token):
    response = client.post(reverse("notifications:unsubscribe", args=[token]))

    assert response.status_code == 400
    assert Watch.objects.filter(issue=watched, user=other_member).exists()


def test_a_link_signed_for_something_else_is_refused(client, watched, other_member):
    from django.core import signing

    foreign = signing.dumps({"u": other_member.pk, "i": watched.pk}, salt="another.purpose")

    response = client.post(reverse("notifications:unsubscribe", args=[foreign]))

    assert response.status_code == 400
    assert Watch.objects.filter(issue=watched, user=other_member).exists()


def test_an_edited_link_for_another_user_is_refused(client, watched, member, other_member):
    token = delivery.unsubscribe_token(other_member, watched)
    _, rest = token.split(":", 1)
    forged = delivery.unsubscribe_token(member, watched).split(":", 1)[0] + ":" + rest

    response = client.post(reverse("notifications:unsubscribe", args=[forged]))

    assert response.status_code == 400
    assert Watch.objects.filter(issue=watched, user=other_member).exists()


# Through a real SMTP server ------------------------------------------------------------------


def test_a_notification_email_arrives_once_with_its_headers(
    watched, member, run_worker, due_now, smtp_server
):
    operations.add_comment(issue=watched, actor=member, body="Through the wire.")

    send_all(run_worker, due_now)
    run_worker()

    [message] = smtp_server.messages
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "[WEB-1] Checkout button does nothing"
    assert message["In-Reply-To"] == delivery.thread_id(watched)
    assert message["References"] == delivery.thread_id(watched)
    assert re.fullmatch(r"<[\d.]+\.notification-\d+@testserver>", message["Message-ID"].strip())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Through the wire." in message.get_body(("plain",)).get_content()
    assert "Through the wire." in message.get_body(("html",)).get_content()


def test_a_notification_email_arrives_exactly_once_after_the_server_comes_back(
    watched, member, run_worker, due_now, settings
):
    from ..smtp import SMTPServer, free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    operations.add_comment(issue=watched, actor=member, body="Retry me.")
    send_all(run_worker, due_now)  # Nothing listens: the delivery is scheduled again.
    assert DBTaskResult.objects.filter(
        task_path="notifications.email.deliver", run_after__gt=timezone.now()
    ).exists()

    server = SMTPServer(port=port).start()
    try:
        due_now()
        run_worker()
        run_worker()
    finally:
        server.stop()

    assert [message["Subject"] for message in server.messages] == [
        "[WEB-1] Checkout button does nothing"
    ]


def test_the_batch_waits_five_minutes(watched, member, run_worker):
    operations.add_comment(issue=watched, actor=member, body="One.")
    run_worker()

    [scheduled] = DBTaskResult.objects.filter(
        task_path="notifications.tasks.send_notification_emails"
    )
    wait = scheduled.run_after - timezone.now()
    assert datetime.timedelta(minutes=4) < wait <= datetime.timedelta(minutes=5)
