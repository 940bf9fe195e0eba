"""CSV export of issues: what the list shows, in its order, safe to open in any spreadsheet.

One definition of the rows (`_core`: the filtered queryset's columns, and `_order_keys`: its
order) feeds two writers that produce byte-identical files:

- PostgreSQL: `COPY (SELECT …) TO STDOUT WITH CSV` around the queryset's own SQL. Formatting,
  formula neutralising, label lists and epics are computed by the database; Python only relays
  the blocks (turning record ends into CRLF), so the export runs near the speed of a bare COPY.
- Other databases (SQLite): `values_list(...).iterator()` and `csv.writer`; each issue's label
  ids come with its row, their names from one query of the projects' labels.

Both stream: a StreamingHttpResponse over chunks of about 64 KB, never the whole file in memory.
The view, the admin action (`csv_response`) and `manage.py export_issues` share `stream_csv`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    CharField,
    DateTimeField,
    F,
    Func,
    OrderBy,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .access import project_for
from .filters import IssueFilter, error_message
from .flow import started_at_sql
from .models import Issue, Kind, Label, Priority, Project, ScoringModel

COLUMNS = (
    "key",
    "title",
    "kind",
    "status",
    "status_category",
    "priority",
    "assignee",
    "reporter",
    "labels",
    "parent",
    "epic",
    "estimate",
    "source",
    "due_date",
    "created_at",
    "updated_at",
    "resolved_at",
    "started_at",
    # Planning: sprint and release names, the score inputs, and the score by the project's model.
    "sprint",
    "release",
    "value",
    "reach",
    "impact",
    "confidence",
    "score",
    "requests",
)
# A text cell starting with one of these is a formula (or hides one) in Excel, LibreOffice or
# Google Sheets; it gets a leading apostrophe (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
FORMULA_START_SET = frozenset(FORMULA_STARTS)
LABEL_SEPARATOR = "; "
BOM = "\ufeff".encode()
CHUNK_BYTES = 64 * 1024
ROWS_PER_QUERY = 2000
# What the row needs from the database: (name in the COPY's SQL, lookup), in this order.
CORE_FIELDS = (
    ("id", "pk"),
    ("project_id", "project_id"),
    ("project_key", "project__key"),
    ("number", "number"),
    ("title", "title"),
    ("kind", "kind"),
    ("status_name", "status__name"),
    ("status_category", "status__category"),
    ("priority", "priority"),
    ("assignee", "assignee__username"),
    ("reporter", "reporter__username"),
    ("parent_number", "parent__number"),
    ("parent_kind", "parent__kind"),
    ("grandparent_number", "parent__parent__number"),
    ("grandparent_kind", "parent__parent__kind"),
    ("estimate", "estimate"),
    ("source", "source"),
    ("due_date", "due_date"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
    ("resolved_at", "resolved_at"),
    ("sprint", "sprint__name"),
    ("release", "release__name"),
    ("value", "value"),
    ("reach", "reach"),
    ("impact", "impact"),
    ("confidence", "confidence"),
    ("scoring_model", "project__scoring_model"),
    ("demand", "demand"),
)
PRIORITY_SLUGS = {int(priority): priority.slug for priority in Priority}
# For the export's transaction only. The plan's cost passes the JIT threshold, but compiling
# costs more than it saves for a query that mostly formats text (and delays the first byte);
# parallel workers would each aggregate all the labels again; and the sort of 200,000 rows
# (about 50 MB) stays in memory instead of spilling to disk.
COPY_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0", "work_mem": "64MB"}


# --- The entry points ---------------------------------------------------------------------------


@require_GET
@login_required
def export_csv(request: HttpRequest, key: str) -> HttpResponse:
    """The list's issues for the same query string, as a CSV download (viewers may export)."""
    project = project_for(request, key)
    filterset = IssueFilter(request.GET, request=request, project=project)
    if not filterset.is_valid():
        return _bad_request(error_message(filterset))
    bom = request.GET.get("bom", "")
    if bom not in ("", "0", "1"):
        return _bad_request("Invalid option. bom: 1 starts the file with a byte-order mark, 0 not.")
    return csv_response(
        filterset.ordered_qs, filename_prefix=project.key, bom=bom == "1", projects=[project]
    )


