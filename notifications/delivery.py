"""E-mails about notifications: one per issue (batched), or a daily digest; and unsubscribing.

Every e-mail is plain text plus HTML, says why it was sent, links to the issue, carries a signed
one-click unsubscribe link (RFC 8058) and threads per issue (`In-Reply-To` / `References` name
one stable id per issue). Whether the recipient may still see the project is checked again when
the e-mail is made: losing membership stops everything from a project at once.
"""

from __future__ import annotations

import datetime
import textwrap
from collections.abc import Sequence
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue

from . import email
from .models import (
    Digest,
    DigestRun,
    EmailMode,
    Notification,
    NotificationEvent,
    Preferences,
    Reason,
)
from .operations import members, unwatch, wants_email_now
from .summary import event_line, summarise

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST_LIMIT = 50  # issues listed in one digest; the inbox has the rest
EXCERPT = 1000  # characters of a comment quoted in an e-mail


def mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def thread_id(issue: Issue) -> str:
    """The one Message-ID every e-mail about the issue refers to, so mail clients thread them."""
    return f"<issue-{issue.pk}.{issue.project.key}-{issue.number}@{mail_domain()}>"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Unsubscribing -------------------------------------------------------------------------------


def unsubscribe_token(user, issue: Issue | None = None) -> str:
    """Signed: stop watching `issue`, or (without one) stop the digest e-mails."""
    return signing.dumps({"u": user.pk, "i": issue.pk if issue else None}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user, issue: Issue | None = None) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user, issue)]))


class BadLink(Exception):
    """A tampered, foreign or outdated unsubscribe link."""


