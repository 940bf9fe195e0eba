"""What the charts plot, computed by the database from the status history (`IssueEvent`).

Every function is one SQL query over the project's issues (narrowed by the shared FilterSet)
and their status events, in a fixed number of queries whatever the size of the project; no
function loads events into Python. Status events keep their old and new `Status` rows, so
renaming a column changes nothing here; a status category (in progress, done, …) is read from
the status row, so a reclassified column counts as what it is now.

Days and weeks are UTC days (weeks start on Monday). One dialect class hides the few
differences between PostgreSQL and SQLite (day arithmetic, the series of days:
`generate_series` there, a recursive CTE here); the rest of the SQL is shared.

The status an issue was in at any time follows from its events: an issue created at `born`
and moved old → new at `at` was in `old` during [born, at) and in `new` afterwards. Summing,
for every day, +1 for an issue's current status from its creation, and for every move +1 old /
−1 new from the issue's creation until the move, gives the issues per status at the end of each
day (cumulative flow). Moves before the period cancel out, so only the period's moves are read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from intake.models import Request
from issues.models import Issue, IssueEvent, Kind, Status, StatusCategory

from .forms import Period

ISSUES = Issue._meta.db_table
REQUESTS = Request._meta.db_table
EVENTS = IssueEvent._meta.db_table
STATUSES = Status._meta.db_table
# The scatter charts draw at most this many dots (the most recent done / the oldest in
# progress); percentiles and totals always count every issue.
MAX_DOTS = 500


class Dialect:
    """SQL that differs between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def day(self, column: str) -> str:
        """The UTC day of a timestamp, comparable with `date_param`."""
        if self.postgres:
            return f"(({column}) AT TIME ZONE 'UTC')::date"
        return f"date({column})"

    def week(self, column: str) -> str:
        """The Monday of a timestamp's UTC week."""
        if self.postgres:
            return f"date_trunc('week', ({column}) AT TIME ZONE 'UTC')::date"
        return f"date({column}, 'weekday 0', '-6 days')"

    def month(self, column: str) -> str:
        if self.postgres:
            return f"date_trunc('month', ({column}) AT TIME ZONE 'UTC')::date"
        return f"date({column}, 'start of month')"

    def days_between(self, earlier: str, later: str) -> str:
        """Days from one timestamp to another, with the fraction."""
        if self.postgres:  # date_part is a float8 (EXTRACT a slower numeric)
            return f"(date_part('epoch', ({later}) - ({earlier})) / 86400.0)"
        return f"(julianday({later}) - julianday({earlier}))"

    def date_param(self) -> str:
        return "%s::date" if self.postgres else "date(%s)"

    def days_cte(self) -> str:
        """`days(day)`: every day from the first to the last parameter, both included."""
        if self.postgres:
            return (
                "days(day) AS (SELECT d::date FROM generate_series("
                "%s::date, %s::date, interval '1 day') AS d)"
            )
        return (
            "days(day) AS (SELECT date(%s) UNION ALL "
            "SELECT date(day, '+1 day') FROM days WHERE day < date(%s))"
        )


def _date(value) -> datetime.date:
    """A day as the driver returns it (a date on PostgreSQL, text on SQLite)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _time(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


@dataclass(frozen=True)
class Scope:
    """The issues a report counts: a project's, narrowed by the FilterSet, over a period."""

    project_id: int
    period: Period
    issues: QuerySet | None = None  # None: every issue of the project (no filter)

    def picked(self, columns: str = "i.id, i.status_id, i.created_at") -> tuple[str, list]:
        """A SELECT of the scope's issues created before the period's end, and its params."""
        narrowed, narrowed_params = self.narrowed()
        where = f"WHERE i.project_id = %s AND i.created_at < %s {narrowed}"
        sql = f"SELECT {columns} FROM {ISSUES} i {where}"  # noqa: S608
        return sql, [self.project_id, _ts(self.period.end), *narrowed_params]

    def narrowed(self) -> tuple[str, list]:
        """`AND i.id IN (…the filtered issues…)`, or nothing when nothing is filtered."""
        if self.issues is None:
            return "", []
        inner, params = self.issues.order_by().values("pk").query.sql_with_params()
        return f"AND i.id IN ({inner})", list(params)