def csv_response(
    queryset: QuerySet,
    *,
    filename_prefix: str,
    bom: bool = False,
    projects: Iterable[Project] | None = None,
) -> StreamingHttpResponse:
    """A streamed CSV download of `queryset` (issues), in its order; used by the admin too.

    The caller has checked permissions: every issue of the queryset ends up in the file.
    `projects`: those the issues belong to, when the caller knows (saves a query).
    """
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", filename_prefix).strip("-") or "issues"
    filename = f"{prefix}-issues-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        stream_csv(queryset, bom=bom, projects=projects), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def stream_csv(
    queryset: QuerySet,
    *,
    bom: bool = False,
    projects: Iterable[Project] | None = None,
    use_copy: bool | None = None,
) -> Iterator[bytes]:
    """The CSV file of `queryset`, as chunks of bytes: header row first, rows in its order.

    `projects`: those the issues belong to, if known. `use_copy`: None picks COPY on
    PostgreSQL; False forces the ORM writer (the tests compare the two).
    Nothing runs until the first chunk is asked for, so a response can be returned at once.
    """
    if use_copy is None:
        use_copy = connections[queryset.db].vendor == "postgresql"
    if bom:
        yield BOM
    yield _header()
    keys = _order_keys(queryset)
    if use_copy:
        core = _core(queryset, keys)
        label_ids = list(_labels(queryset, projects).values_list("pk", flat=True))
        try:
            sql, params = _copy_sql(core, keys, label_ids)
        except EmptyResultSet:  # e.g. .none() or pk__in=[]: nothing to ask the database.
            return
        yield from _copy_chunks(sql, params, using=queryset.db)
    else:
        yield from _python_chunks(queryset, keys, projects)


def _bad_request(message: str) -> HttpResponseBadRequest:
    """Plain text: the reason is shown as is (it may quote what was sent; nosniff is on)."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _header() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMNS)
    return buffer.getvalue().encode()


# --- What the rows are, and their order -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OrderKey:
    """One ORDER BY term as a lookup that can be selected, so both writers sort identically.

    `annotation`: for an ordering expression other than a field, the expression that `_core`
    annotates as `path`.
    """

    path: str
    descending: bool = False
    nulls_first: bool = False
    nulls_last: bool = False
    annotation: object = dataclasses.field(default=None, compare=False)

    def expression(self) -> OrderBy:
        field = F(self.path)
        options = {"nulls_first": True} if self.nulls_first else {}
        options |= {"nulls_last": True} if self.nulls_last else {}
        return field.desc(**options) if self.descending else field.asc(**options)

    def sql(self, column: str) -> str:
        nulls = " NULLS FIRST" if self.nulls_first else " NULLS LAST" if self.nulls_last else ""
        return f"{column} {'DESC' if self.descending else 'ASC'}{nulls}"


def _order_keys(queryset: QuerySet) -> list[OrderKey]:
    """The queryset's order as selectable lookups, ending with the primary key (a total order).

    Ordering by a relation means its model's Meta.ordering, as in Django (`status` sorts by the
    statuses' position); other expressions become `_order_N` annotations, which `_core` adds.
    """
    query = queryset.query
    if query.order_by:
        items = list(query.order_by)
    elif query.default_ordering and query.get_meta().ordering:
        items = list(query.get_meta().ordering)
    else:
        items = []
    keys: list[OrderKey] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            if item == "?":
                continue  # A random order is no order: the primary key decides.
            keys += _expand(queryset.model, item.lstrip("-"), item.startswith("-"), frozenset())
            continue
        if isinstance(item, F):
            item = item.asc()
        if not isinstance(item, OrderBy):
            item = OrderBy(item)
        options = {"nulls_first": bool(item.nulls_first), "nulls_last": bool(item.nulls_last)}
        if isinstance(item.expression, F):
            name = item.expression.name
            for key in _expand(queryset.model, name, item.descending, frozenset()):
                keys.append(OrderKey(key.path, key.descending, **options))
        else:
            path = f"_order_{index}"
            keys.append(OrderKey(path, item.descending, **options, annotation=item.expression))
    if not any(key.path in ("pk", queryset.model._meta.pk.name) for key in keys):
        keys.append(OrderKey("pk", descending=True))
    return keys


def _expand(model, name: str, descending: bool, seen: frozenset) -> list[OrderKey]:
    """`name` as column lookups, following a relation to its model's Meta.ordering."""
    opts, field = model._meta, None
    parts = name.split(LOOKUP_SEP)
    for position, part in enumerate(parts):
        if field is not None:
            if not field.is_relation:
                raise ValueError(f"Cannot export in an order by {name!r}.")
            opts = field.related_model._meta
        if part == "pk":
            field = opts.pk
            continue
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            if position == 0:
                return [OrderKey(name, descending)]  # An annotation of the queryset.
            raise
    if not field.is_relation or parts[-1] == getattr(field, "attname", None) != field.name:
        return [OrderKey(name, descending)]
    if not (field.many_to_one or field.one_to_one) or field.auto_created:
        raise ValueError(f"Cannot export in an order by {name!r}: it is a list, not a value.")
    related = field.related_model._meta
    if not related.ordering or related.label in seen:
        return [OrderKey(f"{name}{LOOKUP_SEP}pk", descending)]
    keys: list[OrderKey] = []
    for item in related.ordering:
        if not isinstance(item, str):
            return [OrderKey(f"{name}{LOOKUP_SEP}pk", descending)]
        keys += _expand(
            model,
            f"{name}{LOOKUP_SEP}{item.lstrip('-')}",
            descending != item.startswith("-"),
            seen | {related.label},
        )
    return keys


