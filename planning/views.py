"""The backlog with its sprints, and releases.

Every view asks `issues.access.project_for` first (404 for non-members, 403 below the role): a
fragment skips the page around it. Changes go through `planning.operations` and
`issues.operations`; a refusal answers 4xx with the sentence (in X-Error-Message for HTMX, as
a notice otherwise) and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from issues import operations as issue_ops
from issues.access import project_for
from issues.filters import IssueFilter, error_message, filter_menu
from issues.markdown import render_markdown
from issues.models import Issue, Kind, Priority, Project, StatusCategory

from . import backlog as queries
from . import notes, operations
from .models import Release, ReleaseState, Sprint, SprintState

BULK_LIMIT = 1000
DEFAULT_SPRINT_DAYS = 14


class Refused(Exception):
    """A request turned down with a sentence; nothing has been changed."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# The backlog ---------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@login_required
def backlog(request: HttpRequest, key: str) -> HttpResponse:
    """Open sprints as sections, then the backlog: unstarted issues in rank order."""
    project = project_for(request, key)
    context, status = _backlog_context(request, project, request.GET)
    template = "planning/backlog.html#sections" if request.htmx else "planning/backlog.html"
    return render(request, template, context, status=status)


@require_GET
@login_required
def backlog_rows(request: HttpRequest, key: str) -> HttpResponse:
    """The next rows of the backlog section ("Load more")."""
    project = project_for(request, key)
    offset = request.GET.get("offset", "")
    if not offset.isdigit() or int(offset) > 10_000_000:
        return _error(Refused("“offset” is a whole number."))
    filterset = IssueFilter(request.GET, request=request, project=project)
    if not filterset.is_valid():
        return _error(Refused(error_message(filterset)))
    rows, more = queries.page(project, filterset.qs, offset=int(offset))
    sprints = queries.open_sprints(project)
    query = _query(request.GET, offset=int(offset) + len(rows))
    context = {
        **_row_context(project, request.GET, sprints),
        "section": queries.Section(None, rows=rows, more=more),
        "rows": rows,
        "more_url": f"{reverse('planning:backlog_rows', args=[project.key])}?{query}",
    }
    queries.set_scores(rows, project)
    return render(request, "planning/backlog.html#more", context)


@require_POST
@login_required
def backlog_move(request: HttpRequest, key: str) -> HttpResponse:
    """Move one issue: a drag, or a "Move to…" button.

    `sprint` (an id, or empty for the backlog) is where it goes; without it, it stays in its
    section. It is placed after `after` or before `before` (issue numbers) when given, or at
    the `position` top or bottom of its section; else it keeps its rank.
    """
    project = project_for(request, key)
    data = request.POST
    try:
        _require_edit(project)
        numbers = _numbers(data, "issue", "after", "before")
        if "issue" not in numbers:
            raise Refused("Say which issue to move.")
        found = _issues(project, numbers.values())
        issue = found.get(numbers["issue"])
        if issue is None:
            raise Refused(f"{project.key}-{numbers['issue']} does not exist (anymore?).", 404)
        after, before = (
            found.get(numbers[n]) if n in numbers else None for n in ("after", "before")
        )
        if ("after" in numbers and after is None) or ("before" in numbers and before is None):
            raise Refused("The backlog is out of date: reload it and try again.", 409)
        if "sprint" in data:
            target = _sprint_choice(project, data.get("sprint", ""))
        else:
            target = issue.sprint if issue.sprint_id and issue.sprint.is_open else None
        position = data.get("position", "")
        if position and position not in ("top", "bottom"):
            raise Refused("Choose the top or the bottom.")
        if position and not (after or before):
            after, before = _section_end(project, issue, target, position)
        _run(
            operations.plan_issue,
            issue=issue,
            actor=request.user,
            sprint=target,
            after=after,
            before=before,
        )
    except Refused as refusal:
        return _refuse(request, project, refusal)
    where = target.name if target else "the backlog"
    message = f"Moved {issue.key} to {where}."
    if request.htmx and data.get("placed"):
        # A drag: the browser has put the row in place; only the sections' totals change.
        sprints = queries.open_sprints(project)
        context = {
            **_row_context(project, request.GET, sprints),
            "sections": _with_velocity(queries.totals(project, sprints), project),
            "announcement": message,
        }
        return render(request, "planning/backlog.html#moved", context)
    return _changed(request, project, message)


