"""The cases of `make bench`: server time of the hot pages, measured in-process.

Each request goes through Django's test client (the whole middleware stack, no network), after
a warm-up, several times, with the cases of a group interleaved (a baseline and its big case
see the same moment of a shared, noisy machine). One extra run per case counts its SQL
queries: counting slows the queries down, so it is never a timed run.

`run(sizes, options)` works on whatever database is configured; `python -m bench` gives it a
throw-away one. A page that does not exist yet is reported as "not available", not a crash.
"""

from __future__ import annotations

import gzip
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlencode

from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from boards.cache import board_cache
from issues.models import Issue, Project, StatusCategory

from . import data


@dataclass(frozen=True)
class Sizes:
    """Numbers of issues (or of cards in a column) that the cases are built with."""

    small: int = 1_000
    medium: int = 10_000
    large: int = 100_000
    column_small: int = 1_000
    column_large: int = 50_000
    export: int = 200_000
    throughput_board: int = 200
    reports_small: int = 1_000
    reports: int = 100_000
    reports_events: int = 500_000  # status events of the `reports` project (5 per issue)


FULL = Sizes()
QUICK = Sizes(
    large=10_000, column_large=5_000, export=10_000, reports=10_000, reports_events=50_000
)
TINY = Sizes(
    small=20,
    medium=60,
    large=100,
    column_small=5,
    column_large=40,
    export=300,
    throughput_board=20,
    reports_small=20,
    reports=100,
    reports_events=500,
)

GROUPS = (
    "board", "list", "admin", "move", "backlog", "export", "throughput", "reports", "notifications",
    "emails", "intake", "moves",
)  # fmt: skip
# "moves": only the moves-under-load case of "throughput" (gunicorn + wrk + bench/moves.lua),
# for the long run: python -m bench --only moves --wrk-seconds 60 --workers 5
# Project keys of the bench database (never the user's: the bench database is its own).
KEYS = {
    "small": "BENCHS",
    "medium": "BENCHM",
    "large": "BENCHL",
    "throughput": "BENCHW",
    "export": "BENCHX",
    "reports_small": "BENCHRS",
    "reports": "BENCHR",
}
EXPORT_KEY = KEYS["export"]
LIST_FILTER = {"state": "open", "priority": ["high", "urgent"], "per_page": "50"}


@dataclass
class Options:
    repeat: int = 9
    warmup: int = 2
    move_repeat: int = 15
    export_repeat: int = 5
    groups: tuple[str, ...] = GROUPS
    wrk_seconds: int = 10
    wrk_connections: int = 32
    workers: int = 3
    database_url: str = ""  # for gunicorn: the bench database
    extra_env: dict = field(default_factory=dict)  # more environment for gunicorn
    intake_throughput: bool = True  # the intake group's gunicorn + wrk case (--no-throughput)


@dataclass
class Target:
    """What a case must meet: a median, a ratio to its baseline, a number of queries."""

    max_ms: float | None = None
    max_ratio: float | None = None
    max_queries: int | None = None
    same_queries: bool = False  # as many queries as the baseline: the count does not grow
    text: str = ""
    check: Callable[[], bool] | None = None  # another measure than time (page weight)

    def describe(self) -> str:
        if self.text:
            return self.text
        parts = []
        if self.max_ms is not None:
            parts.append(f"≤ {self.max_ms:g} ms")
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}×")
        if self.max_queries is not None:
            parts.append(f"≤ {self.max_queries} q")
        if self.same_queries:
            parts.append("q = baseline")
        return ", ".join(parts)


@dataclass
class Result:
    """One row of the table (and of results.json)."""

    case: str
    size: int | None
    status: str = "ok"  # ok, not available, skipped, error
    median_ms: float | None = None
    spread_ms: float | None = None  # interquartile range of the timed runs
    queries: int | None = None
    ratio: float | None = None
    baseline: str | None = None
    target: str = ""
    met: bool | None = None  # None: no target, or the case did not run
    detail: str = ""
    samples_ms: list[float] = field(default_factory=list)
    cpu_median_ms: float | None = None  # this process's CPU time (not the database's)
    database_cpu_median_ms: float | None = None  # the PostgreSQL server process's, when local

    def as_dict(self) -> dict:
        return asdict(self)


class NotAvailable(Exception):
    """The page is not there (yet): no URL, a 404, an import error."""


