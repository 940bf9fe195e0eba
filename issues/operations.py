"""Domain operations: the one way every entry point changes issues.

The board, the issue pages, bulk edit, the admin, commands and scripts call these functions;
none of them saves an Issue behind their back. Each operation checks the actor's role, validates,
writes the change and its IssueEvents in one transaction, and raises:

- `PermissionDenied` when the actor's role does not allow it,
- `ValidationError` (with a message a person understands) when the change breaks a rule,
- `Conflict` when an edit was based on an older version of the issue.

Nothing is changed when any of them is raised.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Left
from django.utils import timezone

from notifications.operations import announce
from reports import snapshots as flow_snapshots

from . import flow, ranking
from .models import (
    Comment,
    Confidence,
    Impact,
    Issue,
    IssueEvent,
    Kind,
    Label,
    Membership,
    Priority,
    Project,
    Role,
    Source,
    Status,
    StatusCategory,
    Transition,
    role_at_least,
)

RANK_RETRIES = 5
REBALANCE_BATCH = 5000  # (id, rank) pairs per UPDATE: 10,000 parameters, within SQLite's limit

DEFAULT_WORKFLOW = [
    # name, category, colour, is_default
    ("Triage", StatusCategory.TRIAGE, "#8b949e", False),
    ("Backlog", StatusCategory.BACKLOG, "#6e7781", False),
    ("To do", StatusCategory.TODO, "#0969da", True),
    ("In progress", StatusCategory.IN_PROGRESS, "#bf8700", False),
    ("In review", StatusCategory.IN_PROGRESS, "#8250df", False),
    ("Done", StatusCategory.DONE, "#1a7f37", False),
    ("Canceled", StatusCategory.CANCELED, "#cf222e", False),
]
DEFAULT_LABELS = [
    ("Bug fix", "#d73a4a", "Fixes something that is broken."),
    ("Tech debt", "#b60205", "Work that keeps the code healthy."),
    ("Refactoring", "#5319e7", "Changes structure, not behaviour."),
    ("Improvement", "#0e8a16", "Makes something that works better."),
    ("Customer feedback", "#fbca04", "Asked for by customers."),
]

# Fields that update_issue changes, and how each is shown in the activity log.
EDITABLE_FIELDS = (
    "title",
    "description",
    "kind",
    "status",
    "priority",
    "assignee",
    "labels",
    "parent",
    "estimate",
    "source",
    "due_date",
    # Planning: the sprint and release the issue is in, and its score inputs.
    "sprint",
    "release",
    "value",
    "reach",
    "impact",
    "confidence",
    "public",
)

# The times a status change sets on an issue (`_follow`).
FLOW_FIELDS = ["resolved_at", "started_at", "done_at"]


class Conflict(Exception):
    """The issue changed since the editor loaded it; `current` is the newer issue."""

    def __init__(self, current: Issue):
        super().__init__(
            f"{current.key} was changed by someone else (now version {current.version})."
        )
        self.current = current


@dataclass
class BulkResult:
    changed: list[Issue] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # issue key → reason


class _RankClash(Exception):
    """A concurrent move took the key this one chose, in a transaction without a savepoint:
    the whole operation is run again (see _retried_on_rank_clash)."""


def _retried_on_rank_clash(operation: Callable) -> Callable:
    """Run an operation that writes a rank in a transaction of its own when it starts one,
    and run it again if a concurrent move took its key (RANK_RETRIES times in all).

    The key is then written without a savepoint around it (a SAVEPOINT and a RELEASE, two
    round trips, on every move); inside someone else's transaction (a bulk edit, a test) the
    savepoint stays and the retry happens there (_save_with_rank).
    """

    @functools.wraps(operation)
    def run(**kwargs):
        if connection.in_atomic_block:
            return operation(**kwargs)
        for attempt in range(RANK_RETRIES):
            connection.rank_retried_whole = True
            connection.rank_attempt = attempt
            try:
                return operation(**kwargs)
            except _RankClash as clash:
                if attempt == RANK_RETRIES - 1:
                    raise clash.__cause__ from None
            finally:
                connection.rank_retried_whole = False
                connection.rank_attempt = 0
        raise AssertionError("unreachable")

    return run


# Permissions ---------------------------------------------------------------------------------


def require_role(actor: AbstractBaseUser, project: Project, minimum: str) -> str:
    """The actor's role in the project, or PermissionDenied if it is below `minimum`."""
    role = project.role_of(actor)
    if not role_at_least(role, minimum):
        raise PermissionDenied(
            f"You need the {Role(minimum).label.lower()} role in {project.key} to do this."
        )
    if project.archived_at is not None and minimum != Role.VIEWER:
        raise PermissionDenied(f"{project.key} is archived: an admin can unarchive it.")
    return role


# Projects ------------------------------------------------------------------------------------


@transaction.atomic
def create_project(
    *, key: str, name: str, description: str = "", owner: AbstractBaseUser | None = None
) -> Project:
    """A project with the default workflow and labels, and its owner as admin."""
    project = Project(key=key, name=name, description=description)
    project.full_clean()
    project.save()
    for position, (status_name, category, color, is_default) in enumerate(DEFAULT_WORKFLOW):
        Status.objects.create(
            project=project,
            name=status_name,
            category=category,
            color=color,
            position=position,
            is_default=is_default,
        )
    Label.objects.bulk_create(
        Label(project=project, name=label_name, color=color, description=text)
        for label_name, color, text in DEFAULT_LABELS
    )
    if owner is not None:
        Membership.objects.create(project=project, user=owner, role=Role.ADMIN)
    return project