def _section_end(
    project: Project, issue: Issue, sprint: Sprint | None, position: str
) -> tuple[Issue | None, Issue | None]:
    """The neighbour that puts `issue` at the top (before the first) or the bottom (after the
    last) of a sprint's or the backlog's issues."""
    section = (
        Issue.objects.filter(project=project, sprint=sprint)
        if sprint
        else queries.backlog_issues(project)
    ).exclude(pk=issue.pk)
    edge = section.order_by("rank" if position == "top" else "-rank").first()
    if edge is None:
        return None, None
    return (None, edge) if position == "top" else (edge, None)


@require_POST
@login_required
def backlog_plan(request: HttpRequest, key: str) -> HttpResponse:
    """The selected issues (`issues`: numbers) into a sprint or the backlog, or ranked by
    their score (`action=rank_by_score`)."""
    project = project_for(request, key)
    try:
        _require_edit(project)
        numbers = [value for value in request.POST.getlist("issues") if value.isdigit()]
        if len(numbers) != len(request.POST.getlist("issues")) or not numbers:
            raise Refused("Select one or more issues first.")
        if len(numbers) > BULK_LIMIT:
            raise Refused(f"Select at most {BULK_LIMIT} issues at once.")
        issues = list(
            Issue.objects.filter(project=project, number__in=[int(n) for n in numbers])
            .select_related("project")
            .order_by("rank")
        )
        if len(issues) != len(set(numbers)):
            raise Refused("Some selected issues no longer exist: reload and try again.", 409)
        if request.POST.get("action") == "rank_by_score":
            moved = _run(
                operations.rank_by_score, project=project, actor=request.user, issues=issues
            )
            message = f"Ranked {len(issues)} issues by score ({moved} moved)."
        elif request.POST.get("action") == "set_release":
            value = request.POST.get("release", "")
            if value and (not value.isdigit() or int(value) > 2**62):
                raise Refused("Choose a release of this project.")
            release = _release(project, int(value)) if value else None
            result = _run(
                issue_ops.bulk_update,
                issues=issues,
                actor=request.user,
                changes={"release": release},
            )
            if result.refused:
                refused = "; ".join(f"{k}: {v}" for k, v in result.refused.items())
                raise Refused(f"Nothing was changed. {refused}")
            where = release.name if release else "no release"
            message = f"Set {len(result.changed)} issues to {where}."
        else:
            target = _sprint_choice(project, request.POST.get("sprint", ""))
            result = _run(operations.plan_issues, issues=issues, actor=request.user, sprint=target)
            if result.refused:
                refused = "; ".join(f"{k}: {v}" for k, v in result.refused.items())
                raise Refused(f"Nothing was moved. {refused}")
            where = target.name if target else "the backlog"
            message = f"Moved {len(result.changed)} issues to {where}."
    except Refused as refusal:
        return _refuse(request, project, refusal)
    return _changed(request, project, message)


# Sprints -------------------------------------------------------------------------------------


@require_POST
@login_required
def sprint_create(request: HttpRequest, key: str) -> HttpResponse:
    project = project_for(request, key)
    try:
        _require_edit(project)
        start, end = _date(request.POST, "start"), _date(request.POST, "end")
        sprint = _run(
            operations.create_sprint,
            project=project,
            actor=request.user,
            name=_text(request.POST, "name", 100),
            goal=_text(request.POST, "goal", 2000),
            start=start,
            end=end,
        )
    except Refused as refusal:
        return _refuse(request, project, refusal)
    return _changed(request, project, f"Created {sprint.name}.")


@require_POST
@login_required
def sprint_edit(request: HttpRequest, key: str, sprint_id: int) -> HttpResponse:
    project = project_for(request, key)
    try:
        _require_edit(project)
        sprint = _sprint(project, sprint_id)
        changes = {
            "name": _text(request.POST, "name", 100),
            "goal": _text(request.POST, "goal", 2000),
        }
        if sprint.is_open:
            changes.update(start=_date(request.POST, "start"), end=_date(request.POST, "end"))
        _run(operations.update_sprint, sprint=sprint, actor=request.user, changes=changes)
    except Refused as refusal:
        return _refuse(request, project, refusal)
    return _changed(request, project, f"Saved {changes['name']}.")


@require_POST
@login_required
def sprint_start(request: HttpRequest, key: str, sprint_id: int) -> HttpResponse:
    project = project_for(request, key)
    try:
        _require_edit(project)
        sprint = _run(
            operations.start_sprint,
            sprint=_sprint(project, sprint_id),
            actor=request.user,
            start=_date(request.POST, "start"),
            end=_date(request.POST, "end"),
        )
    except Refused as refusal:
        return _refuse(request, project, refusal)
    return _changed(request, project, f"Started {sprint.name}.")


