"""CSV export benchmark: throughput against a bare COPY, and memory, on the current database.

    python -m bench.export_bench [--count 200000] [--repeat 5]     (or `run()` from `make bench`)

Builds (once) a project of `count` issues (bench.data.build_project: seed_demo's bulk builder), then measures, in the same run:
- PostgreSQL: the export (the view's streaming response, consumed as a WSGI server does)
  against a bare `COPY (SELECT …) TO STDOUT` of the same rows (the export's own statement,
  blocks read and dropped) on the same connection; target: ≥ 50 % of its throughput. For
  scale, the detail also gives a COPY of the issue table's own columns (same rows and order,
  no joins, labels or formatting).
- SQLite (any other database): the export's rows per second; target ≥ 60,000.
- Memory: peak RSS growth while one export streams (target < 50 MB), and Python's allocation
  peak (tracemalloc) in a second, slower run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

if __name__ == "__main__":  # python -m bench.export_bench: set Django up before the models load.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    django.setup()

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.data import build_project
from issues import export
from issues.export import csv_response
from issues.filters import DEFAULT_LIST_ORDER
from issues.models import Issue, Project

TARGET_COPY_RATIO = 0.5
TARGET_ROWS_PER_SECOND = 60_000
TARGET_RSS_GROWTH_MB = 50


def export_queryset(project: Project):
    """What the list view exports with no filters: the project's issues in the default order."""
    return Issue.objects.filter(project=project).order_by(*DEFAULT_LIST_ORDER)


def consume_export(project: Project) -> int:
    """Stream one export through the response the view returns; the number of bytes."""
    response = csv_response(
        export_queryset(project), filename_prefix=project.key, projects=[project]
    )
    size = 0
    for chunk in response:  # What a WSGI server does with a StreamingHttpResponse.
        size += len(chunk)
    response.close()
    return size


def table_copy(project: Project) -> int:
    """For scale: COPY of the same issues' own columns (no joins, labels or formatting)."""
    columns = [field.column for field in Issue._meta.concrete_fields if field.name != "description"]
    query = export_queryset(project).values_list(*columns).query
    sql, params = query.get_compiler(using="default").as_sql()
    size = 0
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for block in copy:
            size += len(block)
    return size


def bare_copy(project: Project) -> int:
    """The bare COPY of the export's rows: its own statement, blocks read and dropped."""
    queryset = export_queryset(project)
    keys = export._order_keys(queryset)
    label_ids = list(project.labels.values_list("pk", flat=True))
    sql, params = export._copy_sql(export._core(queryset, keys), keys, label_ids)
    size = 0
    with transaction.atomic(), connection.cursor() as cursor:
        previous = export.set_local(cursor, export.COPY_SETTINGS, previous=True)
        with cursor.cursor.copy(sql, params) as copy:
            for block in copy:
                size += len(block)
        export.set_local(cursor, previous)
    return size


def _backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine, Linux)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(function: Callable[[], int]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of this process plus its database backend."""
    backend = _backend_cpu() if connection.vendor == "postgresql" else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    function()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if connection.vendor == "postgresql":
        cpu += _backend_cpu() - backend
    return wall, cpu


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (Linux), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0), so the next peak is this export's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure_memory(project: Project) -> dict:
    """Peak RSS growth over one streamed export, and tracemalloc's peak in a second one."""
    consume_export(project)  # Warm up: imports, caches and the connection are not the export's.
    before = _rss_mb("VmRSS")
    exact = _reset_peak_rss()
    consume_export(project)
    rss_growth = _rss_mb("VmHWM") - before
    tracemalloc.start()
    consume_export(project)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rss_growth_mb": round(rss_growth, 1),
        "rss_peak_exact": exact,
        "python_peak_mb": round(python_peak / 2**20, 1),
    }


