"""Intake's public doors: pages and endpoints for people outside the team (no login).

Unknown projects, disabled portals and revoked keys all answer the same 404, so that nothing
says which one it was.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from issues.models import Source

from . import operations, ratelimit
from .models import Channel, KeyKind


@csrf_exempt  # The signed token in the URL is the proof; mail clients post without a form.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner must not unsubscribe anyone); POST (the button, or a mail
    client's RFC 8058 one-click) unsubscribes."""
    requester = operations.requester_from_unsubscribe_token(token)
    if requester is None:
        raise Http404("This link is not valid.")
    done = False
    if request.method == "POST":
        operations.unsubscribe(requester=requester)
        done = True
    return render(
        request,
        "intake/unsubscribe.html",
        {"done": done or requester.unsubscribed_at is not None},
    )


# The intake API --------------------------------------------------------------------------------

MAX_BODY = 64 * 1024
API_FIELDS = {"title", "description", "source", "requester", "words", "external_id",
              "external_url"}  # fmt: skip
REQUESTER_FIELDS = {"email", "name", "company"}


def _json_error(message: str, status: int, field: str | None = None, **headers) -> JsonResponse:
    response = JsonResponse({"message": message, "field": field}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _not_found() -> JsonResponse:
    # The same answer for an unknown project, a revoked key and a wrong secret.
    return _json_error("Not found.", 404)


@csrf_exempt  # A bearer secret, not a cookie: there is no session to forge requests with.
@require_POST
def intake_api(request: HttpRequest, key: str) -> JsonResponse:
    """POST /api/intake/<KEY>/: an issue from a support tool or a script (see the docs page)."""
    try:
        ratelimit.hit("api-ip", ratelimit.client_ip(request))
    except ratelimit.RateLimited as limited:
        return _json_error(str(limited), 429, Retry_After=str(limited.retry_after))
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _json_error(
            "Send the project's secret key: Authorization: Bearer <secret>.",
            401,
            WWW_Authenticate='Bearer realm="intake"',
        )
    intake_key = operations.authenticate_key(
        project_key=key, raw=secret.strip(), kind=KeyKind.SECRET
    )
    if intake_key is None:
        return _not_found()
    try:
        ratelimit.hit("api-key", intake_key.pk)
    except ratelimit.RateLimited as limited:
        return _json_error(str(limited), 429, Retry_After=str(limited.retry_after))
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _json_error(f"The body is at most {MAX_BODY // 1024} KB.", 413)
    if request.content_type != "application/json":
        return _json_error("Send JSON (Content-Type: application/json).", 415)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _json_error("The body is not valid JSON.", 400)
    problem = _check_payload(data)
    if problem:
        return _json_error(problem[1], 400, problem[0])
    try:
        delivery = operations.receive(
            project=intake_key.project,
            channel=Channel.API,
            title=data.get("title", ""),
            description=data.get("description", ""),
            source=data.get("source") or Source.SUPPORT_TICKET,
            requester=data.get("requester"),
            words=data.get("words", ""),
            external_id=data.get("external_id", ""),
            external_url=data.get("external_url", ""),
        )
    except ValidationError as error:
        field, message = _first_error(error)
        return _json_error(message, 422, field)
    issue = delivery.issue
    return JsonResponse(
        {"key": issue.key, "url": settings.SITE_URL + issue.get_absolute_url()},
        status=201 if delivery.created else 200,
    )


def _check_payload(data: object) -> tuple[str | None, str] | None:
    """(field, message) for a payload of the wrong shape, before any value is looked at."""
    if not isinstance(data, dict):
        return None, "The body must be a JSON object."
    unknown = set(data) - API_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        return name, f"Unknown field “{name[:40]}”."
    for name in API_FIELDS - {"requester"}:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            return name, f"{name} must be a string."
    requester = data.get("requester")
    if requester is not None:
        if not isinstance(requester, dict):
            return "requester", "requester must be an object with email, name and company."
        unknown = set(requester) - REQUESTER_FIELDS
        if unknown:
            return "requester", f"Unknown requester field “{sorted(unknown)[0][:40]}”."
        for name in REQUESTER_FIELDS:
            if name in requester and not isinstance(requester[name], str):
                return f"requester.{name}", f"requester.{name} must be a string."
        if not requester.get("email"):
            return "requester.email", "A requester needs an e-mail."
    return None


def _first_error(error: ValidationError) -> tuple[str | None, str]:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        messages = [message for item in errors for message in item.messages]
        if field in REQUESTER_FIELDS:
            field = f"requester.{field}"
        return (None if field == "__all__" else field), " ".join(messages)
    return None, " ".join(error.messages)


# The feedback widget ---------------------------------------------------------------------------

WIDGET_FIELDS = {"key", "title", "text", "page_url", "email", "name"}


@csrf_exempt  # No cookies are sent or read: the publishable key and the origin are the check.
@require_http_methods(["POST", "OPTIONS"])
def widget(request: HttpRequest, key: str) -> HttpResponse:
    """Feedback from the widget on a product's page: only from the key's allowed origins."""
    origin = request.headers.get("Origin", "")
    if request.method == "OPTIONS":
        # The preflight says nothing about the key: the POST is checked in full.
        response = HttpResponse(status=204)
        if origin:
            _cors(response, origin)
            response["Access-Control-Allow-Methods"] = "POST"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "600"
        return response
    try:
        ratelimit.hit("widget-ip", ratelimit.client_ip(request))
    except ratelimit.RateLimited as limited:
        return _cors(_json_error(str(limited), 429, Retry_After=str(limited.retry_after)), origin)
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _cors(_json_error(f"The body is at most {MAX_BODY // 1024} KB.", 413), origin)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _cors(_json_error("The body is not valid JSON.", 400), origin)
    if not isinstance(data, dict) or any(
        name not in WIDGET_FIELDS or not isinstance(value, str) for name, value in data.items()
    ):
        return _cors(_json_error("Send an object of strings: " + ", ".join(sorted(WIDGET_FIELDS)) + ".", 400), origin)  # fmt: skip
    intake_key = operations.authenticate_key(
        project_key=key, raw=data.get("key", ""), kind=KeyKind.PUBLISHABLE
    )
    if intake_key is None:
        return _not_found()
    if not origin or origin.rstrip("/") not in intake_key.origins():
        # No CORS header: the browser keeps the answer from the page.
        return _json_error("This site may not send feedback here.", 403)
    try:
        ratelimit.hit("widget-key", intake_key.pk)
    except ratelimit.RateLimited as limited:
        return _cors(_json_error(str(limited), 429, Retry_After=str(limited.retry_after)), origin)
    email = data.get("email", "").strip()
    page_url = data.get("page_url", "")[:500]
    text = data.get("text", "")
    try:
        operations.receive(
            project=intake_key.project,
            channel=Channel.WIDGET,
            title=data.get("title", ""),
            description=f"{text}\n\nSent from {page_url}" if page_url else text,
            source=Source.IN_APP_FEEDBACK,
            requester={"email": email, "name": data.get("name", "")} if email else None,
            requester_verified=False,  # The host page says who it is; nobody proved it.
            words=text,
            external_url=page_url if page_url.startswith(("http://", "https://")) else "",
        )
    except ValidationError as error:
        field, message = _first_error(error)
        return _cors(_json_error(message, 422, field), origin)
    return _cors(JsonResponse({"received": True}, status=201), origin)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    """Let `origin` read the answer (never with credentials)."""
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response
