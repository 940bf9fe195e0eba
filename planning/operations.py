"""Planning operations: the one way sprints and releases change.

Like `issues.operations`, every function here is keyword-only, checks the actor's role,
validates, writes the change and a `PlanningEvent` in one transaction, and raises
`PermissionDenied` or `ValidationError` (a sentence) with nothing changed. An issue's sprint,
release and score inputs change only through `issues.operations.update_issue`, which logs them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from issues import operations as issue_ops
from issues.models import Issue, Project, Role, StatusCategory

from . import notes as release_notes
from . import scores
from .models import PlanningEvent, Release, ReleaseState, Sprint, SprintState

SPRINT_FIELDS = ("name", "goal", "start", "end")
RELEASE_FIELDS = ("name", "description", "target_date", "notes")


# Sprints -------------------------------------------------------------------------------------


@transaction.atomic
def create_sprint(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    goal: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Sprint:
    """A planned sprint; issues are planned into it until it starts."""
    issue_ops.require_role(actor, project, Role.MEMBER)
    sprint = Sprint(
        project=project, name=(name or "").strip(), goal=goal or "", start=start, end=end
    )
    _save(sprint)
    _log(sprint, actor, "created", sprint.name)
    return sprint


@transaction.atomic
def update_sprint(*, sprint: Sprint, actor: AbstractBaseUser, changes: Mapping[str, Any]) -> Sprint:
    """Rename a sprint, change its goal or dates (a closed sprint's dates are history)."""
    _check_fields(changes, SPRINT_FIELDS)
    issue_ops.require_role(actor, sprint.project, Role.MEMBER)
    current = _lock_sprint(sprint)
    if current.state == SprintState.CLOSED and ({"start", "end"} & set(changes)):
        raise ValidationError("A closed sprint's dates cannot change.", code="sprint_closed")
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, (value or "").strip() if name == "name" else value)
    _save(current)
    for name, old in before.items():
        new = getattr(current, name)
        if old != new:
            _log(current, actor, name, f"{_text(old)} → {_text(new)}")
    return current


@transaction.atomic
def start_sprint(
    *,
    sprint: Sprint,
    actor: AbstractBaseUser,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Sprint:
    """Make a planned sprint the project's active one; it needs a start and an end date."""
    issue_ops.require_role(actor, sprint.project, Role.MEMBER)
    # Starts queue on the project row, so that two of them cannot both pass the check below.
    Project.objects.select_for_update().filter(pk=sprint.project_id).first()
    current = _lock_sprint(sprint)
    if current.state != SprintState.PLANNED:
        raise ValidationError(
            f"“{current.name}” is {current.get_state_display().lower()}: only a planned sprint "
            "can start.",
            code="not_planned",
        )
    active = Sprint.objects.filter(project_id=current.project_id, state=SprintState.ACTIVE).first()
    if active is not None:
        raise ValidationError(
            f"“{active.name}” is still active: complete it before starting another sprint.",
            code="sprint_active",
        )
    current.start = start or current.start
    current.end = end or current.end
    if current.start is None or current.end is None:
        raise ValidationError("A sprint needs a start and an end date to start.", code="dates")
    current.state = SprintState.ACTIVE
    current.started_at = timezone.now()
    _save(current)
    points = sum(current.issues.values_list("estimate", flat=True).exclude(estimate=None))
    _log(
        current,
        actor,
        "started",
        f"{current.start.isoformat()} to {current.end.isoformat()}, "
        f"{current.issues.count()} issues, {points} points",
    )
    return current


@transaction.atomic
def complete_sprint(
    *, sprint: Sprint, actor: AbstractBaseUser, move_to: Sprint | None = None
) -> Sprint:
    """Close the active sprint; its unfinished issues go to `move_to` (a planned sprint of the
    project) or, without one, back to the backlog. Every move is an issue event."""
    issue_ops.require_role(actor, sprint.project, Role.MEMBER)
    current = _lock_sprint(sprint)
    if current.state != SprintState.ACTIVE:
        raise ValidationError(
            f"“{current.name}” is not active: only the active sprint can be completed.",
            code="not_active",
        )
    if move_to is not None:
        if move_to.project_id != current.project_id:
            raise ValidationError("That sprint belongs to another project.", code="foreign_sprint")
        if move_to.state != SprintState.PLANNED:
            raise ValidationError(
                f"Unfinished issues go to a planned sprint; “{move_to.name}” is "
                f"{move_to.get_state_display().lower()}.",
                code="not_planned",
            )
    unfinished = _move_out(current, actor, "sprint", move_to)
    current.state = SprintState.CLOSED
    current.completed_at = timezone.now()
    _save(current)
    where = f"“{move_to.name}”" if move_to is not None else "the backlog"
    _log(current, actor, "completed", f"{len(unfinished)} unfinished issues moved to {where}")
    return current


@transaction.atomic
def delete_sprint(*, sprint: Sprint, actor: AbstractBaseUser) -> None:
    """Delete a planned sprint; its issues go back to the backlog, each move logged."""
    issue_ops.require_role(actor, sprint.project, Role.MEMBER)
    current = _lock_sprint(sprint, delete=True)
    if current.state != SprintState.PLANNED:
        raise ValidationError(
            "Only a planned sprint can be deleted: started sprints are history.", code="started"
        )
    for issue in current.issues.select_related("project").order_by("number"):
        issue_ops.update_issue(issue=issue, actor=actor, changes={"sprint": None})
    current.delete()


def velocity(project: Project, *, sprints: int = 3) -> float | None:
    """Mean done points of the last `sprints` closed sprints (None before the first one)."""
    closed = (
        Sprint.objects.filter(project=project, state=SprintState.CLOSED)
        .annotate(
            done=Sum("issues__estimate", filter=Q(issues__status__category=StatusCategory.DONE))
        )
        .order_by("-completed_at", "-id")[:sprints]
    )
    done = [row.done or 0 for row in closed]
    return sum(done) / len(done) if done else None


# Releases ------------------------------------------------------------------------------------


@transaction.atomic
def create_release(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    description: str = "",
    target_date: datetime.date | None = None,
) -> Release:
    issue_ops.require_role(actor, project, Role.MEMBER)
    release = Release(
        project=project,
        name=(name or "").strip(),
        description=description or "",
        target_date=target_date,
    )
    _save(release)
    _log(release, actor, "created", release.name)
    return release


@transaction.atomic
def update_release(
    *, release: Release, actor: AbstractBaseUser, changes: Mapping[str, Any]
) -> Release:
    """Rename, describe, retarget an unreleased version, or edit a released one's notes."""
    _check_fields(changes, RELEASE_FIELDS)
    issue_ops.require_role(actor, release.project, Role.MEMBER)
    current = _lock_release(release)
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, (value or "").strip() if name == "name" else value)
    _save(current)
    for name, old in before.items():
        new = getattr(current, name)
        if old != new:
            detail = f"{_text(old)} → {_text(new)}" if name not in {"notes", "description"} else ""
            _log(current, actor, name, detail)
    return current


