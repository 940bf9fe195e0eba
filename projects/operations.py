"""Changes to a project's configuration: settings, workflow, transitions, labels, members,
invitations; and creating a project from the site.

The same contract as `issues.operations`: keyword-only, typed, atomic; each checks the actor's
role (project admin) and raises `PermissionDenied` or `ValidationError` (a sentence a person
understands) with nothing changed, and logs what it did as a `ProjectEvent`. Whatever changes
issues on the way (moving them off a deleted status, merging or deleting a label, unassigning a
removed member) is done by `issues.operations`, so every issue keeps its own events. The web
pages and the Django admin both call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from issues import operations as issue_ops
from issues.models import (
    Issue,
    Label,
    Membership,
    Project,
    Role,
    Status,
    StatusCategory,
    Transition,
    role_at_least,
)
from notifications import email

from .models import INVITATION_DAYS, Invitation, ProjectEvent

INVITATION_SALT = "projects.invitation"


# Permissions ---------------------------------------------------------------------------------


def require_admin(actor: AbstractBaseUser, project: Project, *, archived_ok: bool = False) -> None:
    """PermissionDenied unless the actor administers the project (and it is not archived)."""
    if archived_ok:
        if not role_at_least(project.role_of(actor), Role.ADMIN):
            raise PermissionDenied(f"You need the admin role in {project.key} to do this.")
    else:
        issue_ops.require_role(actor, project, Role.ADMIN)


def may_create_projects(user: AbstractBaseUser) -> bool:
    """The site's PROJECT_CREATION setting: "everyone" (signed in) or "staff" only."""
    if not user.is_authenticated or not user.is_active:
        return False
    return settings.PROJECT_CREATION == "everyone" or user.is_staff


# Projects ------------------------------------------------------------------------------------


@transaction.atomic
def start_project(
    *, actor: AbstractBaseUser, key: str, name: str, description: str = ""
) -> Project:
    """A new project with the default workflow and labels; its creator becomes its admin."""
    if not may_create_projects(actor):
        raise PermissionDenied("On this site only staff create projects: ask an administrator.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A project needs a name."}, code="blank")
    project = issue_ops.create_project(
        key=(key or "").strip().upper(), name=name, description=description.strip(), owner=actor
    )
    _log(project, actor, "created", f"{project.key} · {project.name}")
    return project


@transaction.atomic
def update_project(
    *, project: Project, actor: AbstractBaseUser, name: str, description: str
) -> Project:
    """Rename or describe a project; its key never changes."""
    require_admin(actor, project)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A project needs a name."}, code="blank")
    if len(name) > 100:
        raise ValidationError({"name": "A name is at most 100 characters."}, code="too_long")
    description = (description or "").strip()
    if len(description) > 2000:
        raise ValidationError(
            {"description": "A description is at most 2,000 characters."}, code="too_long"
        )
    changed = [
        f for f, v in (("name", name), ("description", description)) if getattr(project, f) != v
    ]
    if not changed:
        return project
    old_name = project.name
    project.name, project.description = name, description
    project.save(update_fields=changed)
    if "name" in changed:
        _log(project, actor, "renamed", f"{old_name} → {name}")
    if "description" in changed:
        _log(project, actor, "described", description)
    return project


@transaction.atomic
def archive_project(*, project: Project, actor: AbstractBaseUser) -> Project:
    """Make a project read-only and hide it from the switcher (its data stays)."""
    require_admin(actor, project, archived_ok=True)
    if project.archived_at is None:
        project.archived_at = timezone.now()
        project.save(update_fields=["archived_at"])
        _log(project, actor, "archived")
    return project


@transaction.atomic
def unarchive_project(*, project: Project, actor: AbstractBaseUser) -> Project:
    require_admin(actor, project, archived_ok=True)
    if project.archived_at is not None:
        project.archived_at = None
        project.save(update_fields=["archived_at"])
        _log(project, actor, "unarchived")
    return project


# Workflow ------------------------------------------------------------------------------------


