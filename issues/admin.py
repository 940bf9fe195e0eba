"""The Django admin as the triage tool: support and product staff work the queue here.

Every change to an issue goes through `issues.operations`, exactly as on the board: the admin
never calls `issue.save()`, so transitions, WIP limits, version checks and the activity log
apply. A refusal is shown as a form error or a message, never a 500.

Scoping: superusers see everything; any other staff user sees and changes only the projects
where they are an admin (querysets, object permissions and form choices, not just the menu).
The project role is the authority here, not Django's per-model permissions.
"""

from __future__ import annotations

import re
from abc import ABCMeta, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from notifications.models import Notification, Watch
from projects import operations as project_ops
from tracker.inputs import BIGINT_MAX, whole_number

from . import export, operations
from .filters import SEARCH_CONFIG, search_vector
from .models import (
    Comment,
    Issue,
    Kind,
    Label,
    Membership,
    Priority,
    Project,
    Role,
    Status,
    StatusCategory,
    Transition,
)

User = get_user_model()

admin.site.site_header = "Tracker admin"
admin.site.site_title = "Tracker admin"
admin.site.index_title = "Triage and configuration"
admin.site.site_url = "/"
# Two models to move between (the header links them): the list gets the width instead.
admin.site.enable_nav_sidebar = False

TRIAGE_QUEUE = "triage"
KEY_TERM = re.compile(r"(?:([A-Za-z][A-Za-z0-9]{1,9})-)?(\d{1,9})")
# Refusals listed one message each up to this many, then summed up.
MAX_REFUSALS_LISTED = 20


# Scoping -------------------------------------------------------------------------------------


def administered(request: HttpRequest) -> frozenset[int] | None:
    """IDs of the projects the user administers; None for a superuser (every project).

    Cached on the request: permission checks run many times per page.
    """
    if not hasattr(request, "_administered_projects"):
        user = request.user
        if user.is_active and user.is_superuser:
            ids = None
        elif user.is_active and user.is_staff:
            ids = frozenset(
                Membership.objects.filter(user=user, role=Role.ADMIN).values_list(
                    "project_id", flat=True
                )
            )
        else:
            ids = frozenset()
        request._administered_projects = ids
    return request._administered_projects


def administers(request: HttpRequest, project_id: int | None = None) -> bool:
    """Whether the user administers that project (or, without one, any project)."""
    ids = administered(request)
    if ids is None:
        return True
    return bool(ids) if project_id is None else project_id in ids


def _autocomplete_field(request: HttpRequest) -> tuple[str, str] | None:
    """(model, field) when this is an admin autocomplete request, e.g. ("issue", "labels")."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete":
        return None
    return request.GET.get("model_name", ""), request.GET.get("field_name", "")


def _edited_issue(request: HttpRequest) -> tuple[int, int] | None:
    """(id, project id) of the issue whose change page asked for autocomplete choices.

    Only narrows the choices to that project (labels, parent, assignee); what may be saved is
    still decided by the querysets and the operations.
    """
    try:
        match = resolve(urlsplit(request.headers.get("Referer", "")).path)
    except Resolver404:
        return None
    if match.url_name != "issues_issue_change":
        return None
    row = (
        Issue.objects.filter(pk=match.kwargs.get("object_id"))
        .values_list("pk", "project_id")
        .first()
    )
    return row if row and administers(request, row[1]) else None


class Refused(Exception):
    """An operation refused a save: shown to the person, with nothing written."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


@contextmanager
def refusals() -> Iterator[None]:
    """Turn what the operations raise into `Refused`."""
    try:
        yield
    except (ValidationError, PermissionDenied, operations.Conflict) as error:
        raise Refused(error) from error


class RefusableForm(forms.ModelForm):
    """A model form that shows an operation's refusal next to the fields it concerns."""

    refusal: Exception | None = None  # set by RefusalAdminMixin.get_form on the second pass

    def clean(self):
        cleaned_data = super().clean()
        if self.refusal is not None:
            self._show_refusal(self.refusal)
        return cleaned_data

    def _show_refusal(self, error: Exception) -> None:
        if isinstance(error, operations.Conflict):
            self.add_error(
                None,
                f"{error} Nothing was saved: reload the page to see the newer values, "
                "then make your change again.",
            )
        elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, _reason(error))


