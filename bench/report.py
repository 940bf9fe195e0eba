"""The table `make bench` prints, and the same rows as JSON (bench/results.json)."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .cases import Result

COLUMNS = ("case", "size", "median", "spread", "cpu", "queries", "ratio", "target", "met")


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def _cpu(result: Result) -> float | None:
    """CPU time of the request: the Django process's plus its PostgreSQL server process's."""
    if result.cpu_median_ms is None:
        return None
    return result.cpu_median_ms + (result.database_cpu_median_ms or 0)


def cells(result: Result) -> list[str]:
    if result.status == "ok":
        met = {True: "yes", False: "NO", None: "–"}[result.met]
    else:
        met = result.status
    return [
        result.case,
        "" if result.size is None else f"{result.size:,}",
        _ms(result.median_ms),
        "" if result.spread_ms is None else f"±{result.spread_ms / 2:.1f}",
        _ms(_cpu(result)),
        "" if result.queries is None else str(result.queries),
        "" if result.ratio is None else f"{result.ratio:.2f}",
        result.target,
        met,
    ]


def table(results: Iterable[Result]) -> str:
    """A fixed-width table; the detail of each row (why, what was measured) under it."""
    results = list(results)
    rows = [list(COLUMNS)] + [cells(result) for result in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    right = {1, 2, 3, 4, 5, 6}

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [line(rows[0]), "  ".join("-" * width for width in widths)]
    for result, row in zip(results, rows[1:], strict=True):
        out.append(line(row))
        if result.detail:
            out.append(f"    {result.detail}")
    return "\n".join([*out, "", LEGEND])


LEGEND = """\
median: server time of one request, in-process (wall clock, on a shared machine);
spread: ± half the interquartile range of the timed runs; cpu: the same request's CPU time
(this process, plus its PostgreSQL server process when local), which other load inflates less;
ratio: median / the baseline case's median (export: throughput against COPY's; throughput:
requests/s against the target); q: SQL queries of one request."""


def markdown(results: Iterable[Result]) -> str:
    """The same table in Markdown, for the README's Performance section (details included)."""
    columns = (*COLUMNS, "detail")
    out = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for result in results:
        row = [*cells(result), result.detail]
        out.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    return "\n".join(out)


def document(results: Iterable[Result], **about) -> dict:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **about,
        "columns": list(COLUMNS),
        "results": [result.as_dict() for result in results],
    }


def write_json(path: Path, results: Iterable[Result], **about) -> None:
    path.write_text(json.dumps(document(results, **about), indent=2, default=str) + "\n")
