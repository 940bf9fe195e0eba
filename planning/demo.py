"""The demo's sprints and releases (called by `manage.py seed_demo` for project WEB).

Two closed two-week sprints, an active one, a planned one; a released version with its notes
and an unreleased one; value scores on part of the backlog. Everything goes through the
operations; the sprints and the release are then put at their dates (the issues' events are
spread over the past weeks by seed_demo's backdate, like the rest of the demo's history).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from issues import operations as issue_ops
from issues.models import Issue, Kind, Project, StatusCategory

from . import operations
from .models import PlanningEvent, Sprint

SEED = 13
SPRINT_DAYS = 14


def seed_planning(project: Project, users: dict) -> None:
    rng = random.Random(SEED)
    actor = users["demo"]
    today = timezone.localdate()
    windows = [
        (today - datetime.timedelta(days=34), today - datetime.timedelta(days=21)),
        (today - datetime.timedelta(days=20), today - datetime.timedelta(days=7)),
        (today - datetime.timedelta(days=6), today + datetime.timedelta(days=7)),
    ]
    goals = [
        "Guest checkout and the first wallet payments",
        "Faster search and fewer failed payments",
        "Ship one-page checkout",
    ]
    sprints = [
        operations.create_sprint(
            project=project,
            actor=actor,
            name=f"WEB Sprint {n}",
            goal=goal,
            start=start,
            end=end,
        )
        for n, (goal, (start, end)) in enumerate(zip(goals, windows, strict=True), start=1)
    ]
    upcoming = operations.create_sprint(
        project=project, actor=actor, name="WEB Sprint 4", goal="Onboarding for new users"
    )
    work = Issue.objects.filter(project=project).exclude(kind__in=[Kind.EPIC, Kind.SUBTASK])
    done = list(work.filter(status__category=StatusCategory.DONE).order_by("resolved_at"))
    started = list(work.filter(status__category=StatusCategory.IN_PROGRESS).order_by("rank"))
    todo = list(work.filter(status__category=StatusCategory.TODO).order_by("rank"))
    backlog = list(work.filter(status__category=StatusCategory.BACKLOG).order_by("rank"))
    half = len(done) // 2
    plans = [
        (sprints[0], done[:half]),
        (sprints[1], done[half:] + todo[:1]),  # one left unfinished: carried over
        (sprints[2], started + todo[1:4]),
        (upcoming, todo[4:6] + backlog[:2]),
    ]
    for sprint, issues in plans:
        for issue in issues:
            issue_ops.update_issue(issue=issue, actor=actor, changes={"sprint": sprint})

    # Scores on part of the backlog: value 1 to 5 (the estimate is the effort).
    for issue in (todo + backlog)[:12]:
        issue_ops.update_issue(issue=issue, actor=actor, changes={"value": rng.randint(1, 5)})

    released = operations.create_release(
        project=project,
        actor=actor,
        name="2.3.0",
        description="Guest checkout, and wallet buttons where the browser supports them.",
        target_date=windows[0][1],
    )
    upcoming_release = operations.create_release(
        project=project,
        actor=actor,
        name="2.4.0",
        description="One-page checkout.",
        target_date=windows[2][1],
    )
    for issue in done[:half]:
        issue_ops.update_issue(issue=issue, actor=actor, changes={"release": released})
    for issue in done[half:] + started:
        issue_ops.update_issue(issue=issue, actor=actor, changes={"release": upcoming_release})

    for sprint in sprints[:2]:
        operations.start_sprint(sprint=sprint, actor=actor)
        operations.complete_sprint(sprint=sprint, actor=actor, move_to=None)
    operations.start_sprint(sprint=sprints[2], actor=actor)
    operations.release_version(
        release=released, actor=actor, release_date=windows[0][1] + datetime.timedelta(days=1)
    )
    _backdate(sprints, released)


def _backdate(sprints: list[Sprint], released) -> None:
    """Put the sprints and the release at their dates (the issues' own events are spread over
    the past weeks by seed_demo's backdate, which runs after this)."""
    tz = timezone.get_current_timezone()

    def at(day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)

    for sprint in sprints:
        sprint.refresh_from_db()
        start, end = at(sprint.start, 9), at(sprint.end, 17)
        sprint.started_at = start
        if sprint.completed_at:
            sprint.completed_at = end
        sprint.save(update_fields=["started_at", "completed_at"])
        events = PlanningEvent.objects.filter(sprint=sprint)
        events.filter(action="created").update(created_at=start - datetime.timedelta(days=1))
        events.filter(action="started").update(created_at=start)
        events.filter(action="completed").update(created_at=end)
    released.refresh_from_db()
    release_time = at(released.release_date, 11)
    type(released).objects.filter(pk=released.pk).update(released_at=release_time)
    PlanningEvent.objects.filter(release=released).update(created_at=release_time)