def add_member(*, project: Project, user: AbstractBaseUser, role: str = Role.MEMBER) -> Membership:
    """Give the user `role` in the project (changing the role of an existing member)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."}, code="invalid_role")
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def set_default_status(*, status: Status, actor: AbstractBaseUser) -> Status:
    """Make `status` the column where new issues land (the old default stops being one)."""
    require_role(actor, status.project, Role.ADMIN)
    Status.objects.filter(project_id=status.project_id, is_default=True).exclude(
        pk=status.pk
    ).update(is_default=False)
    Status.objects.filter(pk=status.pk).update(is_default=True)
    status.is_default = True
    return status


@transaction.atomic
def delete_label(*, label: Label, actor: AbstractBaseUser) -> None:
    """Take the label off its issues (each logged, versions bumped), then delete it.

    Refused, with nothing changed, if any of its issues cannot be changed.
    """
    require_role(actor, label.project, Role.ADMIN)
    result = bulk_update(
        issues=label.issues.select_related("project"), actor=actor, remove_label=label
    )
    if result.refused:
        refused = "; ".join(f"{key}: {reason}" for key, reason in result.refused.items())
        raise ValidationError(f"“{label.name}” was not deleted: {refused}", code="label_in_use")
    label.delete()


@transaction.atomic
def move_all_issues(*, from_status: Status, to_status: Status, actor: AbstractBaseUser) -> int:
    """Move every issue of a status to another one of the project, before the status goes.

    A workflow change, not a move on the board: transitions do not apply, the target's WIP
    limit does. Ranks are kept (one order per project); each issue gets its status event.
    """
    project = from_status.project
    require_role(actor, project, Role.ADMIN)
    if to_status.project_id != project.pk or to_status.pk == from_status.pk:
        raise ValidationError("Choose another status of this project.", code="foreign_status")
    target = _lock_status(project, to_status)
    issues = list(
        Issue.objects.select_for_update(no_key=True, of=("self",))
        .filter(status=from_status)
        .order_by("number")  # The order bulk edits and rebalances lock issues in.
        .only("pk")
    )
    if target.wip_limit is not None:
        count = Issue.objects.filter(status=target).count()
        if count + len(issues) > target.wip_limit:
            raise ValidationError(
                f"“{target.name}” has a WIP limit of {target.wip_limit} and holds {count}: "
                f"its {len(issues)} more issues would not fit. Choose another status or "
                "raise the limit first.",
                code="wip_limit",
            )
    now = timezone.now()
    moved = Issue.objects.filter(status=from_status)  # the rows locked above
    if target.is_closed and not from_status.is_closed:
        moved.update(resolved_at=now)
    elif not target.is_closed:
        moved.update(resolved_at=None)
    if target.category == StatusCategory.IN_PROGRESS:
        moved.filter(started_at__isnull=True).update(started_at=now)
    if target.category != StatusCategory.DONE:
        moved.update(done_at=None)
    elif from_status.category != StatusCategory.DONE:
        moved.update(done_at=now)
    moved.update(status=target, version=F("version") + 1, updated_at=now)
    IssueEvent.objects.bulk_create(
        IssueEvent(
            issue_id=issue.pk,
            actor=actor,
            created_at=now,
            field="status",
            old_value=from_status.name,
            new_value=target.name,
            old_status=from_status,
            new_status=target,
        )
        for issue in issues
    )
    return len(issues)


# Issues --------------------------------------------------------------------------------------


@transaction.atomic
def follow_category(*, status: Status, old_category: str) -> int:
    """After a column changed category (project settings), its issues follow as if each had
    just been moved in: `resolved_at` is set to now when the column became closed and cleared
    when it became open; the project's started and done times are rebuilt from the history
    (what counts as in progress and done is read anew). The caller holds the workflow's locks,
    so no move into or out of the column runs meanwhile. No event: nobody changed the issues;
    the column's change is logged by the project. Returns how many issues' `resolved_at`
    changed."""
    if old_category == status.category:
        return 0
    issues = Issue.objects.filter(status=status)
    was_closed = old_category in StatusCategory.closed()
    changed = 0
    if status.is_closed and not was_closed:
        changed = issues.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    elif was_closed and not status.is_closed:
        changed = issues.exclude(resolved_at__isnull=True).update(resolved_at=None)
    flow.rebuild(status.project_id)
    flow_snapshots.forget(status.project_id)  # what was resolved on each day, read anew
    return changed


@_retried_on_rank_clash
@transaction.atomic
def create_issue(
    *,
    project: Project,
    actor: AbstractBaseUser,
    title: str,
    kind: str = Kind.STORY,
    status: Status | None = None,
    description: str = "",
    priority: int = Priority.NONE,
    assignee: AbstractBaseUser | None = None,
    labels: Iterable[Label] = (),
    parent: Issue | None = None,
    estimate: int | None = None,
    source: str = Source.INTERNAL,
    due_date: datetime.date | None = None,
    public: bool = False,
) -> Issue:
    """A new issue at the bottom of the project's order, numbered by the project's counter."""
    require_role(actor, project, Role.MEMBER)
    return _insert_issue(
        project=project,
        actor=actor,
        title=title,
        kind=kind,
        status=status,
        description=description,
        priority=priority,
        assignee=assignee,
        labels=labels,
        parent=parent,
        estimate=estimate,
        source=source,
        due_date=due_date,
        public=public,
    )


def _insert_issue(
    *,
    project: Project,
    actor: AbstractBaseUser | None,
    title: str,
    kind: str = Kind.STORY,
    status: Status | None = None,
    description: str = "",
    priority: int = Priority.NONE,
    assignee: AbstractBaseUser | None = None,
    labels: Iterable[Label] = (),
    parent: Issue | None = None,
    estimate: int | None = None,
    source: str = Source.INTERNAL,
    due_date: datetime.date | None = None,
    public: bool = False,
) -> Issue:
    """create_issue without the role check; `actor` None: it came through a public door."""
    # Creates into a column queue on its row like moves do, so its WIP limit holds.
    status = _lock_status(project, project.default_status() if status is None else status)
    issue = Issue(
        project=project,
        kind=kind,
        title=_clean_title(title),
        description=description or "",
        status=status,
        priority=priority,
        assignee=assignee,
        reporter=actor,
        parent=parent,
        estimate=estimate,
        source=source,
        due_date=due_date,
        public=bool(public),
        number=0,
        rank=ranking.key_between(None, None),
    )
    _follow(issue, None, status, issue.created_at)
    labels = list(labels)
    issue.full_clean(exclude=["number", "rank"], validate_constraints=False)
    if parent is not None:
        _hold(parent)
    _check_labels(project, labels)
    _check_wip_limit(status)

    # Lock the project row while taking the next number: concurrent creates queue here.
    Project.objects.filter(pk=project.pk).update(next_number=F("next_number") + 1)
    issue.number = (
        Project.objects.filter(pk=project.pk).values_list("next_number", flat=True)[0] - 1
    )
    _save_with_rank(issue, lambda: ranking.key_between(_last_rank(project), None), insert=True)
    if labels:
        issue.labels.set(labels)
    _log(issue, actor, "created", new=issue.title)
    return issue


@transaction.atomic
def update_issue(
    *,
    issue: Issue,
    actor: AbstractBaseUser,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Issue:
    """Change fields of an issue; with `expected_version`, refuse if someone saved first."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    require_role(actor, issue.project, Role.MEMBER)
    if "status" in changes:
        # Locked before the issue, in the same order as move_issue, so that two changes
        # cannot both take a column's last WIP slot.
        new_status = _lock_status(issue.project, changes["status"])
    current = _lock(issue)
    if expected_version is not None and current.version != expected_version:
        raise Conflict(current)

    now = timezone.now()
    before = {name: _field_value(current, name) for name in EDITABLE_FIELDS if name in changes}
    before_parent_id = current.parent_id
    old_status = current.status
    new_labels = None
    for name, value in changes.items():
        if name == "labels":
            new_labels = list(value or ())
        elif name == "title":
            current.title = _clean_title(value)
        elif name == "status":
            current.status = new_status
        else:
            try:
                setattr(current, name, value)
            except (TypeError, ValueError) as error:
                raise ValidationError({name: str(error)}, code="invalid") from None
    current.full_clean(exclude=["number", "rank"], validate_constraints=False)
    if current.parent_id is not None and current.parent_id != before_parent_id:
        _hold(current.parent)
    if new_labels is not None:
        _check_labels(current.project, new_labels)
    _check_planning(current, before)
    if current.status_id != old_status.pk:
        _check_move(current, old_status, current.status)
        _follow(current, old_status, current.status, now)

    changed = []
    for name, old in before.items():
        new = _field_value(current, name) if name != "labels" else frozenset(new_labels)
        if old != new:
            changed.append(name)
    if not changed:
        return current
    current.version += 1
    current.updated_at = now
    columns = [name for name in changed if name != "labels"]
    columns += ["version", "updated_at"]
    if "status" in changed:
        columns += FLOW_FIELDS
    current.save(update_fields=columns)
    for name in changed:
        if name == "labels":
            _log_labels(current, actor, before["labels"], frozenset(new_labels))
            current.labels.set(new_labels)
        elif name == "status":
            _log_status(current, actor, old_status, current.status)
        elif name == "sprint":
            old_sprint, new_sprint = before["sprint"], current.sprint
            _log(
                current,
                actor,
                "sprint",
                old=_display("sprint", old_sprint),
                new=_display("sprint", new_sprint),
                old_sprint=old_sprint,
                new_sprint=new_sprint,
            )
        else:
            _log(
                current,
                actor,
                name,
                old=_display(name, before[name]),
                new=_display(name, _field_value(current, name)),
            )
    return current


