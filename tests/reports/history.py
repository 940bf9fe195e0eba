"""A small, hand-computed history (UTC times; the period is 2026-01-01 to 2026-01-10).

A  created Jan 1 10:00 in To do → In progress Jan 2 09:00 → Done Jan 4 09:00   (3 points)
B  created Dec 30 12:00 → In progress Jan 1 12:00 → Done Jan 3 12:00
   → In progress Jan 5 12:00 (reopened) → Done Jan 7 12:00                     (5 points)
C  bug, high: created Jan 2 00:00 → In progress Jan 3 → In review Jan 4
   → In progress Jan 5 (moved backwards); still in progress
D  created Jan 1 00:00 → In progress Jan 2 00:00 → Done Jan 6 00:00 (no estimate)
E  bug, high: created Jan 8 00:00, never moved
F  bug: created Dec 20 00:00 → Canceled Jan 2 10:00
"""

import datetime

from issues import flow, operations
from issues.models import Issue, IssueEvent, Kind, Priority, Source
from reports.forms import Period
from tests.factories import IssueFactory

UTC = datetime.UTC
PERIOD = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 10))


def at(month: int, day: int, hour: int = 0) -> datetime.datetime:
    year = 2025 if month == 12 else 2026
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


def make_history(project, actor, title: str, created, moves, **fields) -> Issue:
    """An issue created at `created` and moved through `moves` ([(time, status name), …])."""
    issue = IssueFactory(project=project, actor=actor, title=title, **fields)
    for _, name in moves:
        issue = operations.move_issue(
            issue=issue, actor=actor, status=project.statuses.get(name=name)
        )
    Issue.objects.filter(pk=issue.pk).update(created_at=created)
    events = IssueEvent.objects.filter(issue=issue, field="status").order_by("id")
    for event, (when, _) in zip(events, moves, strict=True):
        IssueEvent.objects.filter(pk=event.pk).update(created_at=when)
    flow.rebuild(project.pk)  # the started and done times of the rewritten history
    return Issue.objects.get(pk=issue.pk)


def build_history(project, actor) -> dict[str, Issue]:
    """The issues A to F above, by title."""

    def make(*args, **fields):
        return make_history(project, actor, *args, **fields)

    return {
        "A": make(
            "A",
            at(1, 1, 10),
            [(at(1, 2, 9), "In progress"), (at(1, 4, 9), "Done")],
            estimate=3,
            source=Source.CUSTOMER_FEEDBACK,
        ),
        "B": make(
            "B",
            at(12, 30, 12),
            [
                (at(1, 1, 12), "In progress"),
                (at(1, 3, 12), "Done"),
                (at(1, 5, 12), "In progress"),
                (at(1, 7, 12), "Done"),
            ],
            estimate=5,
        ),
        "C": make(
            "C",
            at(1, 2),
            [(at(1, 3), "In progress"), (at(1, 4), "In review"), (at(1, 5), "In progress")],
            kind=Kind.BUG,
            priority=Priority.HIGH,
            source=Source.SUPPORT_TICKET,
        ),
        "D": make(
            "D",
            at(1, 1),
            [(at(1, 2), "In progress"), (at(1, 6), "Done")],
            source=Source.CUSTOMER_FEEDBACK,
        ),
        "E": make(
            "E", at(1, 8), [], kind=Kind.BUG, priority=Priority.HIGH, source=Source.QA_TESTING
        ),
        "F": make("F", at(12, 20), [(at(1, 2, 10), "Canceled")], kind=Kind.BUG),
    }


def make_sprint(project, actor):
    """Sprint 1, Jan 5 to Jan 9, started Jan 5 09:00, completed Jan 9 18:00:

    P (3 points), Q (5) and R (2) planned on Jan 4; P in progress Jan 5 12:00, done Jan 6 15:00;
    X (8) added Jan 6 10:00; R canceled Jan 7 11:00; Q done Jan 8 10:00; X, unfinished, goes back
    to the backlog when the sprint is completed.
    Remaining: start 10, Jan 5 10, Jan 6 15 (P done, X added), Jan 7 13, Jan 8 8, and 8 when
    the sprint is completed (X leaves it only then).
    Velocity: committed 10, done 8.
    """
    from planning import operations as planning
    from planning.models import Sprint

    sprint = planning.create_sprint(project=project, actor=actor, name="Sprint 1")
    issues = {
        name: make_history(project, actor, name, at(1, 1), [], estimate=points)
        for name, points in (("P", 3), ("Q", 5), ("R", 2), ("X", 8))
    }

    def when(moment, change):
        last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        change()
        IssueEvent.objects.filter(id__gt=last).update(created_at=moment)

    def plan(name, target):
        issue = Issue.objects.get(pk=issues[name].pk)
        operations.update_issue(issue=issue, actor=actor, changes={"sprint": target})

    def move(name, status):
        issue = Issue.objects.get(pk=issues[name].pk)
        operations.move_issue(issue=issue, actor=actor, status=project.statuses.get(name=status))

    for name in ("P", "Q", "R"):
        when(at(1, 4), lambda name=name: plan(name, sprint))
    planning.start_sprint(
        sprint=sprint,
        actor=actor,
        start=datetime.date(2026, 1, 5),
        end=datetime.date(2026, 1, 9),
    )
    Sprint.objects.filter(pk=sprint.pk).update(started_at=at(1, 5, 9))
    when(at(1, 5, 12), lambda: move("P", "In progress"))
    when(at(1, 6, 10), lambda: plan("X", sprint))
    when(at(1, 6, 15), lambda: move("P", "Done"))
    when(at(1, 7, 11), lambda: move("R", "Canceled"))
    when(at(1, 8, 10), lambda: move("Q", "Done"))
    sprint = Sprint.objects.get(pk=sprint.pk)
    completing = at(1, 9, 18) - datetime.timedelta(seconds=1)
    when(completing, lambda: planning.complete_sprint(sprint=sprint, actor=actor))
    Sprint.objects.filter(pk=sprint.pk).update(completed_at=at(1, 9, 18))
    flow.rebuild(project.pk)
    return Sprint.objects.get(pk=sprint.pk)
