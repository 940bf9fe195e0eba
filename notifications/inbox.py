"""The unread count in the header of every page, and in the board poll's answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .models import Notification

HEADER = "X-Unread-Count"


def unread_count(request: HttpRequest) -> int:
    """Unread notifications from projects the user can see now; one query, once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_count"):
        request._unread_count = Notification.objects.visible_to(user).unread().count()
    return request._unread_count


def with_unread_count(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The count in a header, which static/js/notifications.js puts in the top bar."""
    if request.user.is_authenticated:
        response[HEADER] = str(unread_count(request))
    return response


def context(request: HttpRequest) -> dict:
    """Context processor: `unread_count`, queried only when a template shows it."""
    return {"unread_count": SimpleLazyObject(lambda: unread_count(request))}