def _ts(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _category_ids(category_sql: str) -> str:
    """A subquery of the project's status ids in the given categories (first param: project)."""
    return f"(SELECT id FROM {STATUSES} WHERE project_id = %s AND category IN ({category_sql}))"  # noqa: S608


def _in(values) -> str:
    """Trusted constants (status categories) as an SQL list."""
    return ", ".join(f"'{value}'" for value in values)


# --- Cumulative flow -------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowRow:
    day: datetime.date
    status_id: int
    issues: int


def cumulative_flow(scope: Scope) -> list[FlowRow]:
    """Issues per status at the end of each day of the period (every status, every day).

    The period's moves are first counted per (day the issue was created, day of the move, old
    status, new status), so that the sums run over a few thousand groups, not over every move.
    """
    sql_dialect = Dialect(connection.vendor)
    period = scope.period
    picked, picked_params = scope.picked()
    day, first_day = sql_dialect.day, sql_dialect.date_param()
    sql = f"""
WITH RECURSIVE {sql_dialect.days_cte()},
picked AS ({picked}),
arrivals AS (
    SELECT CASE WHEN created_at < %s THEN {first_day} ELSE {day("created_at")} END AS day,
           status_id, COUNT(*) AS n
    FROM picked GROUP BY 1, 2
),
moves AS (
    SELECT CASE WHEN p.created_at < %s THEN {first_day} ELSE {day("p.created_at")} END AS born,
           CASE WHEN e.created_at < %s THEN {day("e.created_at")} END AS moved,
           e.old_status_id AS old, e.new_status_id AS new, COUNT(*) AS n
    FROM {EVENTS} e JOIN picked p ON p.id = e.issue_id
    WHERE e.field = 'status' AND e.created_at >= %s
    GROUP BY 1, 2, 3, 4
),
deltas(day, status_id, change) AS (
    SELECT day, status_id, n FROM arrivals
    UNION ALL SELECT born, old, n FROM moves
    UNION ALL SELECT born, new, -n FROM moves
    UNION ALL SELECT moved, old, -n FROM moves WHERE moved IS NOT NULL
    UNION ALL SELECT moved, new, n FROM moves WHERE moved IS NOT NULL
),
totals AS (
    SELECT day, status_id, SUM(change) AS change FROM deltas
    WHERE status_id IS NOT NULL GROUP BY day, status_id
)
SELECT days.day, s.id,
       SUM(COALESCE(t.change, 0)) OVER (PARTITION BY s.id ORDER BY days.day) AS issues
FROM days CROSS JOIN {STATUSES} s
LEFT JOIN totals t ON t.day = days.day AND t.status_id = s.id
WHERE s.project_id = %s
ORDER BY days.day, s.position, s.id
"""  # noqa: S608 (identifiers from the models, values are parameters)
    start, end, first = _ts(period.start), _ts(period.end), str(period.first)
    params = [
        first,
        str(period.last),
        *picked_params,
        start,
        first,
        start,
        first,
        end,
        start,
        scope.project_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [FlowRow(_date(d), status_id, int(n)) for d, status_id, n in cursor.fetchall()]


# --- Done issues: cycle time, lead time, throughput ----------------------------------------------


@dataclass(frozen=True)
class DoneIssue:
    number: int
    title: str
    done_at: datetime.datetime
    estimate: int | None
    cycle_days: float | None  # None: it never went through an in-progress status
    lead_days: float


@dataclass(frozen=True)
class DoneSummary:
    """Every issue done in the period, summed up by the database."""

    count: int
    with_cycle: int  # how many went through an in-progress status (have a cycle time)
    cycle_percentiles: dict[int, float | None]
    lead_percentiles: dict[int, float | None]
    weekly: dict[datetime.date, tuple[int, int]]  # week (its Monday): issues, points


def _done_where(scope: Scope) -> tuple[str, list]:
    """FROM … WHERE of the issues now in a done status whose last entry into one lies in the
    period, and its params.

    Done time: the last move into a done status from one that is not (a reopened issue counts
    when it is done again); an issue created in a done status and never moved is done when
    created. Canceled issues are not done. Cycle time runs from `issues.flow`'s start. Both
    times are the issue's own columns (`started_at`, `done_at`), kept by the operations with
    every move, so the period's done issues are read by index, without their history.
    """
    done = _category_ids(_in([StatusCategory.DONE]))
    narrowed, narrowed_params = scope.narrowed()
    sql = f"""FROM {ISSUES} i
WHERE i.project_id = %s AND i.done_at >= %s AND i.done_at < %s
  AND i.status_id IN {done} {narrowed}"""
    start, end = _ts(scope.period.start), _ts(scope.period.end)
    return sql, [scope.project_id, start, end, scope.project_id, *narrowed_params]


def _spans(sql_dialect: Dialect) -> str:
    """Cycle and lead days of a done issue `i` (never below zero)."""
    cycle = sql_dialect.days_between("i.started_at", "i.done_at")
    lead = sql_dialect.days_between("i.created_at", "i.done_at")
    return (
        f"CASE WHEN {cycle} < 0 THEN 0.0 ELSE {cycle} END AS cycle, "
        f"CASE WHEN {lead} < 0 THEN 0.0 ELSE {lead} END AS lead"
    )


def done_issues(scope: Scope, limit: int = MAX_DOTS) -> list[DoneIssue]:
    """The latest `limit` issues done in the period (see `_done_where`), by done time."""
    sql_dialect = Dialect(connection.vendor)
    where, params = _done_where(scope)
    sql = f"""
SELECT * FROM (
    SELECT i.number, i.title, i.done_at, i.estimate, {_spans(sql_dialect)} {where}
    ORDER BY i.done_at DESC, i.number DESC LIMIT {int(limit)}
) latest ORDER BY done_at, number
"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        DoneIssue(
            number=number,
            title=title,
            done_at=_time(done_at),
            estimate=estimate,
            cycle_days=None if cycle is None else float(cycle),
            lead_days=float(lead),
        )
        for number, title, done_at, estimate, cycle, lead in rows
    ]


def done_summary(scope: Scope, percents: tuple[int, ...]) -> DoneSummary:
    """Counts, nearest-rank percentiles of cycle and lead days, and issues and points per week
    of every issue done in the period, in one query (no row per issue leaves the database).

    A nearest-rank percentile is the smallest value with at least p % of the values at or
    below it: PostgreSQL's `percentile_disc`; on SQLite, the value whose rank × 100 first
    reaches p × the count."""
    sql_dialect = Dialect(connection.vendor)
    where, params = _done_where(scope)
    week = sql_dialect.week("done_at")
    if sql_dialect.postgres:
        fractions = ", ".join(str(p / 100) for p in percents)
        picks = f"""percentile_disc(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY cycle),
                    percentile_disc(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY lead),
                    COUNT(cycle), COUNT(*) FROM done"""
        empty = "NULL, NULL, NULL"
    else:
        ranked = """(SELECT cycle, lead,
            CASE WHEN cycle IS NULL THEN NULL
                 ELSE ROW_NUMBER() OVER (PARTITION BY cycle IS NULL ORDER BY cycle) END AS rc,
            COUNT(cycle) OVER () AS nc,
            ROW_NUMBER() OVER (ORDER BY lead) AS rl, COUNT(*) OVER () AS nl FROM done)"""
        cycle = ", ".join(
            f"MIN(CASE WHEN rc * 100 >= {int(p)} * nc THEN cycle END)" for p in percents
        )
        lead = ", ".join(
            f"MIN(CASE WHEN rl * 100 >= {int(p)} * nl THEN lead END)" for p in percents
        )
        picks = f"{cycle}, {lead}, COUNT(cycle), COUNT(*) FROM {ranked}"
        empty = ", ".join("NULL" for _ in range(2 * len(percents) + 1))
    sql = f"""
WITH done AS (SELECT i.done_at, i.estimate, {_spans(sql_dialect)} {where})
SELECT 'all', CAST(NULL AS DATE), CAST(NULL AS BIGINT), {picks}
UNION ALL
SELECT 'week', {week}, SUM(COALESCE(estimate, 0)), {empty}, COUNT(*) FROM done GROUP BY {week}
"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    cycles, leads, with_cycle, count, weekly = {}, {}, 0, 0, {}
    for kind, week_of, points, *values in rows:
        if kind == "week":
            weekly[_date(week_of)] = (int(values[-1]), int(points))
            continue
        if sql_dialect.postgres:
            cycle_values, lead_values, with_cycle, count = values
            cycle_values = cycle_values or [None] * len(percents)
            lead_values = lead_values or [None] * len(percents)
        else:
            n = len(percents)
            cycle_values, lead_values = values[:n], values[n : 2 * n]
            with_cycle, count = values[2 * n :]
        cycles = {
            p: None if v is None else float(v) for p, v in zip(percents, cycle_values, strict=True)
        }
        leads = {
            p: None if v is None else float(v) for p, v in zip(percents, lead_values, strict=True)
        }
    return DoneSummary(int(count), int(with_cycle), cycles, leads, dict(sorted(weekly.items())))


# --- Created vs resolved -------------------------------------------------------------------------


def created_and_resolved(scope: Scope) -> dict[datetime.date, tuple[int, int]]:
    """Per week (its Monday): issues created, and moves from an open into a closed status."""
    sql_dialect = Dialect(connection.vendor)
    picked, picked_params = scope.picked()
    closed = _category_ids(_in(StatusCategory.closed()))
    week = sql_dialect.week
    sql = f"""
WITH picked AS ({picked}),
marks(week, created, resolved) AS (
    SELECT {week("created_at")}, 1, 0 FROM picked WHERE created_at >= %s
    UNION ALL
    SELECT {week("e.created_at")}, 0, 1
    FROM {EVENTS} e JOIN picked p ON p.id = e.issue_id
    WHERE e.field = 'status' AND e.created_at >= %s AND e.created_at < %s
      AND e.new_status_id IN {closed}
      AND (e.old_status_id IS NULL OR e.old_status_id NOT IN {closed})
)
SELECT week, SUM(created), SUM(resolved) FROM marks GROUP BY week ORDER BY week
"""  # noqa: S608
    pid = scope.project_id
    start, end = _ts(scope.period.start), _ts(scope.period.end)
    params = [*picked_params, start, start, end, pid, pid]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_date(w): (int(c), int(r)) for w, c, r in cursor.fetchall()}


def resolved_by_day(scope: Scope) -> dict[tuple[datetime.date, int], int]:
    """Per (day, closed status): the period's moves into it from an open status (for the
    snapshots; `created_and_resolved` counts the same per week)."""
    sql_dialect = Dialect(connection.vendor)
    picked, picked_params = scope.picked()
    closed = _category_ids(_in(StatusCategory.closed()))
    sql = f"""
WITH picked AS ({picked})
SELECT {sql_dialect.day("e.created_at")}, e.new_status_id, COUNT(*)
FROM {EVENTS} e JOIN picked p ON p.id = e.issue_id
WHERE e.field = 'status' AND e.created_at >= %s AND e.created_at < %s
  AND e.new_status_id IN {closed}
  AND (e.old_status_id IS NULL OR e.old_status_id NOT IN {closed})
GROUP BY 1, 2
"""  # noqa: S608
    pid = scope.project_id
    start, end = _ts(scope.period.start), _ts(scope.period.end)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*picked_params, start, end, pid, pid])
        return {(_date(day), status): int(n) for day, status, n in cursor.fetchall()}