def read_token(token: str) -> tuple:
    """(user, issue or None, whether it is about an issue) of a link made by
    `unsubscribe_token`; BadLink if it was not made here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, issue_id = data["u"], data["i"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadLink("This unsubscribe link is not valid.") from None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise BadLink("This unsubscribe link belongs to an account that no longer exists.")
    issue = None
    if issue_id is not None:
        issue = Issue.objects.select_related("project").filter(pk=issue_id).first()
    return user, issue, issue_id is not None


@transaction.atomic
def unsubscribe(token: str) -> str:
    """Do what the link says (again and again: the same result); a sentence saying what."""
    user, issue, for_issue = read_token(token)
    if for_issue:
        if issue is not None:
            unwatch(issue=issue, user=user)
            return f"You no longer watch {issue.key}: its changes will not reach you."
        return "That issue no longer exists: nothing more will come from it."
    Preferences.objects.update_or_create(user=user, defaults={"email": EmailMode.NEVER})
    return "You will get no more digest e-mails. Change this in your notification preferences."


def _list_headers(unsubscribe: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# One issue -----------------------------------------------------------------------------------

WHY = {
    Reason.WATCHING: "you watch {key}",
    Reason.MENTIONED: "you were mentioned on {key}",
    Reason.ASSIGNED: "you are assigned to {key}",
}


@transaction.atomic
def send_notification_email(notification_id: int) -> str:
    """The batched e-mail of one inbox row: every event not e-mailed yet; what happened."""
    row = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "issue__project")
        .filter(pk=notification_id)
        .first()
    )
    if row is None:
        return "gone"
    if row.email_due_at is not None:
        row.email_due_at = None
        row.save(update_fields=["email_due_at"])
    pending = list(
        NotificationEvent.objects.filter(notification=row, emailed_at__isnull=True)
        .select_related("event__actor", "event__requester")
        .order_by("event__created_at", "event_id")
    )
    if not pending:
        return "nothing new"
    NotificationEvent.objects.filter(pk__in=[link.pk for link in pending]).update(
        emailed_at=timezone.now()
    )
    recipient, issue = row.recipient, row.issue
    if row.read_at is not None:
        return "already read"
    preferences = Preferences.of(recipient)
    if (
        not recipient.email
        or not members(issue.project, [recipient.pk]).exists()
        or preferences.muted_projects.filter(pk=issue.project_id).exists()
        or not wants_email_now(preferences, row.reason)
    ):
        return "not sent"
    events = [link.event for link in pending]
    key = issue.key
    unsubscribe = unsubscribe_url(recipient, issue)
    headers = {
        "Message-ID": make_msgid(idstring=f"notification-{row.pk}", domain=mail_domain()),
        "In-Reply-To": thread_id(issue),
        "References": thread_id(issue),
        **_list_headers(unsubscribe),
    }
    email.send(
        to=recipient.email,
        subject=f"[{key}] {issue.title}",
        template="notifications/email/issue",
        context={
            "recipient": recipient,
            "issue": issue,
            "key": key,
            "issue_url": absolute(issue.get_absolute_url()),
            "summary": summarise(events, key, recipient.get_username()),
            "lines": _lines(events),
            "why": WHY[row.reason].format(key=key),
            "unsubscribe_url": unsubscribe,
            "preferences_url": absolute(reverse("notifications:preferences")),
        },
        headers=headers,
    )
    return "sent"


def _lines(events: Sequence) -> list[dict]:
    """Each event as a line, with the text of comments quoted."""
    lines = []
    for event in events:
        quote = ""
        if event.field == "comment" and event.new_value:
            quote = event.new_value[:EXCERPT] + ("…" if len(event.new_value) > EXCERPT else "")
        lines.append(
            {
                "text": event_line(event),
                "at": event.created_at,
                "quote": quote,
                "indented": textwrap.indent(quote, "    "),
            }
        )
    return lines


# The daily digest ----------------------------------------------------------------------------
#
# The worker sends them: `tasks.send_daily_digests` runs once a day at NOTIFICATION_DIGEST_HOUR
# and first queues the next day's run, so a running worker needs no cron. Each day's run is
# queued once (a `DigestRun` row per day), and each user gets at most one digest a day (a
# `Digest` row per user and day, written in the transaction that queues the e-mail): two
# workers, a restart or a manual `send_digests` send nothing twice.


def digest_time(day: datetime.date) -> datetime.datetime:
    """When the digests of `day` go out (in the site's time zone)."""
    return datetime.datetime.combine(
        day,
        datetime.time(settings.NOTIFICATION_DIGEST_HOUR),
        tzinfo=timezone.get_default_timezone(),
    )


def next_digest_day(now: datetime.datetime | None = None) -> datetime.date:
    """The first day whose digest time is still to come."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    return day if digest_time(day) > now else day + datetime.timedelta(days=1)


def schedule_digests(day: datetime.date | None = None) -> bool:
    """Queue the digest run of `day` (the next one due by default) unless it is queued already;
    whether this call queued it."""
    from .tasks import send_daily_digests  # The tasks module imports this one.

    day = day or next_digest_day()
    with transaction.atomic():
        _, created = DigestRun.objects.get_or_create(day=day)
        if created:
            send_daily_digests.using(run_after=digest_time(day)).enqueue(day=day.isoformat())
    return created


def send_digests(day: datetime.date | None = None) -> int:
    """Today's digest (or `day`'s) to every user who chose it, has something new and has not
    had that day's digest yet; the number queued. E-mails go out in batches."""
    day = day or timezone.localdate()
    ids = list(
        get_user_model()
        .objects.filter(notification_preferences__email=EmailMode.DIGEST, is_active=True)
        .exclude(email="")
        .exclude(digests__day=day)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for start in range(0, len(ids), email.BATCH):
        users = get_user_model().objects.filter(pk__in=ids[start : start + email.BATCH])
        with transaction.atomic(), email.batch():
            sent += sum(send_digest(user, day) for user in users.order_by("pk"))
    return sent


def send_digest(user, day: datetime.date | None = None) -> int:
    """What reached the user's inbox and was not e-mailed yet, unread, from projects they can
    see and did not mute: one e-mail (1), or none (0). Everything looked at is marked e-mailed;
    nothing is if the user already had `day`'s digest (the rest waits for the next one)."""
    day = day or timezone.localdate()
    try:
        with transaction.atomic():
            return _send_digest(user, day)
    except IntegrityError:
        return 0  # Someone else sent this day's digest a moment ago.


def _send_digest(user, day: datetime.date) -> int:
    pending = NotificationEvent.objects.select_for_update(of=("self",)).filter(
        notification__recipient=user, emailed_at__isnull=True
    )
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return 0
    muted = Preferences.of(user).muted_projects.values("pk") if user.pk else []
    links = list(
        NotificationEvent.objects.filter(
            pk__in=ids,
            notification__in=Notification.objects.visible_to(user)
            .unread()
            .exclude(project__in=muted),
        )
        .select_related("notification__issue__project", "event__actor", "event__requester")
        .order_by("-notification__updated_at", "event__created_at", "event_id")
    )
    by_row: dict[int, list] = {}
    for link in links:
        by_row.setdefault(link.notification_id, []).append(link)
    if by_row:
        # The day's one digest: a second one (another worker, a manual run) fails here.
        Digest.objects.create(user=user, day=day)
    NotificationEvent.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
    if not by_row:
        return 0
    items = []
    for row_links in list(by_row.values())[:DIGEST_LIMIT]:
        issue = row_links[0].notification.issue
        events = [link.event for link in row_links]
        items.append(
            {
                "issue": issue,
                "key": issue.key,
                "url": absolute(issue.get_absolute_url()),
                "summary": summarise(events, issue.key, user.get_username()),
            }
        )
    unsubscribe = unsubscribe_url(user)
    count = len(by_row)
    email.send(
        to=user.email,
        subject=f"Your tracker digest: {count} issue{'s' if count != 1 else ''} changed",
        template="notifications/email/digest",
        context={
            "recipient": user,
            "items": items,
            "more": count - len(items),
            "inbox_url": absolute(reverse("notifications:inbox")),
            "unsubscribe_url": unsubscribe,
            "preferences_url": absolute(reverse("notifications:preferences")),
        },
        headers={
            "Message-ID": make_msgid(idstring=f"digest-{user.pk}-{day}", domain=mail_domain()),
            **_list_headers(unsubscribe),
        },
    )
    return 1
