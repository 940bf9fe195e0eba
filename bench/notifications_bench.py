"""The notifications cases of `make bench`: an edit with watchers, the inbox, the e-mail worker.

- An edit of an issue with 50 watchers against the same edit with none: the request only
  enqueues the fan-out, so the queries are the same and the time within 1.2×.
- The inbox of a user with 10,000 notifications (a page of 50, newest first) against one with
  50: ≤ 30 ms and the same queries.
- The worker sending 1,000 queued e-mails to a local SMTP server (aiosmtpd): ≥ 200 per second.
  They are queued as the app queues a fan-out's e-mails (`email.batch()`: one delivery task per
  hundred, each sent over one SMTP connection). `--only emails` runs this case alone.
"""

from __future__ import annotations

import logging
import socket
import statistics
import threading
import time
from contextlib import nullcontext
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from issues import operations
from issues.models import Issue, IssueEvent, Project, Role
from notifications import email
from notifications.models import Notification, NotificationEvent, Watch

from . import data
from .cases import Dataset, Probe, Result, Sample, Sizes, Target, _check, _route_exists, timed

WATCHERS = 50
EMAILS = 1_000
EMAILS_PER_SECOND = 200
BULK = 2_000  # rows per INSERT


def _users(prefix: str, count: int) -> list:
    User = get_user_model()
    wanted = [f"{prefix}{n}" for n in range(count)]
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, email=f"{name}@example.com")
            for name in wanted
            if name not in existing
        ]
    )
    return list(User.objects.filter(username__in=wanted).order_by("pk"))


def edit_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    """The side panel's priority edit (HTMX), on an issue nobody watches and on one with 50."""
    project: Project = dataset.projects["small"]
    quiet, watched = list(Issue.objects.filter(project=project).order_by("number")[:2])
    Watch.objects.filter(issue__in=[quiet, watched]).delete()
    watchers = _users("bench-watcher-", WATCHERS)
    for user in watchers:
        operations.add_member(project=project, user=user, role=Role.MEMBER)
    Watch.objects.bulk_create([Watch(issue=watched, user=user) for user in watchers])
    priorities = {"state": 0}

    def probe(issue: Issue, case: str, baseline: Probe | None) -> Probe:
        path = f"/projects/{project.key}/issues/{issue.number}/fields/priority/"

        def run(count_queries: bool) -> Sample:
            _route_exists(path)
            priorities["state"] += 1
            value = ("low", "high")[priorities["state"] % 2]  # Always a change.
            response, sample = timed(
                count_queries,
                lambda: client.post(path, {"priority": value}, headers={"HX-Request": "true"}),
            )
            _check(response, 200, path)
            return sample

        target = Target(max_ratio=1.2, same_queries=True) if baseline else Target(text="baseline")
        return Probe(case, WATCHERS if baseline else 0, run, target=target, baseline=baseline)

    none = probe(quiet, "issue edit, no watchers", None)
    fifty = probe(watched, f"issue edit, {WATCHERS} watchers", none)
    fifty.detail = "the request enqueues one fan-out task; the worker does the rest"
    return [none, fifty]


def _fill_inbox(user, issues: list[Issue], actor) -> None:
    """One read-or-unread notification per issue, each summarising one comment."""
    Notification.objects.filter(recipient=user).delete()
    now = timezone.now()
    events = []
    for start in range(0, len(issues), BULK):
        events += IssueEvent.objects.bulk_create(
            [
                IssueEvent(
                    issue=issue,
                    actor=actor,
                    field="comment",
                    new_value=f"Comment on {issue.number}",
                    created_at=now - timezone.timedelta(minutes=n),
                )
                for n, issue in enumerate(issues[start : start + BULK], start)
            ]
        )
    rows = []
    for start in range(0, len(issues), BULK):
        rows += Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    issue=issue,
                    project_id=issue.project_id,
                    updated_at=event.created_at,
                    read_at=None if n % 3 else event.created_at,
                )
                for n, (issue, event) in enumerate(
                    zip(issues[start : start + BULK], events[start : start + BULK], strict=True),
                    start,
                )
            ]
        )
    for start in range(0, len(rows), BULK):
        NotificationEvent.objects.bulk_create(
            [
                NotificationEvent(notification=row, event=event, emailed_at=event.created_at)
                for row, event in zip(
                    rows[start : start + BULK], events[start : start + BULK], strict=True
                )
            ]
        )


