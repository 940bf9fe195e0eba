"""Cross-cutting HTTP behaviour: security headers and a clean 503 when the database is away."""

import logging
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# No inline script anywhere; inline style attributes are allowed for label and status colours.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

UNAVAILABLE_MESSAGE = "The tracker cannot reach its database. Try again in a few seconds."


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy that Django does not set by itself (before 6.0)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


NUL_MESSAGE = "The request contains a NUL character (%00), which no field accepts."


class BadInputMiddleware:
    """Answer 400 to a NUL character anywhere in the path, the query string or a form post.

    PostgreSQL cannot store or even compare text with NUL in it (a DataError, so a 500), and no
    field of this app has a use for one; refusing them here covers every view, the admin's
    filters and searches included, on SQLite as on PostgreSQL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            response = HttpResponse(NUL_MESSAGE, status=400, content_type="text/plain")
            response.headers["X-Error-Message"] = quote(NUL_MESSAGE)
            return response
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    data = [request.GET]
    if request.method == "POST" and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        # Read (and keep) the raw body first: a view may still want it after POST is parsed
        # (the feedback widget reads its form-encoded JSON from request.body).
        request.body  # noqa: B018
        data.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for query in data
        for key, values in query.lists()
    )


class DatabaseUnavailableMiddleware:
    """Answer 503 with a friendly page, not a trace, while the database cannot be reached.

    A view's failed transaction is rolled back by `transaction.atomic`, so nothing is
    half-written. Persistent connections have CONN_HEALTH_CHECKS and Django closes broken ones
    at the end of each request, so the app recovers by itself once the database is back.
    Sits above the session and auth middleware so that their database errors are caught too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # An outage hit outside the view (say, saving the session) arrives here as a 500.
        if response.status_code == 500 and not database_answers():
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if database_answers():
            return None  # A real query error, not an outage: let it surface as a bug.
        logger.warning("Database unavailable: %s", exception)
        return unavailable_response(request)


def database_answers() -> bool:
    """Whether the default database answers a trivial query right now."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 page; rendered without the request because its context would query the database."""
    body = render_to_string("503.html")
    response = HttpResponse(body, status=503, headers={"Retry-After": "5"})
    if request.headers.get("HX-Request") == "true":
        # app.js shows this as a notice instead of swapping a whole page into a fragment.
        response.headers["X-Error-Message"] = quote(UNAVAILABLE_MESSAGE)
    return response


class PrivatePagesMiddleware:
    """Pages and fragments for a signed-in person are marked private and not to be stored: a
    shared proxy keeps no copy, and the back button after signing out shows nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # By the session cookie, not request.user: loading the user here would query the
        # database after the view, even for the 503 page of an outage.
        user = getattr(request, "_cached_user", None)
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        if signed_in or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_cache=True, no_store=True)
        return response


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a throttled log-in: 429, a page that says why and for how long,
    and Retry-After."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, round(cooloff.total_seconds() / 60)),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
