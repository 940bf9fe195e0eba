"""The reports page (`/projects/<KEY>/reports/`) and each chart's numbers as CSV.

Read-only: viewers may see them. The query string is the board's and list's (the shared
FilterSet) plus the period (`range`, or `from` and `to`); bad values answer 400 with the reason.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from issues.access import project_for
from issues.export import FORMULA_START_SET
from issues.filters import IssueFilter, error_message, filter_menu
from issues.models import Issue, Kind, Priority, Project, Source, StatusCategory
from planning.models import Sprint, SprintState

from .forms import RANGES, PeriodForm
from .report import Report

# The filter bar's epic and sprint choices: open epics, then the latest sprints that started.
EPIC_CHOICES = 50
SPRINT_CHOICES = 12


def _prepare(request: HttpRequest, project: Project):
    """(report, period form, filterset, error message): the report is None when the query
    string is invalid."""
    period_form = PeriodForm(request.GET)
    filterset = IssueFilter(request.GET, request=request, project=project)
    errors = []
    if not period_form.is_valid():
        errors.append(period_form.message())
    if not filterset.is_valid():
        errors.append(error_message(filterset))
    sprint, sprint_error = _sprint(project, request.GET.get("sprint", ""))
    if sprint_error:
        errors.append(sprint_error)
    if errors:
        return None, period_form, filterset, " ".join(errors)
    report = Report(
        project,
        period_form.period(),
        filterset.qs if filterset.active else None,
        list(project.statuses.all()),
        sprint=sprint,
    )
    return report, period_form, filterset, ""


@require_GET
@login_required
def reports(request: HttpRequest, key: str) -> HttpResponse:
    """Every chart for the period and filters of the query string."""
    project = project_for(request, key)
    report, period_form, filterset, error = _prepare(request, project)
    context = {
        "project": project,
        "nav_section": "reports",
        "error": error,
        "period_form": period_form,
        "ranges": RANGES,
        "menus": _menus(request, project, filterset),
        "query_string": request.GET.urlencode(),
        "filtered": bool(report and filterset.active),
        "period": report.period if report else None,
        "sections": report.sections() if report else [],
    }
    response = render(request, "reports/reports.html", context, status=400 if error else 200)
    if error:
        response["X-Error-Message"] = quote(error)
    return response


@require_GET
@login_required
def chart_csv(request: HttpRequest, key: str, chart: str) -> HttpResponse:
    """One chart's "Show data" table as CSV: exactly the numbers it plots."""
    project = project_for(request, key)
    report, _, _, error = _prepare(request, project)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    if chart not in report.builders():
        raise Http404("No such chart.")
    data = report.chart(chart)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(data.columns)
    writer.writerows([_cell(value) for value in row] for row in data.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    period = report.period
    filename = f"{project.key}-{chart}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _sprint(project: Project, value: str) -> tuple[Sprint | None, str]:
    """The burndown's sprint from `?sprint=`: "active", a started sprint's number, or nothing
    (then the burndown shows the latest sprint that started); "none" (no sprint) picks none."""
    value = value.strip()
    started = Sprint.objects.filter(project=project, started_at__isnull=False)
    if value in ("", "none"):
        return None, ""
    if value == "active":
        return started.filter(state=SprintState.ACTIVE).first(), ""
    if value.isdigit() and len(value) < 10:
        sprint = started.filter(pk=int(value)).first()
        if sprint is not None:
            return sprint, ""
    return None, f"Invalid sprint. “{value[:40]}” is not a started sprint of {project.key}."


def _cell(value):
    """Text that a spreadsheet would run as a formula gets a leading ' (as the issue export)."""
    if isinstance(value, str) and value and value[0] in FORMULA_START_SET:
        return "'" + value
    return value


def _menus(request: HttpRequest, project: Project, filterset: IssueFilter) -> list[dict]:
    """The filter bar: the list's filters, and the epic and sprint (which also picks the
    burndown's sprint) that the URL could already carry."""
    params = request.GET
    assignees = filterset.filters["assignee"].extra["choices"]
    labels = filterset.filters["label"].queryset
    epics = (
        Issue.objects.filter(project=project, kind=Kind.EPIC)
        .exclude(status__category__in=StatusCategory.closed())
        .order_by("number")
        .values_list("number", "title")[:EPIC_CHOICES]
    )
    sprints = Sprint.objects.filter(project=project).exclude(state=SprintState.PLANNED)
    sprint_choices = [
        ("active" if sprint.state == SprintState.ACTIVE else sprint.pk, sprint.name)
        for sprint in sprints.order_by("-started_at")[:SPRINT_CHOICES]
    ]
    return [
        filter_menu(params, "kind", "Kind", Kind.choices),
        filter_menu(params, "source", "Source", Source.choices),
        filter_menu(params, "priority", "Priority", [(p.slug, p.label) for p in Priority]),
        filter_menu(params, "assignee", "Assignee", assignees, multiple=False),
        filter_menu(
            params,
            "label",
            "Labels",
            [(label.name, label.name) for label in labels],
            colors={label.name: label.color for label in labels},
        ),
        filter_menu(
            params,
            "epic",
            "Epic",
            [(number, f"{project.key}-{number} {title[:40]}") for number, title in epics],
            multiple=False,
        ),
        filter_menu(
            params,
            "sprint",
            "Sprint",
            [*sprint_choices, ("none", "Not in a sprint")],
            multiple=False,
        ),
    ]
