"""Intake's operations: requesters, requests, keys, and telling customers when it shipped.

Changes to issues themselves (a new issue from a door, its demand, a merge) are made by
`issues.operations`, which these call; these write intake's own rows, in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from issues import operations as issue_operations
from issues.models import Issue, IssueEvent, Project, Role, Source, StatusCategory
from notifications import email

from .models import (
    Channel,
    ExternalTicket,
    IntakeKey,
    KeyKind,
    Portal,
    PortalMode,
    Request,
    Requester,
)

# Field sizes shared by every door (API, widget, portal, the issue page's form).
MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_NAME = 100
MAX_EXTERNAL_ID = 200
MAX_URL = 500
UNSUBSCRIBE_SALT = "intake.unsubscribe"
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@dataclass
class Delivery:
    """What a door's submission did: the issue, whether it is new, and the request."""

    issue: Issue
    created: bool
    request: Request | None


# Requesters and requests ---------------------------------------------------------------------


def clean_email(value: object) -> str:
    address = str(value or "").strip()
    if len(address) > 254:
        raise ValidationError({"email": "An e-mail address is at most 254 characters."})
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid e-mail address."}, code="invalid") from None
    return address


def _text(field: str, value: object, limit: int) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "This text contains a NUL character."}, code="invalid")
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit:,} characters."}, code="too_long")
    return text


def _url(value: object) -> str:
    url = _text("external_url", value, MAX_URL)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(
                {"external_url": "Enter an http:// or https:// address."}, code="invalid"
            ) from None
    return url


def requester_for(
    *, email: str, name: str = "", company: str = "", verified: bool = False
) -> Requester:
    """The requester with this e-mail (any case), created if new; a given name or company
    fills in what was empty, and `verified` records that they proved the address."""
    address = clean_email(email)
    name = _text("name", name, MAX_NAME)
    company = _text("company", company, MAX_NAME)
    for _ in range(2):
        requester = Requester.objects.filter(email__iexact=address).first()
        if requester is None:
            try:
                with transaction.atomic():
                    return Requester.objects.create(
                        email=address,
                        name=name,
                        company=company,
                        verified_at=timezone.now() if verified else None,
                    )
            except IntegrityError:
                continue  # Created meanwhile by a concurrent request: read it.
        changed = []
        if name and not requester.name:
            requester.name = name
            changed.append("name")
        if company and not requester.company:
            requester.company = company
            changed.append("company")
        if verified and requester.verified_at is None:
            requester.verified_at = timezone.now()
            changed.append("verified_at")
        if changed:
            requester.save(update_fields=changed)
        return requester
    raise ValidationError("Please try again.", code="conflict")


@transaction.atomic
def add_request(
    *,
    issue: Issue,
    requester: Requester,
    channel: str,
    actor: AbstractBaseUser | None = None,
    source: str = Source.CUSTOMER_FEEDBACK,
    words: str = "",
    external_url: str = "",
    external_id: str = "",
) -> Request:
    """Count `requester` as asking for `issue` (once: a second ask keeps the first, adding
    words or a link it lacked). On the member channel, `actor` must be a member."""
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    if channel == Channel.MEMBER:
        issue_operations.require_role(actor, issue.project, Role.MEMBER)
    if source not in Source.values:
        raise ValidationError({"source": f"Unknown source {source!r}."}, code="invalid")
    words = _text("words", words, MAX_TEXT)
    external_url = _url(external_url)
    external_id = _text("external_id", external_id, MAX_EXTERNAL_ID)
    # Asking for a merged issue is asking for its primary (read now: it may have just merged).
    primary_id = Issue.objects.filter(pk=issue.pk).values_list("duplicate_of", flat=True).first()
    if primary_id is not None:
        issue = Issue.objects.select_related("project").get(pk=primary_id)
    try:
        with transaction.atomic():
            request = Request.objects.create(
                issue=issue,
                requester=requester,
                channel=channel,
                source=source,
                words=words,
                external_url=external_url,
                external_id=external_id,
                added_by=actor if channel == Channel.MEMBER else None,
            )
    except IntegrityError:
        request = Request.objects.select_for_update().get(issue=issue, requester=requester)
        changed = []
        for name, value in (("words", words), ("external_url", external_url)):
            if value and not getattr(request, name):
                setattr(request, name, value)
                changed.append(name)
        if changed:
            request.save(update_fields=changed)
        return request
    issue_operations.count_demand(
        issue=issue, actor=actor, note=f"(+ {requester.display_name})", requester=requester
    )
    return request