@_retried_on_rank_clash
@transaction.atomic
def move_issue(
    *,
    issue: Issue,
    actor: AbstractBaseUser,
    status: Status,
    after: Issue | None = None,
    before: Issue | None = None,
) -> Issue:
    """Move an issue to `status`, placed after the card `after` and before the card `before`.

    Without neighbours the issue goes to the bottom of the column (keeping its rank when it
    already sorts below the column's last card). Moving into another column
    checks the workflow's transitions and the column's WIP limit; reordering inside a column is
    always allowed. Only the moved row is written.
    """
    require_role(actor, issue.project, Role.MEMBER)
    # Moves into one column queue on its row, so two moves cannot both take its last WIP slot.
    # The workflow's word on a move from the issue's status comes with it (see _check_move).
    target = _lock_status(issue.project, status, moving_from=issue.status_id)
    current = _lock(issue)

    old_status = current.status
    status_changed = old_status.pk != target.pk
    if status_changed:
        _check_move(current, old_status, target)
        current.status = target
        current.updated_at = timezone.now()
        _follow(current, old_status, target, current.updated_at)
        current.version += 1

    attempts = []

    def new_rank() -> str | None:
        # The neighbours are read again on every attempt but the first: a concurrent move may
        # have taken the gap, or a rebalance may have renamed every key. The first attempt
        # uses the ranks the caller read with the card (if it did), unless the card's own
        # key changed since (a rebalance renames every key); a concurrent drop into the same
        # gap computes the same key from the same ranks, clashes, and the retry reads them.
        reuse = not attempts and current.rank == issue.rank and _first_try()
        attempts.append(reuse)
        after_rank, before_rank, beside = _neighbour_ranks(
            current, target, after, before, reuse=reuse
        )
        low, high = _gap(current, target, after_rank, before_rank, beside)
        no_neighbours = after is None and before is None
        below_low = low is None or low < current.rank
        if below_low and (high is None or current.rank < high or no_neighbours):
            # Already in place; without neighbours "in place" is anywhere below the column's
            # last card, so that a status change keeps the issue's place in the backlog.
            return None
        return ranking.key_between(low, high)

    fields = ["status", *FLOW_FIELDS, "version", "updated_at"] if status_changed else []
    _save_with_rank(current, new_rank, fields=fields)
    if status_changed:
        _log_status(current, actor, old_status, target)
    if len(current.rank) > ranking.REBALANCE_THRESHOLD and _rebalance_soon(current.project):
        current.refresh_from_db(fields=["rank"])
    return current


@_retried_on_rank_clash
@transaction.atomic
def rank_issue(
    *,
    issue: Issue,
    actor: AbstractBaseUser,
    after: Issue | None = None,
    before: Issue | None = None,
) -> Issue:
    """Place an issue in the project's order right after `after` (or right before `before`),
    whatever their statuses: the backlog ranks across columns. Only the moved row is written.
    """
    require_role(actor, issue.project, Role.MEMBER)
    if after is None and before is None:
        raise ValidationError("Say where the issue goes: after or before another one.")
    current = _lock(issue)

    def new_rank() -> str | None:
        after_rank, before_rank, beside = _neighbour_ranks(current, None, after, before)
        low, high = _gap(current, None, after_rank, before_rank, beside)
        if (low is None or low < current.rank) and (high is None or current.rank < high):
            return None  # Already there.
        return ranking.key_between(low, high)

    _save_with_rank(current, new_rank)
    if len(current.rank) > ranking.REBALANCE_THRESHOLD and _rebalance_soon(current.project):
        current.refresh_from_db(fields=["rank"])
    return current


@transaction.atomic
def delete_issue(*, issue: Issue, actor: AbstractBaseUser) -> None:
    """Delete an issue; refused while it has children, so that nothing is lost silently."""
    current = _lock(issue, delete=True)
    require_role(actor, current.project, Role.ADMIN)
    count = current.children.count()
    if count:
        raise ValidationError(
            f"{current.key} has {count} child issue{'s' if count != 1 else ''}: "
            "move or delete them first.",
            code="has_children",
        )
    current.delete()
    # The days it lived through are history that changed: the reports' snapshots of them go.
    flow_snapshots.forget(current.project_id, since=current.created_at)


def bulk_update(
    *,
    issues: Iterable[Issue],
    actor: AbstractBaseUser,
    changes: Mapping[str, Any] | None = None,
    add_label: Label | None = None,
    remove_label: Label | None = None,
) -> BulkResult:
    """Apply the same change to many issues; each that cannot change is reported by key."""

    def change(issue: Issue) -> Issue:
        issue_changes = dict(changes or {})
        if add_label is not None or remove_label is not None:
            labels = set(issue.labels.all())
            if add_label is not None:
                labels.add(add_label)
            if remove_label is not None:
                labels.discard(remove_label)
            issue_changes["labels"] = labels
        return update_issue(issue=issue, actor=actor, changes=issue_changes)

    return _each(issues, change)


def bulk_move(*, issues: Iterable[Issue], actor: AbstractBaseUser, status: Status) -> BulkResult:
    """Move many issues to the bottom of a column; refusals are reported by key."""
    return _each(issues, lambda issue: move_issue(issue=issue, actor=actor, status=status))


# What a bulk change can change, and so what its undo puts back.
BULK_FIELDS = ("status", "assignee", "priority", "labels")


def bulk_before(issues: Iterable[Issue], fields: Iterable[str]) -> dict[int, dict[str, Any]]:
    """What `fields` of each issue hold now, as plain values (ids, numbers), before a bulk
    change: what its undo puts back. The issues' labels are prefetched by the caller."""
    fields = [name for name in fields if name in BULK_FIELDS]
    before = {}
    for issue in issues:
        values: dict[str, Any] = {}
        for name in fields:
            if name == "labels":
                values[name] = sorted(label.pk for label in issue.labels.all())
            elif name in ("status", "assignee"):
                values[name] = getattr(issue, f"{name}_id")
            else:
                values[name] = getattr(issue, name)
        before[issue.pk] = values
    return before


