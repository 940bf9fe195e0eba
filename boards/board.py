"""What a board shows, loaded in a fixed number of queries whatever the size of the project.

A board is the project's statuses as columns (workflow order), each with its first cards in rank
order, optionally split into swimlanes. The queries, and why there are so few:

1. the statuses with their counts and story points: one GROUP BY status query;
2. the first cards of every column: one query, its labels' ids aggregated into each row;
3. the project's labels (card chips and the label filter);
4. child progress of the cards shown, and every epic (lane headers and the epic filter).

Only the first `PAGE_SIZE` cards of a column (of a cell, in swimlanes) are loaded; the rest come
50 at a time through `more_cards`.
"""

from __future__ import annotations

import calendar
import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import (
    Aggregate,
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from issues.models import Issue, Kind, Label, Priority, Project, Status, StatusCategory
from issues.templatetags.tracker import display_name
from tracker.inputs import BIGINT_MAX, whole_number

PAGE_SIZE = 50
# The most cards a re-rendered column keeps after a move ("Show more" can load further).
MAX_LOADED = 500
GROUPS = {"epic": "Epic", "assignee": "Assignee", "priority": "Priority"}
# Categories whose columns are hidden unless the URL asks for them (?show=triage).
HIDEABLE = {StatusCategory.TRIAGE: "Triage", StatusCategory.CANCELED: "Canceled"}
NO_LANE = "none"
# The latest moment a version can name (the end of year 9999, in microseconds since 1970).
MAX_VERSION_MICROS = calendar.timegm((9999, 12, 31, 23, 59, 59)) * 10**6 + 999_999


class IdList(Aggregate):
    """The ids of a to-many relation as "3,7,12", so a card's labels come in its own row."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(%(expressions)s::text, ',')",
            **extra_context,
        )


class LabelList(Aggregate):
    """A card's labels as JSON, `[[id, name, colour, description], …]`, in its own row (an
    unlabelled card gives `[[null, null, null, null]]`): the labels without a query of
    their own, for the few cards of a move's answer."""

    function = "JSON_GROUP_ARRAY"
    template = "JSON_GROUP_ARRAY(JSON_ARRAY(%(expressions)s))"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="JSON_AGG(JSON_BUILD_ARRAY(%(expressions)s))::text",
            **extra_context,
        )


