"""Team self-service: invitations to a project, and the log of its configuration changes.

The project's own rows (Project, Status, Transition, Label, Membership) live in `issues`;
`projects.operations` changes them, checked and logged here as ProjectEvents.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from issues.models import Project, Role

INVITATION_DAYS = 7


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        """Neither accepted nor revoked, and not yet expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gt=timezone.now() - datetime.timedelta(days=INVITATION_DAYS),
        )


class Invitation(models.Model):
    """An e-mail invitation to join a project with a role; its link is signed (see tokens)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "email"], name="invitation_project_email")]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.project.key} ({self.role})"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + datetime.timedelta(days=INVITATION_DAYS)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if timezone.now() >= self.expires_at:
            return "expired"
        return "pending"


# What each ProjectEvent.action reads as on the settings page.
ACTION_LABELS = {
    "created": "created the project",
    "renamed": "renamed the project",
    "described": "changed the description",
    "archived": "archived the project",
    "unarchived": "unarchived the project",
    "status_added": "added the status",
    "status_changed": "changed the status",
    "statuses_reordered": "reordered the workflow:",
    "default_status": "made the default status",
    "status_deleted": "deleted the status",
    "transitions": "set the allowed moves:",
    "label_added": "added the label",
    "label_changed": "changed the label",
    "label_deleted": "deleted the label",
    "labels_merged": "merged the labels",
    "member_added": "added",
    "role_changed": "changed the role of",
    "member_removed": "removed",
    "invited": "invited",
    "invitation_revoked": "revoked the invitation of",
    "invitation_accepted": "accepted the invitation of",
}


class ProjectEvent(models.Model):
    """One change to a project's configuration, by whom: its settings' activity log."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    action = models.CharField(max_length=32)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="projectevent_recent")]

    def __str__(self) -> str:
        return f"{self.project.key} {self.action}: {self.detail}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)
