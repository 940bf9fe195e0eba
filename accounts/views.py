"""A person's own account: profile, password change and reset (Django's views in the app's
look, the reset e-mail queued for the worker and rate-limited), and signing out elsewhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import operations
from .forms import ProfileForm, QueuedPasswordResetForm
from .models import AVATAR_COLORS, Profile


def _sentence(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    chosen = Profile.objects.filter(user=user).values_list("avatar_color", flat=True).first()
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "avatar_color": chosen or "",
        },
    )
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                operations.update_profile(user=user, **form.cleaned_data)
            except ValidationError as refusal:
                error = _sentence(refusal)
            else:
                messages.success(request, "Profile saved.")
                return redirect("account_profile")
        else:
            error = " ".join(e for errors in form.errors.values() for e in errors)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "error": error,
            "colors": AVATAR_COLORS,
            "chosen": form["avatar_color"].value(),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def sign_out_elsewhere(request: HttpRequest) -> HttpResponse:
    try:
        operations.sign_out_other_sessions(user=request.user, password=request.POST.get("password"))
    except ValidationError as refusal:
        messages.error(request, _sentence(refusal))
        return redirect("account_profile")
    update_session_auth_hash(request, request.user)
    messages.success(request, "Signed out of every other browser and device.")
    return redirect("account_profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account_profile")

    def form_valid(self, form):
        messages.success(self.request, "Password changed. Your other sessions are signed out.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Always the same answer, whether or not an account has the address; rate-limited per
    address and per client (counted in the database, so every process agrees)."""

    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form):
        allowed = operations.allow_password_reset(
            email=form.cleaned_data["email"], client_ip=self.request.META.get("REMOTE_ADDR", "")
        )
        if not allowed:
            response = render(
                self.request, self.template_name, {"form": form, "limited": True}, status=429
            )
            response["Retry-After"] = str(int(operations.RESET_WINDOW.total_seconds()))
            return response
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
