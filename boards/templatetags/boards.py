"""The board's card, and small helpers for the board's templates.

A card is rendered here in Python rather than as a template fragment: a board shows up to 250
of them, and as a fragment they took most of the page's time (about 280 µs a card against
25 µs here, measured on the 10,000-issue board). Everything a user typed goes through
`escape`; the rest is numbers, validated keys and constant markup.
"""

import re

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from issues.models import Kind, Priority
from issues.templatetags.tracker import avatar_color, display_name, initials, text_color

register = template.Library()

# On cards, icons are <i>s that CSS draws (masks in app.css): a few bytes per icon.
KIND_USE = {
    kind: f'<i class="ki kind-{kind.value}" role="img" aria-label="{kind.label}"></i>'
    for kind in Kind
}
PRIORITY_USE = {
    priority: f'<i class="pi priority-{priority.slug}" role="img" '
    f'aria-label="{priority.label} priority"></i>'
    for priority in Priority
    if priority != Priority.NONE
}
OOB = ' hx-swap-oob="true"'
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


# A number no issue has: the issue page's URL is reversed once per page with it, then each
# card puts its own number in (reversing 250 times costs a few milliseconds).
URL_NUMBER = "987654321"


@register.simple_tag(takes_context=True)
def board_card(context, card, oob: bool = False) -> SafeString:
    """One card: key, title, kind, priority, labels, assignee, epic, progress, points, and
    (for members) its "Move to…" button. With `oob`, it
    replaces the card of the same id wherever the browser shows it (an out-of-band swap)."""
    cache = context.render_context.setdefault("board_card", {})
    project = context["project"]
    if not cache:
        # Links relative to the board's address (/projects/<KEY>/board/), where every card is
        # shown (the page, its columns' "Show more", a move's answer): fewer bytes a card.
        board = reverse("boards:board", args=[project.key])
        cache["url"] = _relative(reverse("issues:detail", args=[project.key, URL_NUMBER]), board)
        move_page = _relative(reverse("boards:move_form", args=[project.key, URL_NUMBER]), board)
        query = context.get("query") or ""
        cache["move_page"] = escape(f"{move_page}?{query}" if query else move_page)
        cache["labels"] = {}
    number = card.number
    key = f"{project.key}-{number}"
    title = escape(card.title)
    # The card's number is in its id (board.js reads it there); the avatar and the ⋯ sit at
    # the head's end, the progress, demand and points at the foot's, by CSS (no wrappers).
    html = [
        f'<article class="card" id="card-{number}"{OOB if oob else ""}>'
        f'<div class="card-head">{KIND_USE[card.kind]}'
        f'<span class="card-key">{key}</span>{PRIORITY_USE.get(card.priority, "")}'
    ]
    if card.assignee_id:
        html.append(
            f'<span class="avatar avatar-xs" style="--avatar: {avatar_color(card.assignee)}" '
            f'title="{escape(display_name(card.assignee))}">{escape(initials(card.assignee))}</span>'
        )
    if project.can_edit:
        html.append(_move_link(cache, number, key))
    html.append(
        f'</div><a class="card-title" href="{cache["url"].replace(URL_NUMBER, str(number))}">'
        f"{title}</a>"
    )

    foot = [_label(cache, label) for label in card.card_labels]
    epic = card.epic if card.kind != Kind.EPIC else None
    if epic is not None:
        epic_title = escape(epic.title)
        foot.append(
            f'<span class="card-epic" title="Epic {project.key}-{epic.number}: {epic_title}">'
            f"<span>{epic_title}</span></span>"
        )
    end = []
    total = getattr(card, "child_count", 0)
    if total:
        done = card.child_done_count
        state = " is-done" if done == total else ""
        end.append(
            f'<span class="card-progress{state}" title="{done} of {total} child issues done">'
            f"{done} / {total}</span>"
        )
    if card.demand:
        end.append(
            f'<span class="demand" title="{card.demand} customer request'
            f'{"s" if card.demand != 1 else ""}">{card.demand}</span>'
        )
    if card.estimate is not None:
        end.append(
            f'<span class="points" title="{card.estimate} story points">{card.estimate}</span>'
        )
    foot.extend(end)
    if foot:
        html.append(f'<div class="card-foot">{"".join(foot)}</div>')
    html.append("</article>")
    return mark_safe("".join(html))  # noqa: S308 - user text escaped above


def _move_link(cache, number: int, key: str) -> str:
    """The card's "Move to…" button: a link to the card's move page (which works without
    JavaScript); board.js opens the board's one shared menu instead. One form per board, not
    one per card: a card's HTML stays small (issue 17)."""
    href = cache["move_page"].replace(URL_NUMBER, str(number))
    return f'<a class="card-menu-button" href="{href}" aria-label="Move {key} to…"></a>'


def _relative(path: str, board: str) -> str:
    """`path` relative to the board's address: /projects/WEB/issues/7/ is ../issues/7/."""
    base = board.rstrip("/").rsplit("/", 1)[0] + "/"  # /projects/WEB/
    if path.startswith(board):
        return path[len(board) :]
    if path.startswith(base):
        return "../" + path[len(base) :]
    return path


def _label(cache, label) -> str:
    """A label chip coloured by the board's label stylesheet (board_label_style) rather than
    by a style of its own: about 35 bytes less a chip. Its description is its title."""
    if label.pk not in cache["labels"]:
        title = f' title="{escape(label.description)}"' if label.description else ""
        cache["labels"][label.pk] = (
            f'<span class="chip label-chip lb{label.pk}"{title}>{escape(label.name)}</span>'
        )
    return cache["labels"][label.pk]


@register.simple_tag
def board_label_style(labels) -> SafeString:
    """The colours of the project's labels, once per board: `.lb<id>` for each (the colour is
    a validated #rrggbb; the text black or white, whichever keeps AA contrast)."""
    rules = [
        f".lb{label.pk}{{background:{label.color};color:{text_color(label.color)}}}"
        for label in labels
        if COLOR.fullmatch(label.color or "")
    ]
    return mark_safe(f'<style id="board-label-style">{"".join(rules)}</style>')  # noqa: S308