def changes_since(project_id: int, since: datetime.datetime) -> dict[int, int]:
    """Per status, how many issues of the project it gained since `since` (a day's start):
    the moves of issues created before then (+1 the new status, −1 the old one), and the
    issues created since, in their current status. Added to the snapshot of the day before,
    it gives each status's count now, reading only the day's rows (no count of the whole
    project). Each of the day's moves finds its issue by primary key (a scalar subquery, which
    no planner turns into a scan of the project's issues)."""
    sql = f"""
SELECT 'm', t.old_status_id, t.new_status_id, COUNT(*) FROM (
    SELECT e.old_status_id, e.new_status_id,
           (SELECT i.created_at FROM {ISSUES} i
            WHERE i.id = e.issue_id AND i.project_id = %s) AS born
    FROM {EVENTS} e WHERE e.field = 'status' AND e.created_at >= %s
) t WHERE t.born < %s GROUP BY t.old_status_id, t.new_status_id
UNION ALL
SELECT 'c', NULL, i.status_id, COUNT(*) FROM {ISSUES} i
WHERE i.project_id = %s AND i.created_at >= %s GROUP BY i.status_id
"""  # noqa: S608
    at = _ts(since)
    changes: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [project_id, at, at, project_id, at])
        for _kind, old, new, n in cursor.fetchall():
            if new is not None:
                changes[new] = changes.get(new, 0) + int(n)
            if old is not None:
                changes[old] = changes.get(old, 0) - int(n)
    return changes


