"""The Django admin's site: every ModelAdmin registered on it, the project's and third-party
apps' alike (auth's groups, the task queue, axes), accepts only plain changelist lookups.

`TrackerAdminConfig` (tracker/apps.py) makes this the default `admin.site`, so `@admin.register`
anywhere goes through `register` below, which mixes `SafeLookupsMixin` into any admin class
that does not have it yet.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

from tracker.inputs import whole_number

# Lookups a changelist URL may use (its filters and date drill-down use these); anything else,
# such as title__regex=(a, is refused with 400 instead of reaching the database.
SAFE_LOOKUPS = {"exact", "iexact", "in", "isnull", "gt", "gte", "lt", "lte"}
DATE_PARTS = {"year": (1, 9999), "month": (1, 12), "day": (1, 31)}


class SafeLookupsMixin:
    """Changelist lookups restricted to SAFE_LOOKUPS and sane date parts (400 otherwise)."""

    def lookup_allowed(self, lookup, value, request=None):
        parts = lookup.split("__")
        last = parts[-1]
        if last in DATE_PARTS:
            low, high = DATE_PARTS[last]
            number = whole_number(value, maximum=high)
            if number is None or number < low:
                return False
        elif len(parts) > 1 and last not in SAFE_LOOKUPS and not _names_a_field(self.model, parts):
            return False
        return super().lookup_allowed(lookup, value, request)


def _names_a_field(model, parts: list[str]) -> bool:
    """Whether project__key-like `parts` name a field through relations (an implicit exact)."""
    for part in parts:
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        model = field.related_model
        if model is None and part != parts[-1]:
            return False
    return True


class TrackerAdminSite(admin.AdminSite):
    """The admin site: every registered admin gets SafeLookupsMixin."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeLookupsMixin):
            admin_class = type(
                admin_class.__name__,
                (SafeLookupsMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
