"""The one FilterSet behind the board, the list and the CSV export.

A query string means the same thing on all three: `?q=checkout&assignee=me&label=Bug+fix`.
Values are validated against the project (its members, labels, statuses, epics); an unknown
value is a form error (the list shows it, the export answers 400), never silently ignored.
"""

import re

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When

from planning import scores
from planning.models import SprintState

from .forms import CheckedIdsMixin
from .models import Issue, Kind, Priority, Project, Role, Source, StatusCategory

ORDERING_FIELDS = (
    # (model field, URL name)
    ("rank", "rank"),
    ("number", "key"),
    ("title", "title"),
    ("kind", "kind"),
    ("status__position", "status"),
    ("priority", "priority"),
    ("assignee__username", "assignee"),
    ("estimate", "estimate"),
    ("score", "score"),  # planning's priority score, annotated when asked for
    ("demand", "requests"),
    ("created_at", "created"),
    ("updated_at", "updated"),
)
# The list's order when no ?order= is given (the list and the CSV export both use it): most
# recently updated first, the newest number breaking ties so that pages and files are stable.
DEFAULT_LIST_ORDER = ("-updated_at", "-number")
ME, NOBODY = "me", "none"
# Full-text search on PostgreSQL: the text search configuration, and the name of the relevance
# annotation that `q` adds (the list orders by it when no explicit order is given).
SEARCH_CONFIG = "english"
SEARCH_RANK = "search_rank"


def search_vector() -> SearchVector:
    """The document searched by `q`; migration 0002's GIN index is on exactly this expression."""
    return SearchVector("title", "description", config=SEARCH_CONFIG)


class IdsFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows chosen by id (?status=3&status=7), checked as plain numbers first."""

    class field_class(CheckedIdsMixin, django_filters.fields.ModelMultipleChoiceField):
        pass


class IssueFilter(django_filters.FilterSet):
    # django-filter calls the filter_* methods only with a cleaned, non-empty value (a CharField
    # strips it, a choice is one of its choices).
    q = django_filters.CharFilter(method="filter_text", label="Search", max_length=200)
    assignee = django_filters.ChoiceFilter(method="filter_assignee", label="Assignee")
    label = django_filters.ModelMultipleChoiceFilter(
        field_name="labels__name",
        to_field_name="name",
        queryset=None,
        label="Labels",
        distinct=True,
    )
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices, label="Kind")
    priority = django_filters.MultipleChoiceFilter(
        method="filter_priority",
        choices=[(p.slug, p.label) for p in Priority],
        label="Priority",
    )
    epic = django_filters.ModelChoiceFilter(
        method="filter_epic", to_field_name="number", queryset=None, label="Epic"
    )
    source = django_filters.MultipleChoiceFilter(choices=Source.choices, label="Source")
    status = IdsFilter(queryset=None, label="Status")
    category = django_filters.MultipleChoiceFilter(
        field_name="status__category", choices=StatusCategory.choices, label="Status category"
    )
    # The planning app's sprints: the active one, one by id, or none (not in an open sprint).
    sprint = django_filters.CharFilter(
        method="filter_sprint",
        label="Sprint",
        max_length=20,
        validators=[
            RegexValidator(
                r"^(active|none|[0-9]{1,18})\Z",
                "Choose “active”, “none” or a sprint's number.",
                code="invalid_sprint",
            )
        ],
    )
    state = django_filters.ChoiceFilter(
        method="filter_state", choices=[("open", "Open"), ("resolved", "Resolved")], label="State"
    )
    created = django_filters.DateFromToRangeFilter(field_name="created_at", label="Created")
    updated = django_filters.DateFromToRangeFilter(field_name="updated_at", label="Updated")
    order = django_filters.OrderingFilter(fields=ORDERING_FIELDS, label="Order by")

    class Meta:
        model = Issue
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, project: Project, **kwargs):
        self.project = project
        if queryset is None:
            queryset = Issue.objects.filter(project=project)
        if data is not None and "score" in str(
            data.getlist("order") if hasattr(data, "getlist") else data.get("order", "")
        ):
            queryset = scores.for_ordering(queryset, project.scoring_model)
        super().__init__(data, queryset, request=request, **kwargs)
        members = project.memberships.select_related("user").order_by("user__username")
        # Viewers can be filtered by (as former assignees) but not chosen in a bulk edit.
        self.viewers = {m.user.username for m in members if m.role == Role.VIEWER}
        self.filters["assignee"].extra["choices"] = [
            (ME, "Me"),
            (NOBODY, "Unassigned"),
            *[(m.user.username, m.user.get_full_name() or m.user.username) for m in members],
        ]
        self.filters["label"].queryset = project.labels.all()
        self.filters["status"].queryset = project.statuses.all()
        self.filters["epic"].queryset = Issue.objects.filter(project=project, kind=Kind.EPIC)

    @property
    def active(self) -> bool:
        """Whether any filter (not the ordering) narrows the issues."""
        if not self.is_bound or not self.is_valid():
            return False
        return any(
            name != "order" and _has_value(value) for name, value in self.form.cleaned_data.items()
        )

    @property
    def ordered_qs(self) -> QuerySet:
        """The issues in the list's order (the list, the export and the admin agree on it).

        An explicit ?order= with the newest number breaking ties; else search relevance when
        ?q= ranked the issues; else DEFAULT_LIST_ORDER.
        """
        queryset = self.qs
        if self.form.cleaned_data.get("order"):
            return queryset.order_by(*queryset.query.order_by, "-number")
        if SEARCH_RANK in queryset.query.annotations:
            return queryset.order_by(f"-{SEARCH_RANK}", *DEFAULT_LIST_ORDER)
        return queryset.order_by(*DEFAULT_LIST_ORDER)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """A key (WEB-42 or 42) or words of the title and description.

        PostgreSQL: full-text search on the expression that the GIN index of migration 0002
        covers, with each issue's relevance as `search_rank` (the list orders by it when no
        explicit order is asked for). SQLite: every word, case-insensitively, as a substring.
        """
        key = re.fullmatch(rf"({re.escape(self.project.key)}-)?(\d{{1,9}})", value, re.IGNORECASE)
        if key and key.group(1):
            return queryset.filter(number=int(key.group(2)))
        by_number = Q(number=int(key.group(2))) if key else Q()
        if connection.vendor == "postgresql":
            query = SearchQuery(value, config=SEARCH_CONFIG, search_type="websearch")
            matches = search_vector()
            relevance = SearchRank(matches, query)
            if key:  # The issue with that number first, then the ones that mention it.
                relevance += Case(When(by_number, then=Value(1.0)), default=Value(0.0))
            return (
                queryset.alias(search_document=matches)
                .filter(by_number | Q(search_document=query))
                .annotate(**{SEARCH_RANK: relevance})
            )
        words = Q()
        for word in value.split()[:20]:
            words &= Q(title__icontains=word) | Q(description__icontains=word)
        return queryset.filter(by_number | words)

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ME:
            return queryset.filter(assignee=self.request.user if self.request else None)
        if value == NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def filter_priority(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(priority__in=[Priority.from_slug(slug) for slug in value])

    def filter_epic(self, queryset: QuerySet, name: str, value: Issue) -> QuerySet:
        return queryset.filter(Q(parent=value) | Q(parent__parent=value))

    def filter_sprint(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "active":
            return queryset.filter(sprint__state=SprintState.ACTIVE)
        if value == NOBODY:
            return queryset.filter(Q(sprint__isnull=True) | Q(sprint__state=SprintState.CLOSED))
        return queryset.filter(sprint_id=int(value))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        closed = StatusCategory.closed()
        if value == "open":
            return queryset.exclude(status__category__in=closed)
        return queryset.filter(status__category__in=closed)  # "resolved", the only other choice


def _has_value(value) -> bool:
    if isinstance(value, QuerySet):
        return not value.query.is_empty()  # An empty multiple choice, without a query.
    if isinstance(value, slice):
        return value.start is not None or value.stop is not None  # A date range.
    return value not in (None, "", [], ())


def error_message(filterset: IssueFilter) -> str:
    """The filter form's errors as sentences, for a 400 answer or a notice."""
    parts = []
    for name, errors in filterset.form.errors.items():
        label = filterset.form.fields[name].label if name in filterset.form.fields else name
        parts.append(f"{label}: {' '.join(errors)}")
    return "Invalid filter. " + " ".join(parts)


def filter_menu(
    params, name: str, label: str, choices, *, colors=None, multiple: bool = True
) -> dict:
    """One dropdown of a filter bar (board and list): its options, each with whether the query
    string ticks it and its colour dot, if any."""
    chosen = set(params.getlist(name))
    colors = colors or {}
    options = [
        (str(value), text, str(value) in chosen, colors.get(value)) for value, text in choices
    ]
    return {
        "name": name,
        "label": label,
        "options": options,
        "multiple": multiple,
        "count": sum(1 for option in options if option[2]),
    }