@transaction.atomic
def add_status(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    category: str,
    color: str = "#8b949e",
    wip_limit: int | None = None,
) -> Status:
    """A new column at the end of the workflow."""
    require_admin(actor, project)
    _lock_workflow(project)
    last = project.statuses.aggregate(last=Max("position"))["last"]
    status = Status(
        project=project,
        name=_clean_name(name, "status"),
        category=category,
        color=color,
        wip_limit=wip_limit,
        position=0 if last is None else last + 1,
    )
    _check_status(status)
    status.save()
    _log(project, actor, "status_added", status.name)
    return status


@transaction.atomic
def update_status(
    *,
    status: Status,
    actor: AbstractBaseUser,
    name: str,
    category: str,
    color: str,
    wip_limit: int | None,
) -> Status:
    """Rename, recolour, recategorise a column or change its WIP limit."""
    project = status.project
    require_admin(actor, project)
    _lock_workflow(project)
    current = Status.objects.get(pk=status.pk)
    old_name, old_category = current.name, current.category
    current.name = _clean_name(name, "status")
    current.category, current.color, current.wip_limit = category, color, wip_limit
    _check_status(current)
    current.save(update_fields=["name", "category", "color", "wip_limit"])
    issue_ops.follow_category(status=current, old_category=old_category)
    detail = old_name if old_name == current.name else f"{old_name} → {current.name}"
    _log(project, actor, "status_changed", detail)
    return current


@transaction.atomic
def reorder_statuses(*, project: Project, actor: AbstractBaseUser, order: Sequence[int]) -> None:
    """Put the columns in `order` (every status id of the project, once)."""
    require_admin(actor, project)
    _lock_workflow(project)
    statuses = {status.pk: status for status in project.statuses.all()}
    if sorted(order) != sorted(statuses):
        raise ValidationError(
            "The workflow changed since this page was loaded: reload it and try again.",
            code="stale_workflow",
        )
    for position, pk in enumerate(order):
        statuses[pk].position = position
    Status.objects.bulk_update(statuses.values(), ["position"])
    names = ", ".join(statuses[pk].name for pk in order)
    _log(project, actor, "statuses_reordered", names)


def shift_status(*, status: Status, actor: AbstractBaseUser, offset: int) -> None:
    """Move a column `offset` places left (negative) or right: the keyboard's reorder."""
    order = list(status.project.statuses.values_list("pk", flat=True))
    index = order.index(status.pk)
    new_index = min(max(index + offset, 0), len(order) - 1)
    order.insert(new_index, order.pop(index))
    reorder_statuses(project=status.project, actor=actor, order=order)


@transaction.atomic
def choose_default_status(*, status: Status, actor: AbstractBaseUser) -> Status:
    """Make `status` the column where new issues land."""
    require_admin(actor, status.project)
    if status.is_default:
        return status
    issue_ops.set_default_status(status=status, actor=actor)
    _log(status.project, actor, "default_status", status.name)
    return status


@transaction.atomic
def delete_status(*, status: Status, actor: AbstractBaseUser, move_to: Status | None = None) -> int:
    """Delete a column; its issues, if any, first move to `move_to` (one event each).

    Refused for the default status and the last one; refused when it holds issues and
    `move_to` is not another status of the project. Returns how many issues moved.
    """
    project = status.project
    require_admin(actor, project)
    _lock_workflow(project)
    status = Status.objects.get(pk=status.pk)
    if status.is_default:
        raise ValidationError(
            f"“{status.name}” is where new issues land: make another status the default first.",
            code="default_status",
        )
    if project.statuses.count() == 1:
        raise ValidationError("A workflow needs at least one status.", code="empty_workflow")
    moved = 0
    count = status.issues.count()
    if count:
        if move_to is None:
            raise ValidationError(
                f"“{status.name}” holds {count} issue{'s' if count != 1 else ''}: "
                "choose the status they move to.",
                code="status_in_use",
            )
        moved = issue_ops.move_all_issues(from_status=status, to_status=move_to, actor=actor)
    status.delete()  # its transitions go with it
    detail = status.name + (f" ({moved} issues moved to {move_to.name})" if moved else "")
    _log(project, actor, "status_deleted", detail)
    return moved