def created_per_week(scope: Scope) -> dict[datetime.date, int]:
    """Per week (its Monday): the issues created in the period."""
    sql_dialect = Dialect(connection.vendor)
    narrowed, narrowed_params = scope.narrowed()
    week = sql_dialect.week("i.created_at")
    sql = f"""
SELECT {week}, COUNT(*) FROM {ISSUES} i
WHERE i.project_id = %s AND i.created_at >= %s AND i.created_at < %s {narrowed}
GROUP BY {week}
"""  # noqa: S608
    start, end = _ts(scope.period.start), _ts(scope.period.end)
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope.project_id, start, end, *narrowed_params])
        return {_date(w): int(n) for w, n in cursor.fetchall()}


# --- Aging work in progress ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingIssue:
    number: int
    title: str
    status_id: int
    started_at: datetime.datetime
    age_days: float


def aging_work(scope: Scope, now: datetime.datetime) -> tuple[list[AgingIssue], int]:
    """Issues now in an in-progress status, oldest first (at most MAX_DOTS), and how many.

    Age: from the first entry into an in-progress status (as for cycle time) to `now`.
    """
    sql_dialect = Dialect(connection.vendor)
    in_progress = _category_ids(_in([StatusCategory.IN_PROGRESS]))
    narrowed, narrowed_params = scope.narrowed()
    sql = f"""
SELECT i.number, i.title, i.status_id, COALESCE(i.started_at, i.created_at) AS started,
       {sql_dialect.days_between("COALESCE(i.started_at, i.created_at)", "%s")}, COUNT(*) OVER ()
FROM {ISSUES} i
WHERE i.project_id = %s AND i.status_id IN {in_progress} {narrowed}
ORDER BY started, i.number
LIMIT {MAX_DOTS}
"""  # noqa: S608
    pid = scope.project_id
    params = [_ts(now), pid, pid, *narrowed_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total = rows[0][5] if rows else 0
    return [
        AgingIssue(number, title, status_id, _time(started), max(float(age), 0.0))
        for number, title, status_id, started, age, _ in rows
    ], int(total)


# --- Where issues come from --------------------------------------------------------------------------


def sources_by_month(scope: Scope) -> dict[tuple[datetime.date, str], int]:
    """Issues created in the period per (month, source)."""
    sql_dialect = Dialect(connection.vendor)
    picked, picked_params = scope.picked("i.created_at, i.source")
    sql = f"""
WITH picked AS ({picked})
SELECT {sql_dialect.month("created_at")} AS month, source, COUNT(*)
FROM picked WHERE created_at >= %s
GROUP BY 1, 2 ORDER BY 1, 2
"""  # noqa: S608
    params = [*picked_params, _ts(scope.period.start)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(_date(month), source): int(n) for month, source, n in cursor.fetchall()}


def requests_by_month(scope: Scope) -> dict[tuple[datetime.date, str], int]:
    """Customer requests (intake) received in the period per (month, source), for the scope's
    issues: a vote, a portal idea, a widget message, a support ticket through the API."""
    sql_dialect = Dialect(connection.vendor)
    narrowed, narrowed_params = scope.narrowed()
    month = sql_dialect.month("r.created_at")
    sql = f"""
SELECT {month}, r.source, COUNT(*) FROM {REQUESTS} r JOIN {ISSUES} i ON i.id = r.issue_id
WHERE i.project_id = %s AND r.created_at >= %s AND r.created_at < %s {narrowed}
GROUP BY {month}, r.source
"""  # noqa: S608
    start, end = _ts(scope.period.start), _ts(scope.period.end)
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope.project_id, start, end, *narrowed_params])
        return {(_date(m), source): int(n) for m, source, n in cursor.fetchall()}