def undo_bulk(
    *, project: Project, actor: AbstractBaseUser, entries: Iterable[Mapping[str, Any]]
) -> BulkResult:
    """Put back what a bulk change changed: each entry is an issue's `pk`, the `version` the
    bulk change left it at and its `before` values (bulk_before). One update per issue, checked
    against that version: an issue changed since (or deleted) is refused by key and left as it
    is; so is one whose old values the rules now refuse (a workflow, a WIP limit)."""
    require_role(actor, project, Role.MEMBER)
    entries = list(entries)
    issues = {
        issue.pk: issue
        for issue in Issue.objects.filter(project=project, pk__in=[e["pk"] for e in entries])
    }
    statuses = {status.pk: status for status in project.statuses.all()}
    labels = {label.pk: label for label in project.labels.all()}
    user_ids = {e["before"].get("assignee") for e in entries} - {None}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids)}
    result = BulkResult()
    with transaction.atomic():
        for entry in entries:
            issue = issues.get(entry["pk"])
            if issue is None:
                continue  # deleted since: nothing to put back
            changes: dict[str, Any] = {}
            for name, value in entry["before"].items():
                if name == "status":
                    changes[name] = statuses.get(value)
                elif name == "assignee":
                    changes[name] = users.get(value) if value is not None else None
                elif name == "labels":
                    changes[name] = [labels[pk] for pk in value if pk in labels]
                elif name == "priority":
                    changes[name] = value
            if changes.get("status", True) is None:
                result.refused[issue.key] = "its old status no longer exists."
                continue
            try:
                with transaction.atomic():
                    result.changed.append(
                        update_issue(
                            issue=issue,
                            actor=actor,
                            changes=changes,
                            expected_version=entry["version"],
                        )
                    )
            except Conflict:
                result.refused[issue.key] = "changed since, so it was left as it is."
            except (ValidationError, PermissionDenied) as error:
                result.refused[issue.key] = _message(error)
    return result


def _each(issues: Iterable[Issue], operation: Callable[[Issue], Issue]) -> BulkResult:
    """Run `operation` on every issue in one transaction; a refused issue (reported by key)
    rolls back only its own savepoint."""
    result = BulkResult()
    with transaction.atomic():
        for issue in issues:
            try:
                with transaction.atomic():
                    result.changed.append(operation(issue))
            except (ValidationError, PermissionDenied) as error:
                result.refused[issue.key] = _message(error)
    return result


# Comments ------------------------------------------------------------------------------------


@transaction.atomic
def add_comment(
    *, issue: Issue, actor: AbstractBaseUser, body: str, public: bool = False
) -> Comment:
    """A comment; `public` ones are also shown on the ideas portal (internal by default)."""
    require_role(actor, issue.project, Role.MEMBER)
    _hold(issue)
    comment = Comment(issue=issue, author=actor, body=(body or "").strip(), public=bool(public))
    _check_comment_body(comment.body)
    comment.save()
    _log(issue, actor, "comment", new=comment.body)
    return comment


@transaction.atomic
def edit_comment(*, comment: Comment, actor: AbstractBaseUser, body: str) -> Comment:
    require_role(actor, comment.issue.project, Role.MEMBER)
    if comment.author_id != actor.pk:
        raise PermissionDenied("You can only edit your own comments.")
    body = (body or "").strip()
    _check_comment_body(body)
    if body == comment.body:
        return comment
    _hold(comment.issue)
    old = comment.body
    comment.body = body
    comment.edited_at = timezone.now()
    if not Comment.objects.filter(pk=comment.pk).update(body=body, edited_at=comment.edited_at):
        raise ValidationError("That comment was deleted meanwhile.", code="deleted")
    _log(comment.issue, actor, "comment", old=old, new=body)
    return comment


@transaction.atomic
def delete_comment(*, comment: Comment, actor: AbstractBaseUser) -> None:
    role = require_role(actor, comment.issue.project, Role.MEMBER)
    if comment.author_id != actor.pk and role != Role.ADMIN:
        raise PermissionDenied("You can only delete your own comments.")
    _hold(comment.issue)
    _log(comment.issue, actor, "comment", old=comment.body)
    comment.delete()


CUSTOMER_COMMENT_LIMIT = 5_000  # characters: a portal comment is a note, not an essay


@transaction.atomic
def add_customer_comment(*, issue: Issue, requester: Any, body: str) -> Comment:
    """A customer's comment on a published idea (the ideas portal): public, with no author.

    The portal checks who the requester is (a verified e-mail) and that the portal shows the
    idea; this refuses an unpublished or merged issue, an empty or oversized body. The
    "comment" event has no actor, and it reaches the watchers like any comment.
    """
    current = _lock(issue)
    if not current.public:
        raise ValidationError("Only published ideas take comments.", code="not_public")
    if current.duplicate_of_id is not None:
        raise ValidationError(
            "This idea was merged into another one: comment there.", code="merged"
        )
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "A comment cannot be empty."}, code="blank")
    if len(body) > CUSTOMER_COMMENT_LIMIT:
        raise ValidationError(
            {"body": f"A comment is at most {CUSTOMER_COMMENT_LIMIT:,} characters."},
            code="too_long",
        )
    comment = Comment.objects.create(
        issue=current, author=None, requester=requester, body=body, public=True
    )
    _log(current, None, "comment", new=body, requester=requester)
    return comment


# Intake: issues from outside, demand, duplicates ----------------------------------------------
# Requests and requesters are intake's own rows (intake.operations); these are the changes they
# make to issues.