@transaction.atomic
def set_transitions(
    *, project: Project, actor: AbstractBaseUser, allowed: Iterable[tuple[int, int]]
) -> list[tuple[Status, Status]]:
    """Replace the project's allowed moves by `allowed` (from id, to id) pairs.

    A status with no allowed move out allows every move. Returns the moves the new rule
    forbids, in workflow order, so that the page can say what was just ruled out.
    """
    require_admin(actor, project)
    _lock_workflow(project)
    statuses = list(project.statuses.all())
    by_id = {status.pk: status for status in statuses}
    pairs = set()
    for from_id, to_id in allowed:
        if from_id not in by_id or to_id not in by_id:
            raise ValidationError(
                "A transition names a status that is not in this project's workflow.",
                code="foreign_status",
            )
        if from_id != to_id:
            pairs.add((from_id, to_id))
    Transition.objects.filter(project=project).delete()
    Transition.objects.bulk_create(
        Transition(project=project, from_status_id=a, to_status_id=b) for a, b in sorted(pairs)
    )
    restricted = {a for a, _ in pairs}
    forbidden = [
        (a, b)
        for a in statuses
        if a.pk in restricted
        for b in statuses
        if b.pk != a.pk and (a.pk, b.pk) not in pairs
    ]
    rule = "; ".join(
        f"{a.name} → {', '.join(by_id[t].name for f, t in sorted(pairs) if f == a.pk)}"
        for a in statuses
        if a.pk in restricted
    )
    _log(project, actor, "transitions", rule or "every move allowed")
    return forbidden


# Labels --------------------------------------------------------------------------------------


@transaction.atomic
def add_label(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    color: str = "#8b949e",
    description: str = "",
) -> Label:
    require_admin(actor, project)
    _lock_project(project)
    label = Label(
        project=project,
        name=_clean_name(name, "label"),
        color=color,
        description=(description or "").strip(),
    )
    _check_label(label)
    label.save()
    _log(project, actor, "label_added", label.name)
    return label


@transaction.atomic
def update_label(
    *, label: Label, actor: AbstractBaseUser, name: str, color: str, description: str
) -> Label:
    project = label.project
    require_admin(actor, project)
    _lock_project(project)
    current = Label.objects.get(pk=label.pk)
    old_name = current.name
    current.name = _clean_name(name, "label")
    current.color, current.description = color, (description or "").strip()
    _check_label(current)
    current.save(update_fields=["name", "color", "description"])
    detail = old_name if old_name == current.name else f"{old_name} → {current.name}"
    _log(project, actor, "label_changed", detail)
    return current


@transaction.atomic
def delete_label(*, label: Label, actor: AbstractBaseUser) -> None:
    """Take the label off its issues (each logged; they keep their other labels), delete it."""
    issue_ops.delete_label(label=label, actor=actor)
    _log(label.project, actor, "label_deleted", label.name)


@transaction.atomic
def merge_labels(*, source: Label, target: Label, actor: AbstractBaseUser) -> int:
    """Give `source`'s issues the `target` label instead, then delete `source`.

    Returns how many issues changed; each gets its label events.
    """
    project = source.project
    require_admin(actor, project)
    if target.project_id != project.pk:
        raise ValidationError("Choose a label of this project.", code="foreign_label")
    if target.pk == source.pk:
        raise ValidationError("Choose another label to merge into.", code="same_label")
    result = issue_ops.bulk_update(
        issues=source.issues.select_related("project"),
        actor=actor,
        add_label=target,
        remove_label=source,
    )
    if result.refused:
        refused = "; ".join(f"{key}: {reason}" for key, reason in result.refused.items())
        raise ValidationError(f"“{source.name}” was not merged: {refused}", code="label_in_use")
    source.delete()
    _log(project, actor, "labels_merged", f"{source.name} → {target.name}")
    return len(result.changed)


# Members -------------------------------------------------------------------------------------


