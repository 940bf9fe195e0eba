"""Who hears about what: watchers, notifications (an inbox row per issue) and preferences.

Notifications are made by a worker from the IssueEvents that `issues.operations` writes
(`notifications.operations.fan_out`); nothing here changes an issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from issues.models import Issue, IssueEvent, Membership, Project


class Watch(models.Model):
    """A user hears about every change to the issue (until they unwatch it)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "user"], name="watch_unique")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} watches {self.issue_id}"


class EmailMode(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately (changes to one issue within 5 minutes: one e-mail)"
    DIGEST = "digest", "A daily digest"
    NEVER = "never", "Never"


class Preferences(models.Model):
    """A user's e-mail choices; a user without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    email = models.CharField(
        "E-mail me", max_length=12, choices=EmailMode.choices, default=EmailMode.IMMEDIATELY
    )
    email_mentions = models.BooleanField(
        "Always e-mail me at once when I am mentioned or assigned", default=True
    )
    muted_projects = models.ManyToManyField(
        Project, blank=True, related_name="+", help_text="Nothing from these projects."
    )

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"

    @classmethod
    def of(cls, user) -> Preferences:
        """The user's preferences (unsaved defaults when they never chose)."""
        return cls.objects.filter(user=user).first() or cls(user=user)


class Reason(models.TextChoices):
    """Why a notification reached its recipient, strongest last."""

    WATCHING = "watching", "you watch it"
    MENTIONED = "mentioned", "you were mentioned"
    ASSIGNED = "assigned", "you are assigned"

    @classmethod
    def strongest(cls, *reasons: str) -> str:
        order = list(cls.values)
        return max(reasons, key=order.index)


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """The user's notifications from projects they can see now (losing membership hides
        everything from a project at once)."""
        mine = self.filter(recipient=user)
        if user.is_superuser:
            return mine
        # A semi-join on the user's few projects (not a join): the inbox walks its index
        # newest first and stops after a page, the count reads the unread index alone.
        return mine.filter(project__in=Membership.objects.filter(user=user).values("project_id"))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One inbox row: what happened to one issue since the recipient last looked.

    There is at most one unread row per (recipient, issue): new events join it. Once read, the
    next event starts a new row.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notifications")
    # The issue's project (never changes), so that membership and mutes filter without a join.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    events = models.ManyToManyField(IssueEvent, through="NotificationEvent", related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.WATCHING)
    mentioned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the batched e-mail of this row's new events goes out (None: none is scheduled).
    email_due_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "issue"],
                condition=Q(read_at__isnull=True),
                name="notification_one_unread_per_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-updated_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient", "project"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.issue_id} ({'read' if self.read_at else 'unread'})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationEvent(models.Model):
    """An event summarised by a notification, and whether it went out by e-mail yet."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE)
    event = models.ForeignKey(IssueEvent, on_delete=models.CASCADE, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "event"], name="notification_event_unique"
            ),
        ]
        indexes = [
            # The digest looks for events not e-mailed yet.
            models.Index(
                fields=["notification"],
                condition=Q(emailed_at__isnull=True),
                name="notification_event_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} · {self.event_id}"


class Digest(models.Model):
    """A daily digest e-mail a user was sent: at most one a day, whoever runs the digests (the
    worker's daily task, `manage.py send_digests`, two workers at once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day")]

    def __str__(self) -> str:
        return f"Digest of {self.user} for {self.day}"


class DigestRun(models.Model):
    """The digest run of a day, queued on the task queue once: whoever schedules it (the
    previous day's run, a preference change, `migrate`, the command), one task per day."""

    day = models.DateField(unique=True)
    scheduled_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Digest run of {self.day}"