@dataclass
class Column:
    status: Status
    cards: list[Issue] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Every issue in the column: what the WIP limit counts."""
        return self.status.issue_total

    @property
    def count(self) -> int:
        """Issues in the column that match the filters."""
        return self.status.match_count

    @property
    def points(self) -> int:
        return self.status.match_points or 0

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)

    @property
    def wip_state(self) -> str:
        limit = self.status.wip_limit
        if limit is None or self.total < limit:
            return ""
        return "over" if self.total > limit else "at"


@dataclass
class Cell:
    column: Column
    cards: list[Issue]
    has_more: bool


@dataclass
class Lane:
    key: str
    title: str
    subject: Any = None  # the epic, user or Priority the lane stands for; None for "no …"
    cells: list[Cell] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(cell.cards) for cell in self.cells)

    @property
    def has_more(self) -> bool:
        return any(cell.has_more for cell in self.cells)


@dataclass
class Epic:
    """An epic as the filter and the swimlane headers show it."""

    pk: int
    number: int
    title: str
    child_count: int
    child_done_count: int


@dataclass
class Board:
    project: Project
    statuses: list[Status]  # every status, with counts
    columns: list[Column]  # the visible ones
    labels: list[Label]
    epics: list[Epic]
    group: str = ""
    filtered: bool = False
    version: str = ""  # the live board's fingerprint of what this board shows ("" unknown)
    lanes: list[Lane] = field(default_factory=list)

    @property
    def card_count(self) -> int:
        return sum(column.count for column in self.columns)


def filtered_issues(project: Project, filterset) -> QuerySet:
    """The project's issues that pass the filters, as a plain queryset to build on.

    The FilterSet's own queryset may join labels (and be DISTINCT); going through its ids keeps
    those joins away from the label aggregate and the window functions below.
    """
    issues = Issue.objects.filter(project=project)
    if filterset.active:
        issues = issues.filter(pk__in=filterset.qs.order_by().values("pk"))
    return issues


def load_statuses(
    project: Project, issues: QuerySet, *, filtered: bool, only: set[int] | None = None
) -> list[Status]:
    """Every status of the project, with its whole-column count and the matching count/points.

    The join names the project again so that PostgreSQL reads this project's issues through
    its index instead of every issue of every project. With `only`, just those columns are
    counted (the others count 0): a move re-renders two columns, not the board.
    """
    matching = Q(project_issues__in=issues.order_by().values("pk")) if filtered else None
    joined = Q(issues__project=project)
    if only is not None:
        joined &= Q(issues__status_id__in=only)
    return list(
        project.statuses.annotate(project_issues=FilteredRelation("issues", condition=joined))
        .annotate(
            issue_total=Count("project_issues"),
            match_count=Count("project_issues", filter=matching),
            match_points=Sum("project_issues__estimate", filter=matching),
            last_update=Max("project_issues__updated_at"),
        )
        .order_by("position", "pk")
    )


def lane_expression(group: str):
    """The value that puts an issue in a swimlane (None: the "no epic/assignee" lane)."""
    if group == "assignee":
        return F("assignee_id")
    if group == "priority":
        return F("priority")
    # An epic heads its own lane; a story sits under its epic, a subtask under its story's.
    return Case(
        When(kind=Kind.EPIC, then=F("pk")),
        When(parent__kind=Kind.EPIC, then=F("parent_id")),
        When(parent__parent__kind=Kind.EPIC, then=F("parent__parent_id")),
        default=Value(None),
        output_field=BigIntegerField(),
    )


def lane_of(issue: Issue, group: str) -> Any:
    """The same as `lane_expression`, for an issue in memory."""
    if group == "assignee":
        return issue.assignee_id
    if group == "priority":
        return issue.priority
    if issue.kind == Kind.EPIC:
        return issue.pk
    epic = issue.epic
    return epic.pk if epic else None


def first_card_ids(issues: QuerySet, limits: dict[int, int]) -> QuerySet:
    """Ids of the first `limits[status id]` cards of each column, as a subquery.

    Where the database allows a LIMIT inside UNION ALL (PostgreSQL), each column is its own
    index scan of (project, status, rank), so a column of 50,000 cards costs what one of 50
    does. Elsewhere (SQLite) a ROW_NUMBER() window over the columns does the same in one scan.
    """
    connection = connections[issues.db]
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [
            issues.filter(status_id=status_id).order_by("rank").values("pk")[:limit]
            for status_id, limit in limits.items()
        ]
        return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    columns = issues.filter(status_id__in=limits)
    return first_ids_by_rank(columns, [F("status_id")], max(limits.values()))


def first_lane_card_ids(issues: QuerySet, status_ids: Sequence[int], group: str) -> QuerySet:
    """Ids of the first PAGE_SIZE + 1 cards of each (lane, column) cell: one more tells
    whether the cell has more."""
    cells = issues.filter(status_id__in=status_ids).annotate(lane=lane_expression(group))
    return first_ids_by_rank(cells, [F("lane"), F("status_id")], PAGE_SIZE + 1)


def first_ids_by_rank(issues: QuerySet, partition: list[F], limit: int) -> QuerySet:
    """Ids of the first `limit` issues in rank order of each `partition`: one scan with a
    ROW_NUMBER() window."""
    return (
        issues.annotate(position=Window(RowNumber(), partition_by=partition, order_by="rank"))
        .filter(position__lte=limit)
        .order_by()
        .values("pk")
    )


# What a card shows, and no more: a board builds hundreds of these rows.
CARD_FIELDS = (
    *(
        "project_id",
        "number",
        "kind",
        "title",
        "status_id",
        "priority",
        "estimate",
        "demand",
        "rank",
    ),
    *("assignee__username", "assignee__first_name", "assignee__last_name"),
    "assignee__profile__avatar_color",
    *("parent__number", "parent__title", "parent__kind", "parent__parent_id"),
    *("parent__parent__number", "parent__parent__title", "parent__parent__kind"),
)


def load_cards(project: Project, ids: QuerySet | Iterable[int]) -> list[Issue]:
    """The cards with what they show: assignee, epic (through parent and grandparent), labels
    (their ids, in `label_ids`; see `attach_labels`)."""
    cards = list(
        Issue.objects.filter(pk__in=ids)
        .select_related("assignee__profile", "parent", "parent__parent")
        .only(*CARD_FIELDS)
        .annotate(label_ids=IdList("labels__id"))
        .order_by("rank")
    )
    for card in cards:
        card.project = project  # card.key without a query per card
    return cards


def load_shown_cards(
    project: Project, which: Q | RawSQL, *, totals_of: Iterable[int] = ()
) -> list[Issue]:
    """`load_cards` with each card's labels (`card_labels`) and child progress in the same
    query: a move's answer shows a few cards, and two more queries for them (the project's
    labels, the children's counts) were a fifth of the move's."""
    children = Issue.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    done = children.filter(status__category=StatusCategory.DONE)
    cards = list(
        Issue.objects.filter(which)
        .select_related("assignee", "parent", "parent__parent")
        .only(*CARD_FIELDS)
        .annotate(
            label_rows=LabelList(
                "labels__id", "labels__name", "labels__color", "labels__description"
            ),
            child_count=Coalesce(Subquery(children.annotate(n=Count("*")).values("n")), 0),
            child_done_count=Coalesce(Subquery(done.annotate(n=Count("*")).values("n")), 0),
            **_column_totals(project, totals_of),
        )
        .order_by("rank")
    )
    for card in cards:
        card.project = project
        labels = [
            Label(pk=pk, project_id=project.pk, name=name, color=color, description=text or "")
            for pk, name, color, text in json.loads(card.label_rows or "[]")
            if pk is not None
        ]
        card.card_labels = sorted(labels, key=lambda label: label.name.lower())
    return cards


def _column_totals(project: Project, status_ids: Iterable[int]) -> dict[str, Any]:
    """Whole-column COUNT and SUM(estimate) as annotations that do not depend on the row
    (`total_<id>`, `points_<id>`): PostgreSQL computes each once, from the covering index
    issue_column_totals_idx, in the query they ride on."""
    annotations = {}
    for status_id in status_ids:
        column = Issue.objects.filter(project=project, status_id=status_id).order_by()
        column = column.values("status_id")
        annotations[f"total_{status_id}"] = Coalesce(
            Subquery(column.annotate(n=Count("*")).values("n")), 0
        )
        annotations[f"points_{status_id}"] = Subquery(
            column.annotate(n=Sum("estimate")).values("n")
        )
    return annotations


def load_progress_and_epics(
    project: Project, cards: list[Issue], *, epics: bool = True, epic_progress: bool = False
) -> list[Epic]:
    """Children progress ("2 / 5") of the cards, and (with `epics`) every epic of the project.

    Only the children of what is shown are counted (a project's epics hold most of its issues:
    counting all of them would make the board cost grow with the project); with
    `epic_progress`, the epics' too, for the epic swimlanes' headers. Returns the epics in rank
    order and sets `child_count` / `child_done_count` on the cards.
    """
    counted = {card.pk for card in cards}
    if epic_progress:
        counted |= {lane_of(card, "epic") for card in cards} - {None}
    wanted = Q(pk__in=counted) | Q(project=project, kind=Kind.EPIC) if epics else Q(pk__in=counted)
    if not (epics or counted):
        return []
    rows = (
        Issue.objects.filter(wanted)
        .annotate(
            counted_children=FilteredRelation(
                "children", condition=Q(children__parent_id__in=counted)
            )
        )
        .annotate(
            child_count=Count("counted_children"),
            child_done_count=Count(
                "counted_children",
                filter=Q(counted_children__status__category=StatusCategory.DONE),
            ),
        )
        .order_by("rank")
        .values_list("pk", "number", "title", "kind", "child_count", "child_done_count")
    )
    progress = {}
    epics = []
    for pk, number, title, kind, child_count, child_done_count in rows:
        progress[pk] = (child_count, child_done_count)
        if kind == Kind.EPIC:
            epics.append(Epic(pk, number, title, child_count, child_done_count))
    for card in cards:
        card.child_count, card.child_done_count = progress.get(card.pk, (0, 0))
    return epics


def load_some_cards(project: Project, ids: QuerySet | Iterable[int]) -> list[Issue]:
    """Cards outside a whole board ("Show more", after a move), with their labels and child
    progress."""
    cards = load_cards(project, ids)
    attach_labels(cards, project.labels.all())
    load_progress_and_epics(project, cards, epics=False)
    return cards


def attach_labels(cards: Iterable[Issue], labels: Iterable[Label]) -> None:
    by_id = {label.pk: label for label in labels}
    for card in cards:
        ids = card.label_ids.split(",") if card.label_ids else ()
        card.card_labels = sorted(
            (by_id[int(pk)] for pk in ids if int(pk) in by_id), key=lambda label: label.name.lower()
        )


def link_neighbours(cards: list[Issue], above: int | None = None) -> None:
    """Number of the card above and below each card: the "Move up/down" buttons' targets."""
    numbers = [above, *(card.number for card in cards), None]
    for index, card in enumerate(cards):
        card.above, card.below = numbers[index], numbers[index + 2]


