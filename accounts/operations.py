"""Changes a person makes to their own account. Keyword-only, atomic; a refusal is a
ValidationError with a sentence, and nothing is changed."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import AVATAR_COLORS, PasswordResetRequest, Profile

RESET_WINDOW = datetime.timedelta(hours=1)


@transaction.atomic
def update_profile(
    *, user: AbstractBaseUser, first_name: str, last_name: str, email: str, avatar_color: str
) -> AbstractBaseUser:
    """Name (shown instead of the username), e-mail address and avatar colour."""
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"email": "Enter an e-mail address like name@example.com."}, code="invalid"
            ) from None
        taken = get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk)
        if taken.exists():
            raise ValidationError(
                {"email": "Another account uses this e-mail address."}, code="email_taken"
            )
    if avatar_color and avatar_color not in dict(AVATAR_COLORS):
        raise ValidationError({"avatar_color": "Choose one of the colours."}, code="invalid")
    user.first_name = " ".join((first_name or "").split())[:150]
    user.last_name = " ".join((last_name or "").split())[:150]
    user.email = email
    user.save(update_fields=["first_name", "last_name", "email"])
    profile, _ = Profile.objects.update_or_create(
        user=user, defaults={"avatar_color": avatar_color}
    )
    user._state.fields_cache["profile"] = profile
    return user


@transaction.atomic
def sign_out_other_sessions(*, user: AbstractBaseUser, password: str) -> None:
    """End every other session of the user, in every process, confirmed by their password.

    Django ties a session to a hash of the password's stored hash; storing the same password
    again with a new salt changes it, so every other session stops being valid on its next
    request. The caller keeps its own session with `update_session_auth_hash`.
    """
    if not user.check_password(password or ""):
        raise ValidationError({"password": "That is not your current password."}, code="password")
    user.set_password(password)
    user.save(update_fields=["password"])


def allow_password_reset(*, email: str, client_ip: str) -> bool:
    """Count a reset request; False when this address or this client asked too often.

    Counted whether or not an account has the address, so that the answer reveals nothing.
    """
    now = timezone.now()
    keys = {
        _hash(f"email:{(email or '').strip().lower()}"): settings.PASSWORD_RESET_PER_EMAIL,
        _hash(f"ip:{client_ip}"): settings.PASSWORD_RESET_PER_IP,
    }
    with transaction.atomic():
        PasswordResetRequest.objects.filter(created_at__lt=now - RESET_WINDOW).delete()
        recent = PasswordResetRequest.objects.filter(created_at__gte=now - RESET_WINDOW)
        for key, limit in keys.items():
            if recent.filter(key=key).count() >= limit:
                return False
        PasswordResetRequest.objects.bulk_create(
            PasswordResetRequest(key=key, created_at=now) for key in keys
        )
    return True


def _hash(text: str) -> str:
    """Addresses and IP addresses are stored hashed (with the site's secret), never as text."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{text}".encode()).hexdigest()