@require_POST
@login_required
def sprint_complete(request: HttpRequest, key: str, sprint_id: int) -> HttpResponse:
    """Close the active sprint; unfinished issues to `move_to` (a planned sprint) or back to
    the backlog (empty)."""
    project = project_for(request, key)
    try:
        _require_edit(project)
        sprint = _sprint(project, sprint_id)
        move_to = _sprint_choice(project, request.POST.get("move_to", ""))
        _run(operations.complete_sprint, sprint=sprint, actor=request.user, move_to=move_to)
    except Refused as refusal:
        return _refuse(request, project, refusal)
    where = move_to.name if move_to else "the backlog"
    return _changed(
        request, project, f"Completed {sprint.name}; unfinished issues went to {where}."
    )


@require_POST
@login_required
def sprint_delete(request: HttpRequest, key: str, sprint_id: int) -> HttpResponse:
    project = project_for(request, key)
    try:
        _require_edit(project)
        sprint = _sprint(project, sprint_id)
        _run(operations.delete_sprint, sprint=sprint, actor=request.user)
    except Refused as refusal:
        return _refuse(request, project, refusal)
    return _changed(request, project, f"Deleted {sprint.name}; its issues are back in the backlog.")


# Releases ------------------------------------------------------------------------------------


@require_GET
@login_required
def releases(request: HttpRequest, key: str) -> HttpResponse:
    """The project's versions: unreleased ones (by target date) then released ones, newest
    first, each with its progress."""
    return _releases_page(request, project_for(request, key))


def _releases_page(request: HttpRequest, project: Project, status: int = 200) -> HttpResponse:
    rows = list(
        Release.objects.filter(project=project)
        .annotate(
            total=Count("issues"),
            done=Count("issues", filter=Q(issues__status__category__in=StatusCategory.closed())),
        )
        .order_by("-state", F("target_date").asc(nulls_last=True), F("release_date").desc(), "-id")
    )
    context = {"project": project, "releases": rows, "nav_section": "releases"}
    return render(request, "planning/releases.html", context, status=status)


@require_GET
@login_required
def release_detail(request: HttpRequest, key: str, release_id: int) -> HttpResponse:
    project = project_for(request, key)
    try:
        release = _release(project, release_id)
    except Refused as refusal:
        raise Http404(refusal.message) from None
    return render(request, "planning/release.html", _release_context(project, release))


@require_GET
@login_required
def release_notes(request: HttpRequest, key: str, release_id: int) -> HttpResponse:
    """The notes as Markdown, to copy into a changelog or an announcement."""
    project = project_for(request, key)
    try:
        release = _release(project, release_id)
    except Refused as refusal:
        raise Http404(refusal.message) from None
    text = release.notes or notes.generate(release)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{project.key}-{release.pk}-notes.md"'
    return response


@require_POST
@login_required
def release_create(request: HttpRequest, key: str) -> HttpResponse:
    project = project_for(request, key)
    try:
        _require_edit(project)
        release = _run(
            operations.create_release,
            project=project,
            actor=request.user,
            name=_text(request.POST, "name", 50),
            description=_text(request.POST, "description", 5000),
            target_date=_date(request.POST, "target_date"),
        )
    except Refused as refusal:
        return _release_refused(request, project, None, refusal)
    messages.success(request, f"Created {release.name}.")
    return redirect(release.get_absolute_url())


@require_POST
@login_required
def release_edit(request: HttpRequest, key: str, release_id: int) -> HttpResponse:
    """Rename, describe and retarget a version; edit its notes (a released one's only)."""
    project = project_for(request, key)
    release = None
    try:
        _require_edit(project)
        release = _release(project, release_id)
        if "notes" in request.POST:
            changes = {"notes": _text(request.POST, "notes", 50_000)}
        else:
            changes = {
                "name": _text(request.POST, "name", 50),
                "description": _text(request.POST, "description", 5000),
                "target_date": _date(request.POST, "target_date"),
            }
        _run(operations.update_release, release=release, actor=request.user, changes=changes)
    except Refused as refusal:
        return _release_refused(request, project, release, refusal)
    messages.success(request, "Saved.")
    return redirect(release.get_absolute_url())


