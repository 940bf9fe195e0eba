"""The workflow's allowed moves, read once, for the pages that offer moves before they are tried.

The rule is `operations._check_move`'s, which still decides every move: a status with no
outgoing transitions allows every move; one with some allows only those.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Project, Status, Transition

Allowed = dict[int, frozenset[int]]


def allowed_moves(project: Project) -> Allowed:
    """{from status id: the status ids it may move to}, for the statuses that restrict moves
    (one query). A status missing from it allows every move."""
    targets: dict[int, set[int]] = {}
    rows = Transition.objects.filter(project=project).values_list("from_status", "to_status")
    for from_id, to_id in rows:
        targets.setdefault(from_id, set()).add(to_id)
    return {from_id: frozenset(to_ids) for from_id, to_ids in targets.items()}


def allows(allowed: Allowed, from_id: int, to_id: int) -> bool:
    return from_id == to_id or from_id not in allowed or to_id in allowed[from_id]


def split_targets(
    allowed: Allowed, current: Status, statuses: Iterable[Status]
) -> tuple[list[Status], list[Status]]:
    """The other statuses an issue in `current` may move to, and those it may not."""
    offered, refused = [], []
    for status in statuses:
        if status.pk != current.pk:
            (offered if allows(allowed, current.pk, status.pk) else refused).append(status)
    return offered, refused


def refusal_note(current: Status, refused: list[Status]) -> str:
    """Why some statuses are missing from a list of moves (a title on hover)."""
    names = ", ".join(f"“{status.name}”" for status in refused)
    return f"The workflow does not allow moving from “{current.name}” to {names}."


def as_data(allowed: Allowed) -> dict[str, list[int]]:
    """For a data attribute read by the board's script (JSON keys are strings)."""
    return {str(from_id): sorted(to_ids) for from_id, to_ids in allowed.items()}