class CaseError(Exception):
    """The page answered, but not as a working page does."""


@dataclass
class Sample:
    seconds: float
    cpu: float
    queries: int | None = None
    database_cpu: float | None = None


@dataclass
class Probe:
    """One case: `run(count_queries)` performs one measured request."""

    case: str
    size: int
    run: Callable[[bool], Sample]
    target: Target = field(default_factory=Target)
    baseline: Probe | None = None
    detail: str = ""


def _check(response: HttpResponse, expected: int, path: str) -> None:
    if response.status_code == expected:
        return
    if response.status_code == 404:
        raise NotAvailable(f"HTTP 404 for {path}")
    reason = unquote(response.headers.get("X-Error-Message", ""))
    raise CaseError(f"HTTP {response.status_code} for {path}" + (f": {reason}" if reason else ""))


def _route_exists(path: str) -> None:
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404 as error:
        raise NotAvailable(f"no URL {path.split('?', 1)[0]}") from error
    except ImportError as error:
        raise NotAvailable(f"import error: {error}") from error


def database_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL server process, when it runs on
    this machine (Linux); None elsewhere. With the process's own CPU time, it gives the cost of
    a request that the load of other processes on a shared machine does not inflate."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    try:
        pid = connection.connection.info.backend_pid
        # Nanoseconds on a CPU (the scheduler's count: finer than /proc/<pid>/stat's ticks).
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, AttributeError, IndexError, ValueError):
        return None


def timed(count_queries: bool, call: Callable[[], HttpResponse]) -> tuple[HttpResponse, Sample]:
    """One call, its wall and CPU time, and (only when asked) its queries."""
    capture = CaptureQueriesContext(connection) if count_queries else nullcontext()
    database = database_cpu()
    with capture as queries:
        started, cpu = time.perf_counter(), time.process_time()
        response = call()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if database is not None:
        after = database_cpu()
        database = None if after is None else after - database
    return response, Sample(seconds, cpu, len(queries) if count_queries else None, database)


def get_probe(
    client: Client,
    case: str,
    size: int,
    path: str,
    *,
    headers: dict | None = None,
    prepare: Callable[[], None] | None = None,
    **kwargs,
) -> Probe:
    """A GET of `path`; `prepare` runs (untimed) before each request."""

    def run(count_queries: bool) -> Sample:
        _route_exists(path)
        if prepare is not None:
            prepare()
        response, sample = timed(count_queries, lambda: client.get(path, headers=headers or {}))
        _check(response, 200, path)
        return sample

    return Probe(case, size, run, **kwargs)


# Measuring -------------------------------------------------------------------------------------


def measure(probes: list[Probe], *, repeat: int, warmup: int) -> list[Result]:
    """Warm up, count queries, then time every probe `repeat` times, interleaved."""
    results = {id(p): Result(p.case, p.size, target=p.target.describe()) for p in probes}
    samples: dict[int, list[Sample]] = {id(p): [] for p in probes}
    live = []
    for probe in probes:
        try:
            for _ in range(warmup):
                probe.run(False)
            results[id(probe)].queries = probe.run(True).queries
            live.append(probe)
        except Exception as error:
            _fail(results[id(probe)], error)
    for _ in range(repeat):
        for probe in list(live):
            try:
                samples[id(probe)].append(probe.run(False))
            except Exception as error:
                _fail(results[id(probe)], error)
                live.remove(probe)
    for probe in live:
        result = results[id(probe)]
        walls = [sample.seconds * 1000 for sample in samples[id(probe)]]
        result.samples_ms = [round(value, 3) for value in walls]
        result.median_ms = statistics.median(walls)
        result.spread_ms = _iqr(walls)
        result.cpu_median_ms = statistics.median(s.cpu * 1000 for s in samples[id(probe)])
        database = [s.database_cpu * 1000 for s in samples[id(probe)] if s.database_cpu is not None]
        result.database_cpu_median_ms = statistics.median(database) if database else None
        result.detail = probe.detail
    for probe in probes:
        _judge(results[id(probe)], probe, results.get(id(probe.baseline)))
    return [results[id(p)] for p in probes]