@require_POST
@login_required
def release_release(request: HttpRequest, key: str, release_id: int) -> HttpResponse:
    """Release: refused while issues are open, unless `move_open_to` names another unreleased
    version of the project for them."""
    project = project_for(request, key)
    release = None
    try:
        _require_edit(project)
        release = _release(project, release_id)
        target = request.POST.get("move_open_to", "")
        move_to = None
        if target:
            if not target.isdigit() or int(target) > 2**62:
                raise Refused("Choose another release of this project.")
            move_to = _release(project, int(target))
        released = _run(
            operations.release_version,
            release=release,
            actor=request.user,
            move_open_to=move_to,
            release_date=_date(request.POST, "release_date"),
            include_internal=request.POST.get("include_internal") == "on",
        )
    except Refused as refusal:
        return _release_refused(request, project, release, refusal)
    messages.success(request, f"Released {released.name}: its notes are ready.")
    return redirect(released.get_absolute_url())


def _release_context(project: Project, release: Release, **extra) -> dict:
    issues = list(
        release.issues.select_related("status", "assignee")
        .prefetch_related("labels")
        .defer("description")
        .order_by("rank")
    )
    done = [i for i in issues if i.status.category in StatusCategory.closed()]
    open_issues = [i for i in issues if i.status.category not in StatusCategory.closed()]
    points = sum(i.estimate or 0 for i in issues)
    done_points = sum(i.estimate or 0 for i in done)
    text = release.notes if release.is_released else notes.generate(release)
    others = Release.objects.filter(project=project, state=ReleaseState.UNRELEASED).exclude(
        pk=release.pk
    )
    return {
        "project": project,
        "release": release,
        "nav_section": "releases",
        "groups": [("Open", open_issues), ("Done", done)],
        "total": len(issues),
        "done_count": len(done),
        "percent": round(100 * len(done) / len(issues)) if issues else 0,
        "points": points,
        "done_points": done_points,
        "open_count": len(open_issues),
        "notes_text": text,
        "notes_html": render_markdown(text, project),
        "other_releases": list(others),
        "today": timezone.localdate(),
        "events": list(release.events.select_related("actor").order_by("-created_at")[:20]),
        **extra,
    }


def _release_refused(
    request: HttpRequest, project: Project, release: Release | None, refusal: Refused
) -> HttpResponse:
    messages.error(request, refusal.message)
    if release is None:
        return _releases_page(request, project, refusal.status)
    context = _release_context(project, release)
    return render(request, "planning/release.html", context, status=refusal.status)


# Building the page ---------------------------------------------------------------------------


def _backlog_context(request: HttpRequest, project: Project, params: QueryDict) -> tuple[dict, int]:
    filterset = IssueFilter(params, request=request, project=project)
    errors = []
    if filterset.is_valid():
        filtered = filterset.qs
    else:
        errors.append(error_message(filterset))
        filtered = Issue.objects.filter(project=project)
    sprints = queries.open_sprints(project)
    sections = _with_velocity(queries.sections(project, filtered, sprints), project)
    for section in sections:
        queries.set_scores(section.rows, project)
    velocity = sections[0].velocity
    backlog_section = sections[-1]
    query = _query(params, offset=len(backlog_section.rows))
    context = {
        **_row_context(project, params, sprints),
        "sections": sections,
        "velocity": velocity,
        "errors": errors,
        "filterset": filterset,
        "filtered": filterset.is_bound and filterset.active,
        "filter_menus": [
            filter_menu(params, "kind", "Kind", Kind.choices),
            filter_menu(
                params, "priority", "Priority", [(p.slug, p.label) for p in reversed(Priority)]
            ),
        ],
        "nav_section": "backlog",
        "backlog_url": reverse("planning:backlog", args=[project.key]),
        "more_url": f"{reverse('planning:backlog_rows', args=[project.key])}?{query}",
        "unreleased": list(
            Release.objects.filter(project=project, state=ReleaseState.UNRELEASED).only("name")
        ),
        "new_sprint_name": _next_sprint_name(project),
    }
    return context, 400 if errors else 200


def _with_velocity(sections: list[queries.Section], project: Project) -> list[queries.Section]:
    """Each sprint's committed points against the velocity (a bar, red when over)."""
    velocity = operations.velocity(project)
    for section in sections:
        section.velocity = velocity
        section.over = bool(velocity is not None and section.sprint and section.points > velocity)
        if velocity and section.sprint:
            section.fill = min(round(100 * section.points / velocity), 100)
    return sections


