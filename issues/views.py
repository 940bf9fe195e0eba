"""Pages of the issues app: the project list, the issue list, create, detail, comments.

Every project view asks `access.project_for` first (404 for non-members, 403 below the role):
a fragment skips the page around it, so the check cannot live in a template. Changes go through
`issues.operations`; the views turn its refusals into 4xx answers with the message, next to the
control that caused them.
"""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import operations as notifications
from notifications.views import watch_state
from planning import scores
from projects.operations import may_create_projects
from tracker.inputs import BIGINT_MAX, whole_number

from . import operations
from .access import project_for
from .filters import ORDERING_FIELDS, IssueFilter, error_message, filter_menu
from .forms import (
    BULK_LIMIT,
    CHILD_KIND,
    PARENT_KINDS,
    PRIORITY_CHOICES,
    VALUE_CHOICES,
    BulkEditForm,
    CommentForm,
    IssueFieldForm,
    IssueForm,
    IssueTextForm,
    matching_parents,
    members_of,
    parent_choices,
)
from .markdown import IssueLinker
from .models import Comment, Confidence, Impact, Issue, Kind, Project, Role, Source, StatusCategory
from .templatetags.tracker import kind_icon, label_chip, priority_icon, reltime
from .workflow import allowed_moves, as_data, refusal_note, split_targets

PER_PAGE_CHOICES = (25, 50, 100, 200)
PER_PAGE = 50
# The list counts matching issues up to this many (and says "10,000+" beyond): an exact COUNT(*)
# over tens of thousands of matches costs more than the rest of the page.
COUNT_CAP = 10_000
# The Epic filter lists at most this many epics (open ones, and the chosen one).
EPIC_OPTIONS = 200
EPIC_TITLE_LENGTH = 40
# (ordering name from filters.ORDERING_FIELDS or None, heading) for the list's columns.
LIST_COLUMNS = [
    ("key", "Key"),
    ("title", "Title"),
    ("kind", "Kind"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("assignee", "Assignee"),
    (None, "Labels"),
    ("estimate", "Estimate"),
    ("score", "Score"),
    ("requests", "Requests"),
    ("updated", "Updated"),
]
ORDER_NAMES = {name for _, name in ORDERING_FIELDS}
PANEL_FIELDS = (
    "status",
    "assignee",
    "priority",
    "labels",
    "kind",
    "parent",
    "estimate",
    "source",
    "due_date",
    # Planning (sprints, releases, scores).
    "sprint",
    "release",
    "value",
    "reach",
    "impact",
    "confidence",
)
TEXT_FIELDS = ("title", "description")


@require_GET
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user).with_open_issue_count().order_by("key")
    return render(
        request,
        "issues/project_list.html",
        {"projects": projects, "may_create_projects": may_create_projects(request.user)},
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app and its database answer, 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# The list ------------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def issue_list(request: HttpRequest, key: str) -> HttpResponse:
    """Issues of a project as a table: the board's filters, ordering, pages, bulk edit.

    A search for exactly one of its keys (`WEB-42`, from the header's search box) opens that
    issue instead."""
    project = project_for(request, key)
    exact = _exact_key(project, request)
    if exact is not None:
        return redirect(exact.get_absolute_url())
    context = _list_context(request, project, request.GET)
    undo = None if request.htmx else _pending_undo(request, project)
    if undo is not None and not undo.get("shown"):
        # Back from a bulk change made without JavaScript: its Undo, offered once.
        undo["shown"] = True
        request.session.modified = True
        context.update(undo_token=undo["token"], undo_minutes=UNDO_SECONDS // 60)
    status = 400 if context["filter_error"] else 200
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "issues/issue_list.html#results", context, status=status)
    else:
        response = render(request, "issues/issue_list.html", context, status=status)
    if context["filter_error"]:
        response["X-Error-Message"] = quote(context["filter_error"])
    return response


EXACT_KEY = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)-(\d{1,9})\s*")


def _exact_key(project: Project, request: HttpRequest) -> Issue | None:
    """The issue a whole-page search names by its key alone (`?q=WEB-42`), if it exists."""
    if request.htmx or set(request.GET) != {"q"}:
        return None
    match = EXACT_KEY.fullmatch(request.GET["q"])
    if match is None or match.group(1).upper() != project.key.upper():
        return None
    issue = Issue.objects.filter(project=project, number=int(match.group(2))).first()
    if issue is not None:
        issue.project = project
    return issue


