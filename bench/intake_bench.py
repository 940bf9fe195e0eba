"""`make bench` cases of intake: the portal's list, similar-title suggestions, the API's throughput.

- Portal list of a project with 10,000 published ideas, sorted by votes (top) and trending,
  20 a page: ≤ 50 ms, queries as for 1,000 ideas.
- Similar titles against 100,000 issues (triage's look-alikes): ≤ 30 ms on PostgreSQL, with
  EXPLAIN showing the trigram index (issue_title_trgm_idx); SQLite's word match is reported.
- The intake API under gunicorn + wrk (bench/intake.lua): ≥ 150 deliveries a second, each a new
  issue, 0 errors; then one external id delivered again and again makes exactly one issue.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from django.db import connection
from django.db.models import F
from django.test import Client

from intake import operations as intake_operations
from intake import portal
from intake.models import ExternalTicket, KeyKind, Portal
from issues import operations as issue_operations
from issues.models import Issue, Project, Role

from . import data
from .cases import CaseError, Probe, Result, Sample, Target, _fail, get_probe, timed

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


# Throughput: the intake API under gunicorn + wrk ------------------------------------------------

API_KEY = "BENCHA"
API_GOAL = 150  # deliveries (new issues) per second
API_SCRIPT = Path(__file__).resolve().parent / "intake.lua"
API_CASE = "throughput: intake API, new issues, gunicorn + wrk"
REPEAT_CASE = "intake API, one external id delivered again and again"
# The bench measures the server, not the limiter: the per-key and per-IP limits (600 and 1,200
# a minute) are lifted for its gunicorn; every request still counts its two hits.
API_LIMITS = "api-key=1000000/60,api-ip=1000000/60"


def api_results(options, log: Callable[[str], None]) -> list[Result]:
    """POST /api/intake/<KEY>/ with a new external id on every request (each creates an issue in
    triage with its requester and request), then one external id over and over (one issue)."""
    from . import throughput

    created = Result(API_CASE, None, target=f"≥ {API_GOAL} req/s, 0 errors")
    repeated = Result(REPEAT_CASE, None, target="exactly 1 issue, no errors")
    reason = throughput._cannot_run(options)
    if reason:
        for result in (created, repeated):
            result.status, result.detail = "skipped", reason
        return [created, repeated]
    try:
        project, secret = _api_project()
        run = f"run{int(time.time())}"
        env = {**os.environ, "INTAKE_SECRET": secret, "INTAKE_PREFIX": f"{run}-warm"}
        path = f"/api/intake/{project.key}/"
        server_options = replace(options, extra_env={"INTAKE_RATE_LIMITS": API_LIMITS})
        with throughput._gunicorn(server_options, log) as port:
            throughput._wrk(port, path, {}, options, seconds=2, script=API_SCRIPT, env=env)
            env["INTAKE_PREFIX"] = f"{run}-load"
            stats = throughput._wrk(port, path, {}, options, script=API_SCRIPT, env=env)
            counts = _counts(stats["output"])
            made = _settled(project, f"{run}-load-")
            _record_api(created, stats, counts, made, options)
            repeat_env = {**env, "INTAKE_REPEAT": f"{run}-repeat"}
            stats = throughput._wrk(
                port, path, {}, options, seconds=3, script=API_SCRIPT, env=repeat_env
            )
            counts = _counts(stats["output"])
            issues = _settled(project, repeat_env["INTAKE_REPEAT"])
            repeated.size = stats["requests"]
            repeated.median_ms = stats["latency"].get(50)
            repeated.met = issues == 1 and counts[0] == 1 and counts[2] == counts[3] == 0
            repeated.detail = (
                f"{stats['requests']:,} deliveries of one external id: {counts[0]} × 201, "
                f"{counts[1]:,} × 200, {counts[2]} × 4xx, {counts[3]} × 5xx; {issues} issue"
            )
    except Exception as error:
        for result in (created, repeated):
            if result.met is None and result.status == "ok":
                _fail(result, error)
    return [created, repeated]


def _api_project() -> tuple[Project, str]:
    """The bench's intake project and a new secret key for it (keys are shown only once)."""
    user = data.bench_user()
    project = Project.objects.filter(key=API_KEY).first()
    if project is None:
        project = issue_operations.create_project(key=API_KEY, name="Intake API", owner=user)
    else:
        issue_operations.add_member(project=project, user=user, role=Role.ADMIN)
    _, secret = intake_operations.create_key(
        project=project, actor=user, kind=KeyKind.SECRET, name="bench"
    )
    return project, secret


def _settled(project: Project, external_prefix: str) -> int:
    """The issues made by deliveries whose external id starts with this, once the server has
    finished the requests wrk left in flight when it stopped."""
    tickets = ExternalTicket.objects.filter(
        project=project, external_id__startswith=external_prefix
    )
    count, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:
        now = tickets.count()
        if now == count:
            return now
        count = now
        time.sleep(1)
    return count


def _counts(output: str) -> tuple[int, int, int, int]:
    found = re.search(r"intake: (\d+) 201, (\d+) 200, (\d+) 4xx, (\d+) 5xx", output)
    if found is None:
        raise CaseError("bench/intake.lua printed no counts")
    return tuple(int(n) for n in found.groups())  # type: ignore[return-value]


def _record_api(result: Result, stats: dict, counts: tuple, made: int, options) -> None:
    created, repeated, client_errors, server_errors = counts
    errors = stats["errors"] + client_errors + server_errors
    latency = stats["latency"]
    result.size = made
    result.median_ms = latency.get(50)
    result.ratio = stats["rps"] / API_GOAL
    # Every delivery is a new issue: no 200 (a repeat), and no issue beyond the answers wrk
    # counted except those it left in flight (at most one per connection).
    result.met = (
        stats["rps"] >= API_GOAL
        and errors == 0
        and repeated == 0
        and created <= made <= created + options.wrk_connections
    )
    result.detail = (
        f"{stats['rps']:,.0f} req/s, {created:,} × 201 ({made:,} issues made, with those "
        "in flight when wrk stopped), "
        f"{repeated} × 200, {client_errors} × 4xx, {server_errors} × 5xx; latency "
        f"p50 {latency.get(50, 0):.1f} ms, p99 {latency.get(99, 0):.1f} ms; "
        f"{options.wrk_connections} connections, {options.wrk_seconds} s, "
        f"{options.workers} gunicorn workers"
    )
