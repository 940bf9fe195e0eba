"""Background work of the notifications app, run by `manage.py db_worker`.

`fan_out` is enqueued by `issues.operations` in the transaction that wrote the events, so a
rolled-back change notifies nobody and a committed one is never lost.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django_tasks import task

from . import delivery, email, operations


@task()
def fan_out(*, event_ids: list[int]) -> int:
    """Watches, inbox rows and scheduled e-mails for these IssueEvents."""
    return operations.fan_out(event_ids)


@task()
def send_notification_emails(*, notification_ids: list[int]) -> list[str]:
    """The batched e-mail of each of these inbox rows (scheduled a batch window after the event
    that started the batch); each row in its own savepoint, and their e-mails queued together
    (one delivery task, one SMTP connection, per hundred) in the one transaction."""
    with transaction.atomic(), email.batch():
        return [delivery.send_notification_email(pk) for pk in notification_ids]


@task()
def send_daily_digests(*, day: str) -> int:
    """The digests of `day` (ISO date), after queueing the next day's run first: a running
    worker sends the digests every day without cron, and a crash below does not stop them."""
    the_day = datetime.date.fromisoformat(day)
    delivery.schedule_digests(max(the_day + datetime.timedelta(days=1), delivery.next_digest_day()))
    return delivery.send_digests(the_day)
