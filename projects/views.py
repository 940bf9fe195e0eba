"""Project settings (general, workflow, transitions, labels, members), creating a project,
and accepting an invitation.

Settings are for the project's admins: `access.project_for(..., Role.ADMIN)` answers 404 to
non-members and 403 to members and viewers, before anything else. Every change is a POST to
its own URL that calls `projects.operations`; a refusal re-renders the section with the
sentence next to the form that caused it (400, or 403 for an archived project), nothing changed.
Pages are plain forms: everything works without JavaScript (the workflow's drag is a shortcut
for its Move left / Move right buttons).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from issues.access import project_for
from issues.models import Project, Role, StatusCategory
from tracker.inputs import BIGINT_MAX, whole_number

from . import operations
from .forms import (
    DeleteStatusForm,
    InviteForm,
    LabelForm,
    MemberForm,
    MergeLabelForm,
    NewProjectForm,
    ProjectForm,
    RoleForm,
    StatusForm,
    first_error,
)
from .models import Invitation

SECTIONS = [
    ("general", "General"),
    ("workflow", "Workflow"),
    ("transitions", "Transitions"),
    ("labels", "Labels"),
    ("members", "Members"),
]
EVENTS_SHOWN = 15


class Refusal(Exception):
    """A form that did not validate: its sentence, shown like an operation's refusal."""


def _admin_project(request: HttpRequest, key: str) -> Project:
    return project_for(request, key, Role.ADMIN, archived_ok=True)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


def _page(
    request: HttpRequest,
    project: Project,
    section: str,
    *,
    status: int = 200,
    refusal: dict[str, str] | None = None,
) -> HttpResponse:
    refusal = refusal or {}
    target = refusal.get("target", "")
    context: dict[str, Any] = {
        "project": project,
        "section": section,
        "sections": SECTIONS,
        "refusal": refusal,
        # What the refused form sent, to show it again: posted.add_status.name, …
        "posted": {target.replace("-", "_"): request.POST} if target else {},
        "nav_section": "settings",
        "categories": StatusCategory.choices,
        "roles": Role.choices,
    }
    statuses = _anchored(
        request, "status", project.statuses.annotate(issue_count=Count("issues")), target
    )
    context["statuses"] = statuses
    if section == "general":
        context["events"] = project.events.select_related("actor")[:EVENTS_SHOWN]
    elif section == "transitions":
        allowed = set(project.transitions.values_list("from_status_id", "to_status_id"))
        restricted = {a for a, _ in allowed}
        context["grid"] = [
            {
                "status": a,
                "restricted": a.pk in restricted,
                "cells": [
                    {"to": b, "checked": (a.pk, b.pk) in allowed, "same": a.pk == b.pk}
                    for b in statuses
                ],
            }
            for a in statuses
        ]
        context["forbidden"] = [
            (a, b)
            for a in statuses
            if a.pk in restricted
            for b in statuses
            if b.pk != a.pk and (a.pk, b.pk) not in allowed
        ]
    elif section == "labels":
        context["labels"] = _anchored(
            request, "label", project.labels.annotate(issue_count=Count("issues")), target
        )
    elif section == "members":
        context["memberships"] = _anchored(
            request,
            "member",
            project.memberships.select_related("user").order_by("user__username"),
            target,
            key="user_id",
        )
        context["admin_count"] = sum(m.role == Role.ADMIN for m in context["memberships"])
        context["invitations"] = (
            Invitation.objects.pending().filter(project=project).select_related("invited_by")
        )
    return render(request, f"projects/settings_{section}.html", context, status=status)


def _anchored(request, prefix: str, rows, target: str, key: str = "pk") -> list:
    """Rows with their element id (`anchor`) and, on the refused one, what was sent."""
    rows = list(rows)
    for row in rows:
        row.anchor = f"{prefix}-{getattr(row, key)}"
        row.posted = request.POST if row.anchor == target else None
    return rows


