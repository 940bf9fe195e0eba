"""Changes to the notifications app's own rows: watches, inbox rows, preferences.

`announce` is called by `issues.operations` for the IssueEvents it writes: the watchers they
name start watching in that transaction, and a task is queued for the worker. `fan_out` then
turns the events into inbox rows and scheduled e-mails. It runs in the worker (`tasks.fan_out`), so that a change costs its request
one task row, whatever the number of watchers; its own queries do not grow with them either
(bulk reads and writes).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from issues.markdown import mentions
from issues.models import Issue, IssueEvent, Membership, Project

from .models import EmailMode, Notification, NotificationEvent, Preferences, Reason, Watch
from .summary import mentions_user


def batch_window() -> datetime.timedelta:
    """Changes to one issue within this window go out as one e-mail (5 minutes)."""
    return datetime.timedelta(seconds=settings.NOTIFICATION_BATCH_SECONDS)


# Watching ------------------------------------------------------------------------------------


def watch(*, issue: Issue, user: AbstractBaseUser) -> Watch:
    """Start watching (nothing changes if the user already watches)."""
    return Watch.objects.get_or_create(issue=issue, user=user)[0]


def unwatch(*, issue: Issue, user: AbstractBaseUser) -> None:
    Watch.objects.filter(issue=issue, user=user).delete()


def members(project: Project, user_ids: Iterable[int | None]):
    """The users among `user_ids` who may see the project now (members, and superusers)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .filter(Q(memberships__project=project) | Q(is_superuser=True))
        .distinct()
    )


def watch_named(issue: Issue, events: Sequence[IssueEvent]) -> None:
    """The watchers these events name start watching, in the caller's transaction, so the
    issue's page shows them at once: the reporter and assignee of a new issue, the new assignee,
    a commenter (active users who may see the project), and every member @mentioned anew.

    One INSERT … SELECT that skips existing watches, and only for events that name someone
    (none for a move or a label); the fan-out to the watchers stays in the worker.
    """
    ids, mentioned, assigned = _named_users(issue, events)
    names = mentioned | assigned
    if not ids and not names:
        return
    User = get_user_model()
    qn = connection.ops.quote_name
    user_table, user_pk = qn(User._meta.db_table), qn(User._meta.pk.column)
    username = qn(User._meta.get_field(User.USERNAME_FIELD).column)
    by_id = f"u.{user_pk} IN ({', '.join(['%s'] * len(ids))})" if ids else "1 = 0"
    by_name = f"u.{username} IN ({', '.join(['%s'] * len(names))})" if names else "1 = 0"
    member = (
        f"EXISTS (SELECT 1 FROM {qn(Membership._meta.db_table)} m WHERE "  # noqa: S608 (no input)
        f"m.{qn(Membership._meta.get_field('user').column)} = u.{user_pk} AND "
        f"m.{qn(Membership._meta.get_field('project').column)} = %s)"
    )
    watch = Watch._meta
    columns = ", ".join(
        qn(watch.get_field(name).column) for name in ("issue", "user", "created_at")
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(watch.db_table)} ({columns}) "  # noqa: S608 (names from the models)
            f"SELECT %s, u.{user_pk}, %s FROM {user_table} u "
            f"WHERE u.is_active AND (({by_id} AND u.is_superuser) "
            f"OR (({by_id} OR {by_name}) AND {member})) "
            "ON CONFLICT DO NOTHING",
            [issue.pk, now, *sorted(ids), *sorted(ids), *sorted(names), issue.project_id],
        )


def announce(*, issue: Issue, events: Sequence[IssueEvent]) -> None:
    """What `issues.operations` calls for the events it wrote, in its transaction: the
    watchers they name (`watch_named`), and one fan-out task for the worker, whatever the
    number of watchers."""
    from .tasks import fan_out  # The tasks module imports this one.

    watch_named(issue, events)
    fan_out.enqueue(event_ids=[event.pk for event in events])


# Reading -------------------------------------------------------------------------------------