# No savepoint of its own inside a caller's transaction (intake's delivery): a refusal rolls
# back the caller's transaction, which is what every caller does with it.
@transaction.atomic(savepoint=False)
def create_requested_issue(
    *,
    project: Project,
    title: str,
    description: str = "",
    source: str = Source.INTERNAL,
    requester: Any = None,
    prepare: Callable[[Issue], None] | None = None,
) -> Issue:
    """An issue that came through a public door (portal, widget, intake API), without a member
    behind it: it lands in the project's triage status (its default status if it has none).

    `requester`: the customer (intake's Requester) whose request comes with it; the issue is
    then created with a demand of 1 and the "requests" event `count_demand` would log, both
    events naming them (the caller writes the request itself, in `prepare`). `prepare(issue)`
    writes the caller's rows that refer to the new issue (intake's external id and request).

    Its locks come last (issue 12: deliveries to one project queue on them, so only what needs
    them runs under them). Everything is validated, and on PostgreSQL the issue's id is taken
    from its sequence and its events, notification task and `prepare`'s rows are written before
    the triage column (for its WIP limit) and then the project's counter are locked (the
    README's lock order): the locked part is the WIP count, the number, the last rank and the
    issue's INSERT. Foreign keys are checked at commit, so rows may refer to the issue before it
    is inserted. On SQLite, which takes one lock for every write, they follow the INSERT.
    """
    if source not in Source.values:
        raise ValidationError({"source": f"Unknown source {source!r}."}, code="invalid")
    if len(str(title or "")) > 200:
        raise ValidationError({"title": "A title is at most 200 characters."}, code="too_long")
    triage = triage_status(project)
    issue = Issue(
        project=project,
        kind=Kind.STORY,
        title=_clean_title(title),
        description=description or "",
        status=triage,
        reporter=None,
        source=source,
        demand=0 if requester is None else 1,
        number=0,
        rank=ranking.key_between(None, None),
    )
    _follow(issue, None, triage, issue.created_at)
    # The project and the status were just read: no query to check that they exist.
    issue.full_clean(exclude=["number", "rank", "project", "status"], validate_constraints=False)
    early = connection.vendor == "postgresql"
    if early:
        issue.pk = _reserve_id(Issue)
        _log_requested(issue, requester, prepare)
    issue.status = _lock_status(project, triage)
    _check_wip_limit(issue.status)
    issue.number = _take_number(project)
    _save_with_rank(issue, lambda: ranking.key_between(_last_rank(project), None), insert=True)
    if not early:
        _log_requested(issue, requester, prepare)
    return issue


def _log_requested(issue: Issue, requester: Any, prepare: Callable[[Issue], None] | None) -> None:
    """A requested issue's "created" (and "requests") events, in one INSERT and one task."""
    now = timezone.now()
    events = [
        IssueEvent(
            issue=issue, requester=requester, field="created", new_value=issue.title, created_at=now
        )
    ]
    if requester is not None:
        events.append(
            IssueEvent(
                issue=issue,
                requester=requester,
                field="requests",
                old_value="0",
                new_value=f"1 (+ {requester.display_name})",
                created_at=now,
            )
        )
    _announce(issue, IssueEvent.objects.bulk_create(events))
    if prepare is not None:
        prepare(issue)