@require_POST
@login_required
def issue_bulk(request: HttpRequest, key: str) -> HttpResponse:
    """Apply one change to many issues; each that cannot change is reported by its key."""
    project = project_for(request, key, minimum=Role.MEMBER)
    form = BulkEditForm(request.POST, project=project)
    filters = QueryDict(request.POST.get("filters", "")[:4000])
    if not form.is_valid():
        return _bulk_refused(request, project, filters, _form_message(form))
    if form.cleaned_data["all_matching"]:
        filterset = IssueFilter(filters, request=request, project=project)
        if not filterset.is_valid():
            return _bulk_refused(request, project, filters, error_message(filterset))
        selected = filterset.qs
    else:
        selected = Issue.objects.filter(project=project, number__in=form.cleaned_data["issues"])
    # One more than the limit is enough to know it is exceeded; the count is only for the message.
    issues = list(
        Issue.objects.filter(pk__in=selected.values("pk"))
        .select_related("project", "status")
        .prefetch_related("labels")
        .order_by("number")[: BULK_LIMIT + 1]
    )
    if len(issues) > BULK_LIMIT:
        return _bulk_refused(
            request,
            project,
            filters,
            f"{selected.count()} issues match: change at most {BULK_LIMIT} at once "
            "(narrow the filters).",
        )
    changes = form.changes()
    status = changes.pop("status", None)
    add_label, remove_label = changes.pop("add_label", None), changes.pop("remove_label", None)
    touched = [*changes, *(["status"] if status is not None else [])]
    if add_label is not None or remove_label is not None:
        touched.append("labels")
    before = operations.bulk_before(issues, touched)
    results = []
    if changes or add_label or remove_label:
        results.append(
            operations.bulk_update(
                issues=issues,
                actor=request.user,
                changes=changes,
                add_label=add_label,
                remove_label=remove_label,
            )
        )
    if status is not None:
        results.append(operations.bulk_move(issues=issues, actor=request.user, status=status))
    changed: set[str] = set()
    refused: dict[str, list[str]] = {}
    for result in results:
        changed.update(issue.key for issue in result.changed)
        for issue_key, reason in result.refused.items():
            refused.setdefault(issue_key, []).append(reason)
    summary = {
        "changed": len(changed - set(refused)),
        "refused": sorted(
            ((k, " ".join(v)) for k, v in refused.items()), key=lambda item: _key_number(item[0])
        ),
    }
    done = [issue for issue in issues if issue.key in changed and issue.key not in refused]
    summary["undo"] = _remember_bulk(request, project, done, before)
    return _bulk_answer(
        request, project, filters, summary, summary["changed"], "Changed {}.", "not changed"
    )


# Undo of the last bulk change: kept in the session of the person who made it (so nobody else
# can undo it), for UNDO_SECONDS; one at a time (a new bulk change replaces it).
UNDO_SESSION_KEY = "bulk_undo"
UNDO_SECONDS = 10 * 60


def _remember_bulk(request, project: Project, done: list[Issue], before: dict) -> str:
    """Keep what the undo needs (each changed issue's old values and new version); the token
    the Undo button sends back, or "" when nothing changed."""
    versions = dict(
        Issue.objects.filter(pk__in=[issue.pk for issue in done]).values_list("pk", "version")
    )
    entries = [
        {"pk": pk, "version": versions[pk], "before": before[pk]}
        for pk in (issue.pk for issue in done)
        if pk in versions and before.get(pk)
    ]
    if not entries:
        request.session.pop(UNDO_SESSION_KEY, None)
        return ""
    token = secrets.token_urlsafe(16)
    request.session[UNDO_SESSION_KEY] = {
        "token": token,
        "project": project.pk,
        "user": request.user.pk,
        "at": time.time(),
        "entries": entries,
        "shown": bool(request.htmx),
    }
    return token


def _pending_undo(request, project: Project) -> dict | None:
    """The last bulk change this person made in this project, if it can still be undone."""
    undo = request.session.get(UNDO_SESSION_KEY)
    if not isinstance(undo, dict) or undo.get("project") != project.pk:
        return None
    if undo.get("user") != request.user.pk or time.time() - undo.get("at", 0) > UNDO_SECONDS:
        return None
    return undo


@require_POST
@login_required
def bulk_undo(request: HttpRequest, key: str) -> HttpResponse:
    """Undo the last bulk change: issues changed since are skipped and named."""
    project = project_for(request, key, minimum=Role.MEMBER)
    filters = QueryDict(request.POST.get("filters", "")[:4000])
    undo = _pending_undo(request, project)
    token = request.POST.get("token", "")
    if undo is None or not token or not secrets.compare_digest(str(undo["token"]), token):
        return _bulk_refused(
            request,
            project,
            filters,
            "There is nothing to undo: only your last bulk change, within "
            f"{UNDO_SECONDS // 60} minutes, can be undone.",
        )
    request.session.pop(UNDO_SESSION_KEY, None)  # once
    result = operations.undo_bulk(project=project, actor=request.user, entries=undo["entries"])
    summary = {
        "undone": len(result.changed),
        "refused": sorted(result.refused.items(), key=lambda item: _key_number(item[0])),
    }
    return _bulk_answer(
        request,
        project,
        filters,
        summary,
        summary["undone"],
        "Undid the bulk change on {}.",
        "not put back",
    )


