"""Intake: the customers who ask (requesters), their asks (requests), and the doors they use.

A Requester is a person outside the team (never a user); a Request joins one to an issue, with
their own words. An issue's demand is its number of requests (stored on the issue by
`issues.operations.count_demand`). Changes go through `intake.operations`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from issues.models import Issue, Project, Source


class Requester(models.Model):
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=100, blank=True)
    # When they proved they read this address (a portal sign-in link); empty: unverified.
    verified_at = models.DateTimeField(null=True, blank=True)
    # One-click unsubscribe from "Shipped" and other notes.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="requester_email_unique",
                violation_error_message="A requester with this e-mail already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def display_name(self) -> str:
        """What others may see of them (never the e-mail): the name, else "A customer"."""
        return self.name or "A customer"

    @property
    def as_actor(self) -> str:
        """How the activity log and notifications name them when they did something (a portal
        comment, an issue from a door): "A customer (Ann Lee)", never the e-mail."""
        return f"A customer ({self.name})" if self.name else "A customer"


class Channel(models.TextChoices):
    PORTAL = "portal", "Ideas portal"
    WIDGET = "widget", "Feedback widget"
    API = "api", "Intake API"
    MEMBER = "member", "Added by a member"


class Request(models.Model):
    """One customer's ask for one issue; a vote is a request without words."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="requests")
    requester = models.ForeignKey(Requester, on_delete=models.CASCADE, related_name="requests")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.CUSTOMER_FEEDBACK
    )
    words = models.TextField(blank=True, help_text="The customer's own words.")
    external_url = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member who added it on the customer's behalf.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the requester was told it shipped: at most once per request.
    shipped_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "requester"], name="request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.issue_id}"


class ExternalTicket(models.Model):
    """An external id (a support ticket) delivered to the intake API, and the issue it made:
    a repeated delivery finds it instead of creating a second issue."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="external_ticket_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} → {self.issue_id}"


class KeyKind(models.TextChoices):
    SECRET = "secret", "Secret (intake API)"
    PUBLISHABLE = "publishable", "Publishable (feedback widget)"


class IntakeKey(models.Model):
    """A project's key for the intake API (secret) or the widget (publishable).

    Only a hash is stored; the full key is shown once, when it is created. `prefix` (the
    first characters) finds the row; the hash is then compared in constant time.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="intake_keys")
    kind = models.CharField(max_length=12, choices=KeyKind.choices)
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Zendesk”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed = models.CharField(max_length=64, editable=False)
    # Publishable keys only: the origins (https://app.example.com) the widget may post from.
    allowed_origins = models.TextField(blank=True, help_text="One origin a line.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line]


class RateCounter(models.Model):
    """Hits of one bucket (an IP, a requester, a key) in one time window, shared by every
    process through the database."""

    bucket = models.CharField(max_length=200)
    period = models.BigIntegerField(help_text="The window's number: seconds since 1970 // length.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "period"], name="rate_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.period}: {self.hits}"


class PortalMode(models.TextChoices):
    FULL = "full", "Full: browse, vote and submit"
    SUBMIT = "submit", "Submit only"


class Portal(models.Model):
    """A project's public ideas portal (/portal/<KEY>/): off until a project admin turns it on."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="portal")
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, choices=PortalMode.choices, default=PortalMode.FULL)
    private = models.BooleanField(
        default=False, help_text="Only people with an e-mail at the allowed domains get in."
    )
    allowed_domains = models.TextField(blank=True, help_text="One domain a line: acme.com")
    title = models.CharField(max_length=100, blank=True, help_text="Shown at the top.")
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Portal of {self.project.key}"

    def domains(self) -> list[str]:
        return [line.strip().lower() for line in self.allowed_domains.splitlines() if line.strip()]

    def admits(self, email: str) -> bool:
        """Whether a requester with this e-mail may use the portal."""
        if not self.private:
            return True
        return email.rsplit("@", 1)[-1].lower() in self.domains()


class SignInLink(models.Model):
    """A portal sign-in link e-mailed to a requester: signed, single use, 30 minutes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(Requester, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in of {self.requester_id} to {self.project_id}"