class RefusalAdminMixin:
    """Saves and deletions run the domain operations; their refusals reach the person.

    An operation raises after the form was validated. The admin's view runs in a transaction,
    so the `Refused` raised from save_model/save_related rolls everything back (the change log
    entry included); the view is then run again with the refusal attached to the form, which
    shows the form with the person's input and the reason, as for any invalid form.
    """

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.refusal = getattr(request, "_admin_refusal", None)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            request._admin_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            self.message_user(request, _reason(refused.error), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except Refused as refused:  # "Delete selected" refused: nothing was deleted.
            self.message_user(request, _reason(refused.error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ProjectScopedAdmin(RefusalAdminMixin, admin.ModelAdmin):
    """Rows of projects the user administers; the project role decides what they may do."""

    project_lookup = "project_id"
    form = RefusableForm

    def project_id_of(self, obj) -> int:
        return obj.project_id

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = administered(request)
        if ids is not None:
            queryset = queryset.filter(**{f"{self.project_lookup}__in": ids})
        return queryset

    def _allowed(self, request, obj=None) -> bool:
        return administers(request, None if obj is None else self.project_id_of(obj))

    def has_module_permission(self, request):
        return administers(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return administers(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)


class ScopedInline:
    """Inline rows follow the permissions on the object they belong to."""

    def _allowed(self, request, obj=None) -> bool:
        if obj is None:
            return administers(request)
        project_id = obj.pk if isinstance(obj, Project) else obj.project_id
        return administers(request, project_id)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)


def _project_ids(issues: QuerySet) -> list[int]:
    return list(issues.order_by().values_list("project_id", flat=True).distinct())


def _plural(count: int, noun: str = "issue") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# List filters --------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """The triage queue: issues in a triage-category status, oldest first."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(TRIAGE_QUEUE, "Triage (oldest first)")]

    def queryset(self, request, queryset):
        if self.value() == TRIAGE_QUEUE:
            return queryset.filter(status__category=StatusCategory.TRIAGE)
        return queryset


class ProjectFilter(admin.SimpleListFilter):
    title = "project"
    parameter_name = "project"

    def lookups(self, request, model_admin):
        projects = Project.objects.order_by("key")
        ids = administered(request)
        if ids is not None:
            projects = projects.filter(pk__in=ids)
        return [
            (str(pk), f"{key} · {name}")
            for pk, key, name in projects.values_list("pk", "key", "name")
        ]

    def queryset(self, request, queryset):
        project_id = whole_number(self.value(), maximum=BIGINT_MAX)
        if project_id is not None:
            return queryset.filter(project_id=project_id)
        return queryset


class StatusCategoryFilter(admin.SimpleListFilter):
    title = "status category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return StatusCategory.choices

    def queryset(self, request, queryset):
        if self.value() in StatusCategory.values:
            return queryset.filter(status__category=self.value())
        return queryset


class ScopedNameFilter(admin.SimpleListFilter):
    """Choose by name across the visible projects ("In progress" in every project)."""

    model: type[Status] | type[Label]
    lookup: str

    def lookups(self, request, model_admin):
        rows = self.model.objects.all()
        ids = administered(request)
        if ids is not None:
            rows = rows.filter(project_id__in=ids)
        return _names(rows.order_by(*self.model._meta.ordering).values_list("name", flat=True))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.lookup: self.value()})
        return queryset


class StatusFilter(ScopedNameFilter):
    title = "status"
    parameter_name = "status"
    model = Status
    lookup = "status__name__iexact"


class LabelFilter(ScopedNameFilter):
    title = "label"
    parameter_name = "label"
    model = Label
    # A project has at most one label of a name, so this join adds no duplicate rows.
    lookup = "labels__name__iexact"


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assignee"
    ME, NOBODY = "me", "none"

    def lookups(self, request, model_admin):
        users = User.objects.filter(memberships__isnull=False)
        ids = administered(request)
        if ids is not None:
            users = users.filter(memberships__project_id__in=ids)
        users = users.distinct().order_by("username")
        return [
            (self.ME, "Me"),
            (self.NOBODY, "Unassigned"),
            *[
                (str(user.pk), _person(user))
                for user in users.only("username", "first_name", "last_name")
            ],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ME:
            return queryset.filter(assignee=request.user)
        if value == self.NOBODY:
            return queryset.filter(assignee__isnull=True)
        user_id = whole_number(value, maximum=BIGINT_MAX)
        if user_id is not None:
            return queryset.filter(assignee_id=user_id)
        return queryset


def _person(user) -> str:
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


# Issue forms and inlines ---------------------------------------------------------------------


class IssueAdminForm(RefusableForm):
    # The version the editor loaded: update_issue refuses the save if someone saved since.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Issue
        fields = ("project", *operations.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk and cleaned_data.get("loaded_version") is None:
            # A hidden field's own error would not show: say it where it is seen.
            self.add_error(None, "The form is missing the issue's version: reload the page.")
        return cleaned_data


class ChildIssueInline(ScopedInline, admin.TabularInline):
    """Children shown for reference; they are edited on their own page."""

    model = Issue
    fk_name = "parent"
    verbose_name = "child issue"
    verbose_name_plural = "subtasks and child issues"
    fields = ("child", "title", "kind", "status", "priority", "assignee")
    readonly_fields = fields
    extra = 0
    can_delete = False
    view_on_site = False
    ordering = ("rank",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "status", "assignee")

    @admin.display(description="Key")
    def child(self, issue: Issue) -> str:
        url = reverse("admin:issues_issue_change", args=[issue.pk])
        return format_html('<a href="{}">{}</a>', url, issue.key)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommentInlineForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("body",)
        widgets = {"body": forms.Textarea(attrs={"rows": 2, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Posted comments are shown, not edited here: only their author edits them, in the app.
        if self.instance.pk:
            self.fields["body"].disabled = True


class CommentInline(ScopedInline, admin.TabularInline):
    """Comments are added (operations.add_comment) and deleted (delete_comment) here."""

    model = Comment
    form = CommentInlineForm
    fields = ("body", "author", "requester", "posted")
    readonly_fields = ("author", "requester", "posted")
    extra = 1
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        # requester: a customer's comment from the ideas portal (it has no author).
        return super().get_queryset(request).select_related("author", "requester")

    @admin.display(description="Posted")
    def posted(self, comment: Comment):
        return comment.created_at if comment.pk else ""


# Action forms (intermediate pages) -----------------------------------------------------------


class IssuesActionForm(forms.Form):
    """Asks for the value an action applies to the selected issues."""

    def __init__(self, *args, issues: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.project_ids = _project_ids(issues)


def _names(rows: Iterable[str]) -> list[tuple[str, str]]:
    """Distinct names (case-insensitive), first spelling kept, as choices."""
    names: dict[str, str] = {}
    for name in rows:
        names.setdefault(name.lower(), name)
    return [(name, name) for name in names.values()]


class StatusChoiceForm(IssuesActionForm):
    status = forms.ChoiceField(label="Move to status")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = Status.objects.filter(project_id__in=self.project_ids).order_by("position", "id")
        self.fields["status"].choices = [
            ("", "Choose a status"),
            *_names(statuses.values_list("name", flat=True)),
        ]


class PriorityChoiceForm(IssuesActionForm):
    priority = forms.TypedChoiceField(label="Priority", choices=Priority.choices, coerce=int)


class AssigneeChoiceForm(IssuesActionForm):
    NOBODY = "none"
    assignee = forms.ChoiceField(label="Assign to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = (
            User.objects.filter(memberships__project_id__in=self.project_ids)
            .distinct()
            .order_by("username")
        )
        self.fields["assignee"].choices = [
            ("", "Choose a member"),
            (self.NOBODY, "Nobody (unassign)"),
            *[(str(user.pk), _person(user)) for user in users],
        ]

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        return None if value == self.NOBODY else User.objects.get(pk=int(value))


class MergeForm(IssuesActionForm):
    primary = forms.CharField(label="Merge into (key, e.g. WEB-12)", max_length=24)

    def clean_primary(self):
        match = KEY_TERM.fullmatch(self.cleaned_data["primary"].strip())
        issue = None
        if match and match.group(1):
            issue = (
                Issue.objects.select_related("project")
                .filter(project__key__iexact=match[1], number=int(match[2]))
                .first()
            )
        if issue is None or issue.project_id not in self.project_ids:
            raise forms.ValidationError("Name an issue of the same project, like WEB-12.")
        return issue


class LabelChoiceForm(IssuesActionForm):
    label = forms.ChoiceField(label="Label to add")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = Label.objects.filter(project_id__in=self.project_ids).order_by("name")
        self.fields["label"].choices = [
            ("", "Choose a label"),
            *_names(labels.values_list("name", flat=True)),
        ]


# Issues --------------------------------------------------------------------------------------


@admin.register(Issue)
class IssueAdmin(ProjectScopedAdmin):
    form = IssueAdminForm
    list_display = (
        "key",
        "title",
        "kind",
        "status_badge",
        "priority",
        "assignee",
        "source",
        "requests",
        "project_name",
        "created",
    )
    list_display_links = ("key", "title")
    list_filter = (
        QueueFilter,
        ProjectFilter,
        StatusCategoryFilter,
        StatusFilter,
        "kind",
        "priority",
        "source",
        LabelFilter,
        AssigneeFilter,
        "created_at",
    )
    list_select_related = ("project", "status", "assignee")
    list_per_page = 50
    # Counting every issue on each page view is what makes big changelists slow.
    show_full_result_count = False
    # The search itself is get_search_results (keys, full-text words, reporters).
    search_fields = ("title", "description", "reporter__username")
    search_help_text = "A key (WEB-42 or 42), words of the title or description, or a reporter."
    date_hierarchy = "created_at"
    autocomplete_fields = ("assignee", "parent", "labels")
    inlines = (ChildIssueInline, CommentInline)
    readonly_fields = (
        "key",
        "similar_issues",
        "reporter",
        "number",
        "rank",
        "version",
        "created_at",
        "updated_at",
        "resolved_at",
    )
    save_as = False
    actions = (
        "accept",
        "decline",
        "publish",
        "merge_into",
        "move_to_status",
        "set_priority",
        "assign_to_me",
        "assign_to_member",
        "add_label",
        "export_csv",
    )

    # Lists ---------------------------------------------------------------------------------

    def get_queryset(self, request):
        # The key needs the project; a non-empty select_related replaces list_select_related.
        queryset = super().get_queryset(request).select_related(*self.list_select_related)
        if _autocomplete_field(request) == ("issue", "parent"):
            queryset = queryset.exclude(kind=Kind.SUBTASK)  # A subtask has no children.
            edited = _edited_issue(request)
            if edited:
                queryset = queryset.filter(project_id=edited[1]).exclude(pk=edited[0])
        return queryset

    def get_ordering(self, request):
        if request.GET.get(QueueFilter.parameter_name) == TRIAGE_QUEUE:
            return ("created_at", "pk")  # Work the queue top-down: oldest first.
        # Newest first. Issues are numbered as they are created, so the primary key's index
        # gives this order without sorting every issue (there is no index on created_at alone).
        return ("-pk",)

    def get_search_results(self, request, queryset, search_term):
        """A key finds its issue ("WEB-42", "42"); words search title, description, reporter.

        On PostgreSQL the words go through the list's full-text search (its GIN index), so a
        search stays fast with many issues; a full key is an exact lookup.
        """
        term = search_term.strip()[:200]
        if not term:
            return queryset, False
        key = KEY_TERM.fullmatch(term)
        if key and key.group(1):
            return queryset.filter(project__key__iexact=key[1], number=int(key[2])), False
        by_number = Q(number=int(key[2])) if key else Q()
        person = Q()
        for field in ("username", "first_name", "last_name", "email"):
            person |= Q(**{f"{field}__icontains": term})
        by_reporter = Q(
            reporter_id__in=list(User.objects.filter(person).values_list("pk", flat=True)[:100])
        )
        if connection.vendor == "postgresql":
            words = Q(
                search_document=SearchQuery(term, config=SEARCH_CONFIG, search_type="websearch")
            )
            queryset = queryset.alias(search_document=search_vector())
        else:
            words = Q()
            for word in term.split()[:20]:
                words &= Q(title__icontains=word) | Q(description__icontains=word)
        return queryset.filter(by_number | by_reporter | words), False

    def changelist_view(self, request, extra_context=None):
        in_queue = request.GET.get(QueueFilter.parameter_name) == TRIAGE_QUEUE
        extra_context = {
            "in_triage_queue": in_queue,
            **({"title": "Triage queue: oldest first"} if in_queue else {}),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="Key", ordering="number")
    def key(self, issue: Issue) -> str:
        return issue.key

    @admin.display(description="Status", ordering="status__position")
    def status_badge(self, issue: Issue) -> str:
        return format_html(
            '<span class="status-dot" style="background:{}"></span>{}',
            issue.status.color,
            issue.status.name,
        )

    @admin.display(description="Similar issues")
    def similar_issues(self, issue: Issue) -> str:
        """Look-alike titles (intake's trigram search): merge with the "Merge into" action."""
        from intake.portal import similar

        rows = similar(issue.project, issue.title, public_only=False, exclude=issue.pk)
        if not rows:
            return "None found."
        return format_html_join(
            ", ",
            '<a href="{}">{}-{}</a> {}',
            (
                (
                    reverse("admin:issues_issue_change", args=[row["pk"]]),
                    issue.project.key,
                    row["number"],
                    row["title"],
                )
                for row in rows
            ),
        )

    @admin.display(description="Requests", ordering="demand")
    def requests(self, issue: Issue) -> int | str:
        return issue.demand or ""

    @admin.display(description="Created", ordering="created_at")
    def created(self, issue: Issue) -> str:
        return date_format(timezone.localtime(issue.created_at), "M j, Y")

    @admin.display(description="Project", ordering="project__key")
    def project_name(self, issue: Issue) -> str:
        return issue.project.name

    # The change form -----------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        main = ["project", "key", "title", "description", "loaded_version"] if obj else []
        planning = ["parent", "estimate", "due_date"]
        if obj:  # Sprints, releases and score inputs (the planning app) are the project's.
            planning += ["sprint", "release", "value", "reach", "impact", "confidence"]
        fieldsets = [
            (None, {"fields": main or ["project", "title", "description"]}),
            (
                "Triage",
                {
                    "fields": [
                        "kind",
                        "status",
                        "priority",
                        "source",
                        "public",
                        "assignee",
                        "labels",
                    ]
                },
            ),
            ("Planning", {"fields": planning}),
        ]
        if obj:
            fieldsets.append(("Duplicates", {"fields": ["similar_issues"]}))
            record = ["reporter", "number", "rank", "version"]
            record += ["created_at", "updated_at", "resolved_at"]
            fieldsets.append(("Record", {"fields": record, "classes": ["collapse"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        # An issue stays in its project: its key and links depend on it.
        return (*self.readonly_fields, "project") if obj else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj else (CommentInline,)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = administered(request)
        if db_field.name == "project":
            projects = Project.objects.order_by("key")
            kwargs["queryset"] = projects if ids is None else projects.filter(pk__in=ids)
        elif db_field.name == "status":
            statuses = Status.objects.select_related("project").order_by("project__key", "position")
            kwargs["queryset"] = statuses if ids is None else statuses.filter(project_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_autocomplete_fields(self, request):
        # A new issue has no project yet, and label names repeat across projects: there the
        # labels are a plain list that names each one's project.
        match = request.resolver_match
        if match is not None and match.url_name == "issues_issue_add":
            return ("assignee", "parent")
        return self.autocomplete_fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "labels":
            ids = administered(request)
            labels = Label.objects.select_related("project").order_by("project__key", "name")
            kwargs["queryset"] = labels if ids is None else labels.filter(project_id__in=ids)
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "labels" and "labels" not in self.get_autocomplete_fields(request):
            formfield.label_from_instance = lambda label: f"{label.project.key} · {label.name}"
        return formfield

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"project", "assignee", "parent", "sprint", "release"} and formfield:
            # No popups to edit, add or delete other objects from an issue's form.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
        return formfield

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        status = form.base_fields.get("status")
        if obj is not None:
            for name in ("sprint", "release"):
                if name in form.base_fields:
                    form.base_fields[name].queryset = getattr(obj.project, f"{name}s").all()
        if status is not None:
            if obj is not None:
                status.queryset = obj.project.statuses.all()
            else:
                status.label_from_instance = lambda s: f"{s.project.key} · {s.name}"
                status.required = False
                status.help_text = "Empty: the project's default status."
        return form

    def save_model(self, request, obj, form, change):
        """Create or update through the operations; never obj.save()."""
        data = form.cleaned_data
        with refusals():
            if not change:
                created = operations.create_issue(
                    project=data["project"],
                    actor=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    status=data.get("status"),
                    description=data.get("description", ""),
                    priority=data["priority"],
                    assignee=data.get("assignee"),
                    labels=data.get("labels") or (),
                    parent=data.get("parent"),
                    estimate=data.get("estimate"),
                    source=data["source"],
                    due_date=data.get("due_date"),
                    public=data.get("public", False),
                )
                obj.__dict__.update(created.__dict__)
                return
            changes = {
                name: data[name] for name in form.changed_data if name in operations.EDITABLE_FIELDS
            }
            if not changes:
                return
            updated = operations.update_issue(
                issue=obj,
                actor=request.user,
                changes=changes,
                expected_version=data["loaded_version"],
            )
            obj.version = updated.version

    def save_related(self, request, form, formsets, change):
        # Labels were saved by the operation with the rest of the issue: no form.save_m2m().
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not Comment:
            return  # Child issues are read-only here.
        with refusals():
            for comment_form in formset.forms:
                comment = comment_form.instance
                if comment_form in formset.deleted_forms:
                    if comment.pk:
                        operations.delete_comment(comment=comment, actor=request.user)
                        formset.deleted_objects.append(comment)
                elif not comment.pk and comment_form.has_changed():
                    formset.new_objects.append(
                        operations.add_comment(
                            issue=form.instance,
                            actor=request.user,
                            body=comment_form.cleaned_data["body"],
                        )
                    )

    def get_deleted_objects(self, objs, request):
        """An issue's watches and inbox rows go with it: rows the notifications make, read-only
        in the admin, so they ask for no delete permission of their own (the confirmation page
        still lists them); everything else the issue carries is checked as usual."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        derived = {str(model._meta.verbose_name) for model in (Watch, Notification)}
        return deleted, counts, perms_needed - derived, protected

    def delete_model(self, request, obj):
        with refusals():
            operations.delete_issue(issue=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        """All or nothing: one refusal (an issue with children) deletes none of them."""
        with transaction.atomic(), refusals():
            for issue in queryset.select_related("project"):
                operations.delete_issue(issue=issue, actor=request.user)

    # Actions -------------------------------------------------------------------------------

    @admin.action(description="Accept into the backlog", permissions=["change"])
    def accept(self, request, queryset):
        self._move_to_category(
            request, queryset, StatusCategory.BACKLOG, "Accepted {} into the backlog."
        )

    @admin.action(description="Decline (move to canceled)", permissions=["change"])
    def decline(self, request, queryset):
        self._move_to_category(request, queryset, StatusCategory.CANCELED, "Declined {}.")

    @admin.action(description="Publish to the ideas portal", permissions=["change"])
    def publish(self, request, queryset):
        self._update(request, queryset, {"public": True}, "Published {}.")

    @admin.action(description="Merge into another issue…", permissions=["change"])
    def merge_into(self, request, queryset):
        """Close the selected issues as duplicates of one issue (intake's merge)."""
        form = self._ask(request, queryset, MergeForm, "Merge issues into one", "merge_into")
        if isinstance(form, HttpResponse):
            return form
        primary = form.cleaned_data["primary"]
        result = operations.BulkResult()
        for issue in queryset.select_related("project", "status"):
            try:
                with transaction.atomic():
                    operations.merge_issue(duplicate=issue, primary=primary, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                result.refused[issue.key] = _reason(error)
            else:
                result.changed.append(issue)
        self._report(request, result, f"Merged {{}} into {primary.key}.")

    @admin.action(description="Move to a status…", permissions=["change"])
    def move_to_status(self, request, queryset):
        form = self._ask(
            request, queryset, StatusChoiceForm, "Move issues to a status", "move_to_status"
        )
        if isinstance(form, HttpResponse):
            return form
        name = form.cleaned_data["status"]
        targets = {
            status.project_id: status
            for status in Status.objects.filter(project_id__in=form.project_ids, name__iexact=name)
        }
        self._move(
            request,
            queryset,
            targets,
            f"Moved {{}} to “{name}”.",
            f"{{project}} has no status “{name}”.",
        )

    @admin.action(description="Set priority…", permissions=["change"])
    def set_priority(self, request, queryset):
        form = self._ask(request, queryset, PriorityChoiceForm, "Set the priority", "set_priority")
        if isinstance(form, HttpResponse):
            return form
        priority = Priority(form.cleaned_data["priority"])
        self._update(
            request,
            queryset,
            {"priority": priority},
            f"Set the priority of {{}} to {priority.label}.",
        )

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._update(request, queryset, {"assignee": request.user}, "Assigned {} to you.")

    @admin.action(description="Assign to a member…", permissions=["change"])
    def assign_to_member(self, request, queryset):
        form = self._ask(request, queryset, AssigneeChoiceForm, "Assign issues", "assign_to_member")
        if isinstance(form, HttpResponse):
            return form
        assignee = form.cleaned_data["assignee"]
        done = f"Assigned {{}} to {assignee.get_username()}." if assignee else "Unassigned {}."
        self._update(request, queryset, {"assignee": assignee}, done)

    @admin.action(description="Add a label…", permissions=["change"])
    def add_label(self, request, queryset):
        form = self._ask(request, queryset, LabelChoiceForm, "Add a label", "add_label")
        if isinstance(form, HttpResponse):
            return form
        name = form.cleaned_data["label"]
        labels = {
            label.project_id: label
            for label in Label.objects.filter(project_id__in=form.project_ids, name__iexact=name)
        }
        self._per_project(
            request,
            queryset,
            labels,
            f"Added “{name}” to {{}}.",
            f"{{project}} has no label “{name}”.",
            apply=lambda issues, label: operations.bulk_update(
                issues=issues, actor=request.user, add_label=label
            ),
        )

    @admin.action(description="Export as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """The list page's CSV export (issues.export), for the selected issues."""
        keys = Project.objects.filter(pk__in=_project_ids(queryset)).values_list("key", flat=True)
        prefix = keys[0] if len(keys) == 1 else "tracker"
        return export.csv_response(queryset, filename_prefix=prefix)

    def _move_to_category(self, request, queryset, category: str, done: str) -> None:
        """To each project's first status of the category (by position)."""
        targets: dict[int, Status] = {}
        statuses = Status.objects.filter(project_id__in=_project_ids(queryset), category=category)
        for status in statuses.order_by("project_id", "position", "id"):
            targets.setdefault(status.project_id, status)
        label = StatusCategory(category).label.lower()
        self._move(request, queryset, targets, done, f"{{project}} has no {label} status.")

    def _move(self, request, queryset, targets: dict[int, Status], done: str, missing: str) -> None:
        """Move each issue to its project's target status with operations.bulk_move."""
        self._per_project(
            request,
            queryset,
            targets,
            done,
            missing,
            apply=lambda issues, status: operations.bulk_move(
                issues=issues, actor=request.user, status=status
            ),
            already_there=lambda issue, status: issue.status_id == status.pk,
        )

    def _update(self, request, queryset, changes: dict, done: str) -> None:
        """The same field changes on every selected issue, with operations.bulk_update."""
        result = operations.bulk_update(
            issues=queryset.select_related("project"), actor=request.user, changes=changes
        )
        self._report(request, result, done)

    def _per_project(
        self,
        request,
        queryset,
        targets: dict[int, Status | Label],
        done: str,
        missing: str,
        *,
        apply: Callable[[list[Issue], Status | Label], operations.BulkResult],
        already_there: Callable[[Issue, Status | Label], bool] | None = None,
    ) -> None:
        """Apply an operation per project with that project's target (a status, a label).

        An issue whose project has no such target is refused (`missing`, with {project}); one
        `already_there` is listed as not changed.
        """
        result = operations.BulkResult()
        already: list[str] = []
        groups: dict[Status | Label, list[Issue]] = defaultdict(list)
        for issue in queryset.select_related("project", "status"):
            target = targets.get(issue.project_id)
            if target is None:
                result.refused[issue.key] = missing.format(project=issue.project.key)
            elif already_there is not None and already_there(issue, target):
                already.append(issue.key)
            else:
                groups[target].append(issue)
        for target, issues in groups.items():
            applied = apply(issues, target)
            result.changed += applied.changed
            result.refused.update(applied.refused)
        self._report(request, result, done, already=already)

    def _report(self, request, result: operations.BulkResult, done: str, *, already=()) -> None:
        """What was applied, and each refusal by key ("WEB-3: reason")."""
        if result.changed:
            self.message_user(request, done.format(_plural(len(result.changed))), messages.SUCCESS)
        if already:
            self.message_user(
                request, f"Already there, not changed: {', '.join(already)}.", messages.INFO
            )
        refused = list(result.refused.items())
        for key, reason in refused[:MAX_REFUSALS_LISTED]:
            self.message_user(request, f"{key}: {reason}", messages.WARNING)
        if len(refused) > MAX_REFUSALS_LISTED:
            more = len(refused) - MAX_REFUSALS_LISTED
            self.message_user(request, f"…and {_plural(more)} more not changed.", messages.WARNING)

    def _ask(self, request, queryset, form_class, title: str, action: str):
        """The intermediate page of an action that needs a value; the valid form once applied."""
        if "apply" in request.POST:
            form = form_class(request.POST, issues=queryset)
            if form.is_valid():
                return form
        else:
            form = form_class(issues=queryset)
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "action": action,
            "issues": queryset.select_related("project", "status")[:MAX_REFUSALS_LISTED],
            "count": count,
            "more": max(0, count - MAX_REFUSALS_LISTED),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request,
            "admin/issues/issue/action_form.html",
            context,
            status=400 if form.is_bound else 200,
        )


# Projects and their configuration ------------------------------------------------------------


class ColorInput(forms.TextInput):
    input_type = "color"


class CheckedFormSet(BaseInlineFormSet, metaclass=ABCMeta):
    """Abstract: an inline formset whose rules about the rows together (`check_rows`) run
    before Django's own checks.

    Django's check of a deleted row's protected objects would list every issue of a status;
    ours says what to do instead, so it runs first.
    """

    def clean(self):
        if not any(self.errors):
            kept, deleted = [], []
            for form in self.forms:
                if not form.cleaned_data:
                    continue  # An untouched extra row.
                if self._should_delete_form(form):
                    if form.instance.pk:
                        deleted.append(form.instance)
                else:
                    kept.append(form)
            self.check_rows(kept, deleted)
        super().clean()

    @abstractmethod
    def check_rows(self, kept: list[forms.ModelForm], deleted: list) -> None:
        """Raise ValidationError if the rows kept and deleted together break a rule."""


class MembershipFormSet(CheckedFormSet):
    def check_rows(self, kept, deleted):
        changed = deleted or any(form.has_changed() for form in kept)
        if changed and not any(form.cleaned_data.get("role") == Role.ADMIN for form in kept):
            raise ValidationError("A project needs at least one admin.", code="no_admin")
        for membership in deleted:
            assigned = Issue.objects.filter(
                project=self.instance, assignee_id=membership.user_id
            ).count()
            if assigned:
                raise ValidationError(
                    f"{membership.user.get_username()} is assigned {_plural(assigned)} in "
                    f"{self.instance.key}: reassign them before removing this member.",
                    code="member_assigned",
                )


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    verbose_name = "member"
    verbose_name_plural = "members"
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class StatusFormSet(CheckedFormSet):
    def check_rows(self, kept, deleted):
        if not kept:
            raise ValidationError("A project needs at least one status.", code="no_status")
        _check_unique_names(kept, "statuses")
        for status in deleted:
            if status.is_default:
                raise ValidationError(
                    f"“{status.name}” is the default status: choose another default first.",
                    code="delete_default",
                )
            # Issue.status is PROTECT: say what to do rather than fail on delete.
            count = status.issues.count()
            if count:
                raise ValidationError(
                    f"“{status.name}” still has {_plural(count)}: move them to another status "
                    "before deleting it.",
                    code="status_in_use",
                )


def _check_unique_names(kept: list[forms.ModelForm], nouns: str) -> None:
    """Names are unique per project whatever their case (the database would refuse later)."""
    seen: set[str] = set()
    for form in kept:
        name = (form.cleaned_data.get("name") or "").strip()
        if name.lower() in seen:
            raise ValidationError(f"Two {nouns} are named “{name}”.", code="duplicate_name")
        seen.add(name.lower())


class StatusInline(ScopedInline, admin.TabularInline):
    model = Status
    formset = StatusFormSet
    fields = ("name", "category", "color", "position", "wip_limit", "is_default")
    # The default is chosen once, on the project form, so that there is always exactly one.
    readonly_fields = ("is_default",)
    extra = 0
    ordering = ("position", "id")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "color":
            kwargs["widget"] = ColorInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TransitionForm(forms.ModelForm):
    class Meta:
        model = Transition
        fields = ("from_status", "to_status")

    def _post_clean(self):
        # Transition.clean() reads both statuses: only run it when both were given.
        if self.has_error("from_status") or self.has_error("to_status"):
            return
        super()._post_clean()


class TransitionInline(ScopedInline, admin.TabularInline):
    model = Transition
    form = TransitionForm
    extra = 0
    verbose_name_plural = "transitions (a status with none allows every move)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_status", "to_status")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        statuses = obj.statuses.all() if obj is not None else Status.objects.none()
        for name in ("from_status", "to_status"):
            formset.form.base_fields[name].queryset = statuses
        return formset


class LabelFormSet(CheckedFormSet):
    def check_rows(self, kept, deleted):
        _check_unique_names(kept, "labels")


class LabelInline(ScopedInline, admin.TabularInline):
    model = Label
    formset = LabelFormSet
    fields = ("name", "color", "description")
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "color":
            kwargs["widget"] = ColorInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ProjectAdminForm(RefusableForm):
    default_status = forms.ModelChoiceField(
        queryset=Status.objects.none(),
        required=False,
        help_text="Where new issues land.",
    )

    class Meta:
        model = Project
        fields = ("key", "name", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            field = self.fields["default_status"]
            field.queryset = self.instance.statuses.all()
            field.required = True
            field.initial = next((s.pk for s in field.queryset if s.is_default), None)


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    form = ProjectAdminForm
    project_lookup = "pk"
    list_display = ("key", "name", "open_issues", "created_at")
    list_display_links = ("key", "name")
    search_fields = ("key", "name")
    ordering = ("key",)

    def project_id_of(self, obj) -> int:
        return obj.pk

    def get_queryset(self, request):
        return super().get_queryset(request).with_open_issue_count()

    @admin.display(description="Open issues", ordering="open_issue_count")
    def open_issues(self, project: Project) -> int:
        return project.open_issue_count

    def get_fields(self, request, obj=None):
        return (
            ("key", "name", "description", "default_status")
            if obj
            else ("key", "name", "description")
        )

    def get_readonly_fields(self, request, obj=None):
        return ("key",) if obj else ()

    def get_inlines(self, request, obj):
        # A new project gets the default workflow and labels; they are edited once it exists.
        return (MembershipInline, StatusInline, TransitionInline, LabelInline) if obj else ()

    def has_add_permission(self, request):
        # Creating projects is for superusers (and staff given "add project" explicitly).
        return super(ProjectScopedAdmin, self).has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting a project deletes its issues and history: Django's permission and the role.
        return super(ProjectScopedAdmin, self).has_delete_permission(
            request, obj
        ) and self._allowed(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            with refusals():
                project_ops.update_project(
                    project=Project.objects.get(pk=obj.pk),
                    actor=request.user,
                    name=obj.name,
                    description=obj.description,
                )
            return
        with refusals():
            created = operations.create_project(
                key=obj.key, name=obj.name, description=obj.description, owner=request.user
            )
        obj.__dict__.update(created.__dict__)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)
        default = form.cleaned_data.get("default_status")
        if change and default is not None and not default.is_default:
            with refusals():
                project_ops.choose_default_status(status=default, actor=request.user)

    def save_formset(self, request, form, formset, change):
        """Each inline's rows through projects.operations, as on the settings pages."""
        save = {
            Status: _save_statuses,
            Label: _save_labels,
            Membership: _save_memberships,
            Transition: _save_transitions,
        }[formset.model]
        new, changed, deleted = _rows(formset)
        with transaction.atomic(), refusals():
            save(formset, form.instance, request.user, new, changed, deleted)
        # What the admin's change message (history) lists, as formset.save() would set.
        formset.new_objects = [row.instance for row in new]
        formset.changed_objects = [(row.instance, row.changed_data) for row in changed]
        formset.deleted_objects = deleted

    def response_add(self, request, obj, post_url_continue=None):
        """Straight to the new project's page: its workflow, labels and members."""
        self.message_user(
            request,
            f"Created {obj.key} with the default workflow and labels; you are its admin.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:issues_project_change", args=[obj.pk]))


def _rows(formset) -> tuple[list, list, list]:
    """(new forms, changed forms of existing rows, deleted rows) of an inline formset."""
    new, changed, deleted = [], [], []
    for row in formset.forms:
        if not row.has_changed() and not formset._should_delete_form(row):
            continue
        if formset._should_delete_form(row):
            if row.instance.pk:
                deleted.append(row.instance)
        elif row.instance.pk:
            changed.append(row)
        else:
            new.append(row)
    return new, changed, deleted


def _save_statuses(formset, project: Project, actor, new, changed, deleted) -> None:
    for status in deleted:
        project_ops.delete_status(status=status, actor=actor)
    for row in changed:
        data = row.cleaned_data
        project_ops.update_status(
            status=row.instance,
            actor=actor,
            **{name: data[name] for name in ("name", "category", "color", "wip_limit")},
        )
    for row in new:
        data = row.cleaned_data
        row.instance = project_ops.add_status(
            project=project,
            actor=actor,
            **{name: data[name] for name in ("name", "category", "color", "wip_limit")},
        )
    positions = {
        row.instance.pk: row.cleaned_data.get("position") or 0
        for row in formset.forms
        if row.cleaned_data and not formset._should_delete_form(row) and row.instance.pk
    }
    if any("position" in row.changed_data for row in changed + new):
        order = sorted(project.statuses.values_list("pk", flat=True),
                       key=lambda pk: (positions.get(pk, 0), pk))  # fmt: skip
        project_ops.reorder_statuses(project=project, actor=actor, order=order)


def _save_labels(formset, project: Project, actor, new, changed, deleted) -> None:
    for label in deleted:
        project_ops.delete_label(label=label, actor=actor)
    for row in changed:
        data = row.cleaned_data
        project_ops.update_label(
            label=row.instance,
            actor=actor,
            name=data["name"],
            color=data["color"],
            description=data["description"],
        )
    for row in new:
        data = row.cleaned_data
        row.instance = project_ops.add_label(
            project=project,
            actor=actor,
            name=data["name"],
            color=data["color"],
            description=data["description"],
        )


def _save_memberships(formset, project: Project, actor, new, changed, deleted) -> None:
    # Admins are added and promoted before anyone is demoted or removed, so that a swap of
    # admins in one save never trips "the last admin".
    changed.sort(key=lambda row: row.cleaned_data["role"] != Role.ADMIN)
    for row in new:
        row.instance = project_ops.add_member(
            project=project,
            actor=actor,
            user=row.cleaned_data["user"],
            role=row.cleaned_data["role"],
        )
    for row in changed:
        if "user" in row.changed_data:
            old = Membership.objects.get(pk=row.instance.pk)
            project_ops.add_member(
                project=project,
                actor=actor,
                user=row.cleaned_data["user"],
                role=row.cleaned_data["role"],
            )
            project_ops.remove_member(membership=old, actor=actor)
        else:
            project_ops.change_role(
                membership=row.instance, actor=actor, role=row.cleaned_data["role"]
            )
    for membership in deleted:
        project_ops.remove_member(membership=membership, actor=actor)


def _save_transitions(formset, project: Project, actor, *rows) -> None:
    kept = set()
    for row in formset.forms:
        if formset._should_delete_form(row):
            continue
        data = row.cleaned_data
        if data.get("from_status") and data.get("to_status"):
            kept.add((data["from_status"].pk, data["to_status"].pk))
    current = set(project.transitions.values_list("from_status_id", "to_status_id"))
    if kept != current:
        project_ops.set_transitions(project=project, actor=actor, allowed=kept)


@admin.register(Label)
class LabelAdmin(ProjectScopedAdmin):
    """The source of the issue form's label autocomplete; labels are edited on their project."""

    search_fields = ("name",)
    ordering = ("project__key", "name")

    def has_module_permission(self, request):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _autocomplete_field(request) == ("issue", "labels"):
            edited = _edited_issue(request)
            if edited:
                queryset = queryset.filter(project_id=edited[1])
        return queryset


# Users ---------------------------------------------------------------------------------------


admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    """Django's user admin, plus the two user pickers that project admins need.

    A project admin without Django's user permissions may search users only to assign issues
    (members of the projects they administer) or to add a member (active users).
    """

    def _picker(self, request) -> tuple[str, str] | None:
        field = _autocomplete_field(request)
        return field if field in {("issue", "assignee"), ("membership", "user")} else None

    def has_view_permission(self, request, obj=None):
        if super().has_view_permission(request, obj):
            return True
        return obj is None and self._picker(request) is not None and administers(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        picker = self._picker(request)
        if picker == ("membership", "user"):
            return queryset.filter(is_active=True)
        if picker == ("issue", "assignee"):
            edited = _edited_issue(request)
            ids = administered(request) if edited is None else {edited[1]}
            members = (
                Membership.objects.all()
                if ids is None
                else Membership.objects.filter(project_id__in=ids)
            )
            return queryset.filter(pk__in=members.values("user_id"))
        return queryset

    def get_search_results(self, request, queryset, search_term):
        """Adding a member finds one account by its exact username or e-mail address, never
        a list to browse: a project admin must not learn who else has an account."""
        if self._picker(request) == ("membership", "user"):
            term = search_term.strip()
            if not term:
                return queryset.none(), False
            return queryset.filter(Q(username__iexact=term) | Q(email__iexact=term)), False
        return super().get_search_results(request, queryset, search_term)


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    """The admin's "View on site" (/admin/r/<content type>/<id>/) for what this staff user
    administers only: anything else is a 404, so no other project's keys or numbers leak."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
        obj = content_type.get_object_for_this_type(pk=object_id)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise Http404("No such object.") from None
    project_id = obj.pk if isinstance(obj, Project) else getattr(obj, "project_id", None)
    allowed = administered(request) is None or (
        project_id is not None and administers(request, project_id)
    )
    if not allowed:
        raise Http404("No such object.")
    return contenttype_views.shortcut(request, content_type_id, object_id)
