"""The backlog's queries: open sprints with their issues, then the unstarted issues not in an
open sprint, in the project's one rank order, in a fixed number of queries whatever the size.

The backlog proper is every issue whose status is in a backlog or to-do category (triage is
still to be accepted; started work is on the board) and that is in no open sprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from issues.models import Issue, Project, StatusCategory

from . import scores
from .models import Sprint, SprintState

PAGE_SIZE = 100
# A sprint section shows at most this many issues (a sprint is a few weeks of work).
SPRINT_CAP = 300
UNSTARTED = (StatusCategory.BACKLOG, StatusCategory.TODO)


@dataclass
class Section:
    """A sprint (or, with `sprint` None, the backlog) and the rows it shows."""

    sprint: Sprint | None
    rows: list[Issue] = field(default_factory=list)
    count: int = 0  # every issue of the section, filters aside
    points: int = 0
    more: int = 0  # rows not shown yet

    @property
    def key(self) -> str:
        return str(self.sprint.pk) if self.sprint else "backlog"

    @property
    def title(self) -> str:
        return self.sprint.name if self.sprint else "Backlog"


# Unstarted issues in no open sprint.
IN_BACKLOG = Q(status__category__in=UNSTARTED) & (
    Q(sprint__isnull=True) | Q(sprint__state=SprintState.CLOSED)
)


def backlog_issues(project: Project) -> QuerySet[Issue]:
    return Issue.objects.filter(project=project).filter(IN_BACKLOG)


def rows(queryset: QuerySet[Issue], project: Project) -> QuerySet[Issue]:
    """What a row shows: status, assignee, labels (the score is computed from the row)."""
    return (
        queryset.select_related("status", "assignee__profile")
        .prefetch_related("labels")
        .defer("description")
    )


def open_sprints(project: Project) -> list[Sprint]:
    return list(Sprint.objects.filter(project=project).open().in_plan_order())


def totals(project: Project, sprints: list[Sprint]) -> list[Section]:
    """The sections without rows: each sprint's and the backlog's count and points, filters
    aside (what a sprint commits to). Two queries."""
    result = [Section(sprint) for sprint in sprints]
    by_sprint = {section.sprint.pk: section for section in result}
    if sprints:
        rows = (
            Issue.objects.filter(sprint__in=sprints)
            .values("sprint")
            .annotate(count=Count("pk"), points=Sum("estimate"))
            .order_by()
        )
        for row in rows:
            section = by_sprint[row["sprint"]]
            section.count, section.points = row["count"], row["points"] or 0
    backlog = Section(None)
    backlog_totals = backlog_issues(project).aggregate(count=Count("pk"), points=Sum("estimate"))
    backlog.count, backlog.points = backlog_totals["count"], backlog_totals["points"] or 0
    return [*result, backlog]


def sections(project: Project, filtered: QuerySet[Issue], sprints: list[Sprint]) -> list[Section]:
    """The open sprints' sections then the backlog's, rows filtered by `filtered` (a queryset
    of the project's issues) and totals unfiltered."""
    result = totals(project, sprints)
    by_sprint = {section.sprint.pk: section for section in result if section.sprint}
    if sprints:
        in_sprints = rows(filtered.filter(sprint__in=sprints), project).order_by("rank")
        for issue in in_sprints[: SPRINT_CAP * len(sprints)]:
            section = by_sprint[issue.sprint_id]
            if len(section.rows) < SPRINT_CAP:
                section.rows.append(issue)
        for section in by_sprint.values():
            section.more = int(len(section.rows) == SPRINT_CAP)
    backlog = result[-1]
    backlog.rows, backlog.more = page(project, filtered, offset=0)
    return result


def page(project: Project, filtered: QuerySet[Issue], *, offset: int) -> tuple[list[Issue], int]:
    """A page of the backlog's rows from `offset`, and whether more follow (1) or not (0)."""
    queryset = rows(filtered.filter(IN_BACKLOG), project)
    found = list(queryset.order_by("rank")[offset : offset + PAGE_SIZE + 1])
    return found[:PAGE_SIZE], int(len(found) > PAGE_SIZE)


def set_scores(issues: list[Issue], project: Project) -> None:
    for issue in issues:
        issue.score_info = scores.score(issue, project.scoring_model)
