"""`make bench` cases of intake: the portal's list and similar-title suggestions.

- Portal list of a project with 10,000 published ideas, sorted by votes (top) and trending,
  20 a page: ≤ 50 ms, queries as for 1,000 ideas.
- Similar titles against 100,000 issues (triage's look-alikes): ≤ 30 ms on PostgreSQL, with
  EXPLAIN showing the trigram index (issue_title_trgm_idx); SQLite's word match is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.db.models import F
from django.test import Client

from intake import portal
from intake.models import Portal
from issues.models import Issue, Project

from . import data
from .cases import Probe, Sample, Target, get_probe, timed

KEYS = {"ideas_small": "BENCHIS", "ideas": "BENCHI", "similar": "BENCHT"}


def build(sizes, log: Callable[[str], None], large: Project | None) -> dict[str, Project]:
    """Two portals (1,000 and 10,000 published ideas, with votes) and, unless the list's
    100,000-issue project is there already, one for similar titles."""
    projects = {}
    for role, count in (("ideas_small", sizes.small), ("ideas", sizes.medium)):
        started = time.perf_counter()
        project = data.build_project(KEYS[role], count).project
        # Votes as demand (the list sorts by it): a few hundred distinct values, in one UPDATE.
        Issue.objects.filter(project=project).update(public=True, demand=(F("number") * 7919) % 613)
        Portal.objects.update_or_create(project=project, defaults={"enabled": True})
        projects[role] = project
        log(f"  {KEYS[role]}: {count:,} published ideas ({time.perf_counter() - started:.0f} s)")
    if large is None:
        started = time.perf_counter()
        large = data.build_project(KEYS["similar"], sizes.large).project
        log(f"  {KEYS['similar']}: {sizes.large:,} issues ({time.perf_counter() - started:.0f} s)")
    projects["similar"] = large
    data.analyze()
    return projects


def probes(client: Client, projects: dict[str, Project], sizes) -> list[Probe]:
    anonymous = Client()
    small, big = projects["ideas_small"], projects["ideas"]
    result = []
    for sort in ("top", "trending"):
        base = get_probe(
            anonymous,
            f"portal list, {sort}, 20 a page",
            sizes.small,
            f"/portal/{small.key}/?sort={sort}",
            target=Target(max_ms=50),
        )
        result += [
            base,
            get_probe(
                anonymous,
                f"portal list, {sort}, 20 a page",
                sizes.medium,
                f"/portal/{big.key}/?sort={sort}",
                baseline=base,
                target=Target(max_ms=50, same_queries=True),
            ),
        ]
    similar_project = projects["similar"]
    title = (
        Issue.objects.filter(project=similar_project)
        .order_by("number")
        .values_list("title", flat=True)[sizes.large // 2]
    )
    query = f"{title} please"

    def run(count_queries: bool) -> Sample:
        def call():
            portal.similar(similar_project, query, public_only=False)
            return None

        _, sample = timed(count_queries, call)
        return sample

    vendor = connection.vendor
    result.append(
        Probe(
            "similar titles (triage look-alikes)",
            sizes.large,
            run,
            target=Target(max_ms=30) if vendor == "postgresql" else Target(),
            detail=explain(similar_project, query),
        )
    )
    return result


def explain(project: Project, title: str) -> str:
    """Which index the similar-titles query uses (PostgreSQL's EXPLAIN)."""
    if connection.vendor != "postgresql":
        return "SQLite: significant-word match (no trigram index)"
    queryset = Issue.objects.filter(project=project).filter(
        portal.TrigramMatch(portal.F("title"), portal.Value(title))
    )
    plan = queryset.explain()
    index = "issue_title_trgm_idx" in plan
    return "EXPLAIN: " + ("Bitmap Index Scan on issue_title_trgm_idx" if index else plan[:160])
