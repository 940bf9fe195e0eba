"""Forms of the issue pages: create, edit one field in place, comment, bulk edit.

The forms turn what a browser sends into model values and say what is wrong in words;
the rules themselves (workflow, hierarchy, WIP limits, roles) stay in `issues.operations`.
Every choice is limited to the project: a foreign status, label or user is an invalid choice.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, QuerySet, When

from tracker.inputs import BIGINT_MAX, whole_number

from .models import (
    KIND_LEVELS,
    Confidence,
    Impact,
    Issue,
    Kind,
    Priority,
    Project,
    Role,
    Source,
    StatusCategory,
)

# The kinds that a parent of each kind may be (the hierarchy is epic › story/task/bug › subtask).
PARENT_KINDS = {
    kind: [parent for parent, level in KIND_LEVELS.items() if level == KIND_LEVELS[kind] - 1]
    for kind in Kind
}
# The kind an "add child" action suggests under an issue of each kind.
CHILD_KIND = {Kind.EPIC: Kind.STORY, Kind.STORY: Kind.SUBTASK, Kind.TASK: Kind.SUBTASK,
              Kind.BUG: Kind.SUBTASK}  # fmt: skip
PRIORITY_CHOICES = [(priority.slug, priority.label) for priority in Priority]
VALUE_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]
MAX_DESCRIPTION = 50_000
MAX_COMMENT = 20_000
BULK_LIMIT = 500


def parent_choices(project: Project, kind: str) -> QuerySet[Issue]:
    """The issues that an issue of `kind` may sit under: none for an epic."""
    kinds = PARENT_KINDS.get(kind, [])
    if not kinds:
        return Issue.objects.none()
    return Issue.objects.filter(project=project, kind__in=kinds).order_by("-number")


def matching_parents(project: Project, issue: Issue, query: str) -> QuerySet[Issue]:
    """The parent picker's results: the issues `issue` may sit under (the hierarchy decides
    the kinds: parent_choices), itself excluded, that match `query`: a key (WEB-12) or number,
    or words that are all in the title. Open issues first, newest first."""
    parents = parent_choices(project, issue.kind).exclude(pk=issue.pk)
    query = " ".join((query or "").split())[:200]
    if query:
        key = query.upper().removeprefix(f"{project.key}-")
        number = whole_number(key, maximum=BIGINT_MAX)
        words = Q()
        for word in query.split()[:8]:
            words &= Q(title__icontains=word)
        parents = parents.filter(words | Q(number=number) if number is not None else words)
    closed = Case(
        When(status__category__in=[StatusCategory.DONE, StatusCategory.CANCELED], then=1),
        default=0,
        output_field=IntegerField(),
    )
    return (
        parents.select_related("status")
        .only("number", "title", "kind", "status__name", "status__category")
        .annotate(closed=closed)
        .order_by("closed", "-number")
    )


def members_of(project: Project) -> QuerySet:
    """Who can be assigned: members and admins (a viewer could not move their own card)."""
    return (
        get_user_model()
        .objects.filter(
            memberships__project=project, memberships__role__in=[Role.MEMBER, Role.ADMIN]
        )
        .order_by("username")
    )


class CheckedIdsMixin:
    """For a ModelMultipleChoiceField of rows chosen by id: an id that is not a plain number
    within the column's range is an invalid choice (the database is never asked: SQLite cannot
    even bind one past 2**63)."""

    def _check_values(self, value):
        for pk in value:
            if whole_number(str(pk), maximum=BIGINT_MAX) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:20]},
                )
        return super()._check_values(value)


class IdsField(CheckedIdsMixin, forms.ModelMultipleChoiceField):
    pass


class IssueChoiceField(forms.ModelChoiceField):
    """An issue chosen by its number, shown as its key and title."""

    def label_from_instance(self, issue: Issue) -> str:
        return f"{issue.project.key}-{issue.number} · {issue.title}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.get_username()


class PriorityField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PRIORITY_CHOICES, coerce=Priority.from_slug, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return Priority(value).slug
        return value


def issue_fields(project: Project, kind: str) -> dict[str, forms.Field]:
    """The editable fields of an issue, with choices limited to the project (and the kind)."""
    parents = parent_choices(project, kind).select_related("project")
    return {
        "kind": forms.ChoiceField(choices=Kind.choices, initial=Kind.STORY),
        "title": forms.CharField(max_length=200),
        "description": forms.CharField(
            required=False,
            max_length=MAX_DESCRIPTION,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 8}),
            help_text="Markdown: **bold**, `code`, lists, links; WEB-42 links an issue.".replace(
                "WEB", project.key
            ),
        ),
        "status": forms.ModelChoiceField(queryset=project.statuses.all(), empty_label=None),
        "priority": PriorityField(initial=Priority.NONE.slug),
        "assignee": MemberChoiceField(
            queryset=members_of(project), required=False, empty_label="Unassigned"
        ),
        "labels": IdsField(
            queryset=project.labels.all(), required=False, widget=forms.CheckboxSelectMultiple
        ),
        "parent": IssueChoiceField(
            queryset=parents,
            to_field_name="number",
            required=kind == Kind.SUBTASK,
            empty_label="No parent",
            disabled=kind == Kind.EPIC,
            help_text="Epics sit at the top: they have no parent." if kind == Kind.EPIC else "",
        ),
        "estimate": forms.IntegerField(
            min_value=0, max_value=100, required=False, help_text="Story points, 0 to 100."
        ),
        "source": forms.ChoiceField(choices=Source.choices, initial=Source.INTERNAL),
        "due_date": forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"})),
        # Planning: any of the project's sprints and releases (the operation refuses closed
        # sprints and released versions with a sentence), and the score inputs.
        "sprint": forms.ModelChoiceField(
            queryset=project.sprints.all(), required=False, empty_label="No sprint"
        ),
        "release": forms.ModelChoiceField(
            queryset=project.releases.all(), required=False, empty_label="No release"
        ),
        "value": forms.TypedChoiceField(
            choices=VALUE_CHOICES, coerce=int, empty_value=None, required=False
        ),
        "reach": forms.IntegerField(min_value=0, max_value=1_000_000_000, required=False),
        "impact": forms.ChoiceField(choices=[("", "—"), *Impact.choices], required=False),
        "confidence": forms.TypedChoiceField(
            choices=[("", "—"), *Confidence.choices], coerce=int, empty_value=None, required=False
        ),
    }


class IssueForm(forms.Form):
    """A new issue. The parent's choices follow the chosen kind."""

    FIELDS = ("kind", "title", "description", "status", "priority", "assignee", "labels",
              "parent", "estimate", "source", "due_date")  # fmt: skip

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        self.chosen_kind = kind if kind in Kind.values else Kind.STORY
        fields = issue_fields(project, self.chosen_kind)
        for name in self.FIELDS:
            self.fields[name] = fields[name]
        self.fields["status"].initial = project.default_status()

    def side_fields(self) -> list[forms.BoundField]:
        """The fields the form shows beside the title and description, in order."""
        return [self[name] for name in ("status", "priority", "assignee", "estimate", "source",
                                        "due_date")]  # fmt: skip


