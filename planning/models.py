"""Planning: sprints, releases and what happened to them.

An issue's sprint and release are fields of the issue (`Issue.sprint`, `Issue.release`), changed
only through `issues.operations.update_issue`, which logs them. Sprints and releases themselves
change through `planning.operations`, which logs a `PlanningEvent` for every change.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from issues.models import Project


class SprintState(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class SprintQuerySet(models.QuerySet):
    def open(self) -> SprintQuerySet:
        """Sprints that issues can still be planned into (planned or active)."""
        return self.exclude(state=SprintState.CLOSED)

    def in_plan_order(self) -> SprintQuerySet:
        """Active first, then planned ones by start date (undated last), then by creation."""
        return self.order_by(
            models.Case(
                models.When(state=SprintState.ACTIVE, then=0),
                models.When(state=SprintState.PLANNED, then=1),
                default=2,
            ),
            models.F("start").asc(nulls_last=True),
            "id",
        )


class Sprint(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sprints")
    name = models.CharField(max_length=100)
    goal = models.TextField(blank=True, help_text="What the team means to achieve.")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=SprintState.choices, default=SprintState.PLANNED, editable=False
    )
    # When it was really started and completed (reports cut the history there).
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SprintQuerySet.as_manager()

    class Meta:
        ordering = ["project", "start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(state=SprintState.ACTIVE),
                name="sprint_one_active_per_project",
                violation_error_message="A project has at most one active sprint.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "project",
                name="sprint_name_unique_per_project",
                violation_error_message="This project already has a sprint with this name.",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True)
                | Q(end__isnull=True)
                | Q(end__gte=models.F("start")),
                name="sprint_dates_in_order",
                violation_error_message="A sprint ends on or after its start.",
            ),
            models.CheckConstraint(
                condition=Q(state=SprintState.PLANNED) | Q(start__isnull=False, end__isnull=False),
                name="sprint_started_has_dates",
                violation_error_message="A started sprint has a start and an end date.",
            ),
        ]
        indexes = [models.Index(fields=["project", "state"], name="sprint_state_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:backlog", args=[self.project.key]) + f"#sprint-{self.pk}"

    def clean(self) -> None:
        if not (self.name or "").strip():
            raise ValidationError({"name": "A sprint needs a name."}, code="blank")
        if self.start and self.end and self.end < self.start:
            raise ValidationError(
                {"end": "The end date is before the start date."}, code="dates_out_of_order"
            )

    @property
    def is_open(self) -> bool:
        return self.state != SprintState.CLOSED

    def days_left(self, today=None) -> int | None:
        """Days until the end date, counting today (0 once it is over)."""
        if self.end is None:
            return None
        today = today or timezone.localdate()
        return max((self.end - today).days + 1, 0)


class ReleaseState(models.TextChoices):
    UNRELEASED = "unreleased", "Unreleased"
    RELEASED = "released", "Released"


class Release(models.Model):
    """A version that ships (a "fix version"): its issues, and notes once it is out."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    name = models.CharField(max_length=50, help_text="For example 2.4.0.")
    description = models.TextField(blank=True, help_text="Markdown: what this release is about.")
    target_date = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=10,
        choices=ReleaseState.choices,
        default=ReleaseState.UNRELEASED,
        editable=False,
    )
    release_date = models.DateField(null=True, blank=True, editable=False)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(
        blank=True, help_text="Markdown release notes: generated on release, editable after."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["project", "target_date", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "project",
                name="release_name_unique_per_project",
                violation_error_message="This project already has a release with this name.",
            ),
            models.CheckConstraint(
                condition=Q(state=ReleaseState.UNRELEASED) | Q(release_date__isnull=False),
                name="release_released_has_date",
                violation_error_message="A released version has a release date.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:release", args=[self.project.key, self.pk])

    def clean(self) -> None:
        if not (self.name or "").strip():
            raise ValidationError({"name": "A release needs a name."}, code="blank")

    @property
    def is_released(self) -> bool:
        return self.state == ReleaseState.RELEASED


class PlanningEvent(models.Model):
    """One change to a sprint or a release (created, edited, started, completed, released)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    sprint = models.ForeignKey(
        Sprint, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    action = models.CharField(max_length=32)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sprint__isnull=False, release__isnull=True)
                | Q(sprint__isnull=True, release__isnull=False),
                name="planning_event_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.detail}"
