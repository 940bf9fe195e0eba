"""When work on an issue started, read from its status history: one SQL definition, shared by
the CSV export (`started_at`) and the reports (cycle time, aging work in progress).

Started: the first entry into a status of the in-progress category. An issue created in such a
status started when it was created: its history then leaves an in-progress status no later
than it first enters one (a move between two in-progress statuses does both at once). One that
never entered such a status has not started (NULL). Categories are read from the status rows,
so renaming a status changes nothing. Two moves of one issue at the very same instant count as
simultaneous.
"""

from django.db import connection

from .models import Issue, IssueEvent, Status, StatusCategory

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


def rebuild(project_id: int) -> int:
    """Set every issue's `started_at` and `done_at` of one project from its status history, as
    the operations keep them move by move (`operations._follow`): after a bulk import, after a
    status changed category (what counted as in progress or done is read anew), or to check
    them (`manage.py rebuild_flow`). Returns how many issues were written.

    Started: as above; an issue in progress now without any move into progress was created
    there. Done (only while the issue is in a done status): its last move into a done status
    from one that is not; without one, it was created done.
    """
    done = f"(SELECT id FROM {STATUSES} WHERE category = '{StatusCategory.DONE.value}')"  # noqa: S608
    issues = Issue._meta.db_table
    created = f"{issues}.created_at"
    sql = f"""
UPDATE {issues} SET
    started_at = COALESCE(
        (SELECT {started_at_aggregate("e", created)} FROM {EVENTS} e
         WHERE e.issue_id = {issues}.id AND e.field = 'status'),
        CASE WHEN status_id IN {IN_PROGRESS} THEN {created} END),
    done_at = CASE WHEN status_id IN {done} THEN COALESCE(
        (SELECT MAX(e.created_at) FROM {EVENTS} e
         WHERE e.issue_id = {issues}.id AND e.field = 'status' AND e.new_status_id IN {done}
           AND (e.old_status_id IS NULL OR e.old_status_id NOT IN {done})),
        {created}) END
WHERE project_id = %s
"""  # noqa: S608 (identifiers from the models, the one value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [project_id])
        return cursor.rowcount