def open_bugs_by_priority(scope: Scope) -> dict[int, int]:
    """Bugs open now (not in a done or canceled status), per priority."""
    closed = _category_ids(_in(StatusCategory.closed()))
    narrowed, narrowed_params = scope.narrowed()
    sql = f"""
SELECT i.priority, COUNT(*) FROM {ISSUES} i
WHERE i.project_id = %s AND i.kind = %s AND i.status_id NOT IN {closed} {narrowed}
GROUP BY i.priority
"""  # noqa: S608
    params = [scope.project_id, Kind.BUG.value, scope.project_id, *narrowed_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(priority): int(n) for priority, n in cursor.fetchall()}


# --- Sprints: burndown and velocity ----------------------------------------------------------------


def _state_before(moment: str, categories: list[str]) -> str:
    """Columns `in_sprint` and `closed` (0 or 1) of member `m` just before `moment`: whether it
    was in the sprint `%(sprint)s`, and in a status of `categories`; its current sprint and
    status with every later move undone (as for cumulative flow)."""
    closed = f"(SELECT id FROM {STATUSES} WHERE category IN ({_in(categories)}))"  # noqa: S608
    return f"""
    CASE WHEN m.sprint_id = %(sprint)s THEN 1 ELSE 0 END + COALESCE((
        SELECT SUM(CASE WHEN e.old_sprint_id = %(sprint)s THEN 1 ELSE 0 END
                   - CASE WHEN e.new_sprint_id = %(sprint)s THEN 1 ELSE 0 END)
        FROM {EVENTS} e WHERE e.issue_id = m.id AND e.field = 'sprint' AND e.created_at >= {moment}
    ), 0) AS in_sprint,
    CASE WHEN m.status_id IN {closed} THEN 1 ELSE 0 END + COALESCE((
        SELECT SUM(CASE WHEN e.old_status_id IN {closed} THEN 1 ELSE 0 END
                   - CASE WHEN e.new_status_id IN {closed} THEN 1 ELSE 0 END)
        FROM {EVENTS} e WHERE e.issue_id = m.id AND e.field = 'status' AND e.created_at >= {moment}
    ), 0) AS closed"""  # noqa: S608