@transaction.atomic
def remove_request(*, request: Request, actor: AbstractBaseUser | None) -> None:
    """Take a request back (a vote withdrawn, or a member removing a mistaken one)."""
    if actor is not None:
        issue_operations.require_role(actor, request.issue.project, Role.MEMBER)
    issue, requester = request.issue, request.requester
    request.delete()
    issue_operations.count_demand(
        issue=issue, actor=actor, note=f"(− {requester.display_name})", requester=requester
    )


def receive(
    *,
    project: Project,
    channel: str,
    title: object,
    description: object = "",
    source: str = Source.CUSTOMER_FEEDBACK,
    requester: dict | None = None,
    requester_verified: bool = False,
    words: object = "",
    external_id: object = "",
    external_url: object = "",
) -> Delivery:
    """A submission from a door: a new issue in triage with its request, or, for an external
    id already delivered, a request on the issue it made (nothing new if the same requester).

    Concurrent deliveries of one external id make one issue: the loser's insert of the
    (project, external_id) row fails on its unique constraint, and it retries as a repeat.
    """
    external_id = _text("external_id", external_id, MAX_EXTERNAL_ID)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _receive(
                    project=project,
                    channel=channel,
                    title=title,
                    description=description,
                    source=source,
                    requester=requester,
                    requester_verified=requester_verified,
                    words=words,
                    external_id=external_id,
                    external_url=external_url,
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive(*, project, channel, title, description, source, requester, requester_verified,
             words, external_id, external_url) -> Delivery:  # fmt: skip
    title = _text("title", title, MAX_TITLE)
    description = _text("description", description, MAX_TEXT)
    words = _text("words", words, MAX_TEXT)
    external_url = _url(external_url)
    if source not in Source.values:
        raise ValidationError({"source": f"Unknown source {str(source)[:40]!r}."}, code="invalid")
    person = None
    if requester:
        person = requester_for(
            email=requester.get("email"),
            name=requester.get("name", ""),
            company=requester.get("company", ""),
            verified=requester_verified,
        )
    issue = None
    if external_id:
        ticket = (
            ExternalTicket.objects.select_related("issue__project", "issue__duplicate_of")
            .filter(project=project, external_id=external_id)
            .first()
        )
        if ticket is not None:
            issue = ticket.issue
    if issue is not None:
        # A repeat: a new requester adds a request, the same one adds nothing.
        request = None
        if person is not None:
            request = add_request(
                issue=issue,
                requester=person,
                channel=channel,
                source=source,
                words=words,
                external_url=external_url,
                external_id=external_id,
            )
        return Delivery(issue=issue, created=False, request=request)
    if not title:
        raise ValidationError({"title": "A title is required."}, code="required")
    if channel not in Channel.values or channel == Channel.MEMBER:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    made: list[Request] = []

    def prepare(new_issue: Issue) -> None:
        # Rows that refer to the new issue, written before its locks are taken (see
        # create_requested_issue). The external id first: a concurrent delivery of the same id
        # waits here, holding no lock, and retries as a repeat once this one commits.
        if external_id:
            ExternalTicket.objects.create(project=project, external_id=external_id, issue=new_issue)
        if person is not None:
            # The issue is new: no request of this requester can exist, no savepoint needed.
            made.append(
                Request.objects.create(
                    issue=new_issue,
                    requester=person,
                    channel=channel,
                    source=source,
                    words=words or description,
                    external_url=external_url,
                    external_id=external_id,
                )
            )

    issue = issue_operations.create_requested_issue(
        project=project,
        title=title,
        description=description,
        source=source,
        requester=person,
        prepare=prepare,
    )
    return Delivery(issue=issue, created=True, request=made[0] if made else None)


# Closing the loop ----------------------------------------------------------------------------


def unsubscribe_token(requester: Requester) -> str:
    return signing.dumps(requester.pk, salt=UNSUBSCRIBE_SALT)


def requester_from_unsubscribe_token(token: str) -> Requester | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Requester.objects.filter(pk=pk).first()


@transaction.atomic
def unsubscribe(*, requester: Requester) -> None:
    if requester.unsubscribed_at is None:
        requester.unsubscribed_at = timezone.now()
        requester.save(update_fields=["unsubscribed_at"])


def announce_shipped(*, issue: Issue, event: IssueEvent) -> int:
    """E-mail each requester of `issue` that it shipped (called by issues.operations when it
    enters a done status). At most one "Shipped" e-mail per request, ever: a reopened and
    re-closed issue tells nobody twice. Returns how many were queued."""
    if _awaits_release(issue):
        return 0  # Its release ships it: announce_released tells them then.
    pending = list(
        Request.objects.select_for_update(of=("self",))
        .filter(issue=issue, shipped_notified_at__isnull=True)
        .select_related("requester")
    )
    now = timezone.now()
    sent = 0
    note = (
        issue.comments.filter(public=True, requester__isnull=True)
        .order_by("-created_at")
        .values_list("body", flat=True)
    ).first()
    for request in pending:
        request.shipped_notified_at = now
        if request.requester.unsubscribed_at is not None:
            continue
        _send_note(
            request.requester,
            subject=f"Shipped: {issue.title}",
            template="intake/email/shipped",
            context={"issue": issue, "note": note or ""},
        )
        sent += 1
    Request.objects.bulk_update(pending, ["shipped_notified_at"])
    return sent


def _awaits_release(issue: Issue) -> bool:
    """Whether the issue is planned into a version not released yet (planning)."""
    if not getattr(issue, "release_id", None):
        return False
    from planning.models import Release, ReleaseState

    return Release.objects.filter(pk=issue.release_id, state=ReleaseState.UNRELEASED).exists()


def announce_released(*, release) -> int:
    """E-mail each requester of the release's shipped issues once, listing their issues
    (called by planning.operations.release_version, in its transaction). Requests already told
    (their issue was done before it joined the release) are left out, and every request is
    marked, so nothing is sent twice. Returns how many e-mails were queued."""
    pending = list(
        Request.objects.select_for_update(of=("self",))
        .filter(
            issue__release=release,
            issue__status__category=StatusCategory.DONE,
            shipped_notified_at__isnull=True,
        )
        .select_related("requester", "issue")
        .order_by("requester_id", "issue__rank")
    )
    now = timezone.now()
    by_requester: dict[int, list[Request]] = {}
    for request in pending:
        request.shipped_notified_at = now
        by_requester.setdefault(request.requester_id, []).append(request)
    project = release.project
    releases_url = ""
    if Portal.objects.filter(project=project, enabled=True, mode=PortalMode.FULL).exists():
        from django.conf import settings

        releases_url = settings.SITE_URL + reverse("intake_public:releases", args=[project.key])
    sent = 0
    with email.batch():
        for requests in by_requester.values():
            requester = requests[0].requester
            if requester.unsubscribed_at is not None:
                continue
            _send_note(
                requester,
                subject=f"Released: {project.name} {release.name}",
                template="intake/email/released",
                context={
                    "release": release,
                    "project": project,
                    "issues": [request.issue for request in requests],
                    "releases_url": releases_url,
                },
            )
            sent += 1
    Request.objects.bulk_update(pending, ["shipped_notified_at"])
    return sent


def tell_declined(*, issue: Issue, note: str) -> int:
    """A kind note to each requester of a declined issue (when the member chooses to)."""
    note = _text("note", note, MAX_TEXT)
    sent = 0
    for request in Request.objects.filter(issue=issue).select_related("requester"):
        if request.requester.unsubscribed_at is None:
            _send_note(
                request.requester,
                subject=f"About your idea: {issue.title}",
                template="intake/email/declined",
                context={"issue": issue, "note": note},
            )
            sent += 1
    return sent


def _send_note(requester: Requester, *, subject: str, template: str, context: dict) -> None:
    from django.conf import settings

    unsubscribe_url = settings.SITE_URL + reverse(
        "intake_public:unsubscribe", args=[unsubscribe_token(requester)]
    )
    email.send(
        to=requester.email,
        subject=subject,
        template=template,
        context={"requester": requester, "unsubscribe_url": unsubscribe_url, **context},
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# Keys ----------------------------------------------------------------------------------------

KEY_PREFIXES = {KeyKind.SECRET: "sk_", KeyKind.PUBLISHABLE: "pk_"}


def _hash(raw: str) -> str:
    # The keys are 32 random bytes: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_key(
    *, project: Project, actor: AbstractBaseUser, kind: str, name: str, allowed_origins: str = ""
) -> tuple[IntakeKey, str]:
    """A new key and its full text, which is shown once and never stored."""
    issue_operations.require_role(actor, project, Role.ADMIN)
    if kind not in KeyKind.values:
        raise ValidationError({"kind": "Choose a secret or a publishable key."})
    name = _text("name", name, MAX_NAME)
    if not name:
        raise ValidationError({"name": "Name the key after what uses it."}, code="required")
    origins = []
    for line in str(allowed_origins or "").splitlines():
        origin = line.strip().rstrip("/")
        if not origin:
            continue
        try:
            URLValidator(schemes=["http", "https"])(origin)
        except ValidationError:
            raise ValidationError(
                {
                    "allowed_origins": f"“{origin[:80]}” is not an origin like https://app.example.com."
                }
            ) from None
        origins.append(origin)
    raw = KEY_PREFIXES[kind] + secrets.token_urlsafe(32)
    key = IntakeKey.objects.create(
        project=project,
        kind=kind,
        name=name,
        prefix=raw[:12],
        hashed=_hash(raw),
        allowed_origins="\n".join(origins),
        created_by=actor,
    )
    return key, raw


@transaction.atomic
def revoke_key(*, key: IntakeKey, actor: AbstractBaseUser) -> IntakeKey:
    issue_operations.require_role(actor, key.project, Role.ADMIN)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def authenticate_key(*, project_key: str, raw: str, kind: str) -> IntakeKey | None:
    """The live key of that project and kind matching `raw`, or None; marks it used."""
    raw = str(raw or "")
    if len(raw) < 20 or len(raw) > 100:
        return None
    key = (
        IntakeKey.objects.select_related("project")
        .filter(prefix=raw[:12], kind=kind, project__key=project_key, revoked_at__isnull=True)
        .first()
    )
    expected = key.hashed if key is not None else _hash("")
    matches = hmac.compare_digest(expected, _hash(raw))
    if key is None or not matches:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        # At most one write a minute per key: "last used" is for people, not an audit log.
        IntakeKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# The portal ------------------------------------------------------------------------------------


@transaction.atomic
def configure_portal(
    *,
    project: Project,
    actor: AbstractBaseUser,
    enabled: bool,
    mode: str,
    private: bool,
    allowed_domains: str = "",
    title: str = "",
) -> Portal:
    """Turn the project's portal on or off and choose who may use it (project admins)."""
    issue_operations.require_role(actor, project, Role.ADMIN)
    if mode not in PortalMode.values:
        raise ValidationError({"mode": "Choose full or submit-only."})
    domains = []
    for line in str(allowed_domains or "").splitlines():
        domain = line.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN.fullmatch(domain):
            raise ValidationError(
                {"allowed_domains": f"“{domain[:80]}” is not a domain like acme.com."}
            )
        domains.append(domain)
    if private and not domains:
        raise ValidationError(
            {"allowed_domains": "A private portal needs at least one allowed e-mail domain."}
        )
    portal, _ = Portal.objects.update_or_create(
        project=project,
        defaults={
            "enabled": bool(enabled),
            "mode": mode,
            "private": bool(private),
            "allowed_domains": "\n".join(domains),
            "title": _text("title", title, MAX_NAME),
            "updated_at": timezone.now(),
        },
    )
    return portal