def find_user(who: str):
    """The active user with this username or e-mail address, or a ValidationError."""
    who = (who or "").strip()
    if not who:
        raise ValidationError({"who": "Enter a username or an e-mail address."}, code="blank")
    users = get_user_model().objects.filter(is_active=True)
    user = users.filter(username=who).first()
    if user is None and "@" in who:
        matches = list(users.filter(email__iexact=who)[:2])
        if len(matches) > 1:
            raise ValidationError(
                {"who": "Several accounts use this e-mail address: add the person by username."},
                code="ambiguous",
            )
        user = matches[0] if matches else None
    if user is None:
        raise ValidationError(
            {"who": f"No account is called “{who}”: invite them by e-mail instead."},
            code="no_account",
        )
    return user


@transaction.atomic
def add_member(
    *, project: Project, actor: AbstractBaseUser, user: AbstractBaseUser, role: str
) -> Membership:
    require_admin(actor, project)
    _check_role(role)
    _lock_project(project)
    if project.memberships.filter(user=user).exists():
        raise ValidationError(
            {"who": f"{user.get_username()} is already a member: change their role below."},
            code="already_member",
        )
    membership = issue_ops.add_member(project=project, user=user, role=role)
    _log(project, actor, "member_added", f"{user.get_username()} ({role})")
    return membership


@transaction.atomic
def change_role(*, membership: Membership, actor: AbstractBaseUser, role: str) -> Membership:
    project = membership.project
    require_admin(actor, project)
    _check_role(role)
    _lock_project(project)
    current = Membership.objects.select_related("user").get(pk=membership.pk)
    if current.role == role:
        return current
    if current.role == Role.ADMIN:
        _keep_an_admin(project, current, "demoted")
    old = current.role
    current.role = role
    current.save(update_fields=["role"])
    _log(project, actor, "role_changed", f"{current.user.get_username()}: {old} → {role}")
    return current


@transaction.atomic
def remove_member(*, membership: Membership, actor: AbstractBaseUser) -> int:
    """Remove someone from the project; their issues there become unassigned (each logged).

    Returns how many issues were unassigned.
    """
    project = membership.project
    require_admin(actor, project)
    _lock_project(project)
    current = Membership.objects.select_related("user").get(pk=membership.pk)
    if current.role == Role.ADMIN:
        _keep_an_admin(project, current, "removed")
    result = issue_ops.bulk_update(
        issues=Issue.objects.filter(project=project, assignee=current.user).select_related(
            "project"
        ),
        actor=actor,
        changes={"assignee": None},
    )
    if result.refused:
        refused = "; ".join(f"{key}: {reason}" for key, reason in result.refused.items())
        raise ValidationError(
            f"{current.user.get_username()} was not removed: {refused}", code="assigned"
        )
    current.delete()
    _log(project, actor, "member_removed", current.user.get_username())
    return len(result.changed)


# Invitations ---------------------------------------------------------------------------------


@transaction.atomic
def invite(
    *, project: Project, actor: AbstractBaseUser, email_address: str, role: str
) -> Invitation:
    """Invite someone by e-mail; the e-mail with its signed link is queued, not sent here."""
    require_admin(actor, project)
    _check_role(role)
    address = (email_address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            {"email": "Enter an e-mail address like name@example.com."}, code="invalid_email"
        ) from None
    _lock_project(project)
    if project.memberships.filter(user__email__iexact=address).exists():
        raise ValidationError(
            {"email": f"{address} already belongs to a member of {project.key}."},
            code="already_member",
        )
    if Invitation.objects.pending().filter(project=project, email__iexact=address).exists():
        raise ValidationError(
            {"email": f"{address} already has a pending invitation: revoke it to send a new one."},
            code="already_invited",
        )
    invitation = Invitation.objects.create(
        project=project, email=address, role=role, invited_by=actor
    )
    inviter = actor.get_full_name() or actor.get_username()
    email.send(
        to=address,
        subject=f"{inviter} invited you to {project.name} on Tracker",
        template="projects/email/invitation",
        context={
            "inviter": inviter,
            "project": project,
            "role": Role(role).label.lower(),
            "url": settings.SITE_URL.rstrip("/") + invitation_url(invitation),
            "days": INVITATION_DAYS,
        },
    )
    _log(project, actor, "invited", f"{address} ({role})")
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, actor: AbstractBaseUser) -> Invitation:
    require_admin(actor, invitation.project)
    current = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if current.accepted_at is not None:
        raise ValidationError(
            "That invitation was already accepted: remove the member instead.", code="accepted"
        )
    if current.revoked_at is None:
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        _log(current.project, actor, "invitation_revoked", current.email)
    return current


