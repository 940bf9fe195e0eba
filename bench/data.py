"""The data the benchmark measures: projects of known sizes, built with bulk inserts.

The issues themselves come from `manage.py seed_demo --issues N --project KEY` (the demo's
realistic builder, the one builder of big projects), with the GIN indexes built after the load
on PostgreSQL (`gin_indexes_deferred`). Only the spread over statuses is then reshaped here (one UPDATE per column), so that the cases get
columns of exactly the sizes they name.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.functions import Mod
from django.utils import timezone

from issues import flow, operations
from issues.models import Issue, IssueEvent, Project, Role, Status, StatusCategory
from reports import snapshots as flow_snapshots

USERNAME = "bench-triager"
# Columns the board shows unless asked (boards.board.HIDEABLE hides triage and canceled).
BOARD_CATEGORIES = (
    StatusCategory.BACKLOG,
    StatusCategory.TODO,
    StatusCategory.IN_PROGRESS,
    StatusCategory.DONE,
)


@dataclass
class Built:
    project: Project
    builder: str


def bench_user():
    """The person who browses: staff (the admin), not a superuser, admin of the bench projects.

    Not a superuser, so that every request pays for the membership checks a real person does.
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=USERNAME,
        defaults={"is_staff": True, "first_name": "Bench", "last_name": "Triager"},
    )
    if created:
        user.set_unusable_password()  # Signed in by session only.
        user.save()
    return user


def build_project(key: str, count: int) -> Built:
    """A project of `count` issues (kept when it already has them: `--keep` re-runs are cheap)."""
    project = Project.objects.filter(key=key).first()
    if project is not None and project.issues.count() == count:
        builder = "kept"
    elif project is not None:
        # A kept bench database of another size: start this project again.
        drop_project(project)
        return build_project(key, count)
    else:
        with gin_indexes_deferred():
            call_command("seed_demo", issues=count, project=key, verbosity=0)
        project = Project.objects.get(key=key)
        builder = "seed_demo"
    operations.add_member(project=project, user=bench_user(), role=Role.ADMIN)
    actual = project.issues.count()
    if actual != count:
        raise RuntimeError(f"{builder} built {actual} issues in {key}, not {count}.")
    return Built(project, builder)