def _core(
    queryset: QuerySet,
    keys: list[OrderKey],
    *,
    fields: Iterable | None = None,
    select_keys: bool = True,
) -> QuerySet:
    """What the writers read: CORE_FIELDS (or `fields`), then one column per order key.

    Unordered: the COPY orders by the key columns, the ORM writer by the keys themselves (so it
    need not select them). The queryset is used as it is (its joins, DISTINCT and annotations
    such as the search rank or child counts stay); a sliced or combined one is first reduced to
    its primary keys (its order must then be by fields, not by its annotations).
    """
    query = queryset.query
    base = queryset
    if query.is_sliced or query.combinator:
        base = _by_pk(queryset)
    annotations = {key.path: key.annotation for key in keys if key.annotation is not None}
    if annotations:
        base = base.annotate(**annotations)
    if fields is None:
        fields = [lookup for _, lookup in CORE_FIELDS]
    lookups = [*fields, *(key.path for key in keys if select_keys)]
    return base.select_related(None).prefetch_related(None).order_by().values_list(*lookups)


def _labels(queryset: QuerySet, projects: Iterable[Project] | None) -> QuerySet:
    """The labels of the exported projects: `projects`, or those of the issues if not given."""
    if projects is None:
        projects = _by_pk(queryset).order_by().values("project")
    return Label._default_manager.using(queryset.db).filter(project__in=projects)


def _by_pk(queryset: QuerySet) -> QuerySet:
    """The same issues, selected by primary key: a sliced or combined queryset cannot be
    reordered, annotated or filtered further, this can."""
    return queryset.model._default_manager.using(queryset.db).filter(pk__in=queryset.values("pk"))


# --- PostgreSQL: COPY ------------------------------------------------------------------------------


