from django import forms

from .models import EmailMode, Preferences


class PreferencesForm(forms.Form):
    email = forms.ChoiceField(
        label=Preferences._meta.get_field("email").verbose_name,
        choices=EmailMode.choices,
        widget=forms.RadioSelect,
    )
    email_mentions = forms.BooleanField(
        label=Preferences._meta.get_field("email_mentions").verbose_name, required=False
    )
    muted_projects = forms.ModelMultipleChoiceField(
        label="Mute projects",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Nothing from a muted project reaches your inbox or your e-mail.",
        error_messages={"invalid_choice": "You can only mute projects you belong to."},
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muted_projects"].queryset = projects
        self.fields["muted_projects"].label_from_instance = lambda p: f"{p.key} · {p.name}"
