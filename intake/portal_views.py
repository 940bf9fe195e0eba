"""The ideas portal, /portal/<KEY>/: customers browse, vote for and submit ideas.

No login: a visitor proves an e-mail address with a signed, single-use sign-in link, and the
session remembers the requester. A disabled portal and an unknown project are the same 404.
Everything shown comes from `intake.portal`, which selects only what a visitor may see.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from issues import operations as issue_operations
from issues.markdown import render_markdown
from issues.models import Comment, Issue, Source

from . import operations, portal, ratelimit
from .models import Channel, Portal, PortalMode, Request, Requester, SignInLink

SESSION_KEY = "intake_requester"
SIGN_IN_SALT = "intake.portal.sign-in"
SIGN_IN_MAX_AGE = 30 * 60  # seconds
HONEYPOT = "website"


def _portal(key: str) -> Portal:
    found = Portal.objects.select_related("project").filter(project__key=key, enabled=True).first()
    if found is None:
        raise Http404("No such portal.")
    return found


def _requester(request: HttpRequest, found: Portal) -> Requester | None:
    requester_id = request.session.get(SESSION_KEY)
    if not requester_id:
        return None
    requester = Requester.objects.filter(pk=requester_id, verified_at__isnull=False).first()
    if requester is None or not found.admits(requester.email):
        return None
    return requester


def _url(name: str, found: Portal, *args, **query) -> str:
    url = reverse(f"intake_public:{name}", args=[found.project.key, *args])
    return f"{url}?{urlencode(query)}" if query else url


def _sign_in_redirect(request: HttpRequest, found: Portal) -> HttpResponseRedirect:
    target = request.get_full_path() if request.method == "GET" else _url("portal", found)
    return HttpResponseRedirect(_url("sign_in", found, next=target), status=303)


def _context(request: HttpRequest, found: Portal, requester: Requester | None, **extra) -> dict:
    return {
        "portal": found,
        "project": found.project,
        "requester": requester,
        "browse": found.mode == PortalMode.FULL,
        "portal_title": found.title or f"{found.project.name} ideas",
        **extra,
    }


def _too_many(request: HttpRequest, found: Portal, limited: ratelimit.RateLimited) -> HttpResponse:
    response = render(
        request,
        "intake/portal/message.html",
        _context(request, found, None, heading="Slow down", message=str(limited)),
        status=429,
    )
    response["Retry-After"] = str(limited.retry_after)
    return response


def _limit(request: HttpRequest, requester: Requester | None) -> None:
    ratelimit.hit("portal-ip", ratelimit.client_ip(request))
    if requester is not None:
        ratelimit.hit("portal-requester", requester.pk)


# Browsing --------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def home(request: HttpRequest, key: str) -> HttpResponse:
    """The published ideas (full portals): trending, top or newest; searchable; 20 a page."""
    found = _portal(key)
    requester = _requester(request, found)
    if found.private and requester is None:
        return _sign_in_redirect(request, found)
    if found.mode != PortalMode.FULL:
        return render(request, "intake/portal/home.html", _context(request, found, requester))
    sort = request.GET.get("sort", "trending")
    if sort not in portal.SORTS:
        sort = "trending"
    query = request.GET.get("q", "").strip()[:100]
    rows = portal.listing(found.project, sort=sort, query=query, requester=requester)
    page = Paginator(rows, portal.PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [portal.decorate(row) for row in page.object_list]
    context = _context(
        request,
        found,
        requester,
        page=page,
        sort=sort,
        query=query,
        sorts=[
            (name, label, _url("portal", found, sort=name, **({"q": query} if query else {})))
            for name, label in portal.SORTS.items()
        ],
    )
    template = "intake/portal/home.html"
    if request.htmx:
        template += "#ideas"
    return render(request, template, context)


@require_GET
def idea(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """One idea: its state, votes, description, and the public comments of team and customers."""
    found = _portal(key)
    requester = _requester(request, found)
    if found.private and requester is None:
        return _sign_in_redirect(request, found)
    return _idea_page(request, found, requester, number)


def _idea_page(
    request: HttpRequest,
    found: Portal,
    requester: Requester | None,
    number: int,
    *,
    error: str = "",
    draft: str = "",
    status: int = 200,
) -> HttpResponse:
    row = _visible_idea(found, requester, number)
    comments = list(
        Comment.objects.filter(issue_id=row["id"], public=True)
        .select_related("author", "requester")
        .only("body", "created_at", "author__first_name", "author__last_name",
              "author__username", "requester__name")
    )  # fmt: skip
    merged_into = None
    if row["duplicate_of_id"]:
        merged_into = (
            Issue.objects.filter(pk=row["duplicate_of_id"], public=True)
            .values("number", "title")
            .first()
        )
    context = _context(
        request,
        found,
        requester,
        idea=portal.decorate(row),
        description_html=render_markdown(row["description"]),
        comments=[(c, render_markdown(c.body)) for c in comments],
        merged_into=merged_into,
        # Customers comment on published ideas of full portals, not on merged ones.
        can_comment=found.mode == PortalMode.FULL and row["public"] and not row["duplicate_of_id"],
        comment_error=error,
        comment_draft=draft,
        comment_limit=issue_operations.CUSTOMER_COMMENT_LIMIT,
        honeypot=HONEYPOT,
    )
    return render(request, "intake/portal/idea.html", context, status=status)


def _visible_idea(found: Portal, requester: Requester | None, number: int) -> dict:
    """The idea if this visitor may see it: published (full portals), or their own."""
    if found.mode == PortalMode.FULL:
        ideas = portal.visible_to(found.project, requester)
    elif requester is not None:
        ideas = Issue.objects.filter(project=found.project, requests__requester=requester)
    else:
        ideas = Issue.objects.none()
    row = (
        ideas.filter(number=number)
        .values("id", "number", "title", "description", "demand", "created_at",
                "duplicate_of_id", "public", category=F("status__category"))
        .first()
    )  # fmt: skip
    if row is None:
        raise Http404("No such idea.")
    row["has_voted"] = (
        requester is not None
        and Request.objects.filter(issue_id=row["id"], requester=requester).exists()
    )
    return row


@require_GET
def similar(request: HttpRequest, key: str) -> HttpResponse:
    """Published ideas like the title being typed ("vote for this instead"); an HTMX fragment."""
    found = _portal(key)
    requester = _requester(request, found)
    if (found.private and requester is None) or found.mode != PortalMode.FULL:
        rows = []
    else:
        rows = portal.similar(found.project, request.GET.get("title", ""), public_only=True)
    context = _context(request, found, requester, similar=rows)
    return render(request, "intake/portal/submit.html#similar", context)


@require_GET
def mine(request: HttpRequest, key: str) -> HttpResponse:
    """The requester's own ideas and votes, with their state."""
    found = _portal(key)
    requester = _requester(request, found)
    if requester is None:
        return _sign_in_redirect(request, found)
    rows = [portal.decorate(row) for row in portal.mine(found.project, requester)]
    return render(
        request, "intake/portal/mine.html", _context(request, found, requester, ideas=rows)
    )


