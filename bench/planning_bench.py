"""The backlog's cases: the page with 1,000 and 10,000 unstarted issues and three sprints, a
drag on it, and "Rank by score" over 1,000 issues.

The projects come from seed_demo's bulk builder like the others; every issue is then made
unstarted (half Backlog, half To do), scored and estimated, and three sprints (one active, two
planned) of 30 issues each are added, with bulk UPDATEs: this is data for measuring, not a
history.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Mod
from django.test import Client
from django.utils import timezone

from issues import operations
from issues.models import Issue, Project, StatusCategory
from planning.models import Sprint, SprintState

from . import data
from .cases import KEYS, Dataset, Probe, Sample, Sizes, Target, _check, _route_exists, timed

KEYS.update({"backlog_small": "BENCHPS", "backlog": "BENCHP"})
SPRINT_ISSUES = 30
RANKED = 1_000


def build(dataset: Dataset, sizes: Sizes, log) -> None:
    for role, count in (("backlog_small", sizes.small), ("backlog", sizes.medium)):
        built = data.build_project(KEYS[role], count)
        dataset.projects[role] = built.project
        dataset.builders[KEYS[role]] = built.builder
        _make_backlog(built.project)
        log(f"  {KEYS[role]}: {count:,} unstarted issues, 3 sprints ({built.builder})")


@transaction.atomic
def _make_backlog(project: Project) -> None:
    if Sprint.objects.filter(project=project).exists():
        return  # kept from an earlier run (--keep)
    statuses = data.statuses_by_category(project)
    issues = Issue.objects.filter(project=project)
    issues.update(parent=None, kind="story")  # a flat backlog of stories
    data._set_status(issues.annotate(odd=Mod("id", 2)).filter(odd=1), statuses["backlog"])
    data._set_status(issues.annotate(odd=Mod("id", 2)).filter(odd=0), statuses["todo"])
    issues.update(estimate=Mod(F("id"), 8) + 1, value=Mod(F("id"), 5) + 1)
    today = timezone.localdate()
    sprints = [
        Sprint.objects.create(
            project=project,
            name=f"Sprint {n}",
            state=SprintState.ACTIVE if n == 1 else SprintState.PLANNED,
            start=today if n == 1 else None,
            end=today + datetime.timedelta(days=13) if n == 1 else None,
        )
        for n in (1, 2, 3)
    ]
    ids = list(issues.order_by("rank").values_list("pk", flat=True)[: 3 * SPRINT_ISSUES])
    for index, sprint in enumerate(sprints):
        chunk = ids[index * SPRINT_ISSUES : (index + 1) * SPRINT_ISSUES]
        Issue.objects.filter(pk__in=chunk).update(sprint=sprint)


def probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    small_project, project = dataset.projects["backlog_small"], dataset.projects["backlog"]

    def page(project: Project, size: int, baseline: Probe | None) -> Probe:
        path = f"/projects/{project.key}/backlog/"

        def run(count_queries: bool) -> Sample:
            _route_exists(path)
            response, sample = timed(count_queries, lambda: client.get(path))
            _check(response, 200, path)
            return sample

        target = Target(max_ms=60, max_ratio=1.3, same_queries=True) if baseline else Target()
        return Probe(
            "backlog, 3 sprints, first 100 rows",
            size,
            run,
            baseline=baseline,
            target=target,
            detail=f"{size:,} unstarted issues, 3 × {SPRINT_ISSUES} in sprints",
        )

    small = page(small_project, sizes.small, None)
    return [small, page(project, sizes.medium, small), _drag(client, project, sizes.medium),
            _rank(client, project)]  # fmt: skip


def _drag(client: Client, project: Project, size: int) -> Probe:
    """The top backlog issue into the active sprint after its first issue (HTMX, as the
    browser's drag sends it), then back to the top of the backlog (untimed)."""
    path = f"/projects/{project.key}/backlog/move/"
    active = Sprint.objects.get(project=project, state=SprintState.ACTIVE)

    def backlog_top(count: int) -> list[Issue]:
        return list(
            Issue.objects.filter(
                project=project,
                sprint=None,
                status__category__in=[StatusCategory.BACKLOG, StatusCategory.TODO],
            ).order_by("rank")[:count]
        )

    def run(count_queries: bool) -> Sample:
        _route_exists(path)
        issue, below = backlog_top(2)
        first = Issue.objects.filter(sprint=active).order_by("rank").first()
        values = {"issue": issue.number, "sprint": active.pk, "after": first.number, "placed": 1}
        headers = {"HX-Request": "true"}
        response, sample = timed(count_queries, lambda: client.post(path, values, headers=headers))
        _check(response, 200, path)
        back = {"issue": issue.number, "sprint": "", "before": below.number, "placed": 1}
        _check(client.post(path, back, headers=headers), 200, path)
        return sample

    return Probe(
        "backlog drag into the active sprint",
        size,
        run,
        target=Target(max_ms=20),
        detail="HTMX drag: the issue's sprint and rank, answered with the sections' totals",
    )


def _rank(client: Client, project: Project) -> Probe:
    """'Rank by score' over 1,000 backlog issues (shuffled again, untimed, before each run)."""
    path = f"/projects/{project.key}/backlog/plan/"
    chosen = list(Issue.objects.filter(project=project, sprint=None).order_by("rank")[:RANKED])
    numbers = [issue.number for issue in chosen]
    shuffle = random.Random(42)
    actor = data.bench_user()

    def run(count_queries: bool) -> Sample:
        _route_exists(path)
        order = chosen[:]
        shuffle.shuffle(order)
        operations.reorder_issues(project=project, actor=actor, issues=order, reason="bench")
        values = {"issues": numbers, "action": "rank_by_score"}
        response, sample = timed(count_queries, lambda: client.post(path, values))
        _check(response, 302, path)
        return sample

    return Probe(
        "rank by score",
        RANKED,
        run,
        target=Target(max_ms=500),
        detail=f"{RANKED:,} selected issues of {project.issues.count():,}: one rebalance, "
        "one event per moved issue, batched statements",
    )