class IssueFieldForm(forms.Form):
    """One field of an existing issue, edited in place on its page, with the version the page
    showed (optional: a post without one is not checked for conflicts)."""

    version = forms.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, issue: Issue, field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_name = field
        self.fields[field] = issue_fields(issue.project, issue.kind)[field]
        if field == "parent":
            self.fields[field].queryset = self.fields[field].queryset.exclude(pk=issue.pk)

    @property
    def value(self):
        return self.cleaned_data[self.field_name]


class IssueTextForm(forms.Form):
    """The title or the description, with the version the editor started from."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, project: Project, field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_name = field
        self.fields[field] = issue_fields(project, Kind.STORY)[field]

    @property
    def value(self) -> str:
        return self.cleaned_data[self.field_name]


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Leave a comment (Markdown)"}),
        error_messages={"required": "A comment cannot be empty."},
    )


class NumberListField(forms.Field):
    """Issue numbers from checkboxes (`issues=3&issues=7`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        if len(value) > BULK_LIMIT:
            raise forms.ValidationError(f"Select at most {BULK_LIMIT} issues at once.")
        try:
            numbers = sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError("Issues are chosen by their numbers.") from None
        if any(number < 1 or number > 10**9 for number in numbers):
            raise forms.ValidationError("Issues are chosen by their numbers.")
        return numbers


NO_CHANGE = ""
UNASSIGN = "none"


class BulkEditForm(forms.Form):
    """The same change for the selected issues (or all that match the list's filters)."""

    issues = NumberListField(required=False)
    all_matching = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    status = forms.ModelChoiceField(queryset=None, required=False, empty_label="Status…")
    assignee = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(
        required=False, choices=[(NO_CHANGE, "Priority…"), *PRIORITY_CHOICES]
    )
    add_label = forms.ModelChoiceField(queryset=None, required=False, empty_label="Add label…")
    remove_label = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Remove label…"
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["status"].queryset = project.statuses.all()
        self.fields["add_label"].queryset = project.labels.all()
        self.fields["remove_label"].queryset = project.labels.all()
        self.members = {user.get_username(): user for user in members_of(project)}
        self.fields["assignee"].choices = [
            (NO_CHANGE, "Assignee…"),
            (UNASSIGN, "Unassigned"),
            *[(name, user.get_full_name() or name) for name, user in self.members.items()],
        ]

    def clean(self):
        data = super().clean()
        if not (data.get("issues") or data.get("all_matching")):
            raise forms.ValidationError("Select at least one issue.", code="no_issues")
        if not self.changes() and not self.errors:
            raise forms.ValidationError("Choose a change to apply.", code="no_change")
        add, remove = data.get("add_label"), data.get("remove_label")
        if add is not None and add == remove:
            raise forms.ValidationError("Add and remove different labels.", code="same_label")
        return data

    def changes(self) -> dict:
        """The field changes for operations.bulk_update (status and labels are separate)."""
        data, changes = self.cleaned_data, {}
        if data.get("priority"):
            changes["priority"] = Priority.from_slug(data["priority"])
        if data.get("assignee") == UNASSIGN:
            changes["assignee"] = None
        elif data.get("assignee"):
            changes["assignee"] = self.members[data["assignee"]]
        if data.get("status") is not None:
            changes["status"] = data["status"]
        if data.get("add_label") is not None:
            changes["add_label"] = data["add_label"]
        if data.get("remove_label") is not None:
            changes["remove_label"] = data["remove_label"]
        return changes
