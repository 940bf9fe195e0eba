"""The issue domain: projects, workflows, issues and their history.

Rules about one row live on the model (`clean`), rules about many rows on the QuerySet;
changes go through `issues.operations`, which validates, saves and logs in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .fields import RankField

KEY_VALIDATOR = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}\Z",
    "A key is 2 to 10 characters: a capital letter, then capital letters or digits.",
    code="invalid_key",
)
COLOR_VALIDATOR = RegexValidator(
    r"^#[0-9a-fA-F]{6}\Z", "Enter a colour as #rrggbb.", code="invalid_color"
)


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"


ROLE_ORDER = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


def role_at_least(role: str | None, minimum: str) -> bool:
    """Whether `role` (None: not a member) allows what `minimum` allows."""
    return role is not None and ROLE_ORDER[role] >= ROLE_ORDER[minimum]


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        """Projects the user may see: their memberships (superusers see every project)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user)

    def active(self) -> ProjectQuerySet:
        """Projects that are not archived (the switcher lists only these)."""
        return self.filter(archived_at__isnull=True)

    def with_open_issue_count(self) -> ProjectQuerySet:
        return self.annotate(
            open_issue_count=Count(
                "issues",
                filter=~Q(issues__status__category__in=StatusCategory.closed()),
            )
        )


class ScoringModel(models.TextChoices):
    """How a project's issues are scored against each other (planning's backlog)."""

    VALUE_EFFORT = "value_effort", "Value / effort"
    RICE = "rice", "RICE (reach × impact × confidence / effort)"


class Project(models.Model):
    key = models.CharField(
        max_length=10,
        unique=True,
        validators=[KEY_VALIDATOR],
        help_text="2 to 10 capital letters or digits, starting with a letter; fixed once created.",
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    scoring_model = models.CharField(
        max_length=20, choices=ScoringModel.choices, default=ScoringModel.VALUE_EFFORT
    )
    # The next issue number; incremented atomically by operations.create_issue.
    next_number = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # An archived project is read-only and hidden from the switcher (projects.operations).
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("boards:board", args=[self.key])

    def clean(self) -> None:
        if self.pk:
            stored_key = Project.objects.filter(pk=self.pk).values_list("key", flat=True).first()
            if stored_key and stored_key != self.key:
                raise ValidationError(
                    {"key": "A project's key cannot change: issue keys and links depend on it."},
                    code="key_fixed",
                )

    def role_of(self, user) -> str | None:
        """The user's role here, or None; superusers act as admins of every project."""
        if not user.is_authenticated:
            return None
        if user.is_superuser:
            return Role.ADMIN
        known = getattr(self, "_known_roles", {})
        if user.pk in known:
            return known[user.pk]
        return self.memberships.filter(user=user).values_list("role", flat=True).first()

    def remember_role(self, user, role: str | None) -> None:
        """The role `user` has here, read by the caller (access.project_for) for this request:
        the operations it calls then do not read it again."""
        if not hasattr(self, "_known_roles"):
            self._known_roles = {}
        self._known_roles[user.pk] = role

    def default_status(self) -> Status:
        return self.statuses.get(is_default=True)


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
        ]
        ordering = ["project", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.project.key} ({self.role})"


class StatusCategory(models.TextChoices):
    TRIAGE = "triage", "Triage"
    BACKLOG = "backlog", "Backlog"
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"

    @classmethod
    def closed(cls) -> list[str]:
        """Categories in which an issue counts as resolved."""
        return [cls.DONE, cls.CANCELED]