# Releases (planning) ---------------------------------------------------------------------------

RELEASES_PER_PAGE = 10
FEED_ENTRIES = 20


def _released(found: Portal):
    from planning.models import Release, ReleaseState

    return Release.objects.filter(project=found.project, state=ReleaseState.RELEASED).order_by(
        "-release_date", "-released_at", "-pk"
    )


def _with_notes(releases: list) -> list:
    from planning import notes

    public = notes.public_notes(releases)
    for release in releases:
        release.public_sections = [
            (title, rows) for title, rows in public[release.pk].items() if rows
        ]
        release.description_html = render_markdown(release.description)
    return releases


@require_GET
def releases(request: HttpRequest, key: str) -> HttpResponse:
    """What shipped, newest first: each released version's notes, published ideas only."""
    found = _portal(key)
    requester = _requester(request, found)
    if found.mode != PortalMode.FULL:
        raise Http404("This portal takes submissions only.")
    if found.private and requester is None:
        return _sign_in_redirect(request, found)
    page = Paginator(_released(found), RELEASES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _with_notes(list(page.object_list))
    context = _context(request, found, requester, page=page)
    return render(request, "intake/portal/releases.html", context)


@require_GET
def releases_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The releases as an Atom feed (public portals only: a feed reader cannot sign in)."""
    from django.template.loader import render_to_string
    from django.utils.feedgenerator import Atom1Feed

    found = _portal(key)
    if found.mode != PortalMode.FULL or found.private:
        raise Http404("No such feed.")
    title = found.title or f"{found.project.name} ideas"
    page_url = settings.SITE_URL + _url("releases", found)
    feed = Atom1Feed(
        title=f"{title}: releases",
        link=page_url,
        description=f"What shipped in {found.project.name}.",
        feed_url=settings.SITE_URL + _url("releases_feed", found),
        author_name=found.project.name,
        language="en",
    )
    for release in _with_notes(list(_released(found)[:FEED_ENTRIES])):
        link = f"{page_url}#release-{release.pk}"
        at = release.released_at or timezone.now()
        body = render_to_string(
            "intake/portal/_release_notes.html",
            {"release": release, "project": found.project, "base": settings.SITE_URL},
        )
        feed.add_item(
            title=f"{release.name} ({release.release_date.isoformat()})",
            link=link,
            description=body,
            unique_id=link,
            pubdate=at,
            updateddate=at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


# Voting and submitting -------------------------------------------------------------------------


@require_POST
def vote(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Vote for an idea, or take one's vote back (a vote is a request without words)."""
    found = _portal(key)
    requester = _requester(request, found)
    if requester is None:
        return _sign_in_redirect(request, found)
    if found.mode != PortalMode.FULL:
        raise Http404("This portal takes submissions only.")
    try:
        _limit(request, requester)
    except ratelimit.RateLimited as limited:
        return _too_many(request, found, limited)
    row = _visible_idea(found, requester, number)
    issue = Issue.objects.select_related("project").get(pk=row["id"])
    existing = Request.objects.filter(issue=issue, requester=requester).first()
    if existing is None:
        operations.add_request(
            issue=issue, requester=requester, channel=Channel.PORTAL, source=Source.IDEAS_PORTAL
        )
    elif existing.channel == Channel.PORTAL and not existing.words:
        operations.remove_request(request=existing, actor=None)
    # A submission (with words) or a request from support stays: it is not just a vote.
    return HttpResponseRedirect(_next(request, _url("idea", found, number)), status=303)


@require_POST
def comment(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """A verified customer's comment on a published idea (full portals): public, shown here
    and on the team's issue page as the customer's."""
    found = _portal(key)
    requester = _requester(request, found)
    if requester is None:
        return _sign_in_redirect(request, found)
    if found.mode != PortalMode.FULL:
        raise Http404("This portal takes submissions only.")
    row = _visible_idea(found, requester, number)
    if request.POST.get(HONEYPOT):
        # A bot filled the hidden field: answer as if it worked, keep nothing.
        return HttpResponseRedirect(_url("idea", found, number), status=303)
    try:
        _limit(request, requester)
    except ratelimit.RateLimited as limited:
        return _too_many(request, found, limited)
    body = request.POST.get("body", "")
    try:
        issue = Issue.objects.select_related("project").get(pk=row["id"])
        added = issue_operations.add_customer_comment(issue=issue, requester=requester, body=body)
    except ValidationError as error:
        return _idea_page(
            request, found, requester, number, error=" ".join(error.messages),
            draft=body[: issue_operations.CUSTOMER_COMMENT_LIMIT + 100], status=422,
        )  # fmt: skip
    return HttpResponseRedirect(f"{_url('idea', found, number)}#comment-{added.pk}", status=303)


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, key: str) -> HttpResponse:
    """Submit an idea (title, description); it lands in the team's triage, unpublished."""
    found = _portal(key)
    requester = _requester(request, found)
    if requester is None:
        return _sign_in_redirect(request, found)
    values = {"title": "", "description": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        if request.POST.get(HONEYPOT):
            # A bot filled the hidden field: answer as if it worked, keep nothing.
            return HttpResponseRedirect(_url("mine", found), status=303)
        try:
            _limit(request, requester)
        except ratelimit.RateLimited as limited:
            return _too_many(request, found, limited)
        try:
            delivery = operations.receive(
                project=found.project,
                channel=Channel.PORTAL,
                title=values["title"],
                description=values["description"],
                source=Source.IDEAS_PORTAL,
                requester={"email": requester.email},
                requester_verified=True,
            )
        except ValidationError as error:
            errors = {
                name: " ".join(messages) for name, messages in error.message_dict.items()
            } if hasattr(error, "error_dict") else {"form": " ".join(error.messages)}  # fmt: skip
            status = 422
        else:
            return HttpResponseRedirect(_url("idea", found, delivery.issue.number), status=303)
    similar_rows = []
    if values["title"] and found.mode == PortalMode.FULL:
        similar_rows = portal.similar(found.project, values["title"], public_only=True)
    context = _context(
        request, found, requester, values=values, errors=errors, similar=similar_rows,
        honeypot=HONEYPOT,
    )  # fmt: skip
    return render(request, "intake/portal/submit.html", context, status=status)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/portal/") and "\\" not in target and "//" not in target:
        return target
    return default


# Signing in ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, key: str) -> HttpResponse:
    """Ask for an e-mail address and send a sign-in link to it."""
    found = _portal(key)
    next_url = _next(request, _url("portal", found))
    context = _context(request, found, _requester(request, found), next=next_url, email="")
    if request.method == "GET":
        return render(request, "intake/portal/sign_in.html", context)
    email = request.POST.get("email", "").strip()[:254]
    context["email"] = email
    try:
        email = operations.clean_email(email)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "intake/portal/sign_in.html", context, status=422)
    if not found.admits(email):
        context["error"] = "This portal is open to people from its organisations only."
        return render(request, "intake/portal/sign_in.html", context, status=403)
    try:
        ratelimit.hit("portal-ip", ratelimit.client_ip(request))
        ratelimit.hit("sign-in", email.lower())
    except ratelimit.RateLimited as limited:
        return _too_many(request, found, limited)
    _send_sign_in_link(found, email, next_url)
    context["sent"] = True
    return render(request, "intake/portal/sign_in.html", context)


@transaction.atomic
def _send_sign_in_link(found: Portal, email: str, next_url: str) -> None:
    from notifications import email as mail

    requester = operations.requester_for(email=email)
    link = SignInLink.objects.create(
        project=found.project, requester=requester, nonce=secrets.token_urlsafe(24)
    )
    token = signing.dumps({"id": link.pk, "n": link.nonce, "next": next_url}, salt=SIGN_IN_SALT)
    url = settings.SITE_URL + _url("sign_in_confirm", found, token)
    mail.send(
        to=requester.email,
        subject=f"Sign in to {found.title or found.project.name + ' ideas'}",
        template="intake/email/sign_in",
        context={"url": url, "portal_title": found.title or f"{found.project.name} ideas"},
    )


@require_http_methods(["GET", "POST"])
def sign_in_confirm(request: HttpRequest, key: str, token: str) -> HttpResponse:
    """GET shows a button (a mail scanner following the link signs nobody in); POST signs in,
    once, within 30 minutes of the e-mail."""
    found = _portal(key)
    try:
        data = signing.loads(token, salt=SIGN_IN_SALT, max_age=SIGN_IN_MAX_AGE)
    except signing.BadSignature:  # Expired links are bad signatures too (SignatureExpired).
        return _link_refused(request, found)
    if request.method == "GET":
        context = _context(request, found, None, token=token)
        return render(request, "intake/portal/sign_in_confirm.html", context)
    with transaction.atomic():
        link = (
            SignInLink.objects.select_for_update()
            .select_related("requester")
            .filter(pk=data.get("id"), project=found.project, used_at__isnull=True)
            .first()
        )
        if link is None or not secrets.compare_digest(link.nonce, str(data.get("n", ""))):
            return _link_refused(request, found)
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        requester = operations.requester_for(email=link.requester.email, verified=True)
    request.session.cycle_key()
    request.session[SESSION_KEY] = requester.pk
    next_url = data.get("next") or _url("portal", found)
    if not str(next_url).startswith(f"/portal/{found.project.key}/"):
        next_url = _url("portal", found)
    return HttpResponseRedirect(next_url, status=303)


def _link_refused(request: HttpRequest, found: Portal) -> HttpResponse:
    context = _context(
        request,
        found,
        None,
        heading="This sign-in link does not work",
        message="It was used already, or it is more than 30 minutes old. Ask for a new one.",
        retry=_url("sign_in", found),
    )
    return render(request, "intake/portal/message.html", context, status=400)


@require_POST
def sign_out(request: HttpRequest, key: str) -> HttpResponse:
    found = _portal(key)
    request.session.pop(SESSION_KEY, None)
    return HttpResponseRedirect(_url("portal", found), status=303)
