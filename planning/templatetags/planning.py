"""The backlog's row, rendered in Python.

A backlog page shows up to a few hundred rows, each with its "Move to…" form; as a template
fragment a row cost about a millisecond, here a few tens of microseconds (the board's cards do
the same, see boards/templatetags/boards.py). Everything a user typed goes through `escape`;
the rest is numbers, validated keys and constant markup.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from issues.templatetags.tracker import (
    avatar_color,
    display_name,
    initials,
    kind_icon,
    label_chip,
    priority_icon,
)
from planning import scores
from planning.scores import Score

register = template.Library()

URL_NUMBER = "987654321"


@register.simple_tag(takes_context=True)
def backlog_row(context, issue, section) -> SafeString:
    """One row: selection box, kind, key, title, labels, priority, status, assignee, score,
    estimate and (for members) the "Move to…" form, which works without JavaScript."""
    cache = context.render_context.setdefault("backlog_row", {})
    project = context["project"]
    if not cache:
        cache["url"] = reverse("issues:detail", args=[project.key, URL_NUMBER])
        cache["csrf"] = escape(str(context.get("csrf_token", "")))
        cache["action"] = escape(context["move_action"])
        cache["kinds"], cache["priorities"], cache["labels"], cache["menus"] = {}, {}, {}, {}
    number = issue.number
    key = f"{project.key}-{number}"
    if issue.kind not in cache["kinds"]:
        cache["kinds"][issue.kind] = kind_icon(issue.kind)
    if issue.priority not in cache["priorities"]:
        cache["priorities"][issue.priority] = priority_icon(issue.priority)
    labels = []
    # The prefetched labels, read without a queryset per row (cloning one costs more than the
    # rest of the row).
    prefetched = getattr(issue, "_prefetched_objects_cache", {}).get("labels")
    for label in prefetched if prefetched is not None else issue.labels.all():
        if label.pk not in cache["labels"]:
            cache["labels"][label.pk] = label_chip(label)
        labels.append(cache["labels"][label.pk])
    html = [f'<li class="backlog-row" id="row-{number}" data-number="{number}">']
    if project.can_edit:
        html.append(
            f'<input type="checkbox" class="row-select" name="issues" value="{number}" '
            f'form="backlog-bulk" aria-label="Select {key}">'
        )
    html.append(
        f'{cache["kinds"][issue.kind]}<span class="card-key">{key}</span>'
        f'<a class="backlog-title" href="{cache["url"].replace(URL_NUMBER, str(number))}">'
        f"{escape(issue.title)}</a>"
        f'<span class="backlog-meta">{"".join(labels)}{cache["priorities"][issue.priority]}'
        f'<span class="chip-dot" style="--dot: {escape(issue.status.color)}">'
        f"{escape(issue.status.name)}</span>"
    )
    if issue.assignee_id:
        html.append(
            f'<span class="avatar avatar-xs" style="--avatar: {avatar_color(issue.assignee)}" '
            f'title="{escape(display_name(issue.assignee))}">'
            f"{escape(initials(issue.assignee))}</span>"
        )
    score = issue.score_info
    estimate = "–" if issue.estimate is None else issue.estimate
    html.append(
        f'<span class="score" title="{escape(score.how)}">{score}</span>'
        f'<span class="points" title="Estimate">{estimate}</span></span>'
    )
    if project.can_edit:
        html.append(_move_menu(context, cache, section, number, key))
    html.append("</li>")
    return mark_safe("".join(html))  # noqa: S308 - user text escaped above


def _move_menu(context, cache, section, number: int, key: str) -> str:
    """Top or bottom of its section, another open sprint, or the backlog: the same buttons
    for every row of a section, built once."""
    section_key = section.key
    if section_key not in cache["menus"]:
        title = escape(section.title)
        buttons = [
            f'<button class="menu-button" name="position" value="top">Top of {title}</button>',
            f'<button class="menu-button" name="position" value="bottom">Bottom of {title}</button>',
        ]
        current = section.sprint.pk if section.sprint else None
        for sprint in context["targets"]:
            if sprint.pk != current:
                buttons.append(
                    f'<button class="menu-button" name="sprint" value="{sprint.pk}">'
                    f"{escape(sprint.name)}</button>"
                )
        if current is not None:
            buttons.append('<button class="menu-button" name="sprint" value="">Backlog</button>')
        cache["menus"][section_key] = "".join(buttons)
    return (
        # The key is in the name but not on screen: the visible words stay part of the name.
        f'<details class="menu card-menu"><summary><span>Move<span class="visually-hidden"> {key}'
        "</span> to…</span></summary>"
        f'<form class="menu-list menu-right move-form" method="post" action="{cache["action"]}" '
        f'hx-post="{cache["action"]}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{cache["csrf"]}">'
        f'<input type="hidden" name="issue" value="{number}">{cache["menus"][section_key]}'
        "</form></details>"
    )


@register.simple_tag
def score_of(issue, project) -> Score:
    """The issue's score by the project's model, with how it was computed (the tooltip)."""
    return scores.score(issue, project.scoring_model)
