"""Forms of the settings pages: they turn what a browser sends into values and say what is
wrong in words; the rules (roles, last admin, unique names, WIP limits) are in
`projects.operations`. Every choice is limited to the project: a foreign id is an invalid
choice, never a lookup in another project."""

from __future__ import annotations

from django import forms

from issues.models import COLOR_VALIDATOR, Role, StatusCategory

WIP_ERROR = "use a whole number from 1 up, or leave it empty for no limit."


class ColorField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            max_length=7,
            validators=[COLOR_VALIDATOR],
            widget=forms.TextInput(attrs={"type": "color"}),
            **kwargs,
        )

    def clean(self, value):
        return super().clean(value).lower()


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class NewProjectForm(ProjectForm):
    key = forms.CharField(
        max_length=10,
        help_text="2 to 10 capital letters or digits, starting with a letter (WEB, APP2). "
        "It starts every issue key (WEB-42) and never changes.",
    )

    field_order = ["name", "key", "description"]

    def clean_key(self) -> str:
        return self.cleaned_data["key"].strip().upper()


class StatusForm(forms.Form):
    name = forms.CharField(max_length=50)
    category = forms.ChoiceField(choices=StatusCategory.choices)
    color = ColorField()
    wip_limit = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10_000,
        label="WIP limit",
        error_messages={"invalid": WIP_ERROR, "min_value": WIP_ERROR, "max_value": WIP_ERROR},
    )


class DeleteStatusForm(forms.Form):
    move_to = forms.ModelChoiceField(queryset=None, required=False, label="Move its issues to")

    def __init__(self, *args, status, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = status.project.statuses.exclude(pk=status.pk)


class LabelForm(forms.Form):
    name = forms.CharField(max_length=50)
    color = ColorField()
    description = forms.CharField(max_length=200, required=False)


class MergeLabelForm(forms.Form):
    into = forms.ModelChoiceField(queryset=None, label="Merge into")

    def __init__(self, *args, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = label.project.labels.exclude(pk=label.pk)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class MemberForm(RoleForm):
    who = forms.CharField(max_length=254, label="Username or e-mail")


class InviteForm(RoleForm):
    email = forms.EmailField(
        max_length=254,
        label="E-mail",
        error_messages={"invalid": "Enter an e-mail address like name@example.com."},
    )


def first_error(form: forms.Form) -> str:
    """A form's errors as one sentence, field by field."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        parts.extend(f"{label}: {error}" if label else error for error in errors)
    return " ".join(parts)
