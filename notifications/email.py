"""E-mail, always sent by a worker: never inside a request.

`send` renders the message now (so the worker needs nothing but the text) and enqueues its
delivery on the task queue. With the database backend the task is a row written in the caller's
transaction: if the change that wanted the e-mail is rolled back, so is the e-mail, and once it
is committed, a crash or restart of the worker loses nothing.

E-mails sent inside `batch()` (a fan-out's e-mails, the digests) are delivered together: one
`deliver` task per `BATCH` messages, and the worker sends them over one SMTP connection. Each
message is still delivered once: a message the mail server refuses, or that cannot reach it, is
retried alone with back-off, the others are not sent again.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import smtplib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Delivery attempts, and the wait before each retry (the last one is used for the rest).
MAX_ATTEMPTS = 8
BACKOFF = (10, 30, 60, 300, 900, 1800, 3600)  # seconds
BATCH = 100  # e-mails per delivery task, sent over one SMTP connection

_batch: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar(
    "notifications_email_batch", default=None
)


def send(
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> None:
    """Queue an e-mail to `to`, rendered from `<template>.txt` and `<template>.html`."""
    context = {"site_url": settings.SITE_URL, **context}
    queue(
        to=to,
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        headers=dict(headers or {}),
    )


def queue(*, to: str, subject: str, text: str, html: str, headers: Mapping[str, str]) -> None:
    """Queue an e-mail already rendered: in the open `batch()`, or a delivery task of its own."""
    message = {
        "to": to,
        "subject": " ".join(subject.split()),  # no line breaks in a header
        "text": text,
        "html": html,
        "headers": dict(headers),
    }
    pending = _batch.get()
    if pending is None:
        deliver.enqueue(messages=[message])
    else:
        pending.append(message)


@contextmanager
def batch() -> Iterator[None]:
    """E-mails queued inside go out together (one task, one SMTP connection, per `BATCH`).

    Their tasks are written when the block ends, so it must end inside the transaction that
    decided to send them (nested blocks join the outer one). Nothing is queued if it raises.
    """
    if _batch.get() is not None:
        yield
        return
    token = _batch.set([])
    try:
        yield
        messages = _batch.get() or []
    finally:
        _batch.reset(token)
    for start in range(0, len(messages), BATCH):
        deliver.enqueue(messages=messages[start : start + BATCH])


def _message(to: str, subject: str, text: str, html: str, headers: dict, connection):
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[to], headers=headers, connection=connection
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _close(connection) -> None:
    with suppress(smtplib.SMTPException, OSError):  # A broken one is dropped all the same.
        connection.close()


@task()
def deliver(*, messages: list[dict] | None = None, attempt: int = 1, **single) -> dict:
    """Send these e-mails over one connection; those that fail are retried later, with
    back-off, each sent once. (`single`: a task queued as one e-mail's fields, before batches.)"""
    if messages is None:
        messages = [single]
    failed: list[dict] = []
    errors: list[str] = []
    connection = None
    for position, message in enumerate(messages):
        try:
            if connection is None:
                connection = get_connection()
                connection.open()
        except (smtplib.SMTPException, OSError) as error:
            # The mail server cannot be reached: the rest wait for the retry.
            connection = None
            failed.extend(messages[position:])
            errors.append(str(error))
            break
        try:
            connection.send_messages([_message(**message, connection=connection)])
        except (smtplib.SMTPException, OSError) as error:
            failed.append(message)
            errors.append(str(error))
            _close(connection)  # Start again on a fresh connection for the next one.
            connection = None
    if connection is not None:
        _close(connection)
    sent = len(messages) - len(failed)
    if not failed:
        return {"sent": sent, "retry": 0}
    recipients = ", ".join(message["to"] for message in failed[:5])
    recipients += f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    if attempt >= MAX_ATTEMPTS:
        logger.error("E-mail to %s given up after %d attempts: %s", recipients, attempt, errors[-1])
        raise smtplib.SMTPException(
            f"{len(failed)} e-mail(s) given up after {attempt} attempts: {errors[-1]}"
        )
    delay = BACKOFF[min(attempt, len(BACKOFF)) - 1]
    logger.warning(
        "E-mail to %s failed (%s); retry %d in %d s", recipients, errors[-1], attempt, delay
    )
    deliver.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue(
        messages=failed, attempt=attempt + 1
    )
    return {"sent": sent, "retry": len(failed)}
