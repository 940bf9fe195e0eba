"""E-mail, always sent by a worker: never inside a request.

`send` renders the message now (so the worker needs nothing but the text) and enqueues its
delivery on the task queue. With the database backend the task is a row written in the caller's
transaction: if the change that wanted the e-mail is rolled back, so is the e-mail, and once it
is committed, a crash or restart of the worker loses nothing.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

# Delivery attempts, and the wait before each retry (the last one is used for the rest).
MAX_ATTEMPTS = 8
BACKOFF = (10, 30, 60, 300, 900, 1800, 3600)  # seconds


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
    deliver.enqueue(
        to=to,
        subject=" ".join(subject.split()),  # no line breaks in a header
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        headers=dict(headers or {}),
    )


@task()
def deliver(
    *, to: str, subject: str, text: str, html: str, headers: dict[str, str], attempt: int = 1
) -> str:
    """Send one e-mail; when the mail server cannot be reached, retry later with back-off."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        if attempt >= MAX_ATTEMPTS:
            logger.error("E-mail to %s given up after %d attempts: %s", to, attempt, error)
            raise
        delay = BACKOFF[min(attempt, len(BACKOFF)) - 1]
        logger.warning("E-mail to %s failed (%s); retry %d in %d s", to, error, attempt, delay)
        deliver.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue(
            to=to, subject=subject, text=text, html=html, headers=headers, attempt=attempt + 1
        )
        return "retry"
    return "sent"