def mark_read(*, user: AbstractBaseUser, issue: Issue) -> int:
    """The user has seen the issue: its unread inbox row is read (one UPDATE)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, issue=issue, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# Preferences ---------------------------------------------------------------------------------


@transaction.atomic
def save_preferences(
    *,
    user: AbstractBaseUser,
    email: str,
    email_mentions: bool,
    muted_projects: Iterable[Project],
) -> Preferences:
    preferences, _ = Preferences.objects.update_or_create(
        user=user, defaults={"email": email, "email_mentions": email_mentions}
    )
    preferences.muted_projects.set(muted_projects)
    if email == EmailMode.DIGEST:
        from .delivery import schedule_digests  # The delivery module imports this one.

        schedule_digests()  # The first digest user starts the worker's daily task.
    return preferences


# Fan-out -------------------------------------------------------------------------------------


def fan_out(event_ids: Sequence[int]) -> int:
    """Watches, inbox rows and e-mails for these events; the number of notifications touched."""
    events = list(
        IssueEvent.objects.filter(pk__in=event_ids)
        .select_related("issue__project", "issue__reporter", "actor", "requester")
        .order_by("issue_id", "created_at", "pk")
    )
    touched = 0
    for _, group in groupby(events, key=lambda event: event.issue_id):
        touched += _fan_out_issue(list(group))
    return touched


def _named_users(issue: Issue, events: list[IssueEvent]) -> tuple[set[int], set[str], set[str]]:
    """Who the events make watchers (ids), and who they mention or assign (usernames)."""
    watchers: set[int] = set()
    mentioned: set[str] = set()
    assigned: set[str] = set()
    for event in events:
        if event.field == "created":
            watchers.update(pk for pk in (event.actor_id, issue.assignee_id) if pk)
            mentioned.update(mentions(issue.description))
            if issue.assignee_id:
                assigned.add(issue.assignee.get_username())
        elif event.field == "assignee" and event.new_value:
            assigned.add(event.new_value)
        elif event.field in ("comment", "description") and event.new_value:
            if event.field == "comment" and event.actor_id:
                watchers.add(event.actor_id)
            old = set(mentions(event.old_value))
            mentioned.update(name for name in mentions(event.new_value) if name not in old)
    return watchers, mentioned, assigned


@transaction.atomic
def _fan_out_issue(events: list[IssueEvent]) -> int:
    issue = events[0].issue
    project = issue.project
    _, mentioned_names, assigned_names = _named_users(issue, events)
    User = get_user_model()
    named = {
        user.get_username(): user.pk
        for user in User.objects.filter(
            username__in=mentioned_names | assigned_names, memberships__project=project
        ).only("pk", "username")
    }
    mentioned_ids = {named[name] for name in mentioned_names if name in named}
    assigned_ids = {named[name] for name in assigned_names if name in named}
    # Reporters, assignees, commenters and mentioned members started watching in the request
    # that wrote the events (`announce`).
    candidates = set(Watch.objects.filter(issue=issue).values_list("user_id", flat=True))
    recipients = {
        user.pk: user
        for user in members(project, candidates | mentioned_ids).exclude(
            notification_preferences__muted_projects=project
        )
    }
    # Nothing you did yourself lands in your own inbox.
    mine = {pk: [e for e in events if e.actor_id != pk] for pk in recipients}
    mine = {pk: own for pk, own in mine.items() if own}
    if not mine:
        return 0
    rows = _unread_rows(issue, project, list(mine), at=events[-1].created_at)
    preferences = {p.user_id: p for p in Preferences.objects.filter(user_id__in=mine)}

    now = timezone.now()
    links, to_email = [], []
    for pk, own in mine.items():
        row = rows.get(pk)
        if row is None:
            continue
        username = recipients[pk].get_username()
        reasons = [row.reason]
        if pk in mentioned_ids and any(_mentions(e, issue, username) for e in own):
            row.mentioned = True
            reasons.append(Reason.MENTIONED)
        if pk in assigned_ids and any(_assigns(e, issue, username) for e in own):
            reasons.append(Reason.ASSIGNED)
        row.reason = Reason.strongest(*reasons)
        row.updated_at = max(row.updated_at, max(e.created_at for e in own))
        links.extend(NotificationEvent(notification=row, event=e) for e in own)
        if row.email_due_at is None and wants_email_now(preferences.get(pk), row.reason):
            row.email_due_at = now + batch_window()
            to_email.append(row)
    NotificationEvent.objects.bulk_create(links, ignore_conflicts=True)
    Notification.objects.bulk_update(
        rows.values(), ["mentioned", "reason", "updated_at", "email_due_at"]
    )
    if to_email:
        from .tasks import send_notification_emails  # The tasks module imports this one.

        send_notification_emails.using(run_after=now + batch_window()).enqueue(
            notification_ids=[row.pk for row in to_email]
        )
    return len(rows)


def _unread_rows(
    issue: Issue, project: Project, user_ids: list[int], *, at: datetime.datetime
) -> dict[int, Notification]:
    """The recipients' unread rows for the issue, created where missing, locked (a scheduled
    e-mail of the same row waits for this transaction)."""
    rows: dict[int, Notification] = {}
    missing = list(user_ids)
    for _ in range(3):  # A row read in between is no longer unread: make another.
        Notification.objects.bulk_create(
            [
                Notification(recipient_id=pk, issue=issue, project=project, updated_at=at)
                for pk in missing
            ],
            ignore_conflicts=True,  # The unread row exists: the events join it.
        )
        rows.update(
            (row.recipient_id, row)
            for row in Notification.objects.select_for_update().filter(
                issue=issue, recipient_id__in=missing, read_at__isnull=True
            )
        )
        missing = [pk for pk in user_ids if pk not in rows]
        if not missing:
            break
    return rows


def _mentions(event: IssueEvent, issue: Issue, username: str) -> bool:
    if event.field == "created":
        return username in mentions(issue.description)
    return mentions_user(event, username)


def _assigns(event: IssueEvent, issue: Issue, username: str) -> bool:
    if event.field == "created":
        return issue.assignee_id is not None and issue.assignee.get_username() == username
    return event.field == "assignee" and event.new_value == username


def wants_email_now(preferences: Preferences | None, reason: str) -> bool:
    """Immediately, or a mention or assignment for whoever asked to hear about those at once."""
    preferences = preferences or Preferences()
    if preferences.email == EmailMode.IMMEDIATELY:
        return True
    return preferences.email_mentions and reason in (Reason.MENTIONED, Reason.ASSIGNED)