def visible_statuses(statuses: list[Status], show: set[str]) -> list[Status]:
    return [s for s in statuses if s.category not in HIDEABLE or s.category in show]


def build_board(
    project: Project,
    filterset,
    *,
    show: set[str] = frozenset(),
    group: str = "",
    only: set[int] | None = None,
    loaded: dict[int, int] | None = None,
    with_epics: bool = True,
    labels: list[Label] | None = None,
) -> Board:
    """The board as the template shows it.

    `only` restricts the cards to some columns (a move re-renders just those); `loaded` keeps
    as many cards in a column as the browser had loaded. The list of epics (for the epic
    filter) is left out `with_epics=False`, unless the lanes are epics. `labels`: the
    project's, by name, when the caller has loaded them.
    """
    filtered = filterset.active
    issues = filtered_issues(project, filterset)
    statuses = load_statuses(project, issues, filtered=filtered, only=only)
    # With `only` the counts cover some columns: the caller knows the version.
    board_version = statuses_version(statuses) if only is None else ""
    columns = [Column(status) for status in visible_statuses(statuses, show)]
    if only is not None:
        columns = [column for column in columns if column.status.pk in only]
    if labels is None:
        labels = list(project.labels.all())
    if not columns:
        return Board(project, statuses, columns, labels, [], group, filtered, board_version)

    if group:
        ids = first_lane_card_ids(issues, [c.status.pk for c in columns], group)
    else:
        loaded = loaded or {}
        limits = {
            c.status.pk: min(max(loaded.get(c.status.pk, 0), PAGE_SIZE), MAX_LOADED)
            for c in columns
        }
        ids = first_card_ids(issues, limits)
    cards = load_cards(project, ids)
    attach_labels(cards, labels)
    epics = load_progress_and_epics(
        project, cards, epics=with_epics or group == "epic", epic_progress=group == "epic"
    )

    board = Board(project, statuses, columns, labels, epics, group, filtered, board_version)
    by_status = {column.status.pk: column for column in columns}
    for card in cards:
        by_status[card.status_id].cards.append(card)
    if group:
        board.lanes = split_into_lanes(board, group)
        for lane in board.lanes:
            for cell in lane.cells:
                link_neighbours(cell.cards)
    else:
        for column in columns:
            del column.cards[limits[column.status.pk] :]
            link_neighbours(column.cards)
    return board