def run(*, count: int = 200_000, repeat: int = 5, key: str = "BENCH") -> list[dict]:
    """Measure the export on the configured database; one dict per case (for `make bench`).

    Keys: case, size (rows), median (wall seconds), ratio (throughput against the first case,
    the baseline, on PostgreSQL; rows/s against the target elsewhere), queries, ok (target
    met), detail. Cases run interleaved, so that each sees the same (shared, noisy) machine;
    the detail adds CPU seconds (this process plus its PostgreSQL backend), which vary less
    with the load of other processes.
    """
    project = build_project(key, count).project
    with CaptureQueriesContext(connection) as queries:
        consume_export(project)
    export_queries = len(queries.captured_queries)
    postgresql = connection.vendor == "postgresql"
    cases: dict[str, Callable[[Project], int]] = {}
    if postgresql:
        cases["bare COPY (same rows)"] = bare_copy
        cases["COPY of the issue columns"] = table_copy
    cases["CSV export"] = consume_export
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, function in cases.items():
            wall, cpu = _timed(lambda function=function: function(project))
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    export_rate, export_cpu_rate = count / wall["CSV export"], count / cpu["CSV export"]
    results = []
    if postgresql:
        bare, table = "bare COPY (same rows)", "COPY of the issue columns"
        ratio = wall[bare] / wall["CSV export"]
        results.append(
            {
                "case": bare,
                "size": count,
                "median": wall[bare],
                "ratio": 1.0,
                "queries": 1,
                "ok": True,
                "detail": f"{count / wall[bare]:,.0f} rows/s; for scale, a COPY of the issue "
                f"table's own columns (no joins, labels or formatting): "
                f"{count / wall[table]:,.0f} rows/s, {wall[table] / wall[bare]:.0%} of this "
                f"time ({cpu[table] / cpu[bare]:.0%} by CPU)",
            }
        )
        results.append(
            {
                "case": "CSV export",
                "size": count,
                "median": wall["CSV export"],
                "ratio": ratio,
                "queries": export_queries,
                "ok": ratio >= TARGET_COPY_RATIO,
                "detail": f"{export_rate:,.0f} rows/s, {ratio:.0%} of the bare COPY's throughput "
                f"({cpu[bare] / cpu['CSV export']:.0%} by CPU; target ≥ "
                f"{TARGET_COPY_RATIO:.0%}); {wall[table] / wall['CSV export']:.0%} of the "
                f"issue columns' COPY",
            }
        )
    else:
        results.append(
            {
                "case": "CSV export",
                "size": count,
                "median": wall["CSV export"],
                "ratio": export_rate / TARGET_ROWS_PER_SECOND,
                "queries": export_queries,
                "ok": export_rate >= TARGET_ROWS_PER_SECOND,
                "detail": f"{export_rate:,.0f} rows/s (target ≥ {TARGET_ROWS_PER_SECOND:,}); "
                f"{export_cpu_rate:,.0f} rows per CPU second",
            }
        )
    memory = measure_memory(project)
    results.append(
        {
            "case": "CSV export memory",
            "size": count,
            "median": None,
            "ratio": memory["rss_growth_mb"] / TARGET_RSS_GROWTH_MB,
            "queries": export_queries,
            "ok": memory["rss_growth_mb"] < TARGET_RSS_GROWTH_MB,
            "detail": f"peak RSS +{memory['rss_growth_mb']} MB (target < {TARGET_RSS_GROWTH_MB}"
            f"{'' if memory['rss_peak_exact'] else ', process peak'}), "
            f"Python allocations peak {memory['python_peak_mb']} MB",
        }
    )
    return results


def print_table(results: list[dict]) -> None:
    print(f"{'case':28} {'rows':>8} {'median':>9} {'ratio':>6} {'queries':>7}  detail")
    for row in results:
        median = "" if row["median"] is None else f"{row['median'] * 1000:7.0f}ms"
        mark = "" if row["ok"] else "  << MISSED"
        print(
            f"{row['case']:28} {row['size']:>8,} {median:>9} {row['ratio']:>6.2f} "
            f"{row['queries']:>7}  {row['detail']}{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--key", default="BENCH")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = run(count=args.count, repeat=args.repeat, key=args.key)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
