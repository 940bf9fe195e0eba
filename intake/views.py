"""Intake's pages inside a project: customer requests on the issue page, publishing, merging,
triage, and the project's intake settings (keys, portal).

Every view asks `issues.access.project_for` first; changes go through `intake.operations` and
`issues.operations`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from issues import operations as issue_operations
from issues.access import project_for
from issues.models import Issue, Role, StatusCategory

from . import operations, portal
from .forms import KeyForm, PortalForm, RequestForm
from .models import Channel, IntakeKey, KeyKind, Portal, Request


def _issue(project, number: int) -> Issue:
    issue = get_object_or_404(
        Issue.objects.select_related("status"), project=project, number=number
    )
    issue.project = project
    return issue


def _refusal(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _form_message(form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


@require_POST
@login_required
def request_add(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """ "Add a customer request": a member counts a customer's ask on their behalf."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _issue(project, number)
    form = RequestForm(request.POST)
    problem = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            requester = operations.requester_for(
                email=data["email"], name=data["name"], company=data["company"]
            )
            operations.add_request(
                issue=issue,
                requester=requester,
                channel=Channel.MEMBER,
                actor=request.user,
                source=data["source"],
                words=data["words"],
                external_url=data["external_url"],
            )
        except ValidationError as error:
            problem = _refusal(error)
    else:
        problem = _form_message(form)
    if problem:
        messages.error(request, f"The request was not added. {problem}")
        return HttpResponseRedirect(f"{issue.get_absolute_url()}#customer-requests", status=303)
    messages.success(request, f"Counted {requester.display_name}'s request.")
    return HttpResponseRedirect(f"{issue.get_absolute_url()}#customer-requests", status=303)