def invitation_url(invitation: Invitation) -> str:
    token = signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)
    return reverse("invitation", args=[token])


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link names; a ValidationError saying why not otherwise."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_DAYS * 86400)
    except signing.SignatureExpired:
        raise ValidationError(
            "This invitation has expired: ask for a new one.", code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError("This invitation link is not valid.", code="invalid") from None
    invitation = (
        Invitation.objects.select_related("project", "invited_by")
        .filter(pk=data.get("i"), email=data.get("e"))
        .first()
        if isinstance(data, dict)
        else None
    )
    if invitation is None:
        raise ValidationError("This invitation link is not valid.", code="invalid")
    state = invitation.state
    if state != "pending":
        message = {
            "accepted": "This invitation has already been used.",
            "revoked": "This invitation was revoked.",
            "expired": "This invitation has expired: ask for a new one.",
        }[state]
        raise ValidationError(message, code=state)
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the project with the invitation's role (an invitation works once)."""
    current = Invitation.objects.select_for_update().select_related("project").get(pk=invitation.pk)
    if current.state != "pending":
        raise ValidationError(f"This invitation is {current.state}.", code=current.state)
    project = current.project
    if project.memberships.filter(user=user).exists():
        raise ValidationError(f"You are already a member of {project.key}.", code="already_member")
    membership = issue_ops.add_member(project=project, user=user, role=current.role)
    current.accepted_at = timezone.now()
    current.accepted_by = user
    current.save(update_fields=["accepted_at", "accepted_by"])
    _log(project, user, "invitation_accepted", f"{current.email} as {user.get_username()}")
    return membership


# Helpers -------------------------------------------------------------------------------------


def _lock_project(project: Project) -> None:
    """Configuration changes of one project queue here (e.g. two admins demoting each other)."""
    Project.objects.select_for_update().filter(pk=project.pk).first()


def _lock_workflow(project: Project) -> None:
    """The project's statuses (by id), then the project: the order create_issue takes them
    in (its column, then the project's counter), so that the two never deadlock."""
    list(Status.objects.select_for_update().filter(project=project).order_by("pk"))
    _lock_project(project)


def _clean_name(name: str, what: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": f"A {what} needs a name."}, code="blank")
    if len(name) > 50:
        raise ValidationError({"name": f"A {what} name is at most 50 characters."}, code="too_long")
    return name


def _check_status(status: Status) -> None:
    if status.category not in StatusCategory.values:
        raise ValidationError({"category": "Choose a category."}, code="invalid_category")
    clash = status.project.statuses.filter(name__iexact=status.name).exclude(pk=status.pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"This workflow already has a status called “{clash.first().name}”."},
            code="duplicate",
        )
    status.full_clean(validate_constraints=False)


def _check_label(label: Label) -> None:
    clash = label.project.labels.filter(name__iexact=label.name).exclude(pk=label.pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"This project already has a label called “{clash.first().name}”."},
            code="duplicate",
        )
    label.full_clean(validate_constraints=False)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "Choose viewer, member or admin."}, code="invalid_role")


def _keep_an_admin(project: Project, membership: Membership, verb: str) -> None:
    admins = project.memberships.filter(role=Role.ADMIN).exclude(pk=membership.pk)
    if not admins.exists():
        raise ValidationError(
            f"{membership.user.get_username()} is the last admin of {project.key} and cannot be "
            f"{verb}: make someone else an admin first.",
            code="last_admin",
        )


def _log(project: Project, actor, action: str, detail: str = "") -> None:
    ProjectEvent.objects.create(project=project, actor=actor, action=action, detail=detail)