def split_into_lanes(board: Board, group: str) -> list[Lane]:
    """Rows of the same columns, one per epic / assignee / priority that has cards."""
    cells: dict[Any, dict[int, list[Issue]]] = {}
    for column in board.columns:
        for card in column.cards:
            cells.setdefault(lane_of(card, group), {}).setdefault(column.status.pk, []).append(card)
    lanes = []
    for key, subject, title in lane_order(board, group, cells):
        lane = Lane(key=NO_LANE if key is None else str(key), title=title, subject=subject)
        for column in board.columns:
            cards = cells[key].get(column.status.pk, [])
            lane.cells.append(Cell(column, cards[:PAGE_SIZE], len(cards) > PAGE_SIZE))
        lanes.append(lane)
    return lanes


def lane_order(board: Board, group: str, cells: dict) -> list[tuple[Any, Any, str]]:
    """(key, subject, title) of each lane that has cards, in a natural order, "no …" last."""
    lanes: list[tuple[Any, Any, str]] = []
    if group == "epic":
        lanes = [(epic.pk, epic, epic.title) for epic in board.epics if epic.pk in cells]
        none_title = "No epic"
    elif group == "assignee":
        users = {}
        for column in board.columns:
            for card in column.cards:
                if card.assignee_id:
                    users[card.assignee_id] = card.assignee
        lanes = sorted(
            ((pk, user, display_name(user)) for pk, user in users.items()),
            key=lambda lane: lane[2].lower(),
        )
        none_title = "Unassigned"
    else:
        # Urgent first, "No priority" last.
        return [(p.value, p, p.label) for p in reversed(Priority) if p.value in cells]
    if None in cells:
        lanes.append((None, None, none_title))
    return lanes