def _copy_sql(core: QuerySet, keys: list[OrderKey], label_ids: list[int]) -> tuple[str, tuple]:
    """`COPY (SELECT …) TO STDOUT WITH CSV` around the core's SQL, and its parameters.

    Each cell is formatted here exactly as `_python_rows` formats it: the same slugs and keys,
    times as YYYY-MM-DDTHH:MM:SSZ in UTC (truncated to the second), formula starts neutralised,
    empty text as an empty (NULL) cell, labels sorted by code point (COLLATE "C") and joined.

    Labels (`label_ids`: those of the exported projects): each issue's set of label ids is
    aggregated once, and the sorted names are built once per distinct set (a project has a few
    hundred combinations, not 200,000). The rows are sorted before they are formatted, so that
    the sort moves raw values; the outer ORDER BY repeats the inner one, which the planner sees
    is already satisfied (so there is one sort, and the order is guaranteed, not incidental).
    """
    connection = connections[core.db]
    qn = connection.ops.quote_name
    core_sql, core_params = core.query.get_compiler(using=core.db).as_sql()
    aliases = [name for name, _ in CORE_FIELDS] + [f"o{i}" for i in range(len(keys))]
    links = Issue.labels.through._meta
    link_issue = qn(links.get_field("issue").column)
    link_label = qn(links.get_field("label").column)
    labels = Label._meta
    label_id, label_name = qn(labels.pk.column), qn(labels.get_field("name").column)
    issue_key = "s.project_key || '-' || s.{}"
    priority = " ".join(f"WHEN {value} THEN '{slug}'" for value, slug in PRIORITY_SLUGS.items())
    epic = Kind.EPIC.value
    columns = [
        issue_key.format("number"),
        _sql_text("s.title"),
        "s.kind",
        _sql_text("s.status_name"),
        "s.status_category",
        f"CASE s.priority {priority} END",
        _sql_text("s.assignee"),
        _sql_text("s.reporter"),
        _sql_text("s.label_names"),
        issue_key.format("parent_number"),
        f"CASE WHEN s.parent_kind = '{epic}' THEN {issue_key.format('parent_number')}"
        f" WHEN s.grandparent_kind = '{epic}' THEN {issue_key.format('grandparent_number')} END",
        "s.estimate",
        "s.source",
        "to_char(s.due_date, 'YYYY-MM-DD')",
        _sql_time("s.created_at"),
        _sql_time("s.updated_at"),
        _sql_time("s.resolved_at"),
        _sql_time(started_at_sql("s.id", "s.created_at")),
        _sql_text("s.sprint"),
        _sql_text("s.release"),
        "s.value",
        "s.reach",
        "NULLIF(s.impact, '')",
        "s.confidence",
        _sql_score(),
        "s.demand",
    ]
    # Identifiers come from the models and SQL from the compiler; values are parameters.
    sql = f"""COPY (
WITH label_sets AS MATERIALIZED (
    SELECT link.{link_issue} AS issue_id, array_agg(link.{link_label}) AS ids
    FROM {qn(links.db_table)} AS link
    WHERE link.{link_label} = ANY(%s)
    GROUP BY link.{link_issue}
)
SELECT {", ".join(columns)}
FROM (
    SELECT c.*, set_names.names AS label_names
    FROM ({core_sql}) AS c({", ".join(aliases)})
    LEFT JOIN label_sets ON label_sets.issue_id = c.id
    LEFT JOIN (
        SELECT distinct_sets.ids, (
            SELECT string_agg({label_name}, '{LABEL_SEPARATOR}' ORDER BY {label_name} COLLATE "C")
            FROM {qn(labels.db_table)} WHERE {label_id} = ANY(distinct_sets.ids)
        ) AS names
        FROM (SELECT DISTINCT ids FROM label_sets) AS distinct_sets
    ) AS set_names ON set_names.ids = label_sets.ids
    ORDER BY {", ".join(key.sql(f"c.o{i}") for i, key in enumerate(keys))}
) AS s
ORDER BY {", ".join(key.sql(f"s.o{i}") for i, key in enumerate(keys))}
) TO STDOUT WITH (FORMAT csv)"""  # noqa: S608
    return sql, (label_ids, *core_params)


def _sql_text(column: str) -> str:
    """A user's text: NULL when empty, a leading ' when it starts like a formula."""
    starts = ", ".join(str(ord(char)) for char in FORMULA_STARTS)
    return (
        f"CASE WHEN ascii({column}) IN ({starts}) THEN '''' || {column}"
        f" ELSE NULLIF({column}, '') END"
    )


def _sql_score() -> str:
    """The score in exact decimals, rounded half up to two places (as `_score`)."""
    rice = "s.reach::numeric * NULLIF(s.impact, '')::numeric * s.confidence / 100"
    return (
        f"to_char(round(CASE WHEN s.scoring_model = '{ScoringModel.RICE.value}' THEN {rice}"
        " ELSE s.value::numeric END / NULLIF(s.estimate, 0), 2), 'FM999999999990.00')"
    )


