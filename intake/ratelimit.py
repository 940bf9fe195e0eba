"""Rate limits for the public doors, counted in the database so that every process agrees.

A fixed window per bucket ("api-key:12", "ip:203.0.113.5", …): one upsert per hit returns
the window's count. Over the limit, the caller answers 429 with Retry-After (the seconds left
in the window). Old windows are deleted now and then by the hits themselves.
"""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from .models import RateCounter

# name → (hits, seconds); settings.INTAKE_RATE_LIMITS overrides any of them.
DEFAULT_LIMITS = {
    "api-ip": (1200, 60),  # every intake API call from one address
    "api-key": (600, 60),  # calls with one secret key
    "widget-ip": (30, 60),
    "widget-key": (600, 60),
    "portal-ip": (120, 60),  # portal writes (submit, vote, comment, sign-in) from one address
    "portal-requester": (30, 60),  # portal writes by one requester
    "sign-in": (5, 600),  # sign-in links e-mailed to one address
}


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many requests: try again in {retry_after} seconds.")
        self.retry_after = retry_after


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "INTAKE_RATE_LIMITS", {})}


def hit(name: str, who: object) -> None:
    """Count one hit of `who` against the limit `name`; RateLimited when over it."""
    allowed, seconds = limits()[name]
    now = time.time()
    period = int(now // seconds)
    bucket = f"{name}:{who}"[:200]
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    # One statement, so no transaction around it (outside one, it commits by itself): one round
    # trip per hit.
    with connection.cursor() as cursor:
        # On both databases (SQLite ≥ 3.35 and PostgreSQL): insert or count up.
        cursor.execute(
            f"INSERT INTO {table} (bucket, period, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (bucket, period) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [bucket, period],
        )
        hits = cursor.fetchone()[0]
    if random.random() < 0.01:
        RateCounter.objects.filter(bucket__startswith=f"{name}:", period__lt=period - 1).delete()
    if hits > allowed:
        raise RateLimited(max(1, int((period + 1) * seconds - now) + 1))


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it (behind a proxy, REMOTE_ADDR is the proxy's
    unless the proxy is configured to set it)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
