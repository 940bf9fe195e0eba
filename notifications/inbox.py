"""The unread count in the header of every page, and in the board poll's answer."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from issues.models import Membership

from .models import Notification

HEADER = "X-Unread-Count"
# More unread notifications than this show as "99+": the count stops reading there, so it costs
# the same with 100 or 10,000 unread (it runs on every page and every board poll).
CAP = 99


def unread_count(request: HttpRequest) -> int:
    """Unread notifications from projects the user can see now, up to CAP + 1 (more is
    "99+"); one query, once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_count"):
        request._unread_count = count_unread(user)
    return request._unread_count


def count_unread(user) -> int:
    """`Notification.objects.visible_to(user).unread()[:CAP + 1].count()`, as one plain SQL
    statement: the board's poll runs it hundreds of times a second, and building it with the
    ORM cost more CPU than the rest of the poll's queries together."""
    sql = _SUPERUSER_SQL() if user.is_superuser else _MEMBER_SQL()
    params = [user.pk, CAP + 1] if user.is_superuser else [user.pk, user.pk, CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _sql(*, member: bool) -> str:
    qn = connection.ops.quote_name
    notification, membership = Notification._meta, Membership._meta

    def column(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    visible = (
        f" AND n.{column(notification, 'project')} IN (SELECT m.{column(membership, 'project')}"  # noqa: S608
        f" FROM {qn(membership.db_table)} m WHERE m.{column(membership, 'user')} = %s)"
        if member
        else ""
    )
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {qn(notification.db_table)} n "  # noqa: S608 (names from the models)
        f"WHERE n.{column(notification, 'recipient')} = %s "
        f"AND n.{column(notification, 'read_at')} IS NULL{visible} LIMIT %s) unread"
    )


_MEMBER_SQL = cache(lambda: _sql(member=True))
_SUPERUSER_SQL = cache(lambda: _sql(member=False))


def label(count: int) -> str:
    """The count as the top bar shows it: "0" to "99", then "99+"."""
    return f"{CAP}+" if count > CAP else str(count)


def with_unread_count(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The count in a header, which static/js/notifications.js puts in the top bar."""
    if request.user.is_authenticated:
        response[HEADER] = label(unread_count(request))
    return response


def context(request: HttpRequest) -> dict:
    """Context processor: `unread_count`, the top bar's label ("" when none), queried only
    when a template shows it."""

    def shown() -> str:
        count = unread_count(request)
        return label(count) if count else ""

    return {"unread_count": SimpleLazyObject(shown)}
