"""The reports' date range: `?range=30|90|180` (days up to today) or `?from=…&to=…` (dates)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone

RANGES = (30, 90, 180)
DEFAULT_RANGE = 90
# A longer period is a different report (and a slower one): a year at most.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Whole UTC days, both ends included."""

    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime.datetime:
        """The first instant of the period (midnight UTC of `first`)."""
        return datetime.datetime.combine(self.first, datetime.time(), tzinfo=datetime.UTC)

    @property
    def end(self) -> datetime.datetime:
        """The first instant after the period."""
        return datetime.datetime.combine(
            self.last + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
        )


def today() -> datetime.date:
    return timezone.now().astimezone(datetime.UTC).date()


class PeriodForm(forms.Form):
    range = forms.TypedChoiceField(
        choices=[(days, f"Last {days} days") for days in RANGES],
        coerce=int,
        required=False,
        empty_value=None,
        label="Period",
    )
    # `from` is a Python keyword: the field is `from_` and the form reads the `from` parameter.
    from_ = forms.DateField(required=False, label="From", input_formats=["%Y-%m-%d"])
    to = forms.DateField(required=False, label="To", input_formats=["%Y-%m-%d"])

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {
                "range": data.get("range", ""),
                "from_": data.get("from", ""),
                "to": data.get("to", ""),
            }
        super().__init__(data, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last, days = cleaned.get("from_"), cleaned.get("to"), cleaned.get("range")
        if self.errors:
            return cleaned
        if days and (first or last):
            raise forms.ValidationError(
                "Choose either a range of days or dates, not both.", code="both"
            )
        if first or last:
            last = last or today()
            if first is None:
                raise forms.ValidationError("Give the first day (from) too.", code="no_start")
            if first > last:
                raise forms.ValidationError(
                    "The first day (from) comes after the last (to).", code="reversed"
                )
            if (last - first).days + 1 > MAX_DAYS:
                raise forms.ValidationError(
                    f"A period is at most {MAX_DAYS} days.", code="too_long"
                )
        cleaned["period"] = self._period(days, first, last)
        return cleaned

    @staticmethod
    def _period(days, first, last) -> Period:
        if first:
            return Period(first, last)
        last = today()
        return Period(last - datetime.timedelta(days=(days or DEFAULT_RANGE) - 1), last)

    def period(self) -> Period:
        return self.cleaned_data["period"]

    def message(self) -> str:
        parts = []
        for name, errors in self.errors.items():
            label = {"from_": "from", "to": "to", "range": "range"}.get(name)
            prefix = f"{label}: " if label else ""
            parts.append(prefix + " ".join(errors))
        return "Invalid period. " + " ".join(parts)