def inbox_probes(client: Client, dataset: Dataset, sizes: Sizes) -> list[Probe]:
    project: Project = dataset.projects["medium"]
    actor = _users("bench-actor-", 1)[0]
    operations.add_member(project=project, user=actor, role=Role.MEMBER)
    reader = _users("bench-reader-", 1)[0]
    operations.add_member(project=project, user=reader, role=Role.MEMBER)
    issues = list(Issue.objects.filter(project=project).order_by("number")[: sizes.medium])
    busy = data.bench_user()
    _fill_inbox(busy, issues, actor)
    _fill_inbox(reader, issues[:50], actor)
    data.analyze()  # As autovacuum would after 10,000 new rows: plans from real statistics.
    quiet_client = Client()
    quiet_client.force_login(reader)

    def probe(which: Client, case: str, size: int, baseline: Probe | None) -> Probe:
        def run(count_queries: bool) -> Sample:
            _route_exists("/inbox/")
            response, sample = timed(count_queries, lambda: which.get("/inbox/"))
            _check(response, 200, "/inbox/")
            return sample

        target = Target(max_ms=30, same_queries=True) if baseline else Target(text="baseline")
        return Probe(case, size, run, target=target, baseline=baseline)

    small = probe(quiet_client, "inbox, a page of 50", 50, None)
    large = probe(client, "inbox, a page of 50", len(issues), small)
    return [small, large]


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.done = threading.Event()
        self.expected = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.count += 1
        if self.count >= self.expected:
            self.done.set()
        return "250 OK"


def email_results(sizes: Sizes, repeat: int = 1) -> list[Result]:
    """The worker (db_worker's loop, in this process) delivering queued e-mails over SMTP."""
    result = Result(
        "worker: queued e-mails sent to a local SMTP server",
        EMAILS,
        target=f"≥ {EMAILS_PER_SECOND} e-mails/s",
        detail="aiosmtpd on loopback; queued in batches (a task and an SMTP connection per 100)",
    )
    try:
        from aiosmtpd.controller import Controller
    except ImportError as error:
        result.status, result.detail = "not available", f"aiosmtpd: {error}"
        return [result]
    handler = _Counter()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # The test server's own chatter.
    with socket.socket() as probe:  # A free port on loopback.
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    count = min(EMAILS, max(sizes.small, 20))
    result.size = count
    rates, cpu_rates = [], []
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            for _ in range(max(1, repeat)):
                DBTaskResult.objects.all().delete()
                handler.count, handler.expected = 0, count
                handler.done.clear()
                with transaction.atomic(), email.batch():
                    for n in range(count):
                        email.queue(
                            to=f"reader{n}@example.com",
                            subject=f"[BENCH-{n}] Something changed",
                            text="Alice moved BENCH-1 to In review, commented twice.\n" * 5,
                            html="<p>Alice moved BENCH-1 to In review, commented twice.</p>" * 5,
                            headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                        )
                started, cpu = time.perf_counter(), time.process_time()
                _run_worker()
                handler.done.wait(timeout=30)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                if handler.count != count:
                    raise RuntimeError(f"{handler.count} of {count} e-mails arrived")
                rates.append(count / seconds)
                cpu_rates.append(count / cpu)
    except Exception as error:
        result.status, result.detail = "error", f"{type(error).__name__}: {error}"[:300]
        return [result]
    finally:
        controller.stop()
        DBTaskResult.objects.all().delete()
    rate = statistics.median(rates)
    result.median_ms = 1000 / rate
    result.samples_ms = [round(1000 / r, 3) for r in rates]
    result.met = rate >= EMAILS_PER_SECOND
    per_cpu = statistics.median(cpu_rates)
    result.cpu_median_ms = 1000 / per_cpu
    result.detail = (
        f"{rate:,.0f} e-mails/s ({per_cpu:,.0f} per second of this process's CPU, "
        "worker and SMTP server together); " + result.detail
    )
    return [result]


def _run_worker() -> None:
    """db_worker --batch: every due task, then return. Inside a transaction (the harness's own
    smoke test) its closing of old connections would end the transaction: left out there."""
    patch = (
        mock.patch(
            "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
        )
        if connection.in_atomic_block
        else nullcontext()
    )
    with patch:
        call_command(
            "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
        )
