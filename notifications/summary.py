"""Words for what happened: "Alice moved WEB-42 to In review, commented twice".

Used by the inbox (one line per notification) and by e-mails (that line, then one line per event).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from issues.markdown import mentions
from issues.models import IssueEvent

FIELD_NAMES = {
    "due_date": "the due date",
    "estimate": "the estimate",
    "kind": "the kind",
    "labels": "the labels",
    "parent": "the parent",
    "priority": "the priority",
    "source": "the source",
    "title": "the title",
    "description": "the description",
}

# Fields with a phrase of their own; any other is "changed the <field>".
OWN_PHRASES = {"created", "status", "assignee", "comment"}


def name_of(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.get_username()


def who_did(event: IssueEvent) -> str:
    """The event's actor; without one, the customer it names ("A customer (Ann Lee)": a portal
    comment, an issue from a door), never by their e-mail; else "Someone"."""
    if event.actor_id is None and event.requester_id is not None:
        return event.requester.as_actor
    return name_of(event.actor)


def mentions_user(event: IssueEvent, username: str) -> bool:
    """Whether the event's text newly @mentions `username` (a comment or a description)."""
    if event.field not in ("comment", "description") or f"@{username}" not in event.new_value:
        return False  # Most texts mention nobody: no need to parse them.
    return username in mentions(event.new_value) and username not in mentions(event.old_value)


def _times(count: int) -> str:
    return {1: "", 2: " twice"}.get(count, f" {count} times")


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _phrases(events: Sequence[IssueEvent], key: str, username: str) -> list[str]:
    """What one actor did, each phrase naming the issue until one has."""
    phrases: list[str] = []
    named = False

    def add(with_key: str, without_key: str) -> None:
        nonlocal named
        phrases.append(without_key if named else with_key)
        named = True

    fields = {event.field for event in events}
    if "created" in fields:
        add(f"created {key}", "created it")
    status = _last(events, "status")
    if status is not None:
        add(f"moved {key} to {status.new_value}", f"moved it to {status.new_value}")
    assignee = _last(events, "assignee")
    if assignee is not None:
        new = assignee.new_value
        if new == username:
            add(f"assigned {key} to you", "assigned it to you")
        elif new:
            add(f"assigned {key} to {new}", f"assigned it to {new}")
        else:
            add(f"unassigned {key}", "unassigned it")
    comments = [e for e in events if e.field == "comment"]
    added = sum(1 for e in comments if e.new_value and not e.old_value)
    if added:
        add(f"commented on {key}{_times(added)}", f"commented{_times(added)}")
    edited = any(e.new_value and e.old_value for e in comments)
    deleted = any(not e.new_value for e in comments)
    changed: list[str] = []
    for event in events:
        if event.field in OWN_PHRASES:
            continue
        name = FIELD_NAMES.get(event.field, f"the {event.field.replace('_', ' ')}")
        if name not in changed:
            changed.append(name)
    if edited:
        add(f"edited a comment on {key}", "edited a comment")
    if deleted:
        add(f"deleted a comment on {key}", "deleted a comment")
    if changed:
        add(f"changed {_join(changed)} of {key}", f"changed {_join(changed)}")
    if any(mentions_user(event, username) for event in events):
        add(f"mentioned you on {key}", "mentioned you")
    return phrases


def _last(events: Sequence[IssueEvent], field: str) -> IssueEvent | None:
    return next((e for e in reversed(events) if e.field == field), None)


def summarise(events: Iterable[IssueEvent], key: str, username: str) -> str:
    """One sentence per actor, in the order they first acted, joined by "; "."""
    by_actor: dict[tuple[int | None, int | None], list[IssueEvent]] = {}
    for event in events:
        who = (event.actor_id, None if event.actor_id else event.requester_id)
        by_actor.setdefault(who, []).append(event)
    sentences = []
    for actor_events in by_actor.values():
        phrases = _phrases(actor_events, key, username)
        if phrases:
            sentences.append(f"{who_did(actor_events[0])} {', '.join(phrases)}")
    return "; ".join(sentences) or f"Activity on {key}"


def event_line(event: IssueEvent) -> str:
    """One event, as an e-mail lists it: "Alice moved this from To do to In review"."""
    field, old, new = event.field, event.old_value, event.new_value
    who = who_did(event)
    if field == "created":
        return f"{who} created this issue"
    if field == "status":
        return f"{who} moved this from {old} to {new}"
    if field == "comment":
        if new and old:
            return f"{who} edited a comment"
        return f"{who} commented" if new else f"{who} deleted a comment"
    if field == "assignee":
        return f"{who} assigned this to {new}" if new else f"{who} unassigned this (was {old})"
    if field == "labels":
        return f"{who} added the label {new}" if new else f"{who} removed the label {old}"
    if field == "description":
        return f"{who} edited the description"
    what = FIELD_NAMES.get(field, field.replace("_", " "))
    if not old:
        return f"{who} set {what} to {new}"
    if not new:
        return f"{who} cleared {what} (was {old})"
    return f"{who} changed {what} from {old} to {new}"
