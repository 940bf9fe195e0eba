from django import forms
from django.contrib.auth import forms as auth_forms
from django.template.loader import render_to_string

from notifications import email

from .models import AVATAR_COLORS


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(
        max_length=254,
        required=False,
        error_messages={"invalid": "Enter an e-mail address like name@example.com."},
    )
    avatar_color = forms.ChoiceField(choices=[("", "Automatic"), *AVATAR_COLORS], required=False)


class QueuedPasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the e-mail queued for the worker instead of sent here."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        email.send(
            to=to_email,
            subject=render_to_string(subject_template_name, context),
            template="accounts/email/password_reset",
            context=context,
        )
