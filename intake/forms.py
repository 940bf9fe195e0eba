"""Forms of intake's pages: a customer request added by a member, keys, the portal's forms."""

from __future__ import annotations

from django import forms

from issues.models import Source

from .models import KeyKind, PortalMode
from .operations import MAX_NAME, MAX_TEXT, MAX_URL


class RequestForm(forms.Form):
    """ "Add a customer request" on the issue page: a sales call, a tweet, a support ticket."""

    email = forms.EmailField(label="Customer's e-mail", max_length=254)
    name = forms.CharField(label="Name", max_length=MAX_NAME, required=False)
    company = forms.CharField(label="Company", max_length=MAX_NAME, required=False)
    words = forms.CharField(
        label="Their words",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source = forms.ChoiceField(choices=Source.choices, initial=Source.CUSTOMER_FEEDBACK)
    external_url = forms.URLField(
        label="Link (ticket, tweet)", max_length=MAX_URL, required=False, assume_scheme="https"
    )


class KeyForm(forms.Form):
    name = forms.CharField(label="Used by", max_length=MAX_NAME, help_text="e.g. “Zendesk”")
    kind = forms.ChoiceField(choices=KeyKind.choices, initial=KeyKind.SECRET)
    allowed_origins = forms.CharField(
        label="Allowed origins (widget keys)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://app.example.com"}),
        help_text="One origin a line: the sites whose pages may send feedback with this key.",
    )


class PortalForm(forms.Form):
    enabled = forms.BooleanField(label="Portal is on", required=False)
    mode = forms.ChoiceField(choices=PortalMode.choices, initial=PortalMode.FULL)
    private = forms.BooleanField(label="Private: allowed e-mail domains only", required=False)
    allowed_domains = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    title = forms.CharField(required=False, max_length=MAX_NAME)