def more_cards(
    project: Project,
    filterset,
    status: Status,
    *,
    offset: int,
    group: str = "",
    lane: str = "",
    limit: int = PAGE_SIZE,
) -> tuple[list[Issue], int]:
    """The next page of one column (or of one cell of a swimlane), and how many remain after.
    `limit`: that many cards instead of a page (the live refresh reloads as many cards as a
    column had shown)."""
    issues = filtered_issues(project, filterset).filter(status=status)
    if group:
        issues = issues.annotate(lane=lane_expression(group))
        issues = issues.filter(lane__isnull=True) if lane == NO_LANE else issues.filter(lane=lane)
    # One card before the page too: the first card's "Move up" goes above it.
    start = max(offset - 1, 0)
    cards = load_some_cards(project, issues.order_by("rank").values("pk")[start : offset + limit])
    above = cards.pop(0).number if offset > 0 and cards else None
    link_neighbours(cards, above)
    remaining = max(issues.count() - offset - len(cards), 0)
    return cards, remaining


def fingerprint(project: Project) -> str:
    """Changes whenever an issue of the project is created, changed or deleted: the live board
    compares it instead of re-sending the board when nothing changed.

    It is the number of the project's issues and the time of the latest change ("812-<µs>").
    """
    stats = Issue.objects.filter(project=project).aggregate(
        count=Count("pk"), last=Max("updated_at")
    )
    return version(stats["count"], stats["last"])


def statuses_version(statuses: Iterable[Status]) -> str:
    """The same fingerprint, from the statuses' counts that the board loads anyway."""
    statuses = list(statuses)
    lasts = [status.last_update for status in statuses if status.last_update is not None]
    return version(sum(status.issue_total for status in statuses), max(lasts, default=None))


def version(count: int, last: datetime.datetime | None) -> str:
    micro = 0 if last is None else calendar.timegm(last.utctimetuple()) * 10**6 + last.microsecond
    return f"{count}-{micro}"


def parse_version(text: str | None) -> tuple[int, datetime.datetime | None] | None:
    """(count, latest change) of a version a browser sent, or None if it is not one."""
    count, _, micro = (text or "").partition("-")
    count = whole_number(count, maximum=BIGINT_MAX)
    micro = whole_number(micro, maximum=MAX_VERSION_MICROS)
    if count is None or micro is None:
        return None  # Not a version this app wrote: unknown, so the answer is a whole board.
    if not micro:
        return count, None
    seconds, fraction = divmod(micro, 10**6)
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return count, moment.replace(microsecond=fraction)


def unchanged_since(project: Project, last: datetime.datetime | None) -> bool:
    """Whether no issue of the project was created or changed after `last` (deletions do not
    show here; they change the count, which the next poll compares). One index lookup."""
    issues = Issue.objects.filter(project=project)
    return not (issues.filter(updated_at__gt=last) if last else issues).exists()


def load_headers(
    project: Project,
    issues: QuerySet,
    *,
    filtered: bool,
    only: set[int],
    statuses: list[Status] | None = None,
    totals: dict[int, dict[str, Any]] | None = None,
):
    """Every status of the project, with the counts and points of the `only` columns (the
    others count 0): the headers a move changed.

    Just COUNT and SUM(estimate) per (project, status): PostgreSQL answers them from the
    covering index issue_column_totals_idx without reading the rows (no MAX(updated_at), which
    only the board's version needs, and a move knows its version). `statuses`: the project's,
    in board order, when the caller has them already.
    """
    if totals is None:
        totals = {
            row["status_id"]: row
            for row in Issue.objects.filter(project=project, status_id__in=only)
            .values("status_id")
            .annotate(total=Count("*"), points=Sum("estimate"))
            .order_by()
        }
    if filtered:
        matching = {
            row["status_id"]: row
            for row in issues.filter(status_id__in=only)
            .values("status_id")
            .annotate(total=Count("*"), points=Sum("estimate"))
            .order_by()
        }
    else:
        matching = totals
    if statuses is None:
        statuses = list(project.statuses.order_by("position", "pk"))
    for status in statuses:
        whole = totals.get(status.pk, {})
        match = matching.get(status.pk, {})
        status.issue_total = whole.get("total", 0)
        status.match_count = match.get("total", 0)
        status.match_points = match.get("points")
        status.last_update = None
    return statuses