@require_POST
@login_required
def publish(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Show the issue on the project's portal (public=1) or take it off (public=0)."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _issue(project, number)
    value = request.POST.get("public")
    if value not in ("0", "1"):
        return HttpResponse("public: send 1 to publish, 0 to unpublish.", status=400)
    issue_operations.update_issue(issue=issue, actor=request.user, changes={"public": value == "1"})
    word = "Published" if value == "1" else "Unpublished"
    messages.success(request, f"{word} {issue.key}.")
    return HttpResponseRedirect(_next(request, issue.get_absolute_url()), status=303)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    # Only a path of this site: never an open redirect.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# Intake settings: keys (and the portal) ---------------------------------------------------------


@require_GET
@login_required
def intake_settings(request: HttpRequest, key: str) -> HttpResponse:
    """The project's intake keys and portal (project admins)."""
    project = project_for(request, key, minimum=Role.ADMIN)
    return _render_settings(request, project, KeyForm())


@never_cache  # The page shows a new key once: no cache may keep it.
@require_POST
@login_required
def key_create(request: HttpRequest, key: str) -> HttpResponse:
    project = project_for(request, key, minimum=Role.ADMIN)
    form = KeyForm(request.POST)
    if form.is_valid():
        try:
            intake_key, raw = operations.create_key(
                project=project, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, _refusal(error))
        else:
            context = {"new_key": intake_key, "new_raw": raw}
            return _render_settings(request, project, KeyForm(), status=201, **context)
    return _render_settings(request, project, form, status=422)


@require_POST
@login_required
def key_revoke(request: HttpRequest, key: str, key_id: int) -> HttpResponse:
    project = project_for(request, key, minimum=Role.ADMIN)
    intake_key = get_object_or_404(IntakeKey, pk=key_id, project=project)
    intake_key.project = project
    operations.revoke_key(key=intake_key, actor=request.user)
    messages.success(request, f"Revoked “{intake_key.name}”: it no longer works.")
    return HttpResponseRedirect(reverse("intake:settings", args=[project.key]), status=303)


@require_POST
@login_required
def portal_settings(request: HttpRequest, key: str) -> HttpResponse:
    """Turn the portal on or off; full or submit-only; public or private."""
    project = project_for(request, key, minimum=Role.ADMIN)
    form = PortalForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            operations.configure_portal(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            problem = _refusal(error)
    else:
        problem = _form_message(form)
    if problem:
        return _render_settings(
            request, project, KeyForm(), status=422, portal_form=form, portal_error=problem
        )
    messages.success(request, "Portal settings saved.")
    return HttpResponseRedirect(reverse("intake:settings", args=[project.key]), status=303)


def _render_settings(request, project, form, *, status: int = 200, **extra) -> HttpResponse:
    keys = list(project.intake_keys.select_related("created_by"))
    portal = Portal.objects.filter(project=project).first() or Portal(project=project)
    context = {
        "portal": portal,
        "portal_form": PortalForm(
            initial={
                "enabled": portal.enabled,
                "mode": portal.mode,
                "private": portal.private,
                "allowed_domains": portal.allowed_domains,
                "title": portal.title,
            }
        ),
        "portal_url": settings.SITE_URL + reverse("intake_public:portal", args=[project.key]),
        "project": project,
        "nav_section": "intake",
        "form": form,
        "secret_keys": [k for k in keys if k.kind == KeyKind.SECRET],
        "publishable_keys": [k for k in keys if k.kind == KeyKind.PUBLISHABLE],
        "api_url": settings.SITE_URL + reverse("intake_public:api", args=[project.key]),
        **extra,
    }
    return render(request, "intake/settings.html", context, status=status)


@require_GET
@login_required
def docs(request: HttpRequest, key: str) -> HttpResponse:
    """How to send issues to this project from a support tool or a script."""
    project = project_for(request, key)
    context = {
        "project": project,
        "nav_section": "intake",
        "api_url": settings.SITE_URL + reverse("intake_public:api", args=[project.key]),
        "widget_url": settings.SITE_URL + static("intake/widget.js"),
        "widget_api_url": settings.SITE_URL + reverse("intake_public:widget", args=[project.key]),
    }
    return render(request, "intake/docs.html", context)


# Triage ----------------------------------------------------------------------------------------

TRIAGE_PAGE = 20


@require_GET
@login_required
def triage(request: HttpRequest, key: str) -> HttpResponse:
    """What came in, oldest first, each with its look-alikes: merge, accept, decline, publish."""
    project = project_for(request, key)
    queue = (
        Issue.objects.filter(project=project, status__category=StatusCategory.TRIAGE)
        .select_related("status")
        .only("number", "title", "source", "demand", "public", "created_at", "status__name")
        .order_by("created_at", "pk")
    )
    page = Paginator(queue, TRIAGE_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    words = {}
    for ask in (
        Request.objects.filter(issue__in=rows)
        .exclude(words="")
        .select_related("requester")
        .order_by("issue_id", "created_at")
    ):
        words.setdefault(ask.issue_id, ask)
    for issue in rows:
        issue.project = project
        issue.first_words = words.get(issue.pk)
        issue.similar = portal.similar(project, issue.title, public_only=False, exclude=issue.pk)
    context = {
        "project": project,
        "nav_section": "intake",
        "page": page,
        "rows": rows,
        "triage_url": reverse("intake:triage", args=[project.key]),
    }
    return render(request, "intake/triage.html", context)


@require_POST
@login_required
def merge(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Merge this issue into `primary` (a number of the same project)."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _issue(project, number)
    primary_number = request.POST.get("primary", "")
    primary = None
    if primary_number.isdigit() and len(primary_number) < 10:
        primary = Issue.objects.filter(project=project, number=int(primary_number)).first()
    if primary is None:
        return HttpResponse("primary: the number of an issue of this project.", status=400)
    primary.project = project
    try:
        issue_operations.merge_issue(duplicate=issue, primary=primary, actor=request.user)
    except ValidationError as error:
        messages.error(request, f"{issue.key} was not merged: {_refusal(error)}")
        return HttpResponseRedirect(_next(request, issue.get_absolute_url()), status=303)
    messages.success(request, f"Merged {issue.key} into {primary.key}.")
    return HttpResponseRedirect(_next(request, issue.get_absolute_url()), status=303)


@require_POST
@login_required
def accept(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Accept an issue from triage into the backlog (published too, with publish=1)."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _issue(project, number)
    return _decide(request, issue, StatusCategory.BACKLOG, "Accepted {} into {}.")


@require_POST
@login_required
def decline(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Decline: to the canceled status; with a note, each requester gets it, kindly worded."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _issue(project, number)
    note = request.POST.get("note", "")
    if len(note) > operations.MAX_TEXT:
        return HttpResponse(f"note: at most {operations.MAX_TEXT:,} characters.", status=400)
    return _decide(request, issue, StatusCategory.CANCELED, "Declined {} ({}).", note=note)


def _decide(request, issue: Issue, category: str, done: str, note: str = "") -> HttpResponse:
    target = issue.project.statuses.filter(category=category).order_by("position").first()
    back = _next(request, issue.get_absolute_url())
    if target is None:
        messages.error(request, f"{issue.project.key} has no {category} status.")
        return HttpResponseRedirect(back, status=303)
    try:
        with transaction.atomic():
            issue_operations.move_issue(issue=issue, actor=request.user, status=target)
            if request.POST.get("publish") == "1":
                issue_operations.update_issue(
                    issue=issue, actor=request.user, changes={"public": True}
                )
            told = operations.tell_declined(issue=issue, note=note) if note.strip() else 0
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, f"{issue.key} was not changed: {_refusal(error)}")
        return HttpResponseRedirect(back, status=303)
    message = done.format(issue.key, target.name)
    if told:
        message += f" Sent your note to {told} requester{'s' if told != 1 else ''}."
    messages.success(request, message)
    return HttpResponseRedirect(back, status=303)
