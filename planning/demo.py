"""The demo's sprints and releases (called by `manage.py seed_demo` for project WEB).

Two closed two-week sprints, an active one, a planned one; a released version with its notes
and an unreleased one; value scores on part of the backlog. Everything goes through the
operations, then the history is moved back in time to match the sprints' dates, so that
burndown and velocity read like a team's last six weeks.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Max
from django.utils import timezone

from issues import operations as issue_ops
from issues.models import Issue, IssueEvent, Kind, Project, StatusCategory

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
    _backdate(project, sprints, released, rng)


def _backdate(project: Project, sprints: list[Sprint], released, rng: random.Random) -> None:
    """Move the planning history into the sprints' windows: issues are planned the morning a
    sprint starts, finished inside it, and the sprint closes on its last evening."""
    tz = timezone.get_current_timezone()

    def at(day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)

    for sprint in sprints:
        start, end = at(sprint.start, 9), at(sprint.end, 17)
        sprint.refresh_from_db()
        sprint.started_at = start
        if sprint.completed_at:
            sprint.completed_at = end
        sprint.save(update_fields=["started_at", "completed_at"])
        IssueEvent.objects.filter(field="sprint", new_sprint=sprint).update(
            created_at=start - datetime.timedelta(minutes=30)
        )
        IssueEvent.objects.filter(field="sprint", old_sprint=sprint, new_sprint=None).update(
            created_at=end
        )
        PlanningEvent.objects.filter(sprint=sprint, action="created").update(
            created_at=start - datetime.timedelta(days=1)
        )
        PlanningEvent.objects.filter(sprint=sprint, action="started").update(created_at=start)
        PlanningEvent.objects.filter(sprint=sprint, action="completed").update(created_at=end)
        if not sprint.completed_at:
            continue
        # Work done in a closed sprint was finished inside it.
        for issue in sprint.issues.filter(status__category=StatusCategory.DONE):
            finished = start + (end - start) * rng.uniform(0.2, 0.95)
            last = issue.events.filter(field="status").aggregate(last=Max("id"))["last"]
            if last is not None:
                IssueEvent.objects.filter(pk=last).update(created_at=finished)
            Issue.objects.filter(pk=issue.pk).update(resolved_at=finished, updated_at=finished)
    released.refresh_from_db()
    release_time = at(released.release_date, 11)
    type(released).objects.filter(pk=released.pk).update(released_at=release_time)
    PlanningEvent.objects.filter(release=released).update(created_at=release_time)
    IssueEvent.objects.filter(issue__project=project, field="release").update(
        created_at=at(sprints[0].start, 10)
    )
