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


def align_history(project: Project) -> None:
    """Put each started sprint's work inside its window, after seed_demo's backdate spread every
    issue's history at random over the past weeks: an issue is planned into its sprint the day
    before it starts (one per sprint joins two days in, as scope added), and what it went
    through afterwards (moves, comments, edits) happens during the sprint, the done ones
    finishing one after another, so the burndown, the velocity and the cumulative flow of the
    demo tell the story of its sprints. Events keep their order within each issue."""
    from issues import flow
    from issues.models import Comment, IssueEvent
    from reports import snapshots

    rng = random.Random(SEED)
    now = timezone.now()
    events_changed, comments_changed, issues_changed = [], [], []
    for sprint in Sprint.objects.filter(project=project, started_at__isnull=False).order_by(
        "started_at"
    ):
        start = sprint.started_at
        end = sprint.completed_at or now - datetime.timedelta(hours=1)
        planned_ids = list(
            IssueEvent.objects.filter(field="sprint", new_sprint=sprint)
            .order_by("id")
            .values_list("issue_id", flat=True)
        )
        members = Issue.objects.filter(pk__in=planned_ids).select_related("status")
        members = sorted(members, key=lambda issue: planned_ids.index(issue.pk))
        done_members = [m for m in members if m.status.category == StatusCategory.DONE]
        for index, issue in enumerate(members):
            late = index == len(members) - 1 and len(members) > 2
            planned_at = start + (
                datetime.timedelta(days=2) if late else -datetime.timedelta(days=1)
            )
            if issue in done_members:  # done one after another across the sprint
                rank = done_members.index(issue) + 1
                finish = start + (end - start) * (0.15 + 0.75 * rank / (len(done_members) + 1))
                finish = max(finish, planned_at + datetime.timedelta(hours=6))
            else:
                finish = end - datetime.timedelta(hours=2)
            events = list(issue.events.order_by("created_at", "id"))
            comments = iter(Comment.objects.filter(issue=issue).order_by("id"))
            before = [e for e in events if e.field in ("value", "release")]
            planning = [e for e in events if e.field == "sprint" and e.new_sprint_id == sprint.pk]
            leaving = [e for e in events if e.field == "sprint" and e.old_sprint_id == sprint.pk]
            work = [e for e in events if e not in before + planning + leaving]
            created = min(issue.created_at, start - datetime.timedelta(days=3))
            for n, event in enumerate(before):
                event.created_at = planned_at - datetime.timedelta(hours=2 + n)
            for event in planning:
                event.created_at = planned_at
            times = sorted(rng.uniform(0.05, 1.0) for _ in work)
            window = finish - planned_at - datetime.timedelta(hours=1)
            for event, fraction in zip(work, times, strict=True):
                event.created_at = planned_at + datetime.timedelta(hours=1) + window * fraction
            for event in leaving:
                event.created_at = sprint.completed_at - datetime.timedelta(minutes=1)
            for event in events:
                if event.field == "comment":
                    comment = next(comments, None)
                    if comment is not None:
                        comment.created_at = event.created_at
                        comments_changed.append(comment)
            events_changed += events
            issue.created_at = created
            issue.updated_at = max([created, *(e.created_at for e in events)])
            last_status = [e for e in work if e.field == "status"]
            issue.resolved_at = (
                last_status[-1].created_at if issue.status.is_closed and last_status else None
            )
            issues_changed.append(issue)
    IssueEvent.objects.bulk_update(events_changed, ["created_at"], batch_size=500)
    Comment.objects.bulk_update(comments_changed, ["created_at"], batch_size=500)
    Issue.objects.bulk_update(
        issues_changed, ["created_at", "updated_at", "resolved_at"], batch_size=500
    )
    flow.rebuild(project.pk)
    snapshots.forget(project.pk)
