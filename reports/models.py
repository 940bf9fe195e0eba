"""Daily snapshots of a project's flow, so that the charts of a large project do not read its
whole status history on every request (`reports/snapshots.py` keeps them)."""

from __future__ import annotations

from django.db import models

from issues.models import Project, Status


class FlowDay(models.Model):
    """One project's issues in one status at the end of one settled UTC day, and that day's
    moves into the status from an open one when it is closed (resolved).

    Derived data, never edited: written by `snapshots.fill` (a task, and `manage.py
    snapshot_flow`) from the same SQL as the live charts, forgotten from a day on when the
    history of that day changes (an issue deleted, a status recategorised), and filled again.
    """

    # No foreign-key constraints in the database (Django still deletes the rows with their
    # project or status): writing a snapshot must not take KEY SHARE locks on the project and
    # status rows that moves and workflow changes lock (README, Decisions: the lock order).
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    status = models.ForeignKey(
        Status, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    issues = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "day", "status"], name="flow_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status_id}: {self.issues}"
