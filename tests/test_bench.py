"""Smoke tests of `make bench`: the harness runs end to end at a tiny size, in-process.

They check the shape of the report (every case, the JSON), never a speed: speed is what the
bench itself reports.
"""

import json

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings

from bench import cases, report
from bench.throughput import parse_wrk

# Every test uses the database (the marker also makes pytest-django create it for a subset).
pytestmark = pytest.mark.django_db

PAGE_CASES = [
    ("board", cases.TINY.small),
    ("board", cases.TINY.medium),
    ("board, a column of 50% of the issues", cases.TINY.large),
    ("list, filtered", cases.TINY.small),
    ("list, filtered", cases.TINY.large),
    ("admin triage changelist", cases.TINY.small),
    ("admin triage changelist", cases.TINY.large),
    ("card move", cases.TINY.column_small),
    ("card move", cases.TINY.column_large),
    ("reports page, 90 days, all charts", cases.TINY.reports_small),
    ("reports page, 90 days, all charts", cases.TINY.reports),
    *[(f"reports, one chart: {chart}", cases.TINY.reports) for chart in cases.REPORT_CHARTS],
    ("portal list, top, 20 a page", cases.TINY.small),
    ("portal list, top, 20 a page", cases.TINY.medium),
    ("portal list, trending, 20 a page", cases.TINY.medium),
]
SEARCH_CASES = [
    ("list, text search", cases.TINY.small),
    ("list, text search", cases.TINY.large),
    ("list, text search, common word", cases.TINY.large),
]
THROUGHPUT_CASES = [
    "throughput: /healthz (ceiling)",
    "throughput: board",
    "throughput: HTMX fragment (board poll)",
]

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/projects/BENCHW/board/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    45.10ms   12.02ms 150.00ms   80.00%
  Latency Distribution
     50%   42.50ms
     75%   50.00ms
     90%  612.00us
     99%    1.20s
  1830 requests in 10.01s, 12.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:    182.80
Transfer/sec:      1.20MB
"""


@pytest.fixture(scope="module")
def bench_results(django_db_setup, django_db_blocker):
    """One tiny run of every group, shared by the tests (rolled back afterwards)."""
    # The demo users' passwords would take seconds to hash with the production hasher.
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        options = cases.Options(repeat=2, warmup=1, move_repeat=2, export_repeat=1)
        yield cases.run(cases.TINY, options, log=lambda message: None)
        transaction.set_rollback(True)


def test_bench_reports_every_case(bench_results):
    rows = {(r.case, r.size) for r in bench_results}
    expected = PAGE_CASES + (SEARCH_CASES if connection.vendor == "postgresql" else [])
    assert set(expected) <= rows
    assert {r.case for r in bench_results} >= set(THROUGHPUT_CASES)
    export = [r for r in bench_results if r.case.startswith("export: CSV export")]
    assert export
    assert all(r.status == "ok" for r in export), [r.detail for r in export]


def test_bench_pages_answer_and_are_timed(bench_results):
    measured = PAGE_CASES + (SEARCH_CASES if connection.vendor == "postgresql" else [])
    for result in bench_results:
        if (result.case, result.size) in measured:
            assert result.status == "ok", (result.case, result.detail)
            assert result.median_ms > 0
            assert result.queries > 0
            assert len(result.samples_ms) == 2


def test_bench_compares_big_cases_with_their_baseline(bench_results):
    big = [r for r in bench_results if r.baseline and r.status == "ok"]
    assert {r.case for r in big} >= {"board", "list, filtered", "card move"}
    assert all(r.ratio is not None and r.ratio > 0 for r in big)


def test_bench_skips_throughput_inside_a_transaction(bench_results):
    throughput = [r for r in bench_results if r.case in THROUGHPUT_CASES]
    assert [r.status for r in throughput] == ["skipped"] * len(THROUGHPUT_CASES)


def test_bench_writes_the_table_as_json(bench_results, tmp_path):
    path = tmp_path / "results.json"
    report.write_json(path, bench_results, sizes={"small": cases.TINY.small})
    document = json.loads(path.read_text())
    assert document["columns"] == list(report.COLUMNS)
    assert len(document["results"]) == len(bench_results)
    row = document["results"][0]
    for key in ("case", "size", "status", "median_ms", "spread_ms", "queries", "ratio", "target"):
        assert key in row
    assert row["met"] in (True, False, None)


def test_bench_table_has_a_line_per_case(bench_results):
    lines = report.table(bench_results).splitlines()
    assert lines[0].split() == list(report.COLUMNS)
    for result in bench_results:
        assert any(line.startswith(result.case) for line in lines)


def test_missing_page_is_reported_as_not_available():
    probe = cases.get_probe(Client(), "future page", 1, "/projects/WEB/roadmap/")
    [result] = cases.measure([probe], repeat=1, warmup=1)
    assert result.status == "not available"
    assert result.met is None


def test_wrk_output_is_parsed():
    stats = parse_wrk(WRK_OUTPUT)
    assert stats["rps"] == 182.8
    assert stats["requests"] == 1830
    assert stats["errors"] == 6
    assert stats["latency"] == {50: 42.5, 75: 50.0, 90: 0.612, 99: 1200.0}