def _run(
    request: HttpRequest,
    project: Project,
    section: str,
    target: str,
    change: Callable[[], Any],
    success: str | Callable[[Any], str],
) -> HttpResponse:
    """Make a change; on success back to the section with a notice, else the sentence."""
    try:
        outcome = change()
    except (ValidationError, PermissionDenied, Refusal) as error:
        status = 403 if isinstance(error, PermissionDenied) else 400
        refusal = {"target": target, "message": _message(error)}
        return _page(request, project, section, status=status, refusal=refusal)
    messages.success(request, success(outcome) if callable(success) else success)
    return redirect(reverse(f"projects:{section}", args=[project.key]) + f"#{target}")


def _valid(form) -> dict[str, Any]:
    if not form.is_valid():
        raise Refusal(first_error(form))
    return form.cleaned_data


# Sections ------------------------------------------------------------------------------------


@require_GET
@login_required
def general(request: HttpRequest, key: str) -> HttpResponse:
    return _page(request, _admin_project(request, key), "general")


@require_GET
@login_required
def workflow(request: HttpRequest, key: str) -> HttpResponse:
    return _page(request, _admin_project(request, key), "workflow")


@require_http_methods(["GET", "POST"])
@login_required
def transitions(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)
    if request.method == "GET":
        return _page(request, project, "transitions")

    def change():
        pairs = []
        for value in request.POST.getlist("allow"):
            try:
                from_id, to_id = (int(part) for part in value.split("-"))
            except ValueError:
                raise Refusal("The grid sent a move it does not have: reload the page.") from None
            pairs.append((from_id, to_id))
        return operations.set_transitions(project=project, actor=request.user, allowed=pairs)

    def said(forbidden) -> str:
        if not forbidden:
            return "Saved: every move between statuses is allowed."
        moves = ", ".join(f"{a.name} → {b.name}" for a, b in forbidden[:8])
        more = f" and {len(forbidden) - 8} more" if len(forbidden) > 8 else ""
        return f"Saved: {len(forbidden)} moves are now forbidden ({moves}{more})."

    return _run(request, project, "transitions", "grid", change, said)


@require_GET
@login_required
def labels(request: HttpRequest, key: str) -> HttpResponse:
    return _page(request, _admin_project(request, key), "labels")


@require_GET
@login_required
def members(request: HttpRequest, key: str) -> HttpResponse:
    return _page(request, _admin_project(request, key), "members")


# General -------------------------------------------------------------------------------------


@require_POST
@login_required
def general_save(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)

    def change():
        data = _valid(ProjectForm(request.POST))
        return operations.update_project(project=project, actor=request.user, **data)

    return _run(request, project, "general", "project", change, "Saved.")


@require_POST
@login_required
def archive(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)
    if request.POST.get("archived") == "0":
        return _run(
            request,
            project,
            "general",
            "archive",
            lambda: operations.unarchive_project(project=project, actor=request.user),
            f"{project.key} is active again.",
        )
    return _run(
        request,
        project,
        "general",
        "archive",
        lambda: operations.archive_project(project=project, actor=request.user),
        f"{project.key} is archived: read-only and hidden from the project switcher.",
    )


# Workflow ------------------------------------------------------------------------------------


@require_POST
@login_required
def status_add(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)

    def change():
        data = _valid(StatusForm(request.POST))
        return operations.add_status(project=project, actor=request.user, **data)

    return _run(request, project, "workflow", "add-status", change, lambda s: f"Added “{s.name}”.")


