"""When work on an issue started, read from its status history: one SQL definition, shared by
the CSV export (`started_at`) and the reports (cycle time, aging work in progress).

Started: the first entry into a status of the in-progress category. An issue created in such a
status started when it was created: its history then leaves an in-progress status no later
than it first enters one (a move between two in-progress statuses does both at once). One that
never entered such a status has not started (NULL). Categories are read from the status rows,
so renaming a status changes nothing. Two moves of one issue at the very same instant count as
simultaneous.
"""

from .models import IssueEvent, Status, StatusCategory

EVENTS = IssueEvent._meta.db_table
STATUSES = Status._meta.db_table
IN_PROGRESS = f"(SELECT id FROM {STATUSES} WHERE category = '{StatusCategory.IN_PROGRESS.value}')"  # noqa: S608


def started_at_aggregate(events: str, created_at: str) -> str:
    """An aggregate over one issue's status events (table alias `events`) of when it started;
    `created_at`: the issue's creation time column."""
    entered = f"MIN(CASE WHEN {events}.new_status_id IN {IN_PROGRESS} THEN {events}.created_at END)"
    left = f"MIN(CASE WHEN {events}.old_status_id IN {IN_PROGRESS} THEN {events}.created_at END)"
    return (
        f"CASE WHEN {left} IS NOT NULL AND ({entered} IS NULL OR {left} <= {entered})"
        f" THEN {created_at} ELSE {entered} END"
    )


def started_at_sql(issue_id: str, created_at: str) -> str:
    """An SQL expression (no parameters) of when the issue whose id and creation time are the
    columns `issue_id` and `created_at` first went into progress: one lookup of its moves."""
    return (
        f"(SELECT {started_at_aggregate('e', created_at)} FROM {EVENTS} e"  # noqa: S608
        f" WHERE e.issue_id = {issue_id} AND e.field = 'status')"
    )