def _estimate_at(moment: str, issue: str = "m") -> str:
    """The estimate issue `issue` had just before `moment`: the old value of its first
    estimate change at or after it ('' was no estimate), or, if it has not changed since, its
    estimate now."""
    first_change = f"""(SELECT e.old_value FROM {EVENTS} e
        WHERE e.issue_id = {issue}.id AND e.field = 'estimate' AND e.created_at >= {moment}
        ORDER BY e.created_at, e.id LIMIT 1)"""  # noqa: S608
    return f"""CASE WHEN {first_change} IS NULL THEN {issue}.estimate
        WHEN {first_change} = '' THEN NULL ELSE CAST({first_change} AS INTEGER) END"""


# Issues ever in the sprint `%(sprint)s`: in it now, or moved into or out of it.
MEMBERS = f"""SELECT i.id, i.estimate, i.created_at, i.sprint_id, i.status_id FROM {ISSUES} i
    WHERE i.id IN (
        SELECT id FROM {ISSUES} WHERE sprint_id = %(sprint)s
        UNION SELECT issue_id FROM {EVENTS} WHERE field = 'sprint' AND new_sprint_id = %(sprint)s
        UNION SELECT issue_id FROM {EVENTS} WHERE field = 'sprint' AND old_sprint_id = %(sprint)s
    )"""  # noqa: S608