@transaction.atomic
def release_version(
    *,
    release: Release,
    actor: AbstractBaseUser,
    move_open_to: Release | None = None,
    release_date: datetime.date | None = None,
    include_internal: bool = False,
) -> Release:
    """Mark a version released and generate its notes.

    Refused while it has open issues, unless they move to `move_open_to` (another unreleased
    version of the project) in the same step; each move is an issue event.
    """
    issue_ops.require_role(actor, release.project, Role.MEMBER)
    current = _lock_release(release)
    if current.is_released:
        raise ValidationError(
            f"{current.name} was already released on {current.release_date.isoformat()}.",
            code="already_released",
        )
    open_issues = list(current.issues.open().select_related("project").order_by("rank"))
    if open_issues and move_open_to is None:
        count = len(open_issues)
        raise ValidationError(
            f"{current.name} has {count} open issue{'s' if count != 1 else ''}: finish "
            f"{'them' if count != 1 else 'it'} or move {'them' if count != 1 else 'it'} to "
            "another release in the same step.",
            code="open_issues",
        )
    if open_issues:
        if move_open_to.project_id != current.project_id:
            raise ValidationError(
                "That release belongs to another project.", code="foreign_release"
            )
        if move_open_to.pk == current.pk or move_open_to.is_released:
            raise ValidationError(
                "Open issues move to another, unreleased version.", code="bad_target"
            )
        open_issues = _move_out(current, actor, "release", move_open_to)
    current.state = ReleaseState.RELEASED
    current.release_date = release_date or timezone.localdate()
    current.released_at = timezone.now()
    current.notes = release_notes.generate(current, include_internal=include_internal)
    _save(current)
    moved = f", {len(open_issues)} open issues moved to {move_open_to.name}" if open_issues else ""
    _log(current, actor, "released", f"{current.release_date.isoformat()}{moved}")
    if apps.is_installed("intake"):
        # The customers who asked for its issues are told, in this transaction (queued
        # e-mails: a rolled-back release sends nothing).
        from intake.operations import announce_released

        announce_released(release=current)
    return current