def _sql_time(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _copy_chunks(sql: str, params: tuple, *, using: str) -> Iterator[bytes]:
    """Relay COPY's blocks in chunks of about CHUNK_BYTES, with CRLF record ends.

    Runs while the response streams, after the view returned: in its own transaction (so that
    SET LOCAL ends with it), with Django's error wrapping (a broken connection is then closed
    at the end of the request, never reused). If the client goes away, closing this generator
    cancels the COPY and rolls back, leaving the connection clean for CONN_MAX_AGE reuse.
    """
    connection = connections[using]
    nested = connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        previous = set_local(cursor, COPY_SETTINGS, previous=nested)
        with connection.wrap_database_errors, cursor.cursor.copy(sql, params) as copy:
            pending: list = []
            size = 0
            in_quotes = False
            for block in copy:
                pending.append(block)
                size += len(block)
                if size >= CHUNK_BYTES:
                    chunk, in_quotes = _crlf(b"".join(pending), in_quotes)
                    yield chunk
                    pending, size = [], 0
            if pending:
                yield _crlf(b"".join(pending), in_quotes)[0]
        if nested:  # Releasing a savepoint keeps SET LOCAL for the enclosing transaction.
            set_local(cursor, previous)


def set_local(cursor, settings: dict[str, str], *, previous: bool = False) -> dict[str, str]:
    """SET LOCAL each setting (for the current transaction); their old values, if asked."""
    old = {}
    if previous:
        cursor.execute(
            "SELECT " + ", ".join(["current_setting(%s)"] * len(settings)), list(settings)
        )
        old = dict(zip(settings, cursor.fetchone(), strict=True))
    cursor.execute(
        "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(settings)),
        [item for pair in settings.items() for item in pair],
    )
    return old


def _crlf(data: bytes, in_quotes: bool) -> tuple[bytes, bool]:
    """Turn COPY's LF record ends into CRLF (RFC 4180), leaving newlines inside quoted cells.

    A quote character toggles between inside and outside a quoted cell (an escaped "" toggles
    twice), so the text between quotes alternates; `in_quotes` carries the state across chunks.
    """
    if b'"' not in data:
        return (data if in_quotes else data.replace(b"\n", b"\r\n")), in_quotes
    parts = data.split(b'"')
    for index in range(1 if in_quotes else 0, len(parts), 2):
        parts[index] = parts[index].replace(b"\n", b"\r\n")
    return b'"'.join(parts), in_quotes != (len(parts) % 2 == 0)


# --- Other databases: the ORM and csv.writer ----------------------------------------------------------


def _python_chunks(
    queryset: QuerySet, keys: list[OrderKey], projects: Iterable[Project] | None
) -> Iterator[bytes]:
    """Rows through values_list(...).iterator() and csv.writer, ROWS_PER_QUERY at a time."""
    connection = connections[queryset.db]
    label_names = _LabelNames(_labels(queryset, projects).values_list("pk", "name"))
    label_names.using = queryset.db
    fields = [*_python_fields(connection), _label_ids()]
    core = _core(queryset, keys, fields=fields, select_keys=False)
    rows = core.order_by(*(key.expression() for key in keys)).iterator(chunk_size=ROWS_PER_QUERY)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    while batch := list(islice(rows, ROWS_PER_QUERY)):
        writer.writerows(_python_rows(batch, label_names))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


class _LabelIds(Aggregate):
    """Label ids as one text, "3,7": group_concat on SQLite, string_agg on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "STRING_AGG(%(expressions)s::text, ',')"
        return self.as_sql(compiler, connection, template=template, **extra)


def _label_ids() -> Subquery:
    """Each issue's label ids, by a subquery on the link table's (issue, label) index."""
    links = Issue.labels.through._default_manager
    return Subquery(
        links.filter(issue=OuterRef("pk"))
        .order_by()
        .values("issue")
        .annotate(ids=_LabelIds("label"))
        .values("ids")
    )


class _LabelNames(dict):
    """Label names by id, loaded for the exported projects; any other label is looked up."""

    using = "default"

    def __missing__(self, label_id: int) -> str:
        name = Label._default_manager.using(self.using).values_list("name", flat=True)
        self[label_id] = name.get(pk=label_id)
        return self[label_id]


class _StoredIsoTime(Func):
    """SQLite keeps a time as text, 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: slice, not parse."""

    template = "substr(%(expressions)s, 1, 10) || 'T' || substr(%(expressions)s, 12, 8) || 'Z'"
    output_field = CharField()


class _StoredText(Func):
    """A column read as stored text (SQLite's dates), skipping the driver's conversion."""

    template = "CAST(%(expressions)s AS text)"
    output_field = CharField()


def _python_fields(connection) -> list:
    """CORE_FIELDS (planning's last), then started_at, for the ORM writer: on SQLite (storing UTC), times come
    formatted."""
    fields: list = [lookup for _, lookup in CORE_FIELDS]
    table = connection.ops.quote_name(Issue._meta.db_table)
    # Trusted SQL: built from the models' table and column names, no user input.
    started = RawSQL(  # noqa: S611
        started_at_sql(
            f"{table}.{connection.ops.quote_name('id')}",
            f"{table}.{connection.ops.quote_name('created_at')}",
        ),
        (),
        output_field=DateTimeField(),
    )
    fields.append(started)
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        for index, (name, lookup) in enumerate(CORE_FIELDS):
            if name in ("created_at", "updated_at", "resolved_at"):
                fields[index] = _StoredIsoTime(lookup)
            elif name == "due_date":
                fields[index] = _StoredText(lookup)
        fields[-1] = _StoredIsoTime(started)
    return fields


def _python_rows(batch: list[tuple], label_names: dict[int, str]) -> Iterator[list]:
    """CSV rows from core rows, each cell formatted as the COPY's SELECT formats it."""
    text, time, priorities, epic_kind = _text, _time, PRIORITY_SLUGS, Kind.EPIC.value
    for (
        _,
        _,
        project_key,
        number,
        title,
        kind,
        status_name,
        status_category,
        priority,
        assignee,
        reporter,
        parent_number,
        parent_kind,
        grandparent_number,
        grandparent_kind,
        estimate,
        source,
        due_date,
        created_at,
        updated_at,
        resolved_at,
        sprint,
        release,
        value,
        reach,
        impact,
        confidence,
        scoring_model,
        demand,
        started_at,
        label_ids,
    ) in batch:
        if parent_kind == epic_kind:
            epic = f"{project_key}-{parent_number}"
        elif grandparent_kind == epic_kind:
            epic = f"{project_key}-{grandparent_number}"
        else:
            epic = None
        if label_ids:
            names = sorted(label_names[int(label_id)] for label_id in label_ids.split(","))
            labels = text(LABEL_SEPARATOR.join(names))
        else:
            labels = None
        yield [
            f"{project_key}-{number}",
            text(title),
            kind,
            text(status_name),
            status_category,
            priorities.get(priority),
            text(assignee),
            text(reporter),
            labels,
            None if parent_number is None else f"{project_key}-{parent_number}",
            epic,
            estimate,
            source,
            due_date if due_date is None or isinstance(due_date, str) else due_date.isoformat(),
            time(created_at),
            time(updated_at),
            time(resolved_at),
            time(started_at),
            text(sprint),
            text(release),
            value,
            reach,
            impact or None,
            confidence,
            _score(scoring_model, value, reach, impact, confidence, estimate),
            demand,
        ]


def _score(model, value, reach, impact, confidence, estimate) -> str | None:
    """The score in exact decimals, rounded half up to two places; None if an input is missing
    (as the COPY's `_sql_score`)."""
    if not estimate:
        return None
    if model == ScoringModel.RICE:
        if reach is None or not impact or confidence is None:
            return None
        score = Decimal(reach) * Decimal(impact) * Decimal(confidence) / 100 / Decimal(estimate)
    elif value is None:
        return None
    else:
        score = Decimal(value) / Decimal(estimate)
    return str(score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _text(value: str | None) -> str | None:
    """A user's text for a cell: a leading ' when it starts like a formula."""
    if value and value[0] in FORMULA_START_SET:
        return "'" + value
    return value


def _time(value: datetime.datetime | str | None) -> str | None:
    """ISO 8601 in UTC to the second, e.g. 2026-11-27T07:14:26Z (as the COPY's to_char)."""
    if value is None or isinstance(value, str):  # Already formatted by the database.
        return value
    if timezone.is_aware(value):
        value = value.astimezone(datetime.UTC)
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"