@dataclass(frozen=True)
class BurndownDay:
    moment: datetime.datetime
    remaining: int  # points in the sprint and not done or canceled just before `moment`
    added: int  # points of issues that joined the sprint since the previous moment


def burndown(sprint_id: int, moments: list[datetime.datetime]) -> list[BurndownDay]:
    """Points remaining in a sprint just before each of `moments` (its start, then the end of
    each day), and points added to it between one moment and the next (issues that joined it
    after it started). Each issue counts with the estimate it had at that moment (its
    estimate changes are undone like its moves)."""
    if not moments:
        return []
    values = " UNION ALL ".join(f"SELECT %(t{n})s AS t" for n in range(len(moments)))
    sql = f"""
WITH moments AS ({values}),
members AS ({MEMBERS}),
states AS (
    SELECT d.t, {_estimate_at("d.t")} AS estimate, {_state_before("d.t", StatusCategory.closed())}
    FROM members m CROSS JOIN moments d WHERE m.created_at < d.t
),
joins AS (
    SELECT e.created_at AS at, {_estimate_at("e.created_at", "i")} AS estimate
    FROM {EVENTS} e JOIN {ISSUES} i ON i.id = e.issue_id
    WHERE e.field = 'sprint' AND e.new_sprint_id = %(sprint)s AND e.created_at >= %(t0)s
)
SELECT d.t,
    (SELECT COALESCE(SUM(s.estimate), 0) FROM states s
     WHERE s.t = d.t AND s.in_sprint = 1 AND s.closed = 0),
    (SELECT COALESCE(SUM(j.estimate), 0) FROM joins j WHERE j.at < d.t)
FROM moments d ORDER BY d.t
"""  # noqa: S608
    params = {"sprint": sprint_id} | {f"t{n}": _ts(m) for n, m in enumerate(moments)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    days, before = [], 0
    for moment, remaining, joined in rows:
        days.append(BurndownDay(_time(moment), int(remaining), int(joined) - before))
        before = int(joined)
    return days


@dataclass(frozen=True)
class SprintPoints:
    sprint_id: int
    committed: int  # points in the sprint just before it started
    done: int  # points in it and in a done status just before it was completed


def sprint_points(
    sprint_id: int, started: datetime.datetime, completed: datetime.datetime
) -> SprintPoints:
    """Velocity of one closed sprint: what it committed to, and what it finished."""
    sql = f"""
WITH members AS ({MEMBERS})
SELECT
    (SELECT COALESCE(SUM(s.estimate), 0) FROM (
        SELECT {_estimate_at("%(started)s")} AS estimate,
               {_state_before("%(started)s", StatusCategory.closed())}
        FROM members m WHERE m.created_at < %(started)s) s WHERE s.in_sprint = 1),
    (SELECT COALESCE(SUM(s.estimate), 0) FROM (
        SELECT {_estimate_at("%(completed)s")} AS estimate,
               {_state_before("%(completed)s", [StatusCategory.DONE])}
        FROM members m WHERE m.created_at < %(completed)s) s
     WHERE s.in_sprint = 1 AND s.closed = 1)
"""  # noqa: S608
    params = {"sprint": sprint_id, "started": _ts(started), "completed": _ts(completed)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        committed, done = cursor.fetchone()
    return SprintPoints(sprint_id, int(committed), int(done))
