"""E-mails about notifications: one per issue (batched), or a daily digest; and unsubscribing.

Every e-mail is plain text plus HTML, says why it was sent, links to the issue, carries a signed
one-click unsubscribe link (RFC 8058) and threads per issue (`In-Reply-To` / `References` name
one stable id per issue). Whether the recipient may still see the project is checked again when
the e-mail is made: losing membership stops everything from a project at once.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue

from . import email
from .models import EmailMode, Notification, NotificationEvent, Preferences, Reason
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
        .select_related("event__actor")
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


def send_digests() -> int:
    """One digest to every user who chose it and has something new; the number sent."""
    users = get_user_model().objects.filter(
        notification_preferences__email=EmailMode.DIGEST, is_active=True
    )
    return sum(send_digest(user) for user in users.exclude(email="").iterator())


@transaction.atomic
def send_digest(user) -> int:
    """What reached the user's inbox and was not e-mailed yet, unread, from projects they can
    see and did not mute: one e-mail (1), or none (0). Everything looked at is marked e-mailed."""
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
        .select_related("notification__issue__project", "event__actor")
        .order_by("-notification__updated_at", "event__created_at", "event_id")
    )
    NotificationEvent.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
    by_row: dict[int, list] = {}
    for link in links:
        by_row.setdefault(link.notification_id, []).append(link)
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
            "Message-ID": make_msgid(idstring=f"digest-{user.pk}", domain=mail_domain()),
            **_list_headers(unsubscribe),
        },
    )
    return 1
