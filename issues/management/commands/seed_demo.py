"""Demo data: a product team's web app project, or a big project for benchmarks.

    manage.py seed_demo                            # users and project WEB with a believable story
    manage.py seed_demo --issues 100000 --project BIG   # a big project, in bulk, in seconds

Safe to repeat: it only fills in what is missing (existing users, projects and issues are left
alone). The demo goes through `issues.operations` like every other entry point, so its history
is real; only the timestamps are moved into the past afterwards, deterministically (a fixed
random seed), so that the activity log and reports show weeks of work. The big project is
written with bulk inserts instead: evenly spaced ranks, numbers 1..N, and no activity log.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from issues import flow, operations, ranking
from issues.models import (
    KEY_VALIDATOR,
    Comment,
    Issue,
    IssueEvent,
    Kind,
    Priority,
    Project,
    Role,
    Source,
    StatusCategory,
)
from notifications.models import Notification, NotificationEvent
from notifications.operations import fan_out
from planning.demo import align_history, seed_planning
from reports import snapshots as flow_snapshots

PASSWORD = "demo"
SEED = 20240611
# username, first name, last name, role in the demo projects, superuser
USERS = [
    ("demo", "Dana", "Demo", Role.ADMIN, True),
    ("alice", "Alice", "Moreau", Role.MEMBER, False),
    ("bob", "Bob", "Okafor", Role.MEMBER, False),
    ("victor", "Victor", "Lindqvist", Role.VIEWER, False),
]
# The demo stays one below each limit, so that a drag into the column can still be shown.
WIP_LIMITS = {"In progress": 5, "In review": 3}

# The path an issue takes through the default workflow to reach its final status.
PATHS = {
    "Triage": [],
    "Backlog": [],
    "To do": ["To do"],
    "In progress": ["To do", "In progress"],
    "In review": ["To do", "In progress", "In review"],
    "Done": ["To do", "In progress", "In review", "Done"],
    "Canceled": ["Canceled"],
}
# Issues that leave the WIP-limited columns move first, so the limits hold all along.
MOVE_ORDER = ["Done", "Canceled", "In review", "In progress", "To do", "Backlog", "Triage"]


# The demo project's content --------------------------------------------------------------


@dataclass
class Item:
    """One issue of the demo, with its children and conversation."""

    kind: str
    title: str
    status: str
    description: str = ""
    priority: int = Priority.MEDIUM
    estimate: int | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    source: str = Source.INTERNAL
    due_in_days: int | None = None
    comments: tuple[tuple[str, str], ...] = ()
    children: list[Item] = field(default_factory=list)


def sub(title: str, status: str, assignee: str | None = None, estimate: int | None = None) -> Item:
    return Item(Kind.SUBTASK, title, status, assignee=assignee, estimate=estimate)


EPICS = [
    Item(
        Kind.EPIC,
        "Checkout redesign",
        "To do",
        "**Goal:** cut checkout abandonment from 68% to 55% by the end of the quarter.\n\n"
        "- One page instead of four steps\n- Wallet payments\n- Guest checkout",
        Priority.HIGH,
        assignee="demo",
        due_in_days=45,
        children=[
            Item(
                Kind.STORY,
                "Guest checkout without creating an account",
                "Done",
                "As a first-time shopper I can pay **without signing up**, and I am offered an "
                "account on the confirmation page.",
                Priority.HIGH,
                8,
                "alice",
                ("Improvement", "Customer feedback"),
                Source.CUSTOMER_FEEDBACK,
                comments=(
                    ("demo", "Support says this is the #1 complaint in exit surveys."),
                    ("alice", "Behind the `guest_checkout` flag; at 100% since Monday."),
                ),
                children=[
                    sub("Make the account step optional in the checkout flow", "Done", "alice", 3),
                    sub("Offer account creation on the confirmation page", "Done", "bob", 2),
                    sub("Track guest vs. signed-in conversion", "Done", "demo", 1),
                ],
            ),
            Item(
                Kind.STORY,
                "Apple Pay and Google Pay at checkout",
                "In progress",
                "Wallet buttons above the card form on browsers that support them.\n\n"
                "Acceptance: a paid order with each wallet on a real device.",
                Priority.HIGH,
                8,
                "bob",
                ("Improvement",),
                Source.IDEAS_PORTAL,
                comments=(
                    (
                        "bob",
                        "Payment Request API works on Chrome; Safari needs the "
                        "merchant validation endpoint first.",
                    ),
                ),
                children=[
                    sub("Integrate the Payment Request API", "In progress", "bob", 5),
                    sub("Show wallet buttons only on supported browsers", "To do", "bob", 2),
                    sub("QA wallet payments on iOS Safari and Android Chrome", "To do", "alice", 2),
                ],
            ),
            Item(
                Kind.BUG,
                "Coupon code field clears the shipping address",
                "In review",
                "**Steps**\n\n1. Fill in the shipping address\n2. Apply `SPRING10`\n\n"
                "**Expected** the address stays. **Actual** every field is empty again.",
                Priority.URGENT,
                3,
                "alice",
                ("Bug fix",),
                Source.SUPPORT_TICKET,
                comments=(
                    ("demo", "Three support tickets about this today alone."),
                    ("alice", "The coupon form re-renders the whole step; fix coming."),
                ),
            ),
            Item(
                Kind.STORY,
                "Single-page checkout with an order summary that stays in view",
                "To do",
                "Merge shipping, delivery and payment into **one page**; the summary stays "
                "visible on desktop and collapses on mobile.",
                Priority.MEDIUM,
                13,
                "alice",
                ("Improvement",),
                children=[
                    sub("Merge shipping and payment steps into one form", "To do", "alice", 5),
                    sub("Sticky order summary on desktop, collapsible on mobile", "To do", None, 3),
                ],
            ),
            Item(
                Kind.BUG,
                "Tax is recalculated twice when the country changes",
                "Done",
                "Two requests to the tax service on every country change; the second one "
                "sometimes wins with the old country.",
                Priority.HIGH,
                2,
                "bob",
                ("Bug fix",),
                Source.QA_TESTING,
            ),
            Item(
                Kind.TASK,
                "Remove the legacy checkout behind the feature flag",
                "Backlog",
                "Once the new checkout has run for two weeks without a rollback.",
                Priority.LOW,
                5,
                None,
                ("Tech debt", "Refactoring"),
            ),
            Item(
                Kind.BUG,
                "Card declined message is shown in English for every locale",
                "To do",
                "The payment provider's message is passed through untranslated.",
                Priority.MEDIUM,
                2,
                "bob",
                ("Bug fix", "Customer feedback"),
                Source.CUSTOMER_FEEDBACK,
            ),
        ],
    ),
    Item(
        Kind.EPIC,
        "New user onboarding",
        "To do",
        "Get new accounts to their **first order within a day**: a checklist, invites and "
        "social sign-up.",
        Priority.MEDIUM,
        assignee="demo",
        children=[
            Item(
                Kind.STORY,
                "Welcome checklist on the empty dashboard",
                "Done",
                "Three steps: complete the profile, save an address, follow a shop.",
                Priority.MEDIUM,
                5,
                "alice",
                ("Improvement",),
                children=[
                    sub("Design the checklist states", "Done", "demo", 2),
                    sub("Persist checklist progress per user", "Done", "alice", 2),
                    sub("Hide the checklist once every step is done", "Done", "alice", 1),
                ],
            ),
            Item(
                Kind.STORY,
                "Invite teammates during sign-up",
                "In progress",
                "Business accounts can invite colleagues by e-mail in the last sign-up step.",
                Priority.MEDIUM,
                5,
                "bob",
                ("Improvement",),
                Source.BETA,
                children=[
                    sub("Invite form with several e-mail addresses", "Done", "bob", 2),
                    sub("Send invitations in the background", "Done", "bob", 2),
                ],
            ),
            Item(
                Kind.STORY,
                "Sign up with Google",
                "To do",
                "One click sign-up; link to an existing account with the same e-mail.",
                Priority.MEDIUM,
                5,
                "demo",
                ("Customer feedback",),
                Source.IDEAS_PORTAL,
                comments=(
                    ("alice", "Most-voted idea on the portal (412 votes). @demo can we plan it?"),
                ),
                children=[
                    sub("Register the OAuth client for production", "To do", "demo", 1),
                    sub("Link Google accounts to existing e-mail accounts", "To do", None, 3),
                ],
            ),
            Item(
                Kind.BUG,
                "Verification e-mail lands in spam for Outlook users",
                "In review",
                "DKIM is not set up for the new sending domain.",
                Priority.HIGH,
                3,
                "alice",
                ("Bug fix",),
                Source.SUPPORT_TICKET,
                due_in_days=3,
                comments=(
                    ("alice", "DKIM and DMARC records are live; @bob can you check the headers?"),
                ),
            ),
            Item(
                Kind.TASK,
                "Review the product tour copy with marketing",
                "Backlog",
                "",
                Priority.LOW,
                1,
            ),
            Item(
                Kind.STORY,
                "Skip onboarding for invited users",
                "Backlog",
                "Invited users already know the product: take them straight to their team.",
                Priority.LOW,
                3,
            ),
        ],
    ),
    Item(
        Kind.EPIC,
        "Search that finds things",
        "To do",
        "Search is the most used feature and the most complained about. Typos, SKUs and filters.",
        Priority.HIGH,
        assignee="alice",
        children=[
            Item(
                Kind.STORY,
                "Typo-tolerant product search",
                "In progress",
                "`blutooth hedphones` should find *Bluetooth headphones*.",
                Priority.HIGH,
                8,
                "alice",
                ("Improvement", "Customer feedback"),
                Source.CUSTOMER_FEEDBACK,
                children=[
                    sub("Evaluate trigram vs. full-text ranking", "Done", "alice", 2),
                    sub("Add the search index migration", "Done", "alice", 1),
                    sub("Relevance test set of 50 real queries", "To do", "bob", 2),
                ],
            ),
            Item(
                Kind.STORY,
                "Recent searches in the search box",
                "To do",
                "Show the last five searches when the box gets focus.",
                Priority.LOW,
                3,
                "bob",
            ),
            Item(
                Kind.BUG,
                "Search results page jumps when filters load",
                "Done",
                "Layout shift of 0.3 when the facets arrive.",
                Priority.MEDIUM,
                2,
                "bob",
                ("Bug fix",),
                Source.QA_TESTING,
            ),
            Item(
                Kind.STORY,
                "Filter results by price range and availability",
                "Backlog",
                "",
                Priority.MEDIUM,
                5,
                None,
                ("Customer feedback",),
                Source.IDEAS_PORTAL,
            ),
            Item(
                Kind.TASK,
                "Log zero-result queries for the product team",
                "Done",
                "A weekly CSV of queries that returned nothing.",
                Priority.LOW,
                2,
                "demo",
            ),
            Item(
                Kind.BUG,
                "Searching for a SKU with a dash returns nothing",
                "To do",
                "`AB-1234` is split into two words by the tokenizer.",
                Priority.HIGH,
                2,
                "alice",
                ("Bug fix",),
                Source.SUPPORT_TICKET,
            ),
        ],
    ),
    Item(
        Kind.EPIC,
        "Notifications people want",
        "Backlog",
        "Fewer, better notifications: digests, preferences, no duplicates.",
        Priority.MEDIUM,
        assignee="bob",
        children=[
            Item(
                Kind.STORY,
                "E-mail digest of activity, daily or weekly",
                "Backlog",
                "One e-mail instead of twenty.",
                Priority.MEDIUM,
                8,
                None,
                ("Customer feedback",),
                Source.CUSTOMER_FEEDBACK,
                children=[
                    sub("Digest e-mail template", "Backlog", None, 3),
                    sub("Unsubscribe link that works without logging in", "Backlog", None, 2),
                ],
            ),
            Item(
                Kind.STORY,
                "Notification preferences page",
                "To do",
                "Per channel (e-mail, push, in-app) and per event type.",
                Priority.MEDIUM,
                5,
                "bob",
                children=[
                    sub("Preferences model and migration", "To do", "bob", 2),
                    sub("Settings page with a toggle per channel", "To do", "bob", 3),
                ],
            ),
            Item(
                Kind.BUG,
                "Push notifications arrive twice on Android",
                "Done",
                "Both the old and the new FCM token are registered after an app update.",
                Priority.HIGH,
                3,
                "alice",
                ("Bug fix",),
                Source.BETA,
                comments=(("bob", "Reproduced on a Pixel 7 after updating from 4.2 to 4.3."),),
            ),
            Item(
                Kind.STORY,
                "Mark all notifications as read",
                "Done",
                "",
                Priority.LOW,
                1,
                "bob",
                ("Customer feedback",),
                Source.IN_APP_FEEDBACK,
            ),
            Item(
                Kind.TASK,
                "Send notifications from the task queue",
                "To do",
                "Requests wait up to 2 s for the push provider today.",
                Priority.MEDIUM,
                5,
                "demo",
                ("Tech debt",),
            ),
        ],
    ),
    Item(
        Kind.EPIC,
        "Fast on a mid-range phone",
        "To do",
        "Largest Contentful Paint under **2.5 s** on a Moto G over 4G.",
        Priority.HIGH,
        assignee="bob",
        children=[
            Item(
                Kind.TASK,
                "Lazy-load images below the fold",
                "Done",
                "",
                Priority.MEDIUM,
                2,
                "bob",
                ("Improvement",),
                children=[
                    sub("Add loading=lazy to product grid images", "Done", "bob", 1),
                    sub("Reserve image space to avoid layout shift", "Done", "bob", 1),
                ],
            ),
            Item(
                Kind.TASK,
                "Cut the JavaScript bundle below 200 kB",
                "To do",
                "Currently 540 kB gzipped; see the bundle analyser report.",
                Priority.HIGH,
                8,
                "alice",
                ("Tech debt", "Improvement"),
                children=[
                    sub("Replace moment.js with date-fns", "To do", "alice", 2),
                    sub("Split admin-only code into its own chunk", "To do", "alice", 3),
                    sub("Fail CI when the bundle grows past the budget", "Backlog", None, 1),
                ],
            ),
            Item(
                Kind.BUG,
                "Product page takes 6 s to load on 3G",
                "Backlog",
                "Reported by customers in rural areas; the hero image is 2.4 MB.",
                Priority.HIGH,
                5,
                None,
                ("Bug fix", "Customer feedback"),
                Source.CUSTOMER_FEEDBACK,
            ),
            Item(
                Kind.TASK,
                "Cache the category tree for ten minutes",
                "Done",
                "",
                Priority.MEDIUM,
                2,
                "demo",
                ("Improvement",),
            ),
            Item(
                Kind.TASK,
                "Index orders by customer and date",
                "Done",
                "The order history query scans 3 M rows.",
                Priority.MEDIUM,
                1,
                "bob",
                ("Tech debt",),
            ),
            Item(
                Kind.STORY,
                "Core Web Vitals dashboard from real users",
                "Backlog",
                "",
                Priority.LOW,
                5,
            ),
        ],
    ),
    Item(
        Kind.EPIC,
        "Accessibility: WCAG 2.2 AA",
        "Backlog",
        "Audit findings from the external review, in order of impact.",
        Priority.MEDIUM,
        assignee="alice",
        due_in_days=60,
        children=[
            Item(
                Kind.BUG,
                "Checkout form errors are not announced by screen readers",
                "To do",
                "Errors need `aria-describedby` and a live region.",
                Priority.HIGH,
                3,
                "alice",
                ("Bug fix",),
                Source.QA_TESTING,
            ),
            Item(
                Kind.TASK,
                "Visible focus styles on every interactive element",
                "Done",
                "",
                Priority.MEDIUM,
                3,
                "bob",
                ("Improvement",),
                children=[
                    sub("Audit the focus order on the product page", "Done", "bob", 1),
                    sub("Focus ring tokens in the design system", "Done", "demo", 1),
                ],
            ),
            Item(
                Kind.BUG,
                "Grey helper text has a contrast of 3.1:1",
                "Done",
                "",
                Priority.MEDIUM,
                1,
                "demo",
                ("Bug fix",),
            ),
            Item(
                Kind.STORY,
                "Keyboard-only navigation of the mega menu",
                "To do",
                "",
                Priority.MEDIUM,
                5,
                "bob",
                children=[
                    sub("Arrow keys move between menu items", "To do", "bob", 2),
                    sub("Escape closes the menu and returns focus", "To do", None, 1),
                ],
            ),
            Item(
                Kind.TASK,
                "Run axe checks in the end-to-end tests",
                "Backlog",
                "",
                Priority.LOW,
                3,
                None,
                ("Tech debt",),
            ),
            Item(
                Kind.BUG,
                "Date picker cannot be used with a keyboard",
                "Canceled",
                "Replaced by the native date input in the new checkout.",
                Priority.MEDIUM,
                3,
                None,
                ("Bug fix",),
                Source.QA_TESTING,
                comments=(("demo", "Won't fix: the single-page checkout drops this widget."),),
            ),
        ],
    ),
]

STANDALONE = [
    Item(
        Kind.BUG,
        "Password reset link expires after 5 minutes instead of 1 hour",
        "Done",
        "The token lifetime was read in seconds as minutes.",
        Priority.URGENT,
        1,
        "alice",
        ("Bug fix",),
        Source.SUPPORT_TICKET,
    ),
    Item(
        Kind.TASK,
        "Upgrade Django to 5.2 LTS",
        "Done",
        "",
        Priority.MEDIUM,
        3,
        "demo",
        ("Tech debt",),
    ),
    Item(
        Kind.TASK,
        "Rotate the payment provider API keys",
        "To do",
        "Yearly rotation; keys expire at the end of the month.",
        Priority.HIGH,
        1,
        "demo",
        due_in_days=12,
    ),
    Item(
        Kind.BUG,
        "Footer links open in a new tab",
        "Canceled",
        "",
        Priority.LOW,
        None,
        None,
        ("Bug fix",),
        Source.SOCIAL_MEDIA,
        comments=(("demo", "Works as intended: only external links open a new tab."),),
    ),
]

TRIAGE = [
    Item(
        Kind.STORY,
        "Dark mode, please",
        "Triage",
        "> Using the site at night is blinding. Every other app I use has a dark mode.",
        Priority.NONE,
        labels=("Customer feedback",),
        source=Source.IDEAS_PORTAL,
    ),
    Item(
        Kind.BUG,
        "App crashes when I upload a profile photo from my iPhone",
        "Triage",
        "> It just closes. iPhone 13, iOS 17.4.\n\nSent from the in-app feedback form.",
        Priority.NONE,
        source=Source.IN_APP_FEEDBACK,
    ),
    Item(
        Kind.STORY,
        "Change the delivery address after ordering",
        "Triage",
        "Ticket #48213: customer moved and wants the parcel at the new address.",
        Priority.NONE,
        labels=("Customer feedback",),
        source=Source.SUPPORT_TICKET,
    ),
    Item(
        Kind.BUG,
        "Invoice PDF shows the wrong VAT number",
        "Triage",
        "Business customers in Belgium see the Dutch VAT number.",
        Priority.HIGH,
        source=Source.CUSTOMER_FEEDBACK,
        comments=(("demo", "Finance asks whether old invoices need to be reissued."),),
    ),
    Item(
        Kind.BUG,
        "Blank page after paying with PayPal",
        "Triage",
        "Beta tester report; the order was created and paid.",
        Priority.NONE,
        source=Source.BETA,
    ),
    Item(
        Kind.BUG,
        "Order history does not load on slow connections",
        "Triage",
        "Times out after 10 s on a throttled connection.",
        Priority.NONE,
        source=Source.QA_TESTING,
    ),
    Item(
        Kind.STORY,
        "Export my order history as CSV",
        "Triage",
        "",
        Priority.NONE,
        labels=("Customer feedback",),
        source=Source.IDEAS_PORTAL,
    ),
    Item(
        Kind.BUG,
        "Checkout button hidden behind the cookie banner on small phones",
        "Triage",
        "Seen on Twitter, with a screenshot from an iPhone SE.",
        Priority.NONE,
        source=Source.SOCIAL_MEDIA,
    ),
]

# Later edits that give the history some texture: (title, field, value).
EDITS = [
    ("Verification e-mail lands in spam for Outlook users", "priority", Priority.URGENT),
    ("Card declined message is shown in English for every locale", "assignee", "alice"),
    ("Apple Pay and Google Pay at checkout", "estimate", 13),
    ("Typo-tolerant product search", "labels", ("Improvement", "Customer feedback", "Tech debt")),
    ("Cut the JavaScript bundle below 200 kB", "title", "Cut the JavaScript bundle below 170 kB"),
]


# The command -------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Create demo users and the WEB demo project, or a big project with --issues N."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--issues", type=int, help="Build a big project of this many issues, in bulk."
        )
        parser.add_argument("--project", default=None, help="Key of the big project (default BIG).")

    def handle(self, *args, issues: int | None = None, project: str | None = None, **options):
        users = ensure_users()
        if issues is None:
            if project not in (None, "WEB"):
                raise CommandError("--project goes with --issues N.")
            created = seed_web(users)
            message = "Created project WEB" if created else "Project WEB is already there"
            # A WEB made before intake existed gets its customers and portal now (only once).
            from intake.demo import seed_intake

            seed_intake(users)
        else:
            key = project or "BIG"
            if issues < 1:
                raise CommandError("--issues must be at least 1.")
            if not KEY_VALIDATOR.regex.match(key):
                raise CommandError(f"{key!r} is not a project key: {KEY_VALIDATOR.message}")
            started = timezone.now()
            count = seed_big(key, issues, users)
            seconds = (timezone.now() - started).total_seconds()
            message = f"{key} has {count} issues ({seconds:.1f} s)"
        if options["verbosity"]:
            self.stdout.write(
                f"{message}. Log in as demo, alice, bob or victor (password {PASSWORD!r})."
            )


def ensure_users() -> dict[str, object]:
    """The demo users, created when missing (existing ones are left as they are)."""
    User = get_user_model()
    users = {}
    for username, first, last, _role, is_superuser in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                is_staff=is_superuser,
                is_superuser=is_superuser,
            )
            user.set_password(PASSWORD)
            user.save()
        users[username] = user
    return users


def ensure_project(key: str, name: str, description: str, users: dict) -> tuple[Project, bool]:
    project = Project.objects.filter(key=key).first()
    created = project is None
    if created:
        project = operations.create_project(
            key=key, name=name, description=description, owner=users["demo"]
        )
    for username, _first, _last, role, _superuser in USERS:
        if not project.memberships.filter(user=users[username]).exists():
            operations.add_member(project=project, user=users[username], role=role)
    return project, created


# The demo project --------------------------------------------------------------------------


@transaction.atomic
def seed_web(users: dict) -> bool:
    """Project WEB and its story; False when it already exists (nothing is changed then)."""
    if Project.objects.filter(key="WEB").exists():
        ensure_project("WEB", "", "", users)
        return False
    began = timezone.now()
    project, _ = ensure_project(
        "WEB",
        "Web app",
        "The shop's customer-facing web app: checkout, search, accounts and notifications.",
        users,
    )
    for name, limit in WIP_LIMITS.items():
        project.statuses.filter(name=name).update(wip_limit=limit)
    statuses = {status.name: status for status in project.statuses.all()}
    labels = {label.name: label for label in project.labels.all()}
    today = timezone.localdate()
    made: list[tuple[Item, Issue]] = []

    def create(item: Item, parent: Issue | None) -> None:
        issue = operations.create_issue(
            project=project,
            actor=users[item.assignee or "demo"],
            title=item.title,
            kind=item.kind,
            status=statuses["Triage" if item.status == "Triage" else "Backlog"],
            description=item.description,
            priority=item.priority,
            assignee=users[item.assignee] if item.assignee else None,
            labels=[labels[name] for name in item.labels],
            parent=parent,
            estimate=item.estimate,
            source=item.source,
            due_date=today + datetime.timedelta(days=item.due_in_days)
            if item.due_in_days
            else None,
        )
        made.append((item, issue))
        for child in item.children:
            create(child, issue)

    for epic in EPICS:
        create(epic, None)
    for item in STANDALONE + TRIAGE:
        create(item, None)

    # Walk each issue through the workflow; those that leave the limited columns go first.
    # The conversation happens before the last step (a fix is discussed, then closed).
    for final in MOVE_ORDER:
        for item, issue in made:
            if item.status != final:
                continue
            actor = users[item.assignee or "demo"]
            steps = PATHS[final]
            for step in steps[:-1]:
                issue = operations.move_issue(issue=issue, actor=actor, status=statuses[step])
            for author, body in item.comments:
                operations.add_comment(issue=issue, actor=users[author], body=body)
            if steps:
                operations.move_issue(issue=issue, actor=actor, status=statuses[steps[-1]])
    by_title = {item.title: issue for item, issue in made}
    for title, name, value in EDITS:
        if name == "assignee":
            value = users[value]
        elif name == "labels":
            value = [labels[label] for label in value]
        operations.update_issue(issue=by_title[title], actor=users["demo"], changes={name: value})
    seed_planning(project, users)  # sprints and releases: their events are history too
    # Intake's customers, votes and portal, before the history is spread over past weeks.
    from intake.demo import seed_intake

    seed_intake(users)
    backdate(project)
    align_history(project)  # each sprint's work inside its window
    seed_notifications(project, began)
    return True


def seed_notifications(project: Project, began: datetime.datetime) -> None:
    """Watchers and inboxes for the demo's history (`began`: when it started), made now rather
    than by the worker; the past is not e-mailed, and all but the last week is read."""
    started = timezone.now()
    fan_out(list(IssueEvent.objects.filter(issue__project=project).values_list("pk", flat=True)))
    DBTaskResult.objects.filter(
        task_path__startswith="notifications.tasks.", enqueued_at__gte=began
    ).delete()
    NotificationEvent.objects.filter(notification__project=project).update(emailed_at=started)
    rows = Notification.objects.filter(project=project)
    rows.update(email_due_at=None)
    rows.filter(updated_at__lt=started - datetime.timedelta(days=7)).update(read_at=F("updated_at"))


def backdate(project: Project) -> None:
    """Spread the history over the past ten weeks, the same way on every run.

    Issues are created in number order (the triage inbox, created last, is the newest); each
    one's events follow its creation, closed work finishes earlier than open work, and comments
    take the times of their log entries.
    """
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    start = now - datetime.timedelta(days=70)
    issues = list(project.issues.select_related("status").order_by("number"))
    events_by_issue: dict[int, list[IssueEvent]] = {}
    for event in IssueEvent.objects.filter(issue__project=project).order_by("id"):
        events_by_issue.setdefault(event.issue_id, []).append(event)
    comments_by_issue: dict[int, list[Comment]] = {}
    for comment in Comment.objects.filter(issue__project=project).order_by("id"):
        comments_by_issue.setdefault(comment.issue_id, []).append(comment)

    step = (now - start - datetime.timedelta(hours=12)) / max(len(issues), 1)
    changed_events, changed_comments = [], []
    for index, issue in enumerate(issues):
        created = start + step * (index + rng.uniform(0, 0.9))
        span = now - datetime.timedelta(hours=1) - created
        if issue.status.is_closed:
            span *= rng.uniform(0.3, 0.8)
        events = events_by_issue.get(issue.pk, [])
        offsets = sorted(rng.uniform(0.05, 1.0) for _ in events[1:])
        times = [created] + [created + span * offset for offset in offsets]
        comments = iter(comments_by_issue.get(issue.pk, []))
        resolved = None
        for event, when in zip(events, times, strict=True):
            event.created_at = when
            changed_events.append(event)
            if event.field == "comment":
                comment = next(comments)
                comment.created_at = when
                changed_comments.append(comment)
            if event.field == "status" and event.new_status_id == issue.status_id:
                resolved = when
        issue.created_at = created
        issue.updated_at = times[-1]
        issue.resolved_at = resolved if issue.status.is_closed else None
    IssueEvent.objects.bulk_update(changed_events, ["created_at"], batch_size=500)
    Comment.objects.bulk_update(changed_comments, ["created_at"], batch_size=500)
    Issue.objects.bulk_update(issues, ["created_at", "updated_at", "resolved_at"], batch_size=500)
    flow.rebuild(project.pk)  # started and done times from the backdated history
    flow_snapshots.forget(project.pk)  # the reports' daily snapshots, from that history anew


# A big project, in bulk --------------------------------------------------------------------

AREAS = [
    "checkout", "cart", "search", "product page", "order history", "sign-up", "login",
    "password reset", "notifications", "profile settings", "invoices", "shipping options",
    "wishlist", "reviews", "admin dashboard", "mobile menu", "coupon codes", "payment methods",
    "returns", "newsletter", "gift cards", "store locator", "recommendations", "account deletion",
]  # fmt: skip
PLATFORMS = [
    "Safari 17", "Android Chrome", "iOS", "Firefox", "small screens", "slow 3G", "Edge",
    "tablets", "screen readers", "the German locale", "dark mode", "Samsung Internet",
]  # fmt: skip
SYMPTOMS = [
    "freezes", "shows a blank page", "loses what was typed", "is slow", "shows the wrong currency",
    "crashes", "submits twice", "ignores the chosen language", "breaks the layout",
    "shows a 500 error", "times out", "shows stale data",
]  # fmt: skip
STORY_TEMPLATES = [
    "Save {area} drafts automatically", "Show {area} in the customer's language",
    "Filter {area} by date", "Export {area} as CSV", "Keyboard shortcuts for {area}",
    "Remember the last used {area}", "Share {area} with a link", "Bulk edit in {area}",
    "Undo in {area}", "Empty state for {area}",
]  # fmt: skip
TASK_TEMPLATES = [
    "Refactor the {area} module", "Add tests for {area}", "Upgrade the library behind {area}",
    "Add monitoring for {area}", "Document the {area} API", "Remove the old {area} feature flag",
    "Add caching to {area}", "Move {area} emails to the task queue",
]  # fmt: skip
EPIC_TEMPLATES = ["{Area} revamp", "{Area} v2", "Faster {area}", "{Area} for business customers"]
SUBTASK_TEMPLATES = [
    "Design", "Backend", "Frontend", "Tests", "QA on mobile", "Docs", "Analytics events",
    "Copy review", "Migration", "Accessibility check",
]  # fmt: skip
DESCRIPTIONS = {
    Kind.BUG: "**Steps**\n\n1. Open the {area}\n2. Try again on {platform}\n\n"
    "**Expected** it works. **Actual** it {symptom}.",
    Kind.STORY: "As a customer I want this in the {area}, so that I spend less time on it.",
    Kind.TASK: "Part of keeping the {area} healthy.",
    Kind.EPIC: "Everything for the {area} this quarter.",
    Kind.SUBTASK: "",
}
# Share of issues per final status, and of sources for triage items.
STATUS_WEIGHTS = {
    "Triage": 6, "Backlog": 22, "To do": 12, "In progress": 6, "In review": 4, "Done": 45,
    "Canceled": 5,
}  # fmt: skip
LEVEL1_KINDS = ([Kind.STORY] * 5) + ([Kind.TASK] * 3) + ([Kind.BUG] * 4)
EXTERNAL_SOURCES = [source for source in Source.values if source != Source.INTERNAL]


@transaction.atomic
def seed_big(key: str, count: int, users: dict) -> int:
    """A project of `count` issues written in bulk; an existing one of that size is kept."""
    existing = Project.objects.filter(key=key).first()
    if existing is not None:
        have = existing.issues.count()
        if have == count:
            return have
        if have:
            raise CommandError(
                f"{key} already has {have} issues; choose another key for {count} issues."
            )
    project, _ = ensure_project(
        key, f"Big project ({count:,} issues)", "Generated by seed_demo for benchmarks.", users
    )
    rng = random.Random(SEED + count)
    now = timezone.now()
    statuses = {status.name: status for status in project.statuses.all()}
    status_names = list(STATUS_WEIGHTS)
    status_weights = list(STATUS_WEIGHTS.values())
    label_ids = list(project.labels.values_list("pk", flat=True))
    people = [users["alice"], users["bob"], users["demo"], None]
    ranks = ranking.evenly_spaced(count)
    span = datetime.timedelta(days=365).total_seconds()

    # Plan the hierarchy first: an epic in 200, a quarter subtasks, the rest stories/tasks/bugs,
    # shuffled; an epic and a story open the project, so that every child has a parent before.
    if count < 3:
        plan = [rng.choice(LEVEL1_KINDS) for _ in range(count)]
    else:
        rest = [Kind.EPIC] * (max(1, count // 200) - 1) + [Kind.SUBTASK] * (count // 4)
        rest += [rng.choice(LEVEL1_KINDS) for _ in range(count - 2 - len(rest))]
        rng.shuffle(rest)
        plan = [Kind.EPIC, Kind.STORY, *rest]

    rows: list[Issue] = []
    parents: list[int | None] = []  # Index in `rows` of each issue's parent.
    epics_so_far: list[int] = []
    level1_so_far: list[int] = []
    for index, kind in enumerate(plan):
        area = rng.choice(AREAS)
        parent = None
        if kind == Kind.EPIC:
            title = rng.choice(EPIC_TEMPLATES).format(area=area, Area=area.capitalize())
            epics_so_far.append(index)
        elif kind == Kind.SUBTASK:
            parent = rng.choice(level1_so_far[-50:])
            title = f"{rng.choice(SUBTASK_TEMPLATES)}: {rows[parent].title}"[:200]
        else:
            if kind == Kind.BUG:
                title = f"{area.capitalize()} {rng.choice(SYMPTOMS)} on {rng.choice(PLATFORMS)}"
            elif kind == Kind.STORY:
                title = rng.choice(STORY_TEMPLATES).format(area=area)
            else:
                title = rng.choice(TASK_TEMPLATES).format(area=area)
            if epics_so_far and rng.random() < 0.6:
                parent = rng.choice(epics_so_far[-20:])
            level1_so_far.append(index)
        status = statuses[rng.choices(status_names, status_weights)[0]]
        created = now - datetime.timedelta(seconds=span * (1 - index / count) + rng.random())
        closed = status.is_closed
        updated = created + (now - created) * rng.random()
        triage = status.category == StatusCategory.TRIAGE
        rows.append(
            Issue(
                project=project,
                number=index + 1,
                kind=kind,
                title=title,
                description=DESCRIPTIONS[kind].format(
                    area=area, platform=rng.choice(PLATFORMS), symptom=rng.choice(SYMPTOMS)
                ),
                status=status,
                priority=rng.choice(Priority.values),
                assignee=None if triage else rng.choice(people),
                reporter=rng.choice(people) or users["demo"],
                estimate=None if triage or rng.random() < 0.2 else rng.choice([1, 2, 3, 5, 8, 13]),
                source=rng.choice(EXTERNAL_SOURCES)
                if triage or rng.random() < 0.25
                else Source.INTERNAL,
                rank=ranks[index],
                created_at=created,
                updated_at=updated,
                resolved_at=updated if closed else None,
            )
        )
        parents.append(parent)

    # Parents before children: epics, then stories/tasks/bugs, then subtasks.
    for level in (0, 1, 2):
        batch = []
        for row, parent in zip(rows, parents, strict=True):
            if row.level == level:
                row.parent_id = rows[parent].pk if parent is not None else None
                batch.append(row)
        Issue.objects.bulk_create(batch, batch_size=2000)

    Through = Issue.labels.through
    links = []
    for row in rows:
        chosen = rng.sample(label_ids, k=rng.choices([0, 1, 2], [50, 35, 15])[0])
        links.extend(Through(issue_id=row.pk, label_id=label_id) for label_id in chosen)
    Through.objects.bulk_create(links, batch_size=5000)
    Project.objects.filter(pk=project.pk).update(next_number=count + 1)
    flow.rebuild(project.pk)  # no history: in progress or done since created
    return count