def _row_context(project: Project, params: QueryDict, sprints: list[Sprint]) -> dict:
    """What every row's "Move to…" menu and every section's header need."""
    query = params.urlencode()
    today = timezone.localdate()
    return {
        "planned": [sprint for sprint in sprints if sprint.state == SprintState.PLANNED],
        "today": today,
        "default_end": today + datetime.timedelta(days=DEFAULT_SPRINT_DAYS - 1),
        "project": project,
        "targets": sprints,
        "move_action": _with_query(reverse("planning:backlog_move", args=[project.key]), query),
        "plan_action": _with_query(reverse("planning:backlog_plan", args=[project.key]), query),
        "query": query,
        "scoring_model": project.get_scoring_model_display(),
    }


def _next_sprint_name(project: Project) -> str:
    count = Sprint.objects.filter(project=project).count()
    name = f"{project.key} Sprint {count + 1}"
    while Sprint.objects.filter(project=project, name__iexact=name).exists():
        count += 1
        name = f"{project.key} Sprint {count + 1}"
    return name


def _changed(request: HttpRequest, project: Project, message: str) -> HttpResponse:
    """After a change: HTMX gets the sections again (and the announcement); a form post is
    redirected back to the backlog with its filters."""
    params = QueryDict(request.GET.urlencode())
    if not request.htmx:
        messages.success(request, message)
        return redirect(
            _with_query(reverse("planning:backlog", args=[project.key]), params.urlencode())
        )
    context, _ = _backlog_context(request, project, params)
    context["announcement"] = message
    return render(request, "planning/backlog.html#sections", context)


def _query(params: QueryDict, **changes) -> str:
    query = params.copy()
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


# Input and refusals --------------------------------------------------------------------------


def _require_edit(project: Project) -> None:
    if not project.can_edit:
        raise Refused(f"You need the member role in {project.key} to plan.", 403)


def _numbers(data: QueryDict, *names: str) -> dict[str, int]:
    numbers = {}
    for name in names:
        value = data.get(name, "")
        if value == "":
            continue
        if not value.isdigit() or int(value) > 2**31:
            raise Refused(f"“{value[:20]}” is not an issue number.")
        numbers[name] = int(value)
    return numbers


def _issues(project: Project, numbers) -> dict[int, Issue]:
    found = (
        Issue.objects.filter(project=project, number__in=set(numbers))
        .select_related("sprint")
        .order_by()
    )
    result = {issue.number: issue for issue in found}
    for issue in result.values():
        issue.project = project
    return result


def _sprint(project: Project, sprint_id: int) -> Sprint:
    sprint = Sprint.objects.filter(project=project, pk=sprint_id).first()
    if sprint is None:
        raise Refused("That sprint is not in this project.", 404)
    sprint.project = project
    return sprint


def _sprint_choice(project: Project, value: str) -> Sprint | None:
    """`value` names a sprint of the project by id; empty means the backlog."""
    if value in ("", "backlog"):
        return None
    if not value.isdigit() or int(value) > 2**62:
        raise Refused("Choose a sprint of this project, or the backlog.")
    return _sprint(project, int(value))


def _release(project: Project, release_id: int) -> Release:
    release = Release.objects.filter(project=project, pk=release_id).first()
    if release is None:
        raise Refused("That release is not in this project.", 404)
    release.project = project
    return release


def _date(data: QueryDict, name: str) -> datetime.date | None:
    value = data.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10]) if len(value) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str):
    raise Refused(f"The {name} date is not a date (YYYY-MM-DD).")


def _text(data: QueryDict, name: str, limit: int) -> str:
    value = data.get(name, "")
    if "\x00" in value:
        raise Refused(f"The {name} contains a character that cannot be stored.")
    if len(value) > limit:
        raise Refused(f"The {name} is at most {limit} characters.")
    return value


def _run(operation: Callable, **kwargs):
    """Call an operation, turning its refusals into `Refused` with an HTTP status."""
    try:
        return operation(**kwargs)
    except PermissionDenied as error:
        raise Refused(str(error) or "You may not do this.", 403) from error
    except ValidationError as error:
        status = 409 if getattr(error, "code", None) in {"stale_board", "conflict"} else 400
        raise Refused(" ".join(error.messages), status) from error


def _error(refusal: Refused) -> HttpResponse:
    response = HttpResponse(refusal.message, status=refusal.status, content_type="text/plain")
    response["X-Error-Message"] = quote(refusal.message)
    return response


def _refuse(request: HttpRequest, project: Project, refusal: Refused) -> HttpResponse:
    if request.htmx:
        return _error(refusal)
    messages.error(request, refusal.message)
    context, _ = _backlog_context(request, project, QueryDict(request.GET.urlencode()))
    return render(request, "planning/backlog.html", context, status=refusal.status)