def _reserve_id(model) -> int:
    """The next id of the model's table, taken from its sequence (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s))",
            [model._meta.db_table, model._meta.pk.column],
        )
        return cursor.fetchone()[0]


def _take_number(project: Project) -> int:
    """The project's next issue number. Its row stays locked until commit (FOR NO KEY UPDATE,
    as any UPDATE of a non-key column): concurrent creates in the project queue here, and a
    rollback gives the number back. One statement (RETURNING: PostgreSQL, SQLite ≥ 3.35)."""
    table = connection.ops.quote_name(Project._meta.db_table)
    column = connection.ops.quote_name(Project._meta.get_field("next_number").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 WHERE id = %s "  # noqa: S608 (no input)
            f"RETURNING {column}",
            [project.pk],
        )
        return cursor.fetchone()[0] - 1


def triage_status(project: Project) -> Status:
    """Where issues from outside land: the first triage column, else the default one."""
    status = project.statuses.filter(category=StatusCategory.TRIAGE).order_by("position").first()
    return status or project.default_status()


@transaction.atomic
def count_demand(
    *, issue: Issue, actor: AbstractBaseUser | None, note: str = "", requester: Any = None
) -> Issue:
    """Store the issue's number of requests (after intake added or moved some), logged as a
    "requests" event with `note` (who asked), naming `requester` when no member acted (a
    customer's vote: "A customer (Ann Lee)", not "Someone"). Not a version bump: an open edit form stays
    valid; `updated_at` moves so that open boards and lists show the new count."""
    current = _lock(issue)
    demand = current.requests.count()
    if demand == current.demand:
        return current
    old = current.demand
    current.demand = demand
    current.updated_at = timezone.now()
    current.save(update_fields=["demand", "updated_at"])
    _log(
        current,
        actor,
        "requests",
        old=str(old),
        new=f"{demand}{' ' + note if note else ''}",
        requester=requester if actor is None else None,
    )
    return current


@transaction.atomic
def merge_issue(*, duplicate: Issue, primary: Issue, actor: AbstractBaseUser) -> Issue:
    """Close `duplicate` as a duplicate of `primary`, moving its customer requests and watchers.

    A requester (or watcher) of both is counted once, on the primary. The duplicate goes to the
    project's first canceled status, with a comment "Duplicate of KEY" and `duplicate_of` set;
    the primary lists it among its duplicates. Refused: into itself, into another project's
    issue, into an issue that is itself merged (a cycle or a chain), or without a canceled status.
    """
    require_role(actor, duplicate.project, Role.MEMBER)
    if duplicate.pk == primary.pk:
        raise ValidationError("An issue cannot be merged into itself.", code="merge_self")
    if duplicate.project_id != primary.project_id:
        raise ValidationError(
            "Issues can only be merged within one project.", code="merge_other_project"
        )
    # Both rows locked, by id, in the one global order.
    first, second = sorted([duplicate, primary], key=lambda issue: issue.pk)
    locked = {first.pk: _lock(first), second.pk: _lock(second)}
    duplicate, primary = locked[duplicate.pk], locked[primary.pk]
    if primary.duplicate_of_id is not None:
        raise ValidationError(
            f"{primary.key} is itself merged into another issue: merge into that one.",
            code="merge_chain",
        )
    if duplicate.duplicate_of_id is not None:
        raise ValidationError(f"{duplicate.key} is already merged.", code="merge_again")
    canceled = (
        duplicate.project.statuses.filter(category=StatusCategory.CANCELED)
        .order_by("position")
        .first()
    )
    if canceled is None:
        raise ValidationError(
            f"{duplicate.project.key} has no canceled status to close the duplicate in.",
            code="no_canceled_status",
        )
    _move_related(duplicate, primary, "requests", "requester")
    _move_related(duplicate, primary, "watches", "user")

    old_status = duplicate.status
    now = timezone.now()
    duplicate.duplicate_of = primary
    fields = ["duplicate_of", "version", "updated_at"]
    if old_status.pk != canceled.pk:
        duplicate.status = _lock_status(duplicate.project, canceled)
        _follow(duplicate, old_status, canceled, now)
        fields += ["status", *FLOW_FIELDS]
    duplicate.version += 1
    duplicate.updated_at = now
    duplicate.save(update_fields=fields)
    _log(duplicate, actor, "duplicate_of", new=primary.key)
    if "status" in fields:
        _log_status(duplicate, actor, old_status, canceled)
    Comment.objects.create(issue=duplicate, author=actor, body=f"Duplicate of {primary.key}.")
    _log(primary, actor, "duplicates", new=duplicate.key)
    count_demand(issue=duplicate, actor=actor, note=f"moved to {primary.key}")
    count_demand(issue=primary, actor=actor, note=f"from {duplicate.key}")
    primary.refresh_from_db(fields=["demand", "updated_at"])
    return duplicate


def _move_related(duplicate: Issue, primary: Issue, relation: str, person: str) -> None:
    """Move the duplicate's rows of a reverse relation (intake's requests, notifications'
    watches) to the primary, except those of a person the primary already has (dropped)."""
    if not hasattr(duplicate, relation):
        return  # That app is not installed.
    rows = getattr(duplicate, relation)
    already = getattr(primary, relation).values(person)
    rows.exclude(**{f"{person}__in": already}).update(issue=primary)
    rows.all().delete()


# Ranks ---------------------------------------------------------------------------------------


@transaction.atomic
def rebalance_ranks(*, project: Project, nowait: bool = False) -> int:
    """Give the project's issues evenly spaced short keys, keeping their order (_write_ranks).

    Locks the project's row (one rebalance at a time), then every issue of the project by
    number: the order bulk edits take them in, so that a rebalance waits for a bulk edit
    instead of deadlocking with it. `nowait`: raise DatabaseError at once if a row is taken.
    """
    Project.objects.select_for_update(no_key=True, nowait=nowait).filter(pk=project.pk).first()
    issues = Issue.objects.filter(project=project)
    locked = issues.select_for_update(no_key=True, nowait=nowait, of=("self",))
    list(locked.order_by("number").values_list("pk", flat=True))
    ids = list(issues.order_by("rank").values_list("pk", flat=True))
    _write_ranks(project, ids)
    return len(ids)


def _rebalance_soon(project: Project) -> bool:
    """Rebalance from inside an operation that already holds issue rows (a move holds its
    card): now if every row of the project is free, else right after this transaction
    commits, in a transaction of its own that holds nothing else while it waits for them.
    Waiting here for a row that a bulk edit holds, while holding the card that bulk edit
    waits for, was a deadlock. True if the keys were rewritten now."""
    try:
        with transaction.atomic():
            rebalance_ranks(project=project, nowait=True)
        return True
    except DatabaseError:  # A row is locked (LockNotAvailable): nothing was written.
        transaction.on_commit(lambda: rebalance_ranks(project=project), robust=True)
        return False


@transaction.atomic
def reorder_issues(
    *, project: Project, actor: AbstractBaseUser, issues: list[Issue], reason: str
) -> int:
    """Put `issues` in the given order into the places they hold in the project's order (the
    others keep theirs), and log one event per moved issue saying why (`reason`, for example
    "ranked by score").

    Each moved issue gets a new key right after the old key of the place it takes (between
    that key and the next one of the project): new keys never equal a current one, so only the
    moved rows are written, in batched UPDATEs, without clashing under the unique index.
    """
    require_role(actor, project, Role.MEMBER)
    if any(issue.project_id != project.pk for issue in issues):
        raise ValidationError("Every issue must belong to this project.", code="foreign_issue")
    Project.objects.select_for_update(no_key=True).filter(pk=project.pk).first()
    order = list(Issue.objects.filter(project=project).order_by("rank").values_list("pk", "rank"))
    position = {pk: index for index, (pk, _) in enumerate(order)}
    wanted = list(dict.fromkeys(issue.pk for issue in issues))
    if any(pk not in position for pk in wanted):
        raise ValidationError("Some of these issues no longer exist: reload and try again.")
    slots = sorted(position[pk] for pk in wanted)
    pairs = []
    for slot, pk in zip(slots, wanted, strict=True):
        if order[slot][0] == pk:
            continue  # Already in its place: it keeps its key.
        following = order[slot + 1][1] if slot + 1 < len(order) else None
        pairs.append((pk, ranking.key_between(order[slot][1], following)))
    if not pairs:
        return 0
    moved = [pk for pk, _ in pairs]
    # Taken by number first, as bulk edits take them, not in the UPDATE's order.
    moving = Issue.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=moved)
    list(moving.order_by("number").values_list("pk", flat=True))
    _write_rank_pairs(pairs)
    now = timezone.now()
    Issue.objects.filter(pk__in=moved).update(updated_at=now)
    IssueEvent.objects.bulk_create(
        IssueEvent(issue_id=pk, actor=actor, field="rank", new_value=reason, created_at=now)
        for pk in moved
    )
    if any(len(key) > ranking.REBALANCE_THRESHOLD for _, key in pairs):
        _rebalance_soon(project)
    return len(moved)


def _write_ranks(project: Project, ids: list[int]) -> None:
    """Give the issues `ids` (every issue of the project) evenly spaced keys in that order.

    The new keys start with a character no current key starts with, so they cannot collide
    with old ones under the unique index and one pass is enough.
    """
    issues = Issue.objects.filter(project=project)
    heads = set(
        issues.annotate(head=Left("rank", 1)).order_by().values_list("head", flat=True).distinct()
    )
    keys = ranking.evenly_spaced(len(ids), skip_heads=heads)
    _write_rank_pairs(list(zip(ids, keys, strict=False)))


def _write_rank_pairs(pairs: list[tuple[int, str]]) -> None:
    """(id, rank) pairs in batches of one UPDATE … FROM a list of values each, which costs the
    same per row however big the project is."""
    table = connection.ops.quote_name(Issue._meta.db_table)
    for start in range(0, len(pairs), REBALANCE_BATCH):
        batch = pairs[start : start + REBALANCE_BATCH]
        placeholders = ", ".join(["(%s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH new_rank (id, rank) AS (VALUES {placeholders}) "  # noqa: S608 (no input)
                f"UPDATE {table} SET rank = new_rank.rank FROM new_rank "
                f"WHERE {table}.id = new_rank.id",
                [value for pair in batch for value in pair],
            )


# Helpers -------------------------------------------------------------------------------------


def _lock(issue: Issue, *, delete: bool = False) -> Issue:
    """The issue's current row, locked for the rest of the transaction, or a "deleted" refusal.

    FOR NO KEY UPDATE (FOR UPDATE only to delete it): rows that merely refer to the issue
    (events, comments, children) take KEY SHARE locks on it, which this does not block. No
    joins: a locking read that waited for a concurrent change re-checks its joins against the
    old related rows and may drop the row (a DoesNotExist, or a parent read as missing). The
    caller's related objects are reused while they are still the ones the row refers to.
    """
    # No ORDER BY: the default ordering joins the project, whose row would be locked too.
    rows = Issue.objects.select_for_update(no_key=not delete, of=("self",)).order_by()
    current = next(iter(rows.filter(pk=issue.pk)), None)
    if current is None:
        raise _deleted(issue)
    for name in ("project", "status", "parent", "assignee", "sprint", "release"):
        field = Issue._meta.get_field(name)
        if field.is_cached(issue):
            related = field.get_cached_value(issue)
            if related is not None and related.pk == getattr(current, field.attname):
                field.set_cached_value(current, related)
    return current


def _hold(issue: Issue) -> None:
    """Keep the issue from being deleted until this transaction ends (FOR KEY SHARE: edits and
    moves of it go on), or refuse if it is gone: before a row that refers to it is written
    (a comment, a child), which the database would otherwise refuse at commit."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Issue._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [issue.pk])  # noqa: S608 (no input)
            found = cursor.fetchone() is not None
    else:
        found = Issue.objects.filter(pk=issue.pk).exists()
    if not found:
        raise _deleted(issue)