def _iqr(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return quartiles[2] - quartiles[0]


def _fail(result: Result, error: Exception) -> None:
    if isinstance(error, NotAvailable | ImportError):
        result.status, result.detail = "not available", str(error)
    else:
        result.status = "error"
        result.detail = f"{type(error).__name__}: {error}"[:300]


def _judge(result: Result, probe: Probe, baseline: Result | None) -> None:
    if result.status != "ok":
        return
    target = probe.target
    checks = []
    if baseline is not None:
        result.baseline = baseline.case
        if baseline.status == "ok" and baseline.median_ms:
            result.ratio = result.median_ms / baseline.median_ms
            if target.max_ratio is not None:
                checks.append(result.ratio <= target.max_ratio)
            if target.same_queries:
                checks.append(result.queries == baseline.queries)
        elif target.max_ratio is not None or target.same_queries:
            checks.append(False)
            result.detail = _join(result.detail, "no baseline to compare with")
    if target.max_ms is not None:
        checks.append(result.median_ms <= target.max_ms)
    if target.max_queries is not None:
        checks.append(result.queries is not None and result.queries <= target.max_queries)
    if target.check is not None:
        checks.append(target.check())
    result.met = all(checks) if checks else None


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


# Data ------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    projects: dict[str, Project]
    builders: dict[str, str]
    move_columns: tuple | None = None


def build(sizes: Sizes, groups: Iterable[str], log: Callable[[str], None]) -> Dataset:
    """The projects the chosen groups need, built once (kept with --keep)."""
    groups = set(groups)
    wanted = {}
    if groups & {"board", "list", "admin", "notifications"}:
        wanted["small"] = sizes.small
    if groups & {"board", "notifications"}:
        wanted["medium"] = sizes.medium
    if groups & {"board", "list", "admin", "move"}:
        wanted["large"] = sizes.large
    if groups & {"throughput", "moves"}:
        wanted["throughput"] = sizes.throughput_board
    if "export" in groups:
        wanted["export"] = sizes.export
    if "reports" in groups:
        wanted["reports_small"] = sizes.reports_small
        wanted["reports"] = sizes.reports
    dataset = Dataset({}, {})
    for role, count in wanted.items():
        started = time.perf_counter()
        built = data.build_project(KEYS[role], count)
        dataset.projects[role] = built.project
        dataset.builders[KEYS[role]] = built.builder
        log(
            f"  {KEYS[role]}: {count:,} issues ({built.builder}, {time.perf_counter() - started:.0f} s)"
        )
    if "large" in dataset.projects and groups & {"move", "board"}:
        dataset.move_columns = data.make_move_columns(
            dataset.projects["large"], small=sizes.column_small, large=sizes.column_large
        )
    if "throughput" in dataset.projects:
        data.spread_over_board(dataset.projects["throughput"])
    if "reports" in dataset.projects:
        for role, count in (
            ("reports_small", sizes.reports_small * sizes.reports_events // sizes.reports),
            ("reports", sizes.reports_events),
        ):
            started = time.perf_counter()
            written = data.add_status_history(dataset.projects[role], count)
            log(
                f"  {KEYS[role]}: {written:,} status events ({time.perf_counter() - started:.0f} s)"
            )
    if "backlog" in groups:
        from . import planning_bench

        planning_bench.build(dataset, sizes, log)
    data.analyze()
    return dataset


def search_terms(project: Project) -> tuple[str, str]:
    """A selective word (in about 1 % of the titles: what people usually search for) and the
    most common one (every match is ranked and counted: the slow kind)."""
    stop = {"with", "from", "does", "that", "this", "when", "into", "after", "before", "have"}
    words: Counter[str] = Counter()
    titles = list(project.issues.order_by("number").values_list("title", flat=True)[:2000])
    for title in titles:
        words.update({w for w in re.findall(r"[a-z]{4,}", title.lower()) if w not in stop})
    if not words:
        return "checkout", "checkout"
    common = words.most_common(1)[0][0]
    one_percent = max(len(titles) / 100, 1)
    selective = min(words, key=lambda word: (abs(words[word] - one_percent), word))
    return selective, common


# Cases -----------------------------------------------------------------------------------------


def board_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    # Every timed board is rendered: the cache of unchanged boards is measured on its own.
    rendered = {"prepare": lambda: board_cache().clear()}
    small = get_probe(
        client,
        "board",
        sizes.small,
        f"/projects/{KEYS['small']}/board/",
        target=Target(max_queries=10),
        **rendered,
    )
    medium = get_probe(
        client,
        "board",
        sizes.medium,
        f"/projects/{KEYS['medium']}/board/",
        baseline=small,
        target=Target(max_ms=60, max_ratio=1.3, max_queries=10, same_queries=True),
        **rendered,
    )
    large = get_probe(
        client,
        "board, a column of 50% of the issues",
        sizes.large,
        f"/projects/{KEYS['large']}/board/",
        baseline=small,
        target=Target(max_queries=10, same_queries=True),
        detail=f"In progress holds {sizes.column_large:,} cards (informational)",
        **rendered,
    )
    medium_path = f"/projects/{KEYS['medium']}/board/"
    repeat = get_probe(
        client,
        "board, unchanged since the last request (cached)",
        sizes.medium,
        medium_path,
        # The other board cases clear the cache between runs: render once, untimed, first.
        prepare=lambda: client.get(medium_path),
        baseline=medium,
        target=Target(max_queries=10),
        detail="served from the per-process cache of rendered boards (informational)",
    )
    return [small, medium, large, repeat, weight_probe(client, sizes)]


def weight_probe(client: Client, sizes: Sizes) -> Probe:
    """The 1,000-issue board's HTML: bytes a card, and what is sent compressed (a browser's
    Accept-Encoding: gzip; the GZip middleware)."""
    path = f"/projects/{KEYS['small']}/board/"
    weight: dict = {}

    def run(count_queries: bool) -> Sample:
        _route_exists(path)
        board_cache().clear()
        response, sample = timed(
            count_queries, lambda: client.get(path, headers={"Accept-Encoding": "gzip"})
        )
        _check(response, 200, path)
        compressed = response.headers.get("Content-Encoding") == "gzip"
        html = gzip.decompress(response.content) if compressed else response.content
        cards = html.count(b'<article class="card"') or 1
        weight.update(html=len(html), cards=cards)
        sent = f"{len(response.content) / 1024:.0f} KB gzip" if compressed else "uncompressed"
        probe.detail = (
            f"{len(html) / cards:.0f} B of HTML a card ({cards} cards, "
            f"{len(html) / 1024:.0f} KB); sent {sent}"
        )
        return sample

    probe = Probe(
        "board, page weight (1,000 issues, gzip)",
        sizes.small,
        run,
        target=Target(
            text="≤ 800 B a card",
            check=lambda: weight["html"] / weight["cards"] <= 800,
        ),
    )
    return probe


def list_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    query = urlencode(LIST_FILTER, doseq=True)
    described = "open, priority high or urgent, 50 a page"
    small = get_probe(
        client,
        "list, filtered",
        sizes.small,
        f"/projects/{KEYS['small']}/issues/?{query}",
        detail=described,
        target=Target(max_ms=50),
    )
    large = get_probe(
        client,
        "list, filtered",
        sizes.large,
        f"/projects/{KEYS['large']}/issues/?{query}",
        baseline=small,
        detail=described,
        target=Target(max_ms=50, same_queries=True),
    )
    probes = [small, large]
    if connection.vendor == "postgresql":
        selective, common = search_terms(dataset.projects["large"])
        search = urlencode({"q": selective, "per_page": "50"})
        search_small = get_probe(
            client,
            "list, text search",
            sizes.small,
            f"/projects/{KEYS['small']}/issues/?{search}",
            detail=f"q={selective}, {_search_matches(dataset.projects['small'], selective):,} matches",
            target=Target(max_ms=50),
        )
        common_search = urlencode({"q": common, "per_page": "50"})
        probes += [
            search_small,
            get_probe(
                client,
                "list, text search",
                sizes.large,
                f"/projects/{KEYS['large']}/issues/?{search}",
                baseline=search_small,
                detail=f"q={selective}, "
                f"{_search_matches(dataset.projects['large'], selective):,} matches",
                target=Target(max_ms=50, same_queries=True),
            ),
            get_probe(
                client,
                "list, text search, common word",
                sizes.large,
                f"/projects/{KEYS['large']}/issues/?{common_search}",
                baseline=search_small,
                detail=f"q={common}, {_search_matches(dataset.projects['large'], common):,} "
                "matches, all ranked and counted",
                target=Target(text="none (informational)"),
            ),
        ]
    return probes


def _search_matches(project: Project, term: str) -> int:
    from issues.filters import IssueFilter

    return IssueFilter({"q": term}, project=project).qs.count()


def admin_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    def path(role: str) -> str:
        return f"/admin/issues/issue/?queue=triage&project={dataset.projects[role].pk}"

    def triage_count(role: str) -> str:
        count = dataset.projects[role].issues.filter(status__category=StatusCategory.TRIAGE)
        return f"triage queue of {count.count():,} issues, oldest first"

    small = get_probe(
        client,
        "admin triage changelist",
        sizes.small,
        path("small"),
        detail=triage_count("small"),
        target=Target(max_ms=150),
    )
    large = get_probe(
        client,
        "admin triage changelist",
        sizes.large,
        path("large"),
        baseline=small,
        detail=triage_count("large"),
        target=Target(max_ms=150, same_queries=True),
    )
    return [small, large]


def move_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    """A card from the top of "To do" into the middle of the first page of a column, and back
    (untimed), so that the columns keep their sizes; the browser's HTMX request."""
    project = dataset.projects["large"]
    big, little = dataset.move_columns
    todo = data.statuses_by_category(project)[StatusCategory.TODO]
    path = f"/projects/{project.key}/board/move/"
    board_path = f"/projects/{project.key}/board/"
    state = {"version": ""}

    def top_of(status, count: int) -> list[Issue]:
        return list(Issue.objects.filter(project=project, status=status).order_by("rank")[:count])

    def post(values: dict, source, target) -> HttpResponse:
        values = {**values, f"loaded_{source.pk}": "50", f"loaded_{target.pk}": "50"}
        headers = {"HX-Request": "true", "X-Board-Version": state["version"]}
        return client.post(path, values, headers=headers)

    def probe(target, size: int, baseline: Probe | None) -> Probe:
        def run(count_queries: bool) -> Sample:
            _route_exists(path)
            if not state["version"]:
                board = client.get(board_path)
                _check(board, 200, board_path)
                state["version"] = board.headers.get("X-Board-Version", "")
            card, below = top_of(todo, 2)
            place = top_of(target, 26)[-2:]
            values = {"issue": card.number, "status": target.pk, "after": place[0].number}
            if len(place) > 1:
                values["before"] = place[1].number
            response, sample = timed(count_queries, lambda: post(values, todo, target))
            _check(response, 200, path)
            state["version"] = response.headers.get("X-Board-Version", state["version"])
            back = post(
                {"issue": card.number, "status": todo.pk, "before": below.number}, target, todo
            )
            _check(back, 200, path)
            state["version"] = back.headers.get("X-Board-Version", state["version"])
            return sample

        described = f"into “{target.name}”, {size:,} cards; HTMX drag: two column headers and the placed card"
        return Probe(
            "card move",
            size,
            run,
            baseline=baseline,
            detail=described,
            target=Target(max_ms=10, max_queries=10)
            if baseline is None
            else Target(max_ms=10, max_queries=10, max_ratio=1.3, same_queries=True),
        )

    small = probe(little, sizes.column_small, None)
    return [small, probe(big, sizes.column_large, small)]


# The charts measured one by one (through their CSV, which builds only that chart); throughput,
# points and lead time read the same query as cycle time.
REPORT_CHARTS = ("flow", "cycle-time", "created-resolved", "aging", "sources", "bugs")


def reports_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    """The reports page for the last 90 days: all charts together, then each chart alone."""
    small = get_probe(
        client,
        "reports page, 90 days, all charts",
        sizes.reports_small,
        f"/projects/{KEYS['reports_small']}/reports/?range=90",
        detail=f"{sizes.reports_small * sizes.reports_events // sizes.reports:,} status events",
        target=Target(text="baseline of the queries"),
    )
    large = get_probe(
        client,
        "reports page, 90 days, all charts",
        sizes.reports,
        f"/projects/{KEYS['reports']}/reports/?range=90",
        baseline=small,
        detail=f"{sizes.reports_events:,} status events",
        target=Target(max_ms=300, same_queries=True),
    )
    charts = [
        get_probe(
            client,
            f"reports, one chart: {chart}",
            sizes.reports,
            f"/projects/{KEYS['reports']}/reports/{chart}.csv?range=90",
            detail="its CSV: only its queries",
            target=Target(max_ms=100),
        )
        for chart in REPORT_CHARTS
    ]
    return [small, large, *charts]


def notification_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    from bench.notifications_bench import edit_probes, inbox_probes

    return edit_probes(client, dataset, sizes) + inbox_probes(client, dataset, sizes)


def _backlog_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    from . import planning_bench  # planning's cases, in their own module

    return planning_bench.probes(client, dataset, sizes)


# Running ---------------------------------------------------------------------------------------


def run(
    sizes: Sizes = FULL, options: Options | None = None, log: Callable[[str], None] = print
) -> list[Result]:
    """Build the data, run the chosen groups, and return the table's rows."""
    options = options or Options()
    log("Building data (bulk inserts)…")
    dataset = build(sizes, options.groups, log)
    client = Client()
    client.force_login(data.bench_user())
    results: list[Result] = []
    plan = [
        ("board", board_probes, options.repeat),
        ("list", list_probes, options.repeat),
        ("admin", admin_probes, options.repeat),
        ("move", move_probes, options.move_repeat),
        ("reports", reports_probes, options.repeat),
        ("notifications", notification_probes, options.repeat),
        ("backlog", _backlog_probes, options.repeat),
    ]
    for group, make, repeat in plan:
        if group not in options.groups:
            continue
        log(f"Measuring {group}…")
        try:
            probes = make(client, dataset, sizes)
        except Exception as error:
            failed = Result(group, None)
            _fail(failed, error)
            results.append(failed)
            continue
        results += measure(probes, repeat=repeat, warmup=options.warmup)
        if group == "list" and connection.vendor != "postgresql":
            results.append(
                Result(
                    "list, text search",
                    sizes.large,
                    status="skipped",
                    detail="PostgreSQL only (full-text search; SQLite matches substrings)",
                )
            )
    if {"notifications", "emails"} & set(options.groups):
        from bench.notifications_bench import email_results

        log("Measuring the e-mail worker…")
        results += email_results(sizes, repeat=3)
    if "intake" in options.groups:
        from bench import intake_bench

        log("Building and measuring intake (portal, similar titles)…")
        projects = intake_bench.build(sizes, log, dataset.projects.get("large"))
        results += measure(
            intake_bench.probes(client, projects, sizes),
            repeat=options.repeat,
            warmup=options.warmup,
        )
        if options.intake_throughput:
            log("Measuring the intake API's throughput (gunicorn + wrk)…")
            results += intake_bench.api_results(options, log)
    if "export" in options.groups:
        log("Measuring the CSV export (bench.export_bench)…")
        results += export_results(sizes, options)
    if "throughput" in options.groups:
        from bench import throughput

        log("Measuring throughput (gunicorn + wrk)…")
        results += throughput.run(dataset, sizes, options, client, log)
    elif "moves" in options.groups:
        from bench import throughput

        log("Measuring moves under load (gunicorn + wrk)…")
        results += throughput.run_moves(dataset, sizes, options, log)
    return results


def export_results(sizes: Sizes, options: Options) -> list[Result]:
    """h5's export benchmark (bench/export_bench.py), in this table's shape."""
    try:
        from bench import export_bench

        # Its responses are closed as a server closes them, which ends a "request": like the
        # test client, keep that from closing the connection (it would, inside a transaction).
        request_finished.disconnect(close_old_connections)
        try:
            rows = export_bench.run(
                count=sizes.export, repeat=options.export_repeat, key=EXPORT_KEY
            )
        finally:
            request_finished.connect(close_old_connections)
    except Exception as error:
        failed = Result("CSV export", sizes.export)
        _fail(failed, error)
        return [failed]
    results = []
    baseline = rows[0]["case"] if connection.vendor == "postgresql" else None
    for row in rows:
        memory = row["median"] is None
        if memory:
            target = f"< {export_bench.TARGET_RSS_GROWTH_MB} MB"
        elif connection.vendor != "postgresql":
            target = f"≥ {export_bench.TARGET_ROWS_PER_SECOND:,} rows/s"
        elif row["case"] == baseline:
            target = ""
        else:
            target = f"≥ {export_bench.TARGET_COPY_RATIO:g}× COPY"
        is_baseline = row["case"] == baseline
        results.append(
            Result(
                case=f"export: {row['case']}",
                size=row["size"],
                median_ms=None if memory else row["median"] * 1000,
                queries=row["queries"],
                ratio=None if memory or is_baseline else row["ratio"],
                baseline=None if memory or is_baseline or not baseline else f"export: {baseline}",
                target=target,
                met=None if is_baseline else bool(row["ok"]),
                detail=row["detail"],
            )
        )
    return results
