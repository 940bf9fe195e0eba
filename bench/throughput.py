"""Throughput under a real server: gunicorn on loopback, loaded by `wrk` (when installed).

gunicorn serves the bench database with production settings (DEBUG=0, a SECRET_KEY, plain
HTTP); `wrk` runs each case for a bounded time with a signed-in session's cookie. The server is
stopped (by its process id) at the end, whatever happens.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils.crypto import get_random_string

from issues.models import Issue, StatusCategory

from . import data
from .cases import KEYS, CaseError, Dataset, Options, Result, Sizes, _fail, timed

BASE_DIR = Path(settings.BASE_DIR)
MOVES_SCRIPT = Path(__file__).resolve().parent / "moves.lua"
MOVES_CASE = "moves under load: two columns, both ways, gunicorn + wrk"
MOVES_P99_MS = 500
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    name: str
    path: str
    headers: dict
    goal: float | None  # requests per second; None: the baseline, no target
    expected: int = 200


def run(dataset: Dataset, sizes: Sizes, options: Options, client, log: Callable) -> list[Result]:
    board = f"/projects/{KEYS['throughput']}/board/"
    loads = [
        # What the stack serves at best here: one query, no session, no template.
        Load("throughput: /healthz (ceiling)", "/healthz", {}, None),
        Load("throughput: board", board, {}, 150),
        # The board's live poll: an HTMX request answered 204 when nothing changed.
        Load("throughput: HTMX fragment (board poll)", board, {"HX-Request": "true"}, 500, 204),
    ]
    results = [
        Result(
            load.name,
            sizes.throughput_board if load.path == board else None,
            target="" if load.goal is None else f"≥ {load.goal:g} req/s, 0 errors",
        )
        for load in loads
    ]
    moves = Result(MOVES_CASE, sizes.throughput_board, target=f"0 × 5xx, p99 ≤ {MOVES_P99_MS} ms")
    results.append(moves)
    reason = _cannot_run(options)
    if reason:
        for result in results:
            result.status, result.detail = "skipped", reason
        return results
    try:
        first = client.get(board)
        if first.status_code != 200:
            raise CaseError(f"HTTP {first.status_code} for {board}")
        loads[2].headers["X-Board-Version"] = first.headers.get("X-Board-Version", "")
        for result, load in zip(results[: len(loads)], loads, strict=True):
            _response, sample = timed(
                True, lambda p=load.path, h=load.headers: client.get(p, headers=h)
            )
            result.queries = sample.queries
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_key()}"}
        ceiling = None
        with _gunicorn(options, log) as port:
            for result, load in zip(results[: len(loads)], loads, strict=True):
                headers = {**cookie, **load.headers}
                _check_answer(port, load.path, headers, load.expected)
                _wrk(port, load.path, headers, options, seconds=2)  # warm-up
                stats = _wrk(port, load.path, headers, options)
                _record(result, stats, load.goal, options, ceiling)
                ceiling = ceiling or stats["rps"]
            # Last: the moves change the board the cases above measured.
            _moves_under_load(moves, dataset.projects["throughput"], port, cookie, options)
    except Exception as error:
        for result in results:
            if result.met is None and result.status == "ok":
                _fail(result, error)
    return results


def run_moves(dataset: Dataset, sizes: Sizes, options: Options, log: Callable) -> list[Result]:
    """Only the moves-under-load case (`--only moves`): gunicorn with `options.workers`
    workers, wrk for `options.wrk_seconds` at `options.wrk_connections` connections."""
    result = Result(MOVES_CASE, sizes.throughput_board, target=f"0 × 5xx, p99 ≤ {MOVES_P99_MS} ms")
    reason = _cannot_run(options)
    if reason:
        result.status, result.detail = "skipped", reason
        return [result]
    try:
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_key()}"}
        with _gunicorn(options, log) as port:
            _check_answer(port, f"/projects/{KEYS['throughput']}/board/", cookie, 200)
            load = os.getloadavg()
            _moves_under_load(result, dataset.projects["throughput"], port, cookie, options)
            after = os.getloadavg()
        result.detail += (
            f"; load average (1 min) {load[0]:.1f} before, {after[0]:.1f} after, on "
            f"{os.cpu_count()} cores"
        )
    except Exception as error:
        _fail(result, error)
    return [result]


def _moves_under_load(result: Result, project, port: int, cookie: dict, options: Options) -> None:
    """bench/moves.lua: cards flipped between two columns by every connection at once (the
    deadlock case of opposite moves). Reports the 5xx count and the latency percentiles."""
    by_category = data.statuses_by_category(project)
    columns = [by_category[StatusCategory.TODO], by_category[StatusCategory.IN_PROGRESS]]
    numbers = list(
        Issue.objects.filter(project=project, status__in=columns)
        .order_by("number")
        .values_list("number", flat=True)[:100]
    )
    token = get_random_string(32)
    env = {
        **os.environ,
        "MOVE_COOKIE": f"{cookie['Cookie']}; {settings.CSRF_COOKIE_NAME}={token}",
        "MOVE_CSRF": token,
        "MOVE_STATUSES": ",".join(str(status.pk) for status in columns),
        "MOVE_ISSUES": ",".join(str(number) for number in numbers),
    }
    path = f"/projects/{project.key}/board/move/"
    stats = _wrk(port, path, {}, options, script=MOVES_SCRIPT, env=env)
    counts = re.search(r"moves: (\d+) 2xx/3xx, (\d+) 4xx, (\d+) 5xx", stats["output"])
    if counts is None:
        raise CaseError("bench/moves.lua printed no counts")
    fine, refused, failed = (int(n) for n in counts.groups())
    latency = stats["latency"]
    result.median_ms = latency.get(50)
    result.met = failed == 0 and fine > 0 and latency.get(99, 1e9) <= MOVES_P99_MS
    result.detail = (
        f"{failed} × 5xx, {refused} × 4xx, {fine:,} moved; {stats['rps']:,.0f} moves/s; latency "
        f"p50 {latency.get(50, 0):.1f} ms, p99 {latency.get(99, 0):.1f} ms; {len(numbers)} cards, "
        f"{options.wrk_connections} connections, {options.wrk_seconds} s, "
        f"{options.workers} gunicorn workers"
    )


def _cannot_run(options: Options) -> str:
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install -y wrk)"
    if connection.in_atomic_block:
        return "inside a transaction: the server would not see the data"
    if not options.database_url:
        return "no database URL for the server"
    if connection.vendor == "sqlite" and "mode=memory" in options.database_url:
        return "an in-memory SQLite database cannot be shared with a server"
    return ""


def _session_key() -> str:
    """A signed-in session of the bench user, stored in the bench database."""
    user = data.bench_user()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that signs users in here (not axes', which only counts failures).
    session[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if not path.startswith("axes.")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _gunicorn:
    """gunicorn on 127.0.0.1 for the duration of a `with` block."""

    def __init__(self, options: Options, log: Callable):
        self.options, self.log = options, log
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in __exit__
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )

    def __enter__(self) -> int:
        env = {
            **os.environ,
            "DATABASE_URL": self.options.database_url,
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "SECURE_COOKIES": "0",
            "SECURE_SSL": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            **self.options.extra_env,
        }
        command = [
            sys.executable, "-m", "gunicorn", "tracker.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.options.workers),
            "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own server, loopback only
            command, cwd=BASE_DIR, env=env, stdout=self.logfile, stderr=self.logfile
        )
        self.log(
            f"  gunicorn pid {self.process.pid} on 127.0.0.1:{self.port}, "
            f"{self.options.workers} workers (log: {self.logfile.name})"
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CaseError(
                    f"gunicorn exited with {self.process.returncode}; see {self.logfile.name}"
                )
            try:
                status, _ = _get(self.port, "/healthz", {})
                if status == 200:
                    return self.port
            except OSError:
                pass
            time.sleep(0.2)
        raise CaseError(f"gunicorn did not answer /healthz within 30 s; see {self.logfile.name}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn stops its workers itself
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.logfile.close()


def _get(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _check_answer(port: int, path: str, headers: dict, expected: int) -> None:
    """The server answers this request as the in-process client did (not with a login page)."""
    status, _ = _get(port, path, headers)
    if status != expected:
        raise CaseError(f"gunicorn answered {path} with HTTP {status}, expected {expected}")


def _wrk(
    port: int,
    path: str,
    headers: dict,
    options: Options,
    seconds: int | None = None,
    *,
    script: Path | None = None,
    env: dict | None = None,
) -> dict:
    command = [
        "wrk",
        "--threads", "2",
        "--connections", str(options.wrk_connections),
        "--duration", f"{seconds or options.wrk_seconds}s",
        "--timeout", "5s",
        "--latency",
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if script is not None:
        command += ["--script", str(script)]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(  # noqa: S603 - wrk against our own loopback server
        command,
        capture_output=True,
        text=True,
        timeout=(seconds or options.wrk_seconds) + 30,
        env=env,
    )
    if output.returncode != 0:
        raise CaseError(f"wrk failed: {output.stderr.strip()[:200]}")
    return {**parse_wrk(output.stdout), "output": output.stdout}


def parse_wrk(text: str) -> dict:
    """Requests per second, latency percentiles (ms) and errors from `wrk --latency` output."""
    stats: dict = {"latency": {}, "errors": 0, "requests": 0, "rps": 0.0}
    for percent, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        stats["latency"][int(percent)] = float(value) * UNITS[unit]
    if match := re.search(r"Requests/sec:\s+([\d.]+)", text):
        stats["rps"] = float(match.group(1))
    if match := re.search(r"(\d+) requests in", text):
        stats["requests"] = int(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        stats["errors"] += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        stats["errors"] += sum(int(n) for n in match.groups())
    return stats


def _record(
    result: Result, stats: dict, goal: float | None, options: Options, ceiling: float | None
) -> None:
    latency = stats["latency"]
    result.median_ms = latency.get(50)
    if goal is not None:
        result.ratio = stats["rps"] / goal
        result.met = stats["rps"] >= goal and stats["errors"] == 0
    share = f" ({stats['rps'] / ceiling:.0%} of /healthz's)" if ceiling else ""
    result.detail = (
        f"{stats['rps']:,.0f} req/s{share}, {stats['errors']} errors, "
        f"{stats['requests']:,} requests; latency p50 {latency.get(50, 0):.1f} ms, "
        f"p99 {latency.get(99, 0):.1f} ms; {options.wrk_connections} connections, "
        f"{options.wrk_seconds} s, {options.workers} gunicorn workers"
    )