def window_parts(
    issues: QuerySet, status_id: int, rank: str, *, inclusive: bool = False
) -> list[QuerySet]:
    """The ids of the two cards above `rank` in a column and of the three at or below it (two
    without `inclusive`): two index range scans whatever the size of the column."""
    column = issues.filter(status_id=status_id)
    above = column.filter(rank__lt=rank).order_by("-rank").values("pk")[:2]
    if inclusive:
        below = column.filter(rank__gte=rank).order_by("rank").values("pk")[:3]
    else:
        below = column.filter(rank__gt=rank).order_by("rank").values("pk")[:2]
    return [above, below]


def ids_condition(parts: list[QuerySet]) -> Q | RawSQL:
    """Issues whose id one of `parts` (sliced id querysets) yields.

    On PostgreSQL `id = ANY(ARRAY(part UNION ALL part …))`: the parts run once, each an index
    scan, and the few ids found are looked up by primary key. `id IN (part) OR id IN (part)`
    is planned for tens of thousands of rows and read the project's whole primary key index
    (a move's answer took 200 ms to 2 s in a 100,000-issue project).
    """
    connection = connections[parts[0].db]
    if connection.vendor != "postgresql":
        condition = Q(pk__in=parts[0])
        for part in parts[1:]:
            condition |= Q(pk__in=part)
        return condition
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    sql, params = union.query.get_compiler(connection=connection).as_sql()
    column = f"{connection.ops.quote_name(Issue._meta.db_table)}.{connection.ops.quote_name('id')}"
    # Django compiled `sql` from querysets; the values stay parameters.
    condition = f"{column} = ANY(ARRAY({sql}))"
    return RawSQL(condition, params, output_field=BooleanField())  # noqa: S611


def around(cards: list[Issue], status_id: int, rank: str, *, inclusive: bool = False):
    """From `cards` (in rank order), the (pk, number) of the two nearest above `rank` in the
    column and of the nearest at or below it (three with `inclusive`, else two)."""
    column = [card for card in cards if card.status_id == status_id]
    above = [(c.pk, c.number) for c in column if c.rank < rank][-2:]
    if inclusive:
        below = [(c.pk, c.number) for c in column if c.rank >= rank][:3]
    else:
        below = [(c.pk, c.number) for c in column if c.rank > rank][:2]
    return above, below


def cards_after_move(
    project: Project,
    issues: QuerySet,
    moved: Issue,
    old_status_id: int,
    old_rank: str,
    *,
    count: bool = False,
) -> tuple[list[Issue] | None, dict[int, dict[str, Any]] | None]:
    """The cards whose content a move changes, as they are now: the moved card and its new
    and old neighbours (their "Move up/down" buttons point at different cards now).

    One query loads the cards around both places (a few more than are shown; they say who is
    whose neighbour), with their labels and progress, and with `count` the two columns'
    totals (returned second, by status id, as `load_headers` takes them). None if the moved card does not
    pass the filters (the caller then re-renders the columns).
    """
    moved_away = (old_status_id, old_rank) != (moved.status_id, moved.rank)
    parts = window_parts(issues, moved.status_id, moved.rank, inclusive=True)
    if moved_away:
        parts += window_parts(issues, old_status_id, old_rank)
    columns = {moved.status_id, old_status_id} if count else set()
    nearby = load_shown_cards(project, ids_condition(parts), totals_of=columns)
    totals = None
    if columns and nearby:
        totals = {
            pk: {
                "total": getattr(nearby[0], f"total_{pk}"),
                "points": getattr(nearby[0], f"points_{pk}"),
            }
            for pk in columns
        }
    above, below = around(nearby, moved.status_id, moved.rank, inclusive=True)
    if not below or below[0][0] != moved.pk:
        return None, totals
    new = [*above, *below]
    links: dict[int, tuple[int | None, int | None]] = {}
    wanted: list[int] = []

    def link(row: list, index: int) -> None:
        if 0 <= index < len(row):
            pk = row[index][0]
            before = row[index - 1][1] if index > 0 else None
            after = row[index + 1][1] if index + 1 < len(row) else None
            links[pk] = (before, after)
            wanted.append(pk)

    centre = len(above)
    for index in (centre - 1, centre, centre + 1):
        link(new, index)
    if moved_away:
        old_above, old_below = around(nearby, old_status_id, old_rank)
        old = [*old_above, *old_below]
        for index in (len(old_above) - 1, len(old_above)):
            if 0 <= index < len(old) and old[index][0] not in links:
                link(old, index)
    cards = [card for card in nearby if card.pk in links]
    for card in cards:
        card.above, card.below = links[card.pk]
    return cards, totals