class Status(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="statuses")
    name = models.CharField(max_length=50)
    category = models.CharField(max_length=20, choices=StatusCategory.choices)
    color = models.CharField(max_length=7, default="#8b949e", validators=[COLOR_VALIDATOR])
    position = models.PositiveIntegerField(default=0)
    wip_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Most issues allowed in this column; empty for no limit.",
    )
    is_default = models.BooleanField(default=False, help_text="New issues land here.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "statuses"
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "project",
                name="status_name_unique_per_project",
                violation_error_message="This project already has a status with this name.",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(is_default=True),
                name="status_one_default_per_project",
                violation_error_message="A project has exactly one default status.",
            ),
            models.CheckConstraint(
                condition=Q(wip_limit__isnull=True) | Q(wip_limit__gte=1),
                name="status_wip_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.name or "").strip():
            raise ValidationError({"name": "A status needs a name."}, code="blank")
        # The partial unique constraint allows at most one default; this keeps at least one.
        if self.pk and not self.is_default:
            was_default = Status.objects.filter(pk=self.pk, is_default=True).exists()
            if was_default:
                raise ValidationError(
                    {
                        "is_default": "A project needs a default status: make another status "
                        "the default instead."
                    },
                    code="default_required",
                )

    @property
    def is_closed(self) -> bool:
        return self.category in StatusCategory.closed()


class Transition(models.Model):
    """An allowed move. A status with no outgoing transitions allows every move."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.ForeignKey(
        Status, on_delete=models.CASCADE, related_name="transitions_out"
    )
    to_status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="transitions_in")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_status", "to_status"], name="transition_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    def clean(self) -> None:
        if self.from_status_id is None or self.to_status_id is None:
            return  # The missing field reports itself.
        for status in (self.from_status, self.to_status):
            if status.project_id != self.project_id:
                raise ValidationError(
                    "Both statuses of a transition belong to its project.", code="foreign_status"
                )
        if self.from_status_id == self.to_status_id:
            raise ValidationError("A transition goes to another status.", code="same_status")


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#8b949e", validators=[COLOR_VALIDATOR])
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "project",
                name="label_name_unique_per_project",
                violation_error_message="This project already has a label with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.name.strip():
            raise ValidationError({"name": "A label needs a name."}, code="blank")


class Kind(models.TextChoices):
    EPIC = "epic", "Epic"
    STORY = "story", "Story"
    TASK = "task", "Task"
    BUG = "bug", "Bug"
    SUBTASK = "subtask", "Subtask"

    @property
    def level(self) -> int:
        return KIND_LEVELS[self]


# Epic › story / task / bug › subtask. A parent is exactly one level up.
KIND_LEVELS = {Kind.EPIC: 0, Kind.STORY: 1, Kind.TASK: 1, Kind.BUG: 1, Kind.SUBTASK: 2}


class Priority(models.IntegerChoices):
    """Stored as numbers so they sort; shown and sent as their lowercase names."""

    NONE = 0, "No priority"
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> Priority:
        try:
            return cls[slug.upper()]
        except KeyError:
            raise ValueError(f"unknown priority {slug!r}") from None


class Source(models.TextChoices):
    INTERNAL = "internal", "Internal"
    CUSTOMER_FEEDBACK = "customer_feedback", "Customer feedback"
    SUPPORT_TICKET = "support_ticket", "Support ticket"
    SOCIAL_MEDIA = "social_media", "Social media"
    IDEAS_PORTAL = "ideas_portal", "Ideas portal"
    IN_APP_FEEDBACK = "in_app_feedback", "In-app feedback"
    QA_TESTING = "qa_testing", "QA testing"
    BETA = "beta", "Beta"


class Impact(models.TextChoices):
    """RICE impact, stored as its multiplier."""

    MASSIVE = "3", "Massive (3)"
    HIGH = "2", "High (2)"
    MEDIUM = "1", "Medium (1)"
    LOW = "0.5", "Low (0.5)"
    MINIMAL = "0.25", "Minimal (0.25)"


class Confidence(models.IntegerChoices):
    """RICE confidence, in per cent."""

    HIGH = 100, "High (100 %)"
    MEDIUM = 80, "Medium (80 %)"
    LOW = 50, "Low (50 %)"


class IssueQuerySet(models.QuerySet):
    def for_project(self, project: Project) -> IssueQuerySet:
        return self.filter(project=project)

    def open(self) -> IssueQuerySet:
        return self.exclude(status__category__in=StatusCategory.closed())

    def for_cards(self) -> IssueQuerySet:
        """What a card or a list row shows, in a fixed number of queries."""
        return self.select_related(
            "status", "assignee__profile", "parent", "parent__parent"
        ).prefetch_related("labels")

    def ranked(self) -> IssueQuerySet:
        return self.order_by("rank")

    def with_child_progress(self) -> IssueQuerySet:
        """Annotate children counts and the sum of their estimates (one query, no N+1)."""
        return self.annotate(
            child_count=Count("children", distinct=True),
            child_done_count=Count(
                "children",
                filter=Q(children__status__category=StatusCategory.DONE),
                distinct=True,
            ),
            child_estimate_sum=Sum("children__estimate"),
        )


class Issue(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    number = models.PositiveIntegerField(editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STORY)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    # RESTRICT, not PROTECT: a status or parent with issues cannot be deleted by itself, but a
    # project can be, with all of its statuses and issues together.
    status = models.ForeignKey(Status, on_delete=models.RESTRICT, related_name="issues")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_issues",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_issues",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="issues")
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children"
    )
    estimate = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Story points, 0 to 100.",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.INTERNAL)
    due_date = models.DateField(null=True, blank=True)
    # Planning (the planning app): the sprint and the release ("fix version") it is in.
    # RESTRICT: a sprint or release with issues is emptied through the operations first.
    sprint = models.ForeignKey(
        "planning.Sprint",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="issues",
    )
    release = models.ForeignKey(
        "planning.Release",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="issues",
    )
    # Score inputs (planning.scores): value for value / effort; reach, impact and confidence
    # for RICE. Empty means unknown: the score shows "—", never a made-up number.
    value = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Value to users, 1 to 5.",
    )
    reach = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000_000)],
        help_text=(
            "People or requests reached; empty to use the issue's customer requests (its demand)."
        ),
    )
    impact = models.CharField(max_length=4, choices=Impact.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(choices=Confidence.choices, null=True, blank=True)
    # Shown on the project's ideas portal (intake); set in triage or on the issue page.
    public = models.BooleanField(
        default=False, help_text="Shown on the project's ideas portal, if it has one."
    )
    # Demand: how many customer requests ask for this (intake's Request rows), kept by the
    # operations that add and move requests, so that lists, cards and exports sort and show it
    # without counting.
    demand = models.PositiveIntegerField(default=0, editable=False)
    # Set by operations.merge_issue: this issue was closed as a duplicate of that one.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="duplicates",
    )
    rank = RankField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The issue's flow, kept by the operations with every status change (issues/flow.py says
    # how, and rebuilds them from the status history): when it first went into progress, and,
    # while it is done, when it last became done. Reports read these instead of the history.
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["project", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="issue_number_unique"),
            models.UniqueConstraint(fields=["project", "rank"], name="issue_rank_unique"),
            models.CheckConstraint(
                condition=~Q(kind=Kind.EPIC) | Q(parent__isnull=True),
                name="issue_epic_has_no_parent",
                violation_error_message="An epic cannot have a parent.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.SUBTASK) | Q(parent__isnull=False),
                name="issue_subtask_has_parent",
                violation_error_message="A subtask needs a parent.",
            ),
            models.CheckConstraint(
                condition=Q(estimate__isnull=True) | Q(estimate__gte=0, estimate__lte=100),
                name="issue_estimate_range",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="issue_title_not_empty"),
            models.CheckConstraint(
                condition=Q(priority__gte=0, priority__lte=4), name="issue_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1, value__lte=5),
                name="issue_value_range",
            ),
        ]
        indexes = [
            # Board columns and the backlog: a project's issues of a status in rank order.
            models.Index(fields=["project", "status", "rank"], name="issue_board_idx"),
            # A column header's count and points without reading the rows (PostgreSQL).
            models.Index(
                fields=["project", "status"],
                include=["estimate"],
                name="issue_column_totals_idx",
            ),
            # The list's default order and the live board's "anything changed?" check.
            models.Index(fields=["project", "-updated_at"], name="issue_updated_idx"),
            models.Index(fields=["project", "-created_at"], name="issue_created_idx"),
            models.Index(fields=["project", "assignee"], name="issue_assignee_idx"),
            models.Index(fields=["project", "priority"], name="issue_priority_idx"),
            # The epic filter's choices and kind filters.
            models.Index(fields=["project", "kind"], name="issue_kind_idx"),
            # "Most asked for first" in the list and on the portal.
            models.Index(fields=["project", "-demand"], name="issue_demand_idx"),
            # The admin's date hierarchy and "newest first" across projects.
            models.Index(fields=["-created_at"], name="issue_created_all_idx"),
            # Reports: the issues done in a period (cycle time, throughput), read from the
            # index alone on PostgreSQL.
            models.Index(
                fields=["project", "done_at"],
                include=["status", "started_at", "created_at", "estimate"],
                name="issue_done_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("issues:detail", args=[self.project.key, self.number])

    @property
    def key(self) -> str:
        return f"{self.project.key}-{self.number}"

    @property
    def level(self) -> int:
        return KIND_LEVELS[self.kind]

    @property
    def priority_slug(self) -> str:
        return Priority(self.priority).slug

    @property
    def epic(self) -> Issue | None:
        """The epic this issue belongs to (for a subtask, its story's epic)."""
        if self.kind == Kind.EPIC:
            return None
        parent = self.parent
        while parent is not None and parent.kind != Kind.EPIC:
            parent = parent.parent
        return parent

    def ancestors(self) -> list[Issue]:
        """Parents from the top (epic) down, for breadcrumbs."""
        chain: list[Issue] = []
        parent = self.parent
        while parent is not None:
            chain.insert(0, parent)
            parent = parent.parent
        return chain

    def clean(self) -> None:
        """Rules about this row: title, hierarchy, and that its relations share its project."""
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message: str, code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

        # An empty title is the field's own "blank" error; this catches whitespace only.
        if self.title and not self.title.strip():
            add("title", "An issue needs a title.", "blank")
        if self.status_id and self.project_id and self.status.project_id != self.project_id:
            add("status", "That status belongs to another project.", "foreign_status")
        if (
            self.assignee_id
            and self.project_id
            and not self.project.memberships.filter(user_id=self.assignee_id).exists()
        ):
            add("assignee", "The assignee must be a member of the project.", "not_member")
        for name in ("sprint", "release"):
            related = getattr(self, name) if getattr(self, f"{name}_id") else None
            if related is not None and self.project_id and related.project_id != self.project_id:
                add(name, f"That {name} belongs to another project.", f"foreign_{name}")
        for message, code in self.hierarchy_errors():
            add("parent" if code != "children_invalid" else "kind", message, code)
        if errors:
            raise ValidationError(errors)

    def hierarchy_errors(self) -> list[tuple[str, str]]:
        """What breaks epic › story/task/bug › subtask, as (message, code) pairs."""
        problems: list[tuple[str, str]] = []
        if self.kind not in KIND_LEVELS:
            return problems  # An unknown kind is the field's own error.
        kind_label = Kind(self.kind).label.lower()
        parent = self.parent if self.parent_id else None
        if self.kind == Kind.EPIC and parent is not None:
            problems.append(("An epic cannot have a parent.", "epic_with_parent"))
        elif self.kind == Kind.SUBTASK and parent is None:
            problems.append(("A subtask needs a parent story, task or bug.", "subtask_orphan"))
        elif parent is not None:
            if parent.project_id != self.project_id:
                problems.append(("The parent must be in the same project.", "foreign_parent"))
            elif self.pk and parent.pk == self.pk:
                problems.append(("An issue cannot be its own parent.", "own_parent"))
            elif KIND_LEVELS[parent.kind] != self.level - 1:
                expected = "an epic" if self.level == 1 else "a story, task or bug"
                problems.append(
                    (
                        f"A {kind_label} can only go under {expected}, "
                        f"not under {_with_article(Kind(parent.kind).label.lower())}.",
                        "wrong_parent_level",
                    )
                )
        if self.pk:
            child_kinds = set(self.children.values_list("kind", flat=True))
            bad = {kind for kind in child_kinds if KIND_LEVELS[kind] != self.level + 1}
            if bad:
                names = ", ".join(sorted(Kind(kind).label.lower() for kind in bad))
                problems.append(
                    (
                        f"This issue has children ({names}) that cannot sit under a "
                        f"{kind_label}; move them first.",
                        "children_invalid",
                    )
                )
        return problems


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


class Comment(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    body = models.TextField(help_text="Markdown.")
    # Internal by default; a public comment is shown on the ideas portal (intake).
    public = models.BooleanField(default=False, help_text="Shown on the ideas portal.")
    # A customer's comment from the ideas portal (then there is no author): always public.
    requester = models.ForeignKey(
        "intake.Requester",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        help_text="The customer who wrote it on the ideas portal.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at"], name="comment_issue_idx")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.issue_id}"


class IssueEvent(models.Model):
    """One change to one field of an issue: the activity log."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    field = models.CharField(max_length=32)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    # A customer's doing, for events without an actor (a portal comment, an issue that came
    # through a door): notifications name them ("A customer (Ann Lee) commented"), by their
    # name only, never their e-mail.
    requester = models.ForeignKey(
        "intake.Requester", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Status changes keep the statuses themselves, so flow reports survive renames.
    old_status = models.ForeignKey(
        Status, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_status = models.ForeignKey(
        Status, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Sprint changes keep the sprints too: reports tell committed, added and carried-over work.
    old_sprint = models.ForeignKey(
        "planning.Sprint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_sprint = models.ForeignKey(
        "planning.Sprint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["issue", "created_at"], name="event_issue_idx"),
            # Flow reports (reports.queries, issues.flow): the status moves of a period, and
            # of an issue, read from the index alone on PostgreSQL.
            models.Index(
                fields=["created_at"],
                include=["issue", "old_status", "new_status"],
                condition=Q(field="status"),
                name="event_status_time_idx",
            ),
            models.Index(
                fields=["issue", "created_at"],
                include=["old_status", "new_status"],
                condition=Q(field="status"),
                name="event_status_issue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"