def _deleted(issue: Issue) -> ValidationError:
    return ValidationError(f"{issue.key} was deleted meanwhile.", code="deleted")


def _lock_status(project: Project, status: Any, *, moving_from: int | None = None) -> Status:
    """The project's status row, locked: creates and moves into one column queue here.

    FOR NO KEY UPDATE, not FOR UPDATE: the events a move writes refer to its old and new
    statuses, and the database checks those references at commit with KEY SHARE locks, which
    FOR UPDATE would block (two opposite moves between two columns then deadlock).
    """
    if not isinstance(status, Status):
        raise ValidationError({"status": "Choose a status."}, code="required")
    if status.project_id != project.pk:
        raise ValidationError(
            {"status": "That status belongs to another project."}, code="foreign_status"
        )
    rows = Status.objects.select_for_update(no_key=True, of=("self",)).filter(project=project)
    if moving_from is not None:
        # Whether the workflow lets an issue of `moving_from` in, read with the lock.
        leaving = Transition.objects.filter(from_status_id=moving_from).order_by()
        rows = rows.annotate(
            restricted=Exists(leaving),
            allowed=Exists(leaving.filter(to_status_id=OuterRef("pk"))),
        )
    target = rows.filter(pk=status.pk).first()
    if target is None:  # The caller may pass a bare id (the board's drag does).
        raise ValidationError(
            {"status": ValidationError("That column is not in this project.", "foreign_status")}
        )
    if moving_from is not None:
        target.transitions_from = moving_from
    return target


def _clean_title(title: Any) -> str:
    """Titles are stored trimmed; a blank one gets a clear message (not two)."""
    title = str(title or "").strip()
    if not title:
        raise ValidationError({"title": "An issue needs a title."}, code="blank")
    return title


def _check_labels(project: Project, labels: Iterable[Label]) -> None:
    if any(label.project_id != project.pk for label in labels):
        raise ValidationError({"labels": "Labels must belong to the issue's project."})


def _check_comment_body(body: str) -> None:
    if not body:
        raise ValidationError({"body": "A comment cannot be empty."}, code="blank")
    if len(body) > 20_000:
        raise ValidationError({"body": "A comment is at most 20,000 characters."}, code="too_long")


def _check_planning(issue: Issue, before: Mapping[str, Any]) -> None:
    """Issues join only open sprints and unreleased releases (leaving them is always allowed).

    The target's state is read again: the caller's copy may predate a completion or a release.
    It is read with a KEY SHARE lock, the one the issue's foreign key takes at its UPDATE
    anyway: a sprint or release being deleted meanwhile is waited for and then refused as
    deleted (it was an IntegrityError, or a DoesNotExist, answered 500).
    """
    for name in ("sprint", "release"):
        target = getattr(issue, name) if getattr(issue, f"{name}_id") else None
        if name not in before or target is None or target == before[name]:
            continue
        table = connection.ops.quote_name(type(target)._meta.db_table)
        lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT state FROM {table} WHERE id = %s{lock}", [target.pk])  # noqa: S608 (no input)
            row = cursor.fetchone()
        if row is None:
            message = f"“{target.name}” was deleted meanwhile: reload and choose another."
            raise ValidationError({name: ValidationError(message, f"{name}_deleted")})
        target.state = row[0]
        if name == "sprint" and not target.is_open:
            raise ValidationError(
                {"sprint": f"Sprint “{target.name}” is closed: plan the issue into an open one."},
                code="sprint_closed",
            )
        if name == "release" and target.is_released:
            raise ValidationError(
                {"release": f"{target.name} is already released: choose an unreleased version."},
                code="release_released",
            )


def _check_move(issue: Issue, old: Status, new: Status) -> None:
    """The workflow's transitions and the target column's WIP limit."""
    if getattr(new, "transitions_from", None) == old.pk:
        forbidden = new.restricted and not new.allowed  # Read with the status's lock.
    else:
        allowed = Transition.objects.filter(from_status=old)
        forbidden = allowed.exists() and not allowed.filter(to_status=new).exists()
    if forbidden:
        raise ValidationError(
            f"The workflow does not allow moving from “{old.name}” to “{new.name}”.",
            code="transition_not_allowed",
        )
    _check_wip_limit(new)


def _check_wip_limit(status: Status) -> None:
    """Refuse one more issue in a column that is at its WIP limit."""
    if status.wip_limit is None:
        return
    count = Issue.objects.filter(status=status).count()
    if count >= status.wip_limit:
        raise ValidationError(
            f"“{status.name}” is at its WIP limit ({count} / {status.wip_limit}): "
            "finish something there first.",
            code="wip_limit",
        )


def _follow(issue: Issue, old: Status | None, new: Status, now: datetime.datetime) -> None:
    """The times an issue's status sets (`FLOW_FIELDS`), as it moves from `old` (None: it is
    being created) to `new`: resolved when it enters a closed status from an open one; started
    when it first enters an in-progress status; done, while it is in a done status, since it
    last entered one from a status that is not. `issues.flow.rebuild` computes the same from
    the status history."""
    if new.is_closed and (old is None or not old.is_closed):
        issue.resolved_at = now
    elif not new.is_closed:
        issue.resolved_at = None
    if new.category == StatusCategory.IN_PROGRESS and issue.started_at is None:
        issue.started_at = now
    if new.category != StatusCategory.DONE:
        issue.done_at = None
    elif old is None or old.category != StatusCategory.DONE:
        issue.done_at = now


def _last_rank(project: Project) -> str | None:
    return Issue.objects.filter(project=project).aggregate(last=Max("rank"))["last"]


