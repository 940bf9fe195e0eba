"""The reports page's charts, built from `queries` on demand (each query runs once at most).

`Report(...).chart(slug)` builds one chart (the CSV of a chart asks for only its queries);
`Report(...).sections()` builds them all for the page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cached_property

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from issues.models import Priority, Project, Source, Status, StatusCategory
from planning.models import Sprint, SprintState

from . import charts, queries, snapshots
from .charts import Point, Series
from .forms import Period
from .models import FlowDay

UTC = datetime.UTC
# A number no issue has, put in the issue page's URL once and replaced by each dot's.
URL_NUMBER = "987654321"

PERCENTILES = (50, 85, 95)
SOURCE_SERIES = {
    source: Series(label, css=f"chart-c{index + 1}")
    for index, (source, label) in enumerate(Source.choices)
}
DONE_SERIES = Series("Done issue", css="chart-accent")
CREATED = Series("Created", css="chart-c2")
RESOLVED = Series("Resolved", css="chart-c1")
ISSUES = Series("Issues done", css="chart-c1")
POINTS = Series("Points done", css="chart-c3")
PRIORITY_SERIES = Series("Open bugs", css="chart-c6")
REMAINING = Series("Points remaining", css="chart-accent")
IDEAL = Series("Ideal", css="chart-ideal")
ADDED = Series("Points added", css="chart-c2")
COMMITTED = Series("Committed", css="chart-c8")
COMPLETED = Series("Done", css="chart-c3")
# Velocity: the last closed sprints.
VELOCITY_SPRINTS = 6


def _days(value: float) -> float:
    """Days to one decimal: the value that is both drawn and shown in the table."""
    return round(value, 1)


def _rounded(percentiles: dict[int, float | None]) -> list[tuple[int, float | None]]:
    """Percentiles to one decimal, like the values they are drawn among (a nearest-rank
    percentile is one of the values, and rounding keeps their order)."""
    return [(p, None if v is None else _days(v)) for p, v in percentiles.items()]


class Report:
    def __init__(
        self,
        project: Project,
        period: Period,
        issues: QuerySet | None,
        statuses: list[Status],
        now: datetime.datetime | None = None,
        sprint: Sprint | None = None,
    ):
        self.project = project
        self.period = period
        self.scope = queries.Scope(project_id=project.pk, period=period, issues=issues)
        self.statuses = statuses
        self.now = now or timezone.now()
        self.sprint = sprint  # the burndown's: the chosen one, else the active or last one

    # --- Data, each loaded once --------------------------------------------------------------

    @cached_property
    def snapshots(self) -> dict[datetime.date, list[FlowDay]] | None:
        """The daily snapshots, when they answer for this report: the whole project (no
        filter), every settled day of the period snapshotted (reports/snapshots.py)."""
        if self.scope.issues is not None:
            return None
        return snapshots.snapshot_days(self.project.pk, self.period, self.now)

    def _unsettled_days(self) -> list[datetime.date]:
        """The period's days after the last settled one (today, at most: snapshot_days)."""
        settled = snapshots.settled_day(self.now)
        return [self.period.last] if self.period.last > settled else []

    @cached_property
    def flow(self) -> list[queries.FlowRow]:
        by_day = self.snapshots
        if by_day is None:
            return queries.cumulative_flow(self.scope)
        today = self._unsettled_days()
        now: dict[int, int] = {}
        if today:  # the snapshot of the day before, with today's changes
            before = today[0] - datetime.timedelta(days=1)
            now = {row.status_id: row.issues for row in by_day.get(before, [])}
            start = datetime.datetime.combine(today[0], datetime.time(), tzinfo=UTC)
            for status_id, change in queries.changes_since(self.project.pk, start).items():
                now[status_id] = now.get(status_id, 0) + change
        rows = []
        for offset in range(self.period.days):
            day = self.period.first + datetime.timedelta(days=offset)
            if day in today:
                counts = now
            else:  # no snapshot of a day before the project's first issue: nothing
                counts = {row.status_id: row.issues for row in by_day.get(day, [])}
            rows.extend(
                queries.FlowRow(day, status.pk, counts.get(status.pk, 0))
                for status in self.statuses
            )
        return rows

    def created_and_resolved(self) -> dict[datetime.date, tuple[int, int]]:
        """Per week: issues created, and moves from an open into a closed status."""
        by_day = self.snapshots
        if by_day is None:
            return queries.created_and_resolved(self.scope)
        resolved: dict[datetime.date, int] = {}
        for day, rows in by_day.items():
            week = day - datetime.timedelta(days=day.weekday())
            resolved[week] = resolved.get(week, 0) + sum(row.resolved for row in rows)
        for day in self._unsettled_days():
            today = queries.Scope(project_id=self.project.pk, period=Period(day, day))
            week = day - datetime.timedelta(days=day.weekday())
            resolved[week] = resolved.get(week, 0) + sum(queries.resolved_by_day(today).values())
        created = queries.created_per_week(self.scope)
        return {
            week: (created.get(week, 0), resolved.get(week, 0))
            for week in sorted(set(created) | set(resolved))
        }

    @cached_property
    def done(self) -> queries.DoneSummary:
        """Every issue done in the period, summed up (counts, percentiles, weeks)."""
        return queries.done_summary(self.scope, PERCENTILES)

    @cached_property
    def shown_done(self) -> list[queries.DoneIssue]:
        """The done issues the scatter charts draw: the latest MAX_DOTS."""
        return queries.done_issues(self.scope)

    @cached_property
    def cycle_percentiles(self) -> list[tuple[int, float | None]]:
        return _rounded(self.done.cycle_percentiles)

    @cached_property
    def weeks(self) -> list[datetime.date]:
        first = self.period.first - datetime.timedelta(days=self.period.first.weekday())
        return [
            first + datetime.timedelta(weeks=n)
            for n in range((self.period.last - first).days // 7 + 1)
        ]

    @cached_property
    def _issue_url(self) -> str:
        return reverse("issues:detail", args=[self.project.key, URL_NUMBER])

    def issue_url(self, number: int) -> str:
        """An issue's page (reversed once per report: a scatter has up to 500 dots)."""
        return self._issue_url.replace(URL_NUMBER, str(number))

    def key(self, number: int) -> str:
        return f"{self.project.key}-{number}"

    # --- Charts -----------------------------------------------------------------------------

    def sections(self) -> list[tuple[str, list[charts.Chart]]]:
        return [
            ("Flow and what is stuck", [self.chart("flow"), self.chart("aging")]),
            ("Speed", [self.chart("cycle-time"), self.chart("lead-time")]),
            (
                "Throughput",
                [self.chart("throughput"), self.chart("points"), self.chart("created-resolved")],
            ),
            ("Sprints", [self.chart("burndown"), self.chart("velocity")]),
            (
                "Where issues come from",
                [self.chart("sources"), self.chart("requests"), self.chart("bugs")],
            ),
        ]

    def chart(self, slug: str) -> charts.Chart:
        return self.builders()[slug]()

    def builders(self) -> dict[str, Callable[[], charts.Chart]]:
        return {
            "flow": self.flow_chart,
            "cycle-time": self.cycle_chart,
            "lead-time": self.lead_chart,
            "throughput": self.throughput_chart,
            "points": self.points_chart,
            "created-resolved": self.created_resolved_chart,
            "aging": self.aging_chart,
            "sources": self.sources_chart,
            "requests": self.requests_chart,
            "bugs": self.bugs_chart,
            "burndown": self.burndown_chart,
            "velocity": self.velocity_chart,
        }

    def flow_chart(self) -> charts.Chart:
        counts: dict[int, list[int]] = {status.pk: [] for status in self.statuses}
        days: list[datetime.date] = []
        for row in self.flow:
            if not days or days[-1] != row.day:
                days.append(row.day)
            counts.setdefault(row.status_id, []).append(row.issues)
        # Bottom of the stack: the end of the workflow (Canceled, Done), Triage on top.
        series = [
            (Series(status.name, color=status.color), counts[status.pk])
            for status in reversed(self.statuses)
            if any(counts.get(status.pk, []))
        ]
        last = days[-1] if days else self.period.last
        return charts.stacked_area(
            slug="flow",
            title="Cumulative flow",
            description=(
                f"Issues in each status at the end of each day, {self.period.first} to "
                f"{last}; the workflow's last statuses at the bottom."
            ),
            days=days if series else [],
            series=series,
        )

    def _done_scatter(self, *, slug: str, title: str, lead: bool) -> charts.Chart:
        points = []
        shown = self.shown_done
        for issue in shown:
            value = issue.lead_days if lead else issue.cycle_days
            if value is None:
                continue
            value = _days(value)
            key, name = self.key(issue.number), issue.title
            points.append(
                Point(
                    x=issue.done_at,
                    value=value,
                    label=f"{key} {name}: {value:g} days, done {issue.done_at:%b %d}",
                    href=self.issue_url(issue.number),
                    row=[key, name, issue.done_at.date().isoformat(), value],
                    series=DONE_SERIES,
                )
            )
        if lead:
            percentiles = _rounded(self.done.lead_percentiles)
            measured = "from creation to done"
        else:
            percentiles = self.cycle_percentiles
            measured = "from the first move into an in-progress status to done"
        chart = charts.scatter(
            slug=slug,
            title=title,
            description=(
                f"Each issue done in the period at its done date, against its days {measured}; "
                + ", ".join(f"{p}th percentile {v:g} days" for p, v in percentiles if v is not None)
                + "."
            ),
            x_label="Done (UTC)",
            y_label="Days",
            columns=["Issue", "Title", "Done", "Days"],
            points=points,
            percentiles=percentiles,
            start=self.period.start,
            end=self.period.end,
        )
        chart.legend = [DONE_SERIES] + [
            Series(f"{p}th percentile", css=f"rule-p{p}") for p, v in percentiles if v is not None
        ]
        chart.note = ", ".join(
            f"{p}th percentile: {v:g} days" for p, v in percentiles if v is not None
        )
        if self.done.count > len(shown):
            chart.note += (
                f" (of all {self.done.count:,} issues; the latest {len(shown):,} are drawn)"
            )
        if not lead:
            skipped = sum(1 for d in shown if d.cycle_days is None)
            if skipped:
                chart.note += (
                    f". {skipped} done issue{'s' if skipped != 1 else ''} never went through an "
                    "in-progress status and have no cycle time"
                )
        chart.empty = "No issue was done in this period."
        return chart

    def cycle_chart(self) -> charts.Chart:
        return self._done_scatter(slug="cycle-time", title="Cycle time", lead=False)

    def lead_chart(self) -> charts.Chart:
        return self._done_scatter(slug="lead-time", title="Lead time", lead=True)

    def _weekly(self, slug: str, title: str, series: Series, value) -> charts.Chart:
        totals = dict.fromkeys(self.weeks, 0)
        for week, (issues, points) in self.done.weekly.items():
            if week in totals:
                totals[week] += value(issues, points)
        chart = charts.bars(
            slug=slug,
            title=title,
            description=f"{series.name} per week (weeks start on Monday).",
            x_label="Week of",
            y_label=series.name,
            categories=[week.isoformat() for week in self.weeks],
            series=[(series, list(totals.values()))],
        )
        chart.x_ticks = [(x, _short(label)) for x, label in chart.x_ticks]
        chart.empty = "No issue was done in this period."
        if not any(totals.values()):
            chart.rows = []
        return chart

    def throughput_chart(self) -> charts.Chart:
        return self._weekly(
            "throughput", "Throughput: issues", ISSUES, lambda issues, points: issues
        )

    def points_chart(self) -> charts.Chart:
        return self._weekly("points", "Throughput: points", POINTS, lambda issues, points: points)

    def created_resolved_chart(self) -> charts.Chart:
        counts = self.created_and_resolved()
        created = [counts.get(week, (0, 0))[0] for week in self.weeks]
        resolved = [counts.get(week, (0, 0))[1] for week in self.weeks]
        chart = charts.bars(
            slug="created-resolved",
            title="Created vs resolved",
            description=(
                "Issues created and issues resolved (moved into a done or canceled status) "
                "per week."
            ),
            x_label="Week of",
            y_label="Issues",
            categories=[week.isoformat() for week in self.weeks],
            series=[(CREATED, created), (RESOLVED, resolved)],
        )
        chart.x_ticks = [(x, _short(label)) for x, label in chart.x_ticks]
        chart.empty = "Nothing was created or resolved in this period."
        if not any(created) and not any(resolved):
            chart.rows = []
        return chart

    def aging_chart(self) -> charts.Chart:
        aging, total = queries.aging_work(self.scope, self.now)
        columns = [s for s in self.statuses if s.category == StatusCategory.IN_PROGRESS]
        index = {status.pk: position for position, status in enumerate(columns)}
        points = []
        for issue in aging:
            status = columns[index[issue.status_id]]
            age = _days(issue.age_days)
            key = self.key(issue.number)
            points.append(
                Point(
                    x=index[issue.status_id],
                    value=age,
                    label=f"{key} {issue.title}: {status.name}, {age:g} days in progress",
                    href=self.issue_url(issue.number),
                    row=[key, issue.title, status.name, age],
                    series=Series(status.name, color=status.color),
                )
            )
        chart = charts.scatter(
            slug="aging",
            title="Aging work in progress",
            description=(
                "Every issue now in progress, in its status, at its days since it first "
                "went into progress, against the cycle-time percentiles of the period."
            ),
            x_label="Status",
            y_label="Days in progress",
            columns=["Issue", "Title", "Status", "Days"],
            points=points,
            percentiles=self.cycle_percentiles,
            categories=[status.name for status in columns],
        )
        chart.legend = [
            Series(f"{p}th percentile", css=f"rule-p{p}")
            for p, v in self.cycle_percentiles
            if v is not None
        ]
        if total > len(aging):
            chart.note = f"The oldest {len(aging):,} of {total:,} issues in progress are drawn."
        chart.empty = "Nothing is in progress."
        return chart

    def sources_chart(self) -> charts.Chart:
        return self._by_source(
            queries.sources_by_month(self.scope),
            slug="sources",
            title="Where issues come from",
            description="Issues created in the period per month, by source.",
            y_label="Issues created",
            empty="No issue was created in this period.",
        )

    def requests_chart(self) -> charts.Chart:
        return self._by_source(
            queries.requests_by_month(self.scope),
            slug="requests",
            title="Customer requests",
            description=(
                "Requests from customers (portal ideas and votes, the in-app widget, support "
                "tickets, requests added for a customer) received in the period per month, by "
                "source."
            ),
            y_label="Requests",
            empty="No customer asked for anything in this period.",
        )

    def _by_source(
        self, counts: dict, *, slug: str, title: str, description: str, y_label: str, empty: str
    ) -> charts.Chart:
        months = sorted({month for month, _ in counts})
        present = [source for source in Source.values if any(s == source for _, s in counts)]
        chart = charts.bars(
            slug=slug,
            title=title,
            description=description,
            x_label="Month",
            y_label=y_label,
            categories=[f"{month:%Y-%m}" for month in months],
            series=[
                (SOURCE_SERIES[source], [counts.get((month, source), 0) for month in months])
                for source in present
            ],
            stacked=True,
        )
        chart.x_ticks = [(x, _month(label)) for x, label in chart.x_ticks]
        chart.legend = [SOURCE_SERIES[source] for source in present]
        chart.empty = empty
        return chart

    def bugs_chart(self) -> charts.Chart:
        counts = queries.open_bugs_by_priority(self.scope)
        order = sorted(Priority, reverse=True)
        chart = charts.bars(
            slug="bugs",
            title="Open bugs by priority",
            description="Bugs open now (not done or canceled), per priority.",
            x_label="Priority",
            y_label="Open bugs",
            categories=[priority.label for priority in order],
            series=[(PRIORITY_SERIES, [counts.get(priority, 0) for priority in order])],
        )
        chart.empty = "No open bugs."
        if not counts:
            chart.rows = []
        return chart

    def burndown_chart(self) -> charts.Chart:
        sprint = self.sprint or (
            Sprint.objects.filter(project=self.project, started_at__isnull=False)
            .order_by("-started_at", "-id")
            .first()
        )
        days: list[queries.BurndownDay] = []
        future: list[datetime.datetime] = []  # ends of the sprint's days still to come
        if sprint is not None:
            started = sprint.started_at
            first = started.astimezone(datetime.UTC).date()
            last = max(sprint.end or first, first)
            # Completing a sprint moves its unfinished issues out just before it is marked
            # completed (one transaction): a minute earlier they still count as remaining.
            stop = self.now
            if sprint.completed_at is not None:
                stop = sprint.completed_at - datetime.timedelta(minutes=1)
            moments = [started]
            for offset in range((last - first).days + 1):
                moment = datetime.datetime.combine(
                    first + datetime.timedelta(days=offset + 1), datetime.time(), tzinfo=UTC
                )
                if moment <= stop:
                    moments.append(moment)
                elif not future:  # Today so far (or the last minute before completion).
                    if stop > moments[-1]:
                        moments.append(stop)
                    future.append(moment)
                else:
                    future.append(moment)
            if future and sprint.completed_at is not None:
                future = []  # A completed sprint ends at its completion.
            days = queries.burndown(sprint.pk, moments)
            end = datetime.datetime.combine(
                last + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC
            )
        committed = days[0].remaining if days else 0
        span = (end - days[0].moment).total_seconds() if days else 1

        def ideal(moment: datetime.datetime) -> float:
            share = min(max((moment - days[0].moment).total_seconds() / span, 0.0), 1.0)
            return round(committed * (1 - share), 1)

        # The days still to come carry the ideal line only.
        if days:  # Today so far stands for today: its end is not a day still to come.
            today = _moment_label(days[-1].moment)
            future = [m for m in future if m > days[-1].moment and _moment_label(m) != today]
        labels = [
            "Start" if index == 0 else _moment_label(day.moment) for index, day in enumerate(days)
        ] + [_moment_label(moment) for moment in future]
        chart = charts.burndown(
            slug="burndown",
            title=f"Sprint burndown: {sprint.name}" if sprint else "Sprint burndown",
            description=(
                "Points not yet done or canceled in the sprint: at its start, then at the end of "
                "each day, against the ideal straight line to zero at its end; bars: points of "
                "issues added to the sprint after it started."
            ),
            labels=labels,
            remaining=[day.remaining for day in days] + [None] * len(future),
            ideal=[ideal(moment) for moment in [day.moment for day in days] + future],
            added=[day.added for day in days] + [0] * len(future),
            remaining_series=REMAINING,
            ideal_series=IDEAL,
            added_series=ADDED,
        )
        if sprint is not None:
            chart.note = (
                f"{sprint.name}: {_day(sprint.start)} to {_day(sprint.end)}, "
                f"{committed} points committed. Each issue counts with its estimate of that day."
                if sprint.start and sprint.end
                else ""
            )
        chart.empty = "No sprint has started yet."
        return chart

    def velocity_chart(self) -> charts.Chart:
        sprints = list(
            Sprint.objects.filter(
                project=self.project, state=SprintState.CLOSED, started_at__isnull=False
            )
            .exclude(completed_at=None)
            .order_by("-completed_at", "-id")[:VELOCITY_SPRINTS]
        )[::-1]
        points = [queries.sprint_points(s.pk, s.started_at, s.completed_at) for s in sprints]
        chart = charts.bars(
            slug="velocity",
            title="Velocity",
            description=(
                "Points per closed sprint: committed (in the sprint when it started) and done "
                "(in it and done when it was completed)."
            ),
            x_label="Sprint",
            y_label="Points",
            categories=[sprint.name for sprint in sprints],
            series=[
                (COMMITTED, [p.committed for p in points]),
                (COMPLETED, [p.done for p in points]),
            ],
        )
        chart.empty = "No sprint has been completed yet."
        return chart


def _day(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"


def _moment_label(moment: datetime.datetime) -> str:
    """The day a burndown moment closes (midnight ends the day before)."""
    moment = moment.astimezone(datetime.UTC)
    day = moment.date()
    if moment.time() == datetime.time():
        day -= datetime.timedelta(days=1)
    return f"{day:%b} {day.day}"


def _short(iso_day: str) -> str:
    day = datetime.date.fromisoformat(iso_day)
    return f"{day:%b} {day.day}"


def _month(label: str) -> str:
    return datetime.datetime.strptime(label, "%Y-%m").strftime("%b %Y")