@require_POST
@login_required
def status_edit(request: HttpRequest, key: str, status_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    status = get_object_or_404(project.statuses, pk=status_id)

    def change():
        data = _valid(StatusForm(request.POST))
        return operations.update_status(status=status, actor=request.user, **data)

    return _run(
        request, project, "workflow", f"status-{status.pk}", change, lambda s: f"Saved “{s.name}”."
    )


@require_POST
@login_required
def status_order(request: HttpRequest, key: str) -> HttpResponse:
    """Either the whole order (`order`: ids, from a drag) or one step (`status`, `offset`)."""
    project = _admin_project(request, key)

    def change():
        if "order" in request.POST:
            order = [whole_number(pk) for pk in request.POST.get("order", "").split(",") if pk]
            if None in order:
                raise Refusal("Choose a status and a direction.")
            return operations.reorder_statuses(project=project, actor=request.user, order=order)
        status_id = whole_number(request.POST.get("status", ""), maximum=BIGINT_MAX)
        offset = {"-1": -1, "1": 1}.get(request.POST.get("offset", ""))
        status = project.statuses.filter(pk=status_id).first() if status_id is not None else None
        if status is None or offset is None:
            raise Refusal("Choose a status of this workflow and a direction.")
        return operations.shift_status(status=status, actor=request.user, offset=offset)

    return _run(request, project, "workflow", "statuses", change, "Order saved.")


@require_POST
@login_required
def status_default(request: HttpRequest, key: str, status_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    status = get_object_or_404(project.statuses, pk=status_id)
    return _run(
        request,
        project,
        "workflow",
        f"status-{status.pk}",
        lambda: operations.choose_default_status(status=status, actor=request.user),
        f"New issues now land in “{status.name}”.",
    )


@require_POST
@login_required
def status_delete(request: HttpRequest, key: str, status_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    status = get_object_or_404(project.statuses, pk=status_id)

    def change():
        data = _valid(DeleteStatusForm(request.POST, status=status))
        return operations.delete_status(status=status, actor=request.user, move_to=data["move_to"])

    def said(moved: int) -> str:
        if not moved:
            return f"Deleted “{status.name}”."
        return f"Deleted “{status.name}”; {moved} issue{'s' if moved != 1 else ''} moved."

    return _run(request, project, "workflow", f"status-{status.pk}", change, said)


# Labels --------------------------------------------------------------------------------------


@require_POST
@login_required
def label_add(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)

    def change():
        data = _valid(LabelForm(request.POST))
        return operations.add_label(project=project, actor=request.user, **data)

    return _run(request, project, "labels", "add-label", change, lambda lb: f"Added “{lb.name}”.")


@require_POST
@login_required
def label_edit(request: HttpRequest, key: str, label_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    label = get_object_or_404(project.labels, pk=label_id)

    def change():
        data = _valid(LabelForm(request.POST))
        return operations.update_label(label=label, actor=request.user, **data)

    return _run(
        request, project, "labels", f"label-{label.pk}", change, lambda lb: f"Saved “{lb.name}”."
    )


@require_POST
@login_required
def label_delete(request: HttpRequest, key: str, label_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    label = get_object_or_404(project.labels, pk=label_id)
    return _run(
        request,
        project,
        "labels",
        f"label-{label.pk}",
        lambda: operations.delete_label(label=label, actor=request.user),
        f"Deleted “{label.name}”; its issues keep their other labels.",
    )


@require_POST
@login_required
def label_merge(request: HttpRequest, key: str, label_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    label = get_object_or_404(project.labels, pk=label_id)
    into = None

    def change():
        nonlocal into
        into = _valid(MergeLabelForm(request.POST, label=label))["into"]
        return operations.merge_labels(source=label, target=into, actor=request.user)

    return _run(
        request,
        project,
        "labels",
        f"label-{label.pk}",
        change,
        lambda n: f"Merged “{label.name}” into “{into.name}” ({n} issue{'s' if n != 1 else ''}).",
    )


# Members -------------------------------------------------------------------------------------


@require_POST
@login_required
def member_add(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)

    def change():
        data = _valid(MemberForm(request.POST))
        user = operations.find_user(data["who"])
        return operations.add_member(
            project=project, actor=request.user, user=user, role=data["role"]
        )

    return _run(
        request,
        project,
        "members",
        "add-member",
        change,
        lambda m: f"Added {m.user.get_username()} as {Role(m.role).label.lower()}.",
    )


@require_POST
@login_required
def member_role(request: HttpRequest, key: str, user_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    membership = get_object_or_404(project.memberships.select_related("user"), user_id=user_id)

    def change():
        role = _valid(RoleForm(request.POST))["role"]
        return operations.change_role(membership=membership, actor=request.user, role=role)

    return _run(
        request,
        project,
        "members",
        f"member-{user_id}",
        change,
        lambda m: f"{m.user.get_username()} is now {Role(m.role).label.lower()}.",
    )


@require_POST
@login_required
def member_remove(request: HttpRequest, key: str, user_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    membership = get_object_or_404(project.memberships.select_related("user"), user_id=user_id)
    name = membership.user.get_username()

    def said(unassigned: int) -> str:
        extra = (
            f"; {unassigned} issue{'s' if unassigned != 1 else ''} unassigned" if unassigned else ""
        )
        return f"Removed {name} from {project.key}{extra}."

    return _run(
        request,
        project,
        "members",
        f"member-{user_id}",
        lambda: operations.remove_member(membership=membership, actor=request.user),
        said,
    )


@require_POST
@login_required
def invite(request: HttpRequest, key: str) -> HttpResponse:
    project = _admin_project(request, key)

    def change():
        data = _valid(InviteForm(request.POST))
        return operations.invite(
            project=project, actor=request.user, email_address=data["email"], role=data["role"]
        )

    return _run(
        request,
        project,
        "members",
        "invite",
        change,
        lambda inv: (
            f"Invitation e-mailed to {inv.email}; the link works for "
            f"{(inv.expires_at - inv.created_at).days} days."
        ),
    )


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, key: str, invitation_id: int) -> HttpResponse:
    project = _admin_project(request, key)
    invitation = get_object_or_404(project.invitations, pk=invitation_id)
    return _run(
        request,
        project,
        "members",
        "invitations",
        lambda: operations.revoke_invitation(invitation=invitation, actor=request.user),
        f"Revoked the invitation to {invitation.email}: its link no longer works.",
    )


# Outside a project ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Create a project (who may: settings.PROJECT_CREATION); the creator becomes its admin."""
    if not operations.may_create_projects(request.user):
        raise PermissionDenied("On this site only staff create projects: ask an administrator.")
    form = NewProjectForm(request.POST or None)
    error = ""
    if request.method == "POST":
        try:
            data = _valid(form)
            project = operations.start_project(actor=request.user, **data)
        except (ValidationError, Refusal) as refusal:
            error = _message(refusal)
        else:
            messages.success(
                request,
                f"Created {project.key} with the default workflow and labels; you are its admin.",
            )
            return redirect("projects:workflow", project.key)
    return render(
        request,
        "projects/project_new.html",
        {"form": form, "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: join with this account, sign in, or create an account."""
    try:
        invited = operations.invitation_from_token(token)
    except ValidationError as error:
        return render(request, "projects/invitation.html", {"invalid": _message(error)}, status=410)
    existing = get_user_model().objects.filter(email__iexact=invited.email, is_active=True)
    signup = None
    error = ""
    if not request.user.is_authenticated:
        signup = UserCreationForm(request.POST or None)
    if request.method == "POST":
        try:
            with transaction.atomic():
                if request.user.is_authenticated:
                    user = request.user
                else:
                    _valid(signup)
                    user = signup.save(commit=False)
                    user.email = invited.email
                    user.save()
                membership = operations.accept_invitation(invitation=invited, user=user)
        except (ValidationError, Refusal) as refusal:
            error = _message(refusal)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="accounts.backends.ProfileBackend")
            messages.success(
                request,
                f"Welcome to {invited.project.name}: you are a "
                f"{Role(membership.role).label.lower()}.",
            )
            return redirect("boards:board", invited.project.key)
    context = {
        "invitation": invited,
        "signup": signup,
        "has_account": existing.exists(),
        "error": error,
        "login_url": f"{reverse('login')}?next={request.path}",
    }
    return render(request, "projects/invitation.html", context, status=400 if error else 200)