@contextmanager
def gin_indexes_deferred() -> Iterator[None]:
    """PostgreSQL: the issues' GIN indexes (full-text search, trigram titles) dropped during a
    bulk load and built again after it, from their own definitions.

    Inserting into a GIN index row by row is what made a 100,000-issue build take minutes (698 s
    on a loaded machine); building it once over the loaded rows takes seconds. Only for the
    bench's own database, outside a transaction (the smoke test's is left as it is).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [Issue._meta.db_table, "% USING gin %"],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


@transaction.atomic
def drop_project(project: Project) -> None:
    """Delete a bench project and its issues (parents are protected: unlink them first)."""
    issues = Issue.objects.filter(project=project)
    issues.exclude(parent=None).update(parent=None)
    Issue.labels.through.objects.filter(issue__project=project).delete()
    issues.delete()
    project.delete()


def statuses_by_category(project: Project) -> dict[str, Status]:
    """The first status of each category (the default workflow has one of each, plus review)."""
    found: dict[str, Status] = {}
    for status in project.statuses.order_by("position", "id"):
        found.setdefault(status.category, status)
    return found


def _set_status(queryset, status: Status) -> int:
    resolved = timezone.now() if status.is_closed else None
    return queryset.update(status=status, resolved_at=resolved)


def make_move_columns(project: Project, *, small: int, large: int) -> tuple[Status, Status]:
    """Give the project a column of exactly `large` cards and one of exactly `small`.

    Even numbers up to 2 × large go to the first in-progress column, odd numbers up to
    2 × small to the second one (the default workflow's "In review"); whatever else was in
    those two columns goes to "To do", where the moved card comes from.
    """
    in_progress = list(project.statuses.filter(category=StatusCategory.IN_PROGRESS))
    if len(in_progress) < 2:
        raise RuntimeError(f"{project.key} needs two in-progress columns (In progress, In review).")
    big, little = in_progress[0], in_progress[1]
    todo = statuses_by_category(project)[StatusCategory.TODO]
    # Nothing but the column's size may differ between the cases: no WIP limit refuses a move,
    # no transition rule forbids one.
    project.statuses.filter(pk__in=[big.pk, little.pk, todo.pk]).update(wip_limit=None)
    project.transitions.all().delete()
    issues = Issue.objects.filter(project=project)
    if issues.filter(status=big).count() == large and issues.filter(status=little).count() == small:
        return big, little
    if project.issues.count() < 2 * max(small, large):
        raise RuntimeError(f"{project.key} is too small for columns of {small} and {large}.")
    _set_status(issues.filter(status__in=[big, little]), todo)
    parity = issues.alias(odd=Mod("number", 2))
    _set_status(parity.filter(odd=0, number__lte=2 * large), big)
    _set_status(parity.filter(odd=1, number__lte=2 * small), little)
    return big, little


def spread_over_board(project: Project) -> None:
    """Every issue in a column the board shows, evenly: a board of N issues shows N cards
    (as long as no column has more than the board's first page)."""
    by_category = statuses_by_category(project)
    columns = [by_category[category] for category in BOARD_CATEGORIES if category in by_category]
    columns += [
        status
        for status in project.statuses.filter(category=StatusCategory.IN_PROGRESS)
        if status not in columns
    ]
    issues = Issue.objects.filter(project=project).alias(slot=Mod("number", len(columns)))
    for slot, status in enumerate(columns):
        _set_status(issues.filter(slot=slot), status)


def analyze() -> None:
    """Fresh planner statistics and visibility maps, as autovacuum gives a live database.

    Skipped inside a transaction (the smoke test's): VACUUM cannot run there.
    """
    if connection.in_atomic_block:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# The statuses an issue walks through to reach each status of the default workflow, from Triage.
WALKS = {
    "Triage": [],
    "Backlog": ["Backlog"],
    "To do": ["Backlog", "To do"],
    "In progress": ["Backlog", "To do", "In progress"],
    "In review": ["Backlog", "To do", "In progress", "In review"],
    "Done": ["Backlog", "To do", "In progress", "In review", "Done"],
    "Canceled": ["Backlog", "Canceled"],
}
# Rework: an issue that reached review goes back to In progress and returns (two moves).
REWORK = ["In progress", "In review"]


def add_status_history(project: Project, events: int, *, seed: int = 14) -> int:
    """Status events for a bulk-built project: about `events`, consistent with the issues.

    Every issue starts in Triage and walks the default workflow to its current status, with
    rework loops (review → in progress → review) spread at random until the count is reached;
    the moves are spaced between the issue's creation and its last update. Built with bulk
    inserts; a project that already has status events is kept as it is.
    """
    status_events = IssueEvent.objects.filter(issue__project=project, field="status")
    if status_events.exists():
        return status_events.count()
    rng = random.Random(seed)
    statuses = {status.name: status for status in project.statuses.all()}
    issues = list(project.issues.values_list("pk", "status__name", "created_at", "updated_at"))
    walks = [list(WALKS[name]) for _, name, _, _ in issues]
    reviewed = [i for i, (_, name, _, _) in enumerate(issues) if name in ("In review", "Done")]
    total = sum(len(walk) for walk in walks)
    while total + len(REWORK) <= events and reviewed:
        walk = walks[rng.choice(reviewed)]
        at = walk.index("In review") + 1
        walk[at:at] = REWORK
        total += len(REWORK)
    batch: list[IssueEvent] = []
    written = 0
    for (pk, _, created, updated), walk in zip(issues, walks, strict=True):
        span = (updated - created) or datetime.timedelta(minutes=len(walk) + 1)
        times = sorted(created + span * rng.uniform(0.01, 1.0) for _ in walk)
        previous = statuses["Triage"]
        for name, when in zip(walk, times, strict=True):
            target = statuses[name]
            batch.append(
                IssueEvent(
                    issue_id=pk,
                    created_at=when,
                    field="status",
                    old_value=previous.name,
                    new_value=target.name,
                    old_status=previous,
                    new_status=target,
                )
            )
            previous = target
        if len(batch) >= 20_000:
            IssueEvent.objects.bulk_create(batch, batch_size=5_000)
            written += len(batch)
            batch = []
    IssueEvent.objects.bulk_create(batch, batch_size=5_000)
    flow.rebuild(project.pk)  # the issues' started and done times, from this history
    # The reports' daily snapshots, as the worker fills them once a day (the bench measures
    # the reports page of a project whose snapshots are up to date, as in production).
    flow_snapshots.forget(project.pk)
    flow_snapshots.fill(project.pk)
    return written + len(batch)