def _neighbour_ranks(
    issue: Issue,
    status: Status | None,
    after: Issue | None,
    before: Issue | None,
    *,
    reuse: bool = False,
) -> tuple[str | None, str | None, str | None]:
    """The current ranks of the cards the issue is dropped between, checked against the board.

    Neighbours must be other cards of the target column (of the project, for `status` None),
    in order; anything else means the board the person looked at is out of date. Cards that
    others dropped into the same gap meanwhile are no reason to refuse: the card lands right under `after` (or above `before`),
    and every drop is kept.
    """
    wanted = {neighbour.pk for neighbour in (after, before) if neighbour is not None}
    if not wanted:
        return None, None, None
    if issue.pk in wanted:
        raise ValidationError("A card cannot be placed next to itself.", code="neighbour")
    # With each neighbour, the project rank right beside it on the side the card goes (read in
    # the same query: the gap's other end, see _gap).
    others = Issue.objects.filter(project_id=issue.project_id).exclude(pk=issue.pk).order_by()
    next_rank = others.filter(rank__gt=OuterRef("rank")).order_by("rank").values("rank")[:1]
    previous_rank = others.filter(rank__lt=OuterRef("rank")).order_by("-rank").values("rank")[:1]
    beside_field = "next_rank" if after is not None else "previous_rank"
    beside_query = next_rank if after is not None else previous_rank
    given = [neighbour for neighbour in (after, before) if neighbour is not None]
    if reuse and all(hasattr(neighbour, "beside_ranks") for neighbour in given):
        # Read by the caller with the card, the ranks beside them included (the board's
        # move view does): not read again.
        rows = {
            neighbour.pk: {
                "pk": neighbour.pk,
                "project_id": neighbour.project_id,
                "status_id": neighbour.status_id,
                "rank": neighbour.rank,
                "previous_rank": neighbour.beside_ranks[0],
                "next_rank": neighbour.beside_ranks[1],
            }
            for neighbour in given
        }
    else:
        rows = {
            row["pk"]: row
            for row in Issue.objects.filter(pk__in=wanted)
            .order_by()
            .annotate(**{beside_field: Subquery(beside_query)})
            .values("pk", "project_id", "status_id", "rank", beside_field)
        }
    stale = ValidationError(
        "The board is out of date: reload it and try again.", code="stale_board"
    )
    ranks = []
    for neighbour in (after, before):
        if neighbour is None:
            ranks.append(None)
            continue
        row = rows.get(neighbour.pk)
        if row is None:
            raise stale  # Deleted since the board was drawn.
        if row["project_id"] != issue.project_id:
            raise ValidationError("The neighbouring card is not in this project.", code="neighbour")
        if status is not None and row["status_id"] != status.pk:
            raise stale
        ranks.append(row["rank"])
    after_rank, before_rank = ranks
    if after_rank is not None and before_rank is not None and after_rank >= before_rank:
        raise stale
    anchor = rows[(after if after is not None else before).pk]
    return after_rank, before_rank, anchor[beside_field]


def _gap(
    issue: Issue,
    status: Status | None,
    after_rank: str | None,
    before_rank: str | None,
    beside: str | None = None,
) -> tuple[str | None, str | None]:
    """The two project ranks the moved issue must fall between (None: an open end).

    `beside`: the project rank next to the neighbour (after `after`, else before `before`),
    read with the neighbours; cards of other columns may lie between two cards of a column.
    """
    others = Issue.objects.filter(project_id=issue.project_id).exclude(pk=issue.pk)
    if after_rank is not None:
        return after_rank, beside
    if before_rank is not None:
        return beside, before_rank
    low = others.filter(status=status).aggregate(r=Max("rank"))["r"]
    if low is None:
        return None, None  # Empty column: the current rank is as good as any.
    # Cards of other columns may lie in between: the key must differ from theirs too.
    high = others.filter(rank__gt=low).aggregate(r=Min("rank"))["r"]
    return low, high


def _save_with_rank(issue: Issue, compute, *, insert: bool = False, fields=()) -> None:
    """Save with a freshly computed rank; on a clash with a concurrent move, recompute."""
    for attempt in range(RANK_RETRIES):
        rank = compute()
        update_fields = list(fields)
        if rank is not None:
            issue.rank = rank
            update_fields.append("rank")
            if not insert and "updated_at" not in update_fields:
                # A reorder is a change too: open boards notice it by updated_at.
                issue.updated_at = timezone.now()
                update_fields.append("updated_at")
        if not insert and not update_fields:
            return
        if getattr(connection, "rank_retried_whole", False) and not connection.savepoint_ids:
            # The operation's own transaction: a clash rolls it back and runs it again.
            try:
                if insert:
                    issue.save(force_insert=True)
                else:
                    issue.save(update_fields=update_fields)
            except IntegrityError as error:
                if _rank_clash(error):
                    raise _RankClash from error
                raise
            return
        try:
            with transaction.atomic():
                if insert:
                    issue.save(force_insert=True)
                else:
                    issue.save(update_fields=update_fields)
            return
        except IntegrityError:
            # Most likely a concurrent move took this key (the only unique index a move can
            # break); the next attempt sees its row and picks another gap.
            if attempt == RANK_RETRIES - 1:
                raise


def _first_try() -> bool:
    """Not a run again of a whole operation after a clash (see _retried_on_rank_clash)."""
    return getattr(connection, "rank_attempt", 0) == 0


def _rank_clash(error: IntegrityError) -> bool:
    """Whether the error is the project's unique rank (PostgreSQL names the constraint)."""
    text = str(error)
    return "issue_rank_unique" in text or "issues_issue.rank" in text


def _field_value(issue: Issue, name: str) -> Any:
    if name == "labels":
        return frozenset(issue.labels.all()) if issue.pk else frozenset()
    if name in {"status", "assignee", "parent", "sprint", "release"}:
        return getattr(issue, name) if getattr(issue, f"{name}_id") else None
    return getattr(issue, name)


def _display(name: str, value: Any) -> str:
    """A field's value as the activity log and exports show it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "priority":
        return Priority(value).label
    if name == "kind":
        return Kind(value).label
    if name == "source":
        return Source(value).label
    if name == "parent":
        return value.key
    if name in {"sprint", "release"}:
        return value.name
    if name == "impact":
        return Impact(value).label
    if name == "confidence":
        return Confidence(value).label
    if name == "assignee":
        return value.get_username()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _log(issue: Issue, actor, name: str, *, old: str = "", new: str = "", **extra) -> None:
    event = IssueEvent.objects.create(
        issue=issue, actor=actor, field=name, old_value=old, new_value=new, **extra
    )
    _announce(issue, [event])


def _announce(issue: Issue, events: list[IssueEvent]) -> None:
    """The one seam to notifications, in this transaction: the watchers the events name (the
    reporter, assignee, commenter, @mentioned members: one INSERT, only when they name someone)
    and a task row that the worker fans out to every watcher (one INSERT, whatever their
    number)."""
    announce(issue=issue, events=events)


def _log_status(issue: Issue, actor, old: Status, new: Status) -> None:
    """The move's event, at the moment the move wrote (its `updated_at`, the time `_follow`
    gave its flow times), so that the history and the issue's columns agree to the microsecond."""
    event = IssueEvent.objects.create(
        issue=issue,
        actor=actor,
        created_at=issue.updated_at,
        field="status",
        old_value=old.name,
        new_value=new.name,
        old_status=old,
        new_status=new,
    )
    _announce(issue, [event])
    if issue.demand and new.category == StatusCategory.DONE != old.category:
        # The customers who asked are told, in this transaction (intake's e-mails are queued
        # rows, so a rolled-back move sends nothing).
        from intake.operations import announce_shipped

        announce_shipped(issue=issue, event=event)


def _log_labels(issue: Issue, actor, old: frozenset, new: frozenset) -> None:
    now = timezone.now()
    events = IssueEvent.objects.bulk_create(
        [
            IssueEvent(
                issue=issue, actor=actor, field="labels", new_value=label.name, created_at=now
            )
            for label in sorted(new - old, key=lambda label: label.name)
        ]
        + [
            IssueEvent(
                issue=issue, actor=actor, field="labels", old_value=label.name, created_at=now
            )
            for label in sorted(old - new, key=lambda label: label.name)
        ]
    )
    _announce(issue, events)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."
