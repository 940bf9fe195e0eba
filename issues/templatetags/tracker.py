"""Small presentation helpers shared by the board, the list and the issue pages."""

import json

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from accounts.models import AVATAR_COLORS
from issues.models import Kind, Priority

register = template.Library()

# Inline SVG icons (16×16 viewBox), coloured by CSS through currentColor.
KIND_ICONS = {
    Kind.EPIC: '<path d="M9.5 1.5 3 9h4.5l-1 5.5L13 7H8.5z" fill="currentColor"/>',
    Kind.STORY: '<path d="M4 2h8a1 1 0 0 1 1 1v11l-5-3-5 3V3a1 1 0 0 1 1-1z" fill="currentColor"/>',
    Kind.TASK: '<rect x="2" y="2" width="12" height="12" rx="2.5" fill="currentColor"/>'
    '<path d="m5 8.2 2 2 4-4.4" stroke="#fff" stroke-width="1.8" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
    Kind.BUG: '<circle cx="8" cy="8" r="6" fill="currentColor"/>'
    '<circle cx="8" cy="8" r="2.2" fill="#fff"/>',
    Kind.SUBTASK: '<rect x="2.5" y="2.5" width="11" height="11" rx="2.5" fill="none" '
    'stroke="currentColor" stroke-width="1.8"/><rect x="6" y="6" width="4" height="4" rx="1" '
    'fill="currentColor"/>',
}
PRIORITY_ICONS = {
    Priority.URGENT: '<rect x="1.5" y="1.5" width="13" height="13" rx="3" fill="currentColor"/>'
    '<path d="M8 4.5v4.2M8 11v.5" stroke="#fff" stroke-width="2" stroke-linecap="round"/>',
    Priority.HIGH: '<rect x="2" y="9" width="3" height="5" rx="1" fill="currentColor"/>'
    '<rect x="6.5" y="5.5" width="3" height="8.5" rx="1" fill="currentColor"/>'
    '<rect x="11" y="2" width="3" height="12" rx="1" fill="currentColor"/>',
    Priority.MEDIUM: '<rect x="2" y="9" width="3" height="5" rx="1" fill="currentColor"/>'
    '<rect x="6.5" y="5.5" width="3" height="8.5" rx="1" fill="currentColor"/>'
    '<rect x="11" y="2" width="3" height="12" rx="1" fill="currentColor" opacity=".25"/>',
    Priority.LOW: '<rect x="2" y="9" width="3" height="5" rx="1" fill="currentColor"/>'
    '<rect x="6.5" y="5.5" width="3" height="8.5" rx="1" fill="currentColor" opacity=".25"/>'
    '<rect x="11" y="2" width="3" height="12" rx="1" fill="currentColor" opacity=".25"/>',
}


@register.simple_tag
def kind_icon(kind: str) -> str:
    label = Kind(kind).label
    return format_html(
        '<svg class="kind-icon kind-{}" viewBox="0 0 16 16" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        kind,
        label,
        label,
        mark_safe(KIND_ICONS[Kind(kind)]),  # noqa: S308 - constant markup above
    )


@register.simple_tag
def priority_icon(priority: int) -> str:
    """A bar icon for low to urgent; nothing at all for no priority."""
    priority = Priority(priority)
    if priority == Priority.NONE:
        return ""
    return format_html(
        '<svg class="priority-icon priority-{}" viewBox="0 0 16 16" role="img" aria-label="{} '
        'priority"><title>{} priority</title>{}</svg>',
        priority.slug,
        priority.label,
        priority.label,
        mark_safe(PRIORITY_ICONS[priority]),  # noqa: S308 - constant markup above
    )


@register.filter
def json_attr(value) -> str:
    """A value as JSON for a data-* attribute (autoescaping quotes it); None is {}."""
    return json.dumps(value if value is not None else {}, separators=(",", ":"))


@register.filter
def avatar_color(user) -> str:
    """The avatar background for `user`, white initials on it reading at ≥ 4.5:1.

    Their chosen colour when their profile was loaded with them (select_related of
    "…__profile", as every page that shows people does; the signed-in user's always is:
    accounts.backends); otherwise one of the same colours picked by their id, never a query.
    """
    if user is None:
        return AVATAR_COLORS[-1][0]
    profile = user._state.fields_cache.get("profile")
    if profile is not None and profile.avatar_color:
        return profile.avatar_color
    return AVATAR_COLORS[(user.pk or 0) % len(AVATAR_COLORS)][0]


@register.filter
def initials(user) -> str:
    if user is None:
        return ""
    full = user.get_full_name().split()
    if len(full) >= 2:
        return (full[0][0] + full[-1][0]).upper()
    return user.get_username()[:2].upper()


@register.filter
def display_name(user) -> str:
    if user is None:
        return "Unassigned"
    return user.get_full_name() or user.get_username()


@register.filter
def text_color(background: str) -> str:
    """Black or white, whichever reads on `background` (#rrggbb) with WCAG AA contrast."""
    try:
        red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except (TypeError, ValueError, IndexError):
        return "#000000"

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # Contrast with black is (L + 0.05) / 0.05; with white 1.05 / (L + 0.05).
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


@register.simple_tag
def label_chip(label) -> str:
    return format_html(
        '<span class="chip label-chip" style="background:{};color:{}" title="{}">{}</span>',
        label.color,
        text_color(label.color),
        label.description or label.name,
        label.name,
    )


@register.simple_tag
def reltime(moment) -> str:
    """'2 hours ago' with the exact time in the title, in the user's time zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    delta = timezone.now() - moment
    text = "just now" if delta.total_seconds() < 60 else f"{timesince(moment).split(',')[0]} ago"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        local.strftime("%Y-%m-%d %H:%M %Z"),
        text,
    )