@transaction.atomic
def delete_release(*, release: Release, actor: AbstractBaseUser) -> None:
    """Delete an unreleased version; its issues lose their release, each change logged."""
    issue_ops.require_role(actor, release.project, Role.MEMBER)
    current = _lock_release(release, delete=True)
    if current.is_released:
        raise ValidationError("A released version cannot be deleted.", code="released")
    for issue in current.issues.select_related("project").order_by("number"):
        issue_ops.update_issue(issue=issue, actor=actor, changes={"release": None})
    current.delete()


# Issues --------------------------------------------------------------------------------------


@transaction.atomic
def plan_issue(
    *,
    issue: Issue,
    actor: AbstractBaseUser,
    sprint: Sprint | None,
    after: Issue | None = None,
    before: Issue | None = None,
) -> Issue:
    """Put one issue into a sprint (None: the backlog) and, with a neighbour, at its place in
    the project's order: a drag on the backlog. Both or nothing."""
    current = issue
    # An issue done in a closed sprint and reopened is in the backlog, and stays in that
    # sprint's history unless it is planned into another one.
    in_open_sprint = issue.sprint if issue.sprint_id and issue.sprint.is_open else None
    if in_open_sprint != sprint:
        current = issue_ops.update_issue(issue=issue, actor=actor, changes={"sprint": sprint})
    if after is not None or before is not None:
        current = issue_ops.rank_issue(issue=current, actor=actor, after=after, before=before)
    return current


@transaction.atomic
def rank_by_score(*, project: Project, actor: AbstractBaseUser, issues: list[Issue]) -> int:
    """Reorder a selection by score, highest first, in the places the selection holds (unknown
    scores last, in their old order): one rebalance, one event per moved issue."""
    ordered = list(
        scores.by_score(
            Issue.objects.filter(project=project, pk__in=[issue.pk for issue in issues]),
            project.scoring_model,
        ).only("pk", "project_id")
    )
    return issue_ops.reorder_issues(
        project=project, actor=actor, issues=ordered, reason="ranked by score"
    )


def plan_issues(
    *,
    issues: Iterable[Issue],
    actor: AbstractBaseUser,
    sprint: Sprint | None,
) -> issue_ops.BulkResult:
    """Put issues into a sprint (None: back to the backlog); refusals reported by key."""
    return issue_ops.bulk_update(issues=issues, actor=actor, changes={"sprint": sprint})


# Helpers -------------------------------------------------------------------------------------


def _lock_sprint(sprint: Sprint, *, delete: bool = False) -> Sprint:
    """The sprint's row, locked for the rest of the transaction (its project read with it,
    not locked).

    FOR NO KEY UPDATE unless it is to be deleted: an issue UPDATE that sets `sprint_id` takes
    a KEY SHARE lock on the sprint for its foreign key, which FOR UPDATE would block. A bulk
    edit holding one of the sprint's issues and planning another into it then deadlocked
    with the sprint's completion, which holds the sprint and waits for that issue.
    """
    rows = Sprint.objects.select_for_update(no_key=not delete, of=("self",))
    return rows.select_related("project").get(pk=sprint.pk)


def _lock_release(release: Release, *, delete: bool = False) -> Release:
    """The release's row, locked as `_lock_sprint` locks a sprint (and for the same reason)."""
    rows = Release.objects.select_for_update(no_key=not delete, of=("self",))
    return rows.select_related("project").get(pk=release.pk)


def _move_out(current: Sprint | Release, actor, name: str, to: Sprint | Release | None) -> list:
    """Move the open issues of a sprint or release being closed to `to`, each an issue event;
    the issues moved.

    Read again until none is left: the row lock lets issues join meanwhile (their KEY SHARE
    does not wait for it), and one that joined while this waited for an issue's lock shows
    up in the next read.
    """
    moved = []
    for _ in range(10):
        # By number: the order bulk edits and rebalances lock issues in.
        issues = list(current.issues.open().select_related("project").order_by("number"))
        if not issues:
            break
        for issue in issues:
            moved.append(issue_ops.update_issue(issue=issue, actor=actor, changes={name: to}))
    return moved


def _check_fields(changes: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")


def _save(row: Sprint | Release) -> None:
    """Validate (fields, dates, unique names, one active sprint), then save; a concurrent
    clash with a constraint is the same refusal."""
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        noun = "sprint" if isinstance(row, Sprint) else "release"
        raise ValidationError(
            f"Another {noun} of this project clashes with this one (same name, or a second "
            "active sprint): reload and try again.",
            code="conflict",
        ) from None


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _log(subject: Sprint | Release, actor: AbstractBaseUser, action: str, detail: str) -> None:
    kind = "sprint" if isinstance(subject, Sprint) else "release"
    PlanningEvent.objects.create(
        project_id=subject.project_id, actor=actor, action=action, detail=detail, **{kind: subject}
    )