def _bulk_answer(
    request: HttpRequest,
    project: Project,
    filters: QueryDict,
    summary: dict,
    count: int,
    done: str,
    not_done: str,
) -> HttpResponse:
    """A bulk change's (or its undo's) answer: the list's results with the summary for HTMX;
    else messages (`done` with "N issues", each refusal "KEY `not_done`: why") and the list."""
    if request.htmx:
        context = _list_context(request, project, filters, bulk_summary=summary)
        return render(request, "issues/issue_list.html#results", context)
    messages.success(request, done.format(f"{count} issue{'s' if count != 1 else ''}"))
    for issue_key, reason in summary["refused"]:
        messages.error(request, f"{issue_key} {not_done}: {reason}")
    return HttpResponseRedirect(_list_url(project, filters))


def _bulk_refused(
    request: HttpRequest, project: Project, filters: QueryDict, message: str
) -> HttpResponse:
    if request.htmx:
        return _error(message, 400)
    messages.error(request, message)
    return HttpResponseRedirect(_list_url(project, filters))


def _list_context(
    request: HttpRequest, project: Project, params: QueryDict, **extra
) -> dict[str, object]:
    """Everything the list page shows for these query parameters, in a fixed number of queries."""
    filterset = IssueFilter(
        params,
        queryset=Issue.objects.for_project(project).for_cards(),
        request=request,
        project=project,
    )
    notes: list[str] = []
    per_page = _per_page(params.get("per_page"), notes)
    filter_error = ""
    page = None
    if filterset.is_valid():
        issues = filterset.ordered_qs
        requested = params.get("page")
        paginator = CappedPaginator(issues, per_page, cap=_count_cap(requested, per_page))
        page = paginator.get_page(requested)
        if requested not in (None, "", str(page.number)):
            notes.append(f"There is no page “{requested[:20]}”: showing page {page.number}.")
    else:
        filter_error = error_message(filterset)

    statuses = list(project.statuses.all())
    labels = list(project.labels.all())
    if page is not None:
        _prepare_rows(project, page, labels)
    assignee_choices = filterset.filters["assignee"].extra["choices"]
    current_order = params.get("order", "")
    return {
        "project": project,
        "nav_section": "issues",
        "filterset": filterset,
        "filter_error": filter_error,
        "page": page,
        "notes": notes,
        "per_page": per_page,
        "per_page_links": [
            (size, _query(params, per_page=size, page=None)) for size in PER_PAGE_CHOICES
        ],
        "columns": _columns(params, current_order),
        "menus": _filter_menus(filterset, params, statuses, labels, assignee_choices),
        "epics": _epic_options(project, filterset),
        "query_string": params.urlencode(),
        "page_links": _page_links(params, page) if page else {},
        "filtered": filterset.active,
        "statuses": statuses,
        "labels": labels,
        "bulk_edit": project.can_edit,
        # Bulk edit's Status list offers only the moves the workflow allows from every selected
        # issue's status (the page's script reads this); the server still checks each move.
        "bulk_transitions": as_data(allowed_moves(project)) if project.can_edit else {},
        "priority_choices": PRIORITY_CHOICES,
        "bulk_assignees": [
            c for c in assignee_choices if c[0] != "me" and c[0] not in filterset.viewers
        ],
        **extra,
    }


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` + 1 rows (one sliced subquery, no ordering).

    `exact` tells whether `count` is the real number of matches; when it is not, `count` is
    `cap` + 1, so the page after the last counted one still exists (Next works) and page numbers
    keep their meaning; only the last page is unknown.
    """

    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def exact(self) -> bool:
        return self.count <= self.cap


def _count_cap(requested: str | None, per_page: int) -> int:
    """COUNT_CAP, or more when a deep page is asked for (so that it is not taken for past the end)."""
    wanted = whole_number(requested, maximum=999_999) or 1
    return max(COUNT_CAP, wanted * per_page)


def _epic_options(project: Project, filterset) -> dict[str, object]:
    """The Epic filter's options as (number, text, chosen): open epics and the chosen one.

    Bounded (a project may have hundreds of epics) and built here rather than in a template loop.
    """
    chosen = None
    if filterset.is_valid() and filterset.form.cleaned_data.get("epic") is not None:
        chosen = filterset.form.cleaned_data["epic"].number
    listed = Q(status__category__in=StatusCategory.closed())
    wanted = ~listed if chosen is None else ~listed | Q(number=chosen)
    rows = list(
        Issue.objects.filter(wanted, project=project, kind=Kind.EPIC)
        .order_by("number")
        .values_list("number", "title")[: EPIC_OPTIONS + 1]
    )
    capped = len(rows) > EPIC_OPTIONS
    rows = rows[:EPIC_OPTIONS]
    options = [
        (str(number), f"{project.key}-{number} {_truncate(title)}", number == chosen)
        for number, title in rows
    ]
    return {
        "options": options,
        "capped": capped,
        "value": "" if chosen is None else str(chosen),
        "limit": EPIC_OPTIONS,
    }


def _truncate(text: str, length: int = EPIC_TITLE_LENGTH) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


def _prepare_rows(project: Project, page, labels: list) -> None:
    """Per-row markup made once per page rather than by template tags in every row.

    A page has up to 200 rows: reversing the detail URL, drawing the same few icons and label
    chips and formatting dates row by row was most of the list's rendering time. Each issue gets
    `url`, `kind_html`, `priority_html`, `labels_html` and `updated_html`.
    """
    base = reverse("issues:detail", args=[project.key, 0])
    prefix = base[: -len("0/")]
    chips = {label.pk: label_chip(label) for label in labels}
    kinds: dict[str, str] = {}
    priorities: dict[int, str] = {}
    rows = list(page.object_list)
    for issue in rows:
        issue.url = f"{prefix}{issue.number}/"
        if issue.kind not in kinds:
            kinds[issue.kind] = kind_icon(issue.kind)
        issue.kind_html = kinds[issue.kind]
        if issue.priority not in priorities:
            priorities[issue.priority] = priority_icon(issue.priority)
        issue.priority_html = priorities[issue.priority]
        issue.labels_html = mark_safe(  # noqa: S308 - chips are built by format_html
            "".join(chips.get(label.pk) or label_chip(label) for label in issue.labels.all())
        )
        issue.updated_html = reltime(issue.updated_at)
        issue.score_info = scores.score(issue, project.scoring_model)
    page.object_list = rows


def _per_page(value: str | None, notes: list[str]) -> int:
    if value in (None, ""):
        return PER_PAGE
    if whole_number(value) in PER_PAGE_CHOICES:
        return int(value)
    choices = ", ".join(str(size) for size in PER_PAGE_CHOICES)
    notes.append(f"Rows per page can be {choices}: showing {PER_PAGE}.")
    return PER_PAGE


def _query(params: QueryDict, **changes) -> str:
    """`params` with some keys replaced (None removes them), as `?a=1&b=2`."""
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _columns(params: QueryDict, current: str) -> list[dict]:
    primary = current.split(",")[0].strip()
    columns = []
    for name, heading in LIST_COLUMNS:
        column = {"name": name, "heading": heading, "sort": None, "url": None}
        if name:
            if primary == name:
                column["sort"], target = "ascending", f"-{name}"
            elif primary == f"-{name}":
                column["sort"], target = "descending", name
            else:
                target = f"-{name}" if name in ("updated", "requests") else name
            column["url"] = _query(params, order=target, page=None)
        columns.append(column)
    return columns


def _page_links(params: QueryDict, page) -> dict[str, str | None]:
    return {
        "first": _query(params, page=1) if page.number > 1 else None,
        "previous": _query(params, page=page.previous_page_number())
        if page.has_previous()
        else None,
        "next": _query(params, page=page.next_page_number()) if page.has_next() else None,
        # The last page is known only when the count is exact.
        "last": _query(params, page=page.paginator.num_pages)
        if page.paginator.exact and page.number < page.paginator.num_pages
        else None,
    }


def _filter_menus(filterset, params, statuses, labels, assignee_choices) -> list[dict]:
    """The filter bar's dropdowns: options with whether each is on, from the query string."""
    form = filterset.form
    return [
        filter_menu(
            params,
            "status",
            "Status",
            [(status.pk, status.name) for status in statuses],
            colors={status.pk: status.color for status in statuses},
        ),
        filter_menu(params, "assignee", "Assignee", assignee_choices, multiple=False),
        filter_menu(params, "kind", "Kind", form.fields["kind"].choices),
        filter_menu(params, "priority", "Priority", form.fields["priority"].choices),
        filter_menu(
            params,
            "label",
            "Labels",
            [(label.name, label.name) for label in labels],
            colors={label.name: label.color for label in labels},
        ),
        filter_menu(params, "source", "Source", form.fields["source"].choices),
        filter_menu(
            params, "state", "State", filterset.filters["state"].extra["choices"], multiple=False
        ),
    ]


def _list_url(project: Project, params: QueryDict) -> str:
    url = reverse("issues:list", args=[project.key])
    return f"{url}?{params.urlencode()}" if params else url


def _key_number(issue_key: str) -> int:
    return int(issue_key.rsplit("-", 1)[-1])


# Create --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def issue_create(request: HttpRequest, key: str) -> HttpResponse:
    """A new issue; ?kind=&parent=&status= prefill it (an "add child" link, a board column)."""
    project = project_for(request, key, minimum=Role.MEMBER)
    status = 200
    if request.method == "POST":
        form = IssueForm(request.POST, project=project)
        if "refresh" in request.POST:
            # Without JavaScript, the kind changed: show the parent choices for the new kind.
            return _render_create(request, project, form, show_errors=False)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = operations.create_issue(
                    project=project,
                    actor=request.user,
                    **{name: data[name] for name in IssueForm.FIELDS if name != "parent"},
                    parent=data["parent"] if form.chosen_kind != Kind.EPIC else None,
                )
            except ValidationError as error:
                _add_model_errors(form, error)
            else:
                messages.success(request, f"Created {issue.key}.")
                return redirect(issue)
        status = 422
    else:
        form = IssueForm(initial=_prefill(request.GET, project), project=project)
    return _render_create(request, project, form, status=status)


@require_GET
@login_required
def parent_field(request: HttpRequest, key: str) -> HttpResponse:
    """The create form's parent field for ?kind= (HTMX swaps it in when the kind changes)."""
    project = project_for(request, key, minimum=Role.MEMBER)
    form = IssueForm(request.GET, project=project)
    return _render_create(request, project, form, show_errors=False, partial="parent-field")


def _render_create(request, project, form, *, status=200, show_errors=True, partial=None):
    template = "issues/issue_form.html" + (f"#{partial}" if partial else "")
    context = {
        "project": project,
        "nav_section": "issues",
        "form": form,
        "show_errors": show_errors,
    }
    return render(request, template, context, status=status)


def _prefill(params: QueryDict, project: Project) -> dict:
    """Initial values from the query string; values that do not fit the project are ignored."""
    initial: dict = {}
    parent = None
    number = whole_number(params.get("parent"))
    if number is not None:
        parent = Issue.objects.filter(project=project, number=number).first()
    kind = params.get("kind")
    if kind not in Kind.values:
        kind = CHILD_KIND.get(parent.kind) if parent is not None else None
    if kind:
        initial["kind"] = kind
    if parent is not None and kind and parent in parent_choices(project, kind):
        initial["parent"] = parent.number
    status_id = whole_number(params.get("status"), maximum=BIGINT_MAX)
    if status_id is not None:
        status = project.statuses.filter(pk=status_id).first()
        if status is not None:
            initial["status"] = status
    return initial


def _add_model_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# Detail --------------------------------------------------------------------------------------


@require_GET
@login_required
def issue_detail(request: HttpRequest, key: str, number: int) -> HttpResponse:
    project = project_for(request, key)
    issue = _load_issue(project, number)
    notifications.mark_read(user=request.user, issue=issue)  # The inbox row: seen.
    edit = request.GET.get("edit")
    edit_comment = whole_number(request.GET.get("edit_comment"), maximum=BIGINT_MAX)
    return _render_detail(
        request,
        project,
        issue,
        editing=edit if edit in TEXT_FIELDS and project.can_edit else None,
        editing_comment=edit_comment,
    )


PARENT_RESULTS = 20


@require_GET
@login_required
def parent_search(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """The issue page's parent picker: the issues this one may sit under that match `q` (a key
    or words), open ones first, each a button that posts to the parent field. HTMX gets the
    results; without JavaScript the same results come as a page with the search."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _load_issue(project, number)
    query = " ".join((request.GET.get("q") or "").split())[:200]
    found = list(matching_parents(project, issue, query)[: PARENT_RESULTS + 1])
    context = {
        "project": project,
        "issue": issue,
        "query": query,
        "candidates": found[:PARENT_RESULTS],
        "more": len(found) > PARENT_RESULTS,
        "parent_kinds": " or ".join(
            Kind(kind).label.lower() for kind in PARENT_KINDS.get(issue.kind, [])
        ),
        "nav_section": "issues",
    }
    template = "issues/parent_picker.html" + ("#results" if request.htmx else "")
    return render(request, template, context)


@require_POST
@login_required
def issue_field(request: HttpRequest, key: str, number: int, field: str) -> HttpResponse:
    """Save one field from the page: the side panel (in place) or the title/description."""
    if field not in PANEL_FIELDS + TEXT_FIELDS:
        raise Http404("No such field.")
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _load_issue(project, number)
    if field in TEXT_FIELDS:
        return _save_text(request, project, issue, field)
    form = IssueFieldForm(request.POST, issue=issue, field=field)
    error, status = "", 422
    if form.is_valid():
        try:
            operations.update_issue(
                issue=issue,
                actor=request.user,
                changes={field: form.value},
                # A page posts the version it shows; a script that sends none is not checked.
                expected_version=form.cleaned_data.get("version"),
            )
        except operations.Conflict as stale:
            # Answered with the saved values: the person sees what won and can choose again.
            issue, status = _load_issue(project, number), 409
            error = (
                f"Someone else changed {issue.key} since this page was loaded (now version "
                f"{stale.current.version}): this shows what they saved. Nothing was overwritten; "
                "choose again to change it."
            )
        except ValidationError as refusal:
            _raise_if_deleted(refusal)
            error = " ".join(refusal.messages)
    else:
        error = " ".join(form.errors[field] if field in form.errors else _form_message(form))
    if error:
        if request.htmx:
            context = _field_context(project, issue, [field], field_errors={field: error})
            return _render_parts(request, context, ["panel-field"], status=status)
        return _render_detail(request, project, issue, field_errors={field: error}, status=status)
    if not request.htmx:
        return HttpResponseRedirect(issue.get_absolute_url())
    issue = _load_issue(project, number)
    # A new kind changes which parents fit: the parent field is answered too.
    fields = [field, "parent"] if field == "kind" else [field]
    context = _field_context(
        project,
        issue,
        fields,
        oob=True,
        ancestors=issue.ancestors(),
        timeline=_timeline(project, issue)[0],
    )
    parts = ["panel-field", "timeline", "issue-meta", "breadcrumbs"]
    if field == "kind":
        context["oob_fields"] = [_panel_field(context, "parent")]
        parts.append("oob-fields")
    return _render_parts(request, context, parts, version=issue.version)


def _field_context(project: Project, issue: Issue, fields: list[str], **extra) -> dict:
    """What a side-panel answer renders: the field (first of `fields`) and the choices of those
    fields only, not the whole page's context."""
    context = {
        "project": project,
        "issue": issue,
        "field_errors": {},
        "choices": _panel_choices(project, issue, fields),
        **extra,
    }
    context["field"] = _panel_field(context, fields[0])
    return context


def _save_text(request: HttpRequest, project: Project, issue: Issue, field: str) -> HttpResponse:
    """Title or description, refused with 409 when someone saved since the editor opened."""
    form = IssueTextForm(request.POST, project=project, field=field)
    problem, conflict = "", None
    if form.is_valid():
        try:
            operations.update_issue(
                issue=issue,
                actor=request.user,
                changes={field: form.value},
                expected_version=form.cleaned_data["version"],
            )
        except operations.Conflict as stale:
            conflict = stale.current
            problem = (
                "Someone else saved this issue while you were editing. Nothing was overwritten: "
                "compare, then save yours again or keep theirs."
            )
        except ValidationError as refusal:
            _raise_if_deleted(refusal)
            problem = " ".join(refusal.messages)
    else:
        problem = _form_message(form)
    if problem:
        status = 409 if conflict is not None else 422
        editor = {
            "field": field,
            "value": request.POST.get(field, "")[:60_000],
            "version": conflict.version if conflict is not None else request.POST.get("version"),
            "error": problem,
            "conflict": conflict,
        }
        if conflict is not None:
            editor["theirs"] = getattr(conflict, field)
        if request.htmx:
            context = _detail_context(request, project, issue, editor=editor)
            return _render_parts(request, context, [f"{field}-block"], status=status)
        return _render_detail(request, project, issue, editor=editor, status=status)
    if not request.htmx:
        return HttpResponseRedirect(issue.get_absolute_url())
    issue = _load_issue(project, issue.number)
    context = _detail_context(request, project, issue, oob=True)
    return _render_parts(
        request,
        context,
        [f"{field}-block", "timeline", "issue-meta", "breadcrumbs"],
        version=issue.version,
    )


@require_POST
@login_required
def issue_delete(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Delete (admins only); refused while children exist, with how to proceed."""
    project = project_for(request, key, minimum=Role.ADMIN)
    issue = _load_issue(project, number)
    try:
        operations.delete_issue(issue=issue, actor=request.user)
    except ValidationError as refusal:
        _raise_if_deleted(refusal)
        message = " ".join(refusal.messages)
        if request.htmx:
            return _error(message, 409)
        return _render_detail(request, project, issue, delete_error=message, status=409)
    messages.success(request, f"Deleted {issue.key}.")
    url = reverse("issues:list", args=[project.key])
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


# Comments ------------------------------------------------------------------------------------


@require_POST
@login_required
def comment_add(request: HttpRequest, key: str, number: int) -> HttpResponse:
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _load_issue(project, number)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _comment_refused(request, project, issue, _form_message(form))
    try:
        comment = operations.add_comment(
            issue=issue,
            actor=request.user,
            body=form.cleaned_data["body"],
            public=request.POST.get("public") == "1",
        )
    except ValidationError as refusal:
        _raise_if_deleted(refusal)
        return _comment_refused(request, project, issue, " ".join(refusal.messages))
    if request.htmx:
        context = {"project": project, "issue": issue, "timeline": _timeline(project, issue)[0]}
        return _render_parts(request, context, ["timeline"], status=201)
    return HttpResponseRedirect(f"{issue.get_absolute_url()}#comment-{comment.pk}")


@require_POST
@login_required
def comment_edit(request: HttpRequest, key: str, number: int, comment_id: int) -> HttpResponse:
    """Change one's own comment."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _load_issue(project, number)
    comment = get_object_or_404(
        Comment.objects.select_related("author"), pk=comment_id, issue=issue
    )
    comment.issue = issue
    if comment.author_id != request.user.pk:
        return _error("You can only edit your own comments.", 403)
    form = CommentForm(request.POST)
    message = ""
    if form.is_valid():
        try:
            comment = operations.edit_comment(
                comment=comment, actor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as refusal:
            _raise_if_deleted(refusal)
            message = " ".join(refusal.messages)
    else:
        message = _form_message(form)
    if message:
        return _comment_refused(request, project, issue, message, editing_comment=comment.pk)
    if request.htmx:
        html = IssueLinker(project, [comment.body]).render(comment.body)
        entry = {"type": "comment", "comment": comment, "html": html}
        context = {"project": project, "issue": issue, "entry": entry}
        return _render_parts(request, context, ["comment"])
    return HttpResponseRedirect(f"{issue.get_absolute_url()}#comment-{comment.pk}")


@require_POST
@login_required
def comment_delete(request: HttpRequest, key: str, number: int, comment_id: int) -> HttpResponse:
    """Delete one's own comment, or any comment as a project admin."""
    project = project_for(request, key, minimum=Role.MEMBER)
    issue = _load_issue(project, number)
    comment = get_object_or_404(Comment, pk=comment_id, issue=issue)
    comment.issue = issue
    try:
        operations.delete_comment(comment=comment, actor=request.user)
    except PermissionDenied as refusal:
        return _error(str(refusal), 403)
    except ValidationError as refusal:
        _raise_if_deleted(refusal)
        raise
    if request.htmx:
        return HttpResponse("")
    messages.success(request, "Comment deleted.")
    return HttpResponseRedirect(issue.get_absolute_url())


def _raise_if_deleted(refusal: ValidationError) -> None:
    """An issue (or comment) deleted while the request was under way is a 404, as if the
    request had come a moment later."""
    if getattr(refusal, "code", None) == "deleted":
        raise Http404(" ".join(refusal.messages))


def _comment_refused(request, project, issue, message: str, **extra) -> HttpResponse:
    if request.htmx:
        return _error(message, 422)
    return _render_detail(request, project, issue, comment_error=message, status=422, **extra)


# Detail helpers ------------------------------------------------------------------------------


def _issue_queryset(project: Project) -> QuerySet[Issue]:
    return (
        Issue.objects.filter(project=project)
        .select_related("project", "status", "assignee", "reporter", "parent", "parent__parent")
        .select_related("sprint", "release")  # planning's fields in the side panel
        .select_related("duplicate_of")  # intake's merge link
        .prefetch_related("labels")
    )


def _load_issue(project: Project, number: int) -> Issue:
    issue = get_object_or_404(_issue_queryset(project), number=number)
    issue.project = project  # Keep the role found by project_for.
    return issue


def _render_detail(request, project, issue, *, status: int = 200, **extra) -> HttpResponse:
    context = _detail_context(request, project, issue, **extra)
    return render(request, "issues/issue_detail.html", context, status=status)


def _detail_context(request: HttpRequest, project: Project, issue: Issue, **extra) -> dict:
    """Everything the detail page shows, in a number of queries that does not grow with it."""
    children = list(
        Issue.objects.filter(parent=issue)
        .defer("description")  # A child row shows its key, title, status, points and assignee.
        .select_related("status", "assignee__profile")
        .with_child_progress()
        .order_by("rank")
    )
    timeline, linker = _timeline(project, issue)
    done = sum(1 for child in children if child.status.category == StatusCategory.DONE)
    context = {
        "project": project,
        "nav_section": "issues",
        "issue": issue,
        "ancestors": issue.ancestors(),
        "description_html": linker.render(issue.description),
        "linker": linker,
        "children": children,
        "progress": {
            "done": done,
            "total": len(children),
            "percent": round(100 * done / len(children)) if children else 0,
            "points": sum(child.estimate or 0 for child in children),
        },
        "child_kind": CHILD_KIND.get(issue.kind),
        # Intake: who asked for this, in their words (project members only: this page).
        "customer_requests": list(issue.requests.select_related("requester", "added_by")),
        "duplicates": list(issue.duplicates.order_by("number").values_list("number", "title")),
        "request_sources": Source.choices,
        "timeline": timeline,
        "comment_form": CommentForm() if project.can_edit else None,
        "field_errors": {},
        "editor": None,
        "editing": None,
        "editing_comment": None,
        "oob": False,
        "watch": watch_state(issue, request.user),
        **extra,
    }
    if project.can_edit:
        context["choices"] = _panel_choices(project, issue, PANEL_FIELDS)
    context["panel"] = [_panel_field(context, name) for name in PANEL_FIELDS]
    return context


def _panel_choices(project: Project, issue: Issue, fields) -> dict[str, list]:
    """The options of those side-panel fields that offer the project's rows (one query each)."""
    loaders = {
        "status": lambda: _offered_statuses(project, issue),
        "assignee": lambda: members_of(project),
        "labels": lambda: project.labels.all(),
        # Open sprints and unreleased versions, and the issue's own even when closed.
        "sprint": lambda: project.sprints.filter(
            Q(state__in=["planned", "active"]) | Q(pk=issue.sprint_id)
        ).only("name", "state"),
        "release": lambda: project.releases.filter(
            Q(state="unreleased") | Q(pk=issue.release_id)
        ).only("name", "state"),
    }
    return {name: list(loaders[name]()) for name in fields if name in loaders}


def _offered_statuses(project: Project, issue: Issue) -> list:
    """The issue's status and those the workflow allows moving it to (in workflow order); the
    first option carries why the others are missing (a title on hover)."""
    statuses = list(project.statuses.all())
    current = next((s for s in statuses if s.pk == issue.status_id), None)
    if current is None:
        return statuses
    offered, refused = split_targets(allowed_moves(project), current, statuses)
    current.refusal = refusal_note(current, refused) if refused else ""
    return [s for s in statuses if s is current or s in offered]


def _timeline(project: Project, issue: Issue) -> tuple[list[dict], IssueLinker]:
    """Comments and events in time order, and the linker that also renders the description.

    A new comment is answered with this alone, not with the whole page's context.
    """
    comments = list(issue.comments.select_related("author__profile", "requester"))
    events = [
        event
        for event in issue.events.select_related("actor__profile", "requester")
        # Comments show themselves; only a deletion leaves a trace in the timeline.
        if event.field != "comment" or (event.old_value and not event.new_value)
    ]
    linker = IssueLinker(project, [issue.description, *(c.body for c in comments)])
    timeline = [
        {"type": "comment", "at": c.created_at, "comment": c, "html": linker.render(c.body)}
        for c in comments
    ] + [{"type": "event", "at": e.created_at, "event": e, "text": _event_text(e)} for e in events]
    timeline.sort(key=lambda entry: entry["at"])
    return timeline, linker


def _panel_field(context: dict, name: str) -> dict:
    """One row of the side panel: its label, refusal message and (for members) its choices."""
    return {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "error": context["field_errors"].get(name, ""),
        "choices": (choices := (context.get("choices") or {}).get(name)),
        "note": next(
            (getattr(c, "refusal", "") for c in choices or () if hasattr(c, "refusal")), ""
        ),
        "static_choices": STATIC_CHOICES.get(name),
    }


STATIC_CHOICES = {
    "priority": PRIORITY_CHOICES,
    "kind": Kind.choices,
    "source": Source.choices,
    "value": VALUE_CHOICES,
    "impact": [("", "—"), *Impact.choices],
    "confidence": [("", "—"), *((str(v), t) for v, t in Confidence.choices)],
}
EVENT_VERBS = {"estimate": "the estimate", "due_date": "the due date", "kind": "the kind"}


def _event_text(event) -> str:
    """'moved this from To do to In progress': what the timeline says an event did."""
    field, old, new = event.field, event.old_value, event.new_value
    if field == "created":
        return "created this issue"
    if field == "status":
        return f"moved this from {old} to {new}"
    if field == "comment":
        return "deleted a comment"
    if field == "labels":
        return f"added the label {new}" if new else f"removed the label {old}"
    if field == "description":
        return "edited the description"
    if field == "public":
        return "published this on the ideas portal" if new == "yes" else "took this off the portal"
    if field == "requests":
        return f"changed the customer requests from {old} to {new}"
    if field == "duplicate_of":
        return f"closed this as a duplicate of {new}"
    if field == "duplicates":
        return f"merged {new} into this"
    if field == "title":
        return f"renamed this from “{old}” to “{new}”"
    what = EVENT_VERBS.get(field, field.replace("_", " "))
    if field == "parent":
        what = "the parent"
    if not old:
        return f"set {what} to {new}"
    if not new:
        return f"cleared {what} (was {old})"
    return f"changed {what} from {old} to {new}"


def _render_parts(
    request: HttpRequest,
    context: dict,
    parts: list[str],
    *,
    status: int = 200,
    version: int | None = None,
) -> HttpResponse:
    """Several fragments of the detail page in one HTMX answer (the rest swap out of band)."""
    html = "".join(
        render_to_string(f"issues/issue_detail.html#{part}", context, request=request)
        for part in parts
    )
    response = HttpResponse(html, status=status)
    if version is not None:
        response["X-Issue-Version"] = str(version)
    return response


def _error(message: str, status: int) -> HttpResponse:
    """A refusal for HTMX: the message as text and in the header that app.js shows."""
    return HttpResponse(message, status=status, headers={"X-Error-Message": quote(message)})


def _form_message(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        prefix = f"{field.label or name.replace('_', ' ').capitalize()}: " if field else ""
        parts.append(prefix + " ".join(errors))
    return " ".join(parts) or "Invalid input."
