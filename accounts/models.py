"""A person's own account: their profile (avatar colour) and password-reset requests, which
are counted here (in the database, so that every app process agrees on the rate limit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# Avatar colours: white initials on each have a contrast of at least 4.5:1 (WCAG AA), which
# tests/accounts/test_models.py checks.
AVATAR_COLORS = [
    ("#4338ca", "Indigo"),
    ("#0550ae", "Blue"),
    ("#0e7490", "Cyan"),
    ("#0f766e", "Teal"),
    ("#1a7f37", "Green"),
    ("#7c4a1e", "Brown"),
    ("#9a3412", "Orange"),
    ("#b91c1c", "Red"),
    ("#be185d", "Pink"),
    ("#a21caf", "Magenta"),
    ("#7e22ce", "Purple"),
    ("#475569", "Slate"),
]


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    avatar_color = models.CharField(max_length=7, choices=AVATAR_COLORS, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class PasswordResetRequest(models.Model):
    """One asked-for reset, keyed by a hash of the address or of the client's IP address."""

    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "created_at"], name="reset_request_recent")]

    def __str__(self) -> str:
        return f"{self.key[:8]}… at {self.created_at:%Y-%m-%d %H:%M}"
