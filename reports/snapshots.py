"""Daily snapshots of the cumulative flow (`FlowDay`): what the unfiltered reports of a large
project read instead of its whole status history.

A settled day (one that ended ten minutes ago or more: no transaction still running can log a
move dated in it) is snapshotted once, by `fill`, with the same SQL as the live charts
(`queries.cumulative_flow`, `queries.resolved_by_day`), so a snapshot is exactly what the live
query said of that day. Today's counts are the day before's snapshot with today's changes
(`queries.changes_since`). When the history of
past days changes (an issue deleted, a status changing category), `forget` drops the snapshots
from the first day concerned; until `fill` runs again (a task the reports page enqueues when it
finds a gap, or `manage.py snapshot_flow`), the page computes those days live.

Filling and forgetting one project take the same advisory lock on PostgreSQL, so a fill that
read the history before a deletion cannot write its rows after the deletion forgot them.
"""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from issues.models import Issue

from . import queries
from .forms import Period
from .models import FlowDay

UTC = datetime.UTC
# A move is logged within its transaction, which lasts seconds; ten minutes after a day ends,
# nothing dated in it can still arrive.
SETTLE = datetime.timedelta(minutes=10)
# An arbitrary first key of the advisory lock, naming this module's lock ("flow").
LOCK_SPACE = 0x666C6F77


def settled_day(now: datetime.datetime) -> datetime.date:
    """The last UTC day that ended at least SETTLE ago."""
    return (now - SETTLE).astimezone(UTC).date() - datetime.timedelta(days=1)


def _lock(project_id: int) -> None:
    """Fill and forget of one project queue here (until the transaction ends)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, project_id])


@transaction.atomic
def fill(project_id: int, now: datetime.datetime | None = None) -> int:
    """Snapshot every day of the project not snapshotted yet, up to the last settled day: from
    the day after the last snapshot, or from the day its first issue was created. Returns how
    many rows were written."""
    _lock(project_id)
    through = settled_day(now or timezone.now())
    last = FlowDay.objects.filter(project_id=project_id).aggregate(last=Max("day"))["last"]
    if last is None:
        born = Issue.objects.filter(project_id=project_id).aggregate(first=Min("created_at"))
        if born["first"] is None:
            return 0
        first = born["first"].astimezone(UTC).date()
    else:
        first = last + datetime.timedelta(days=1)
    if first > through:
        return 0
    scope = queries.Scope(project_id=project_id, period=Period(first, through))
    resolved = queries.resolved_by_day(scope)
    rows = [
        FlowDay(
            project_id=project_id,
            day=row.day,
            status_id=row.status_id,
            issues=row.issues,
            resolved=resolved.get((row.day, row.status_id), 0),
        )
        for row in queries.cumulative_flow(scope)
    ]
    FlowDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def forget(project_id: int, since: datetime.datetime | datetime.date | None = None) -> None:
    """Drop the project's snapshots from the day of `since` on (all of them without it): the
    history of those days changed."""
    _lock(project_id)
    days = FlowDay.objects.filter(project_id=project_id)
    if since is not None:
        if isinstance(since, datetime.datetime):
            since = since.astimezone(UTC).date()
        days = days.filter(day__gte=since)
    days.delete()


def request_fill(project_id: int, now: datetime.datetime) -> None:
    """Enqueue `fill` for the project, at most once per app process and settled day."""
    from .tasks import fill_flow_snapshots

    if cache.add(f"flow-fill:{project_id}:{settled_day(now)}", True, timeout=3600):
        fill_flow_snapshots.enqueue(project_id=project_id)


def snapshot_days(
    project_id: int, period: Period, now: datetime.datetime
) -> dict[datetime.date, list[FlowDay]] | None:
    """The period's snapshots by day, up to the last settled day; or None when the snapshots
    cannot answer (the caller computes live): a settled day of the period is missing (a fill
    is requested), or a day after the last settled one is not today (yesterday in the first
    minutes of a day, or a day to come). Days before the project's first snapshot are days
    before its first issue: they have no rows."""
    today = now.astimezone(UTC).date()
    through = min(period.last, settled_day(now))
    after = (period.last - through).days  # days of the period past the last settled one
    if after > 1 or (after == 1 and period.last != today):
        return None
    known = FlowDay.objects.filter(project_id=project_id)
    by_day: dict[datetime.date, list[FlowDay]] = {}
    for row in known.filter(day__gte=period.first, day__lte=through):
        by_day.setdefault(row.day, []).append(row)
    if not by_day:  # none yet, or a period before the first issue (cheap to compute live)
        request_fill(project_id, now)
        return None
    # Snapshots begin on the day of the project's first issue: asked only when the period
    # starts before the first day read.
    if period.first in by_day:
        earliest = period.first
    else:
        earliest = known.aggregate(first=Min("day"))["first"]
    day = max(period.first, earliest)
    while day <= through:
        if day not in by_day:
            request_fill(project_id, now)
            return None
        day += datetime.timedelta(days=1)
    return by_day
