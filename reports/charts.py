"""Charts as data: scales, ticks and marks in SVG coordinates, plus the table they plot.

A chart is drawn by one template (`reports/reports.html#chart`) from these plain values; the
numbers in a chart's "Show data" table and its CSV are exactly the ones its marks plot (values
are rounded once, here, before they are drawn). Colours: status colours from the workflow (mid
tones, readable on both themes); every other series is a CSS class whose colour the stylesheet
sets per theme.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    """A legend entry: a name and either a colour (#rrggbb) or a CSS class (`chart-c3`)."""

    name: str
    color: str = ""
    css: str = ""


@dataclass(frozen=True)
class Area:
    points: str
    series: Series
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: Series
    label: str
    value: float


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    series: Series
    label: str
    value: float
    href: str = ""


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (a percentile) with its label."""

    y: float
    label: str
    css: str


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    x_label: str
    y_label: str
    columns: list[str]
    rows: list[list]
    legend: list[Series] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    lines: list = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    note: str = ""
    empty: str = ""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM
    middle: float = TOP + PLOT_H / 2

    @property
    def is_empty(self) -> bool:
        return not self.rows


# --- Scales ------------------------------------------------------------------------------------


def nice_max(value: float) -> tuple[float, float]:
    """An axis top at or above `value` and its tick step (1, 2 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 5
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        step = multiple * power
        if step >= rough:
            break
    if step < 1 and value >= 1:
        step = 1.0
    return step * math.ceil(value / step), step


def _y_scale(top: float) -> tuple[float, list[tuple[float, str]]]:
    axis_top, step = nice_max(top)
    ticks = []
    count = round(axis_top / step)
    for index in range(count + 1):
        value = step * index
        ticks.append((_y(value, axis_top), _number(value)))
    return axis_top, ticks


def _y(value: float, axis_top: float) -> float:
    return round(TOP + PLOT_H - value / axis_top * PLOT_H, 2)


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _day_label(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"


def _date_ticks(first: datetime.date, last: datetime.date, x_of) -> list[tuple[float, str]]:
    days = (last - first).days
    step = max(1, math.ceil((days + 1) / 7))
    return [
        (
            x_of(first + datetime.timedelta(days=offset)),
            _day_label(first + datetime.timedelta(offset)),
        )
        for offset in range(0, days + 1, step)
    ]


def _band(index: int, count: int) -> tuple[float, float]:
    """The left edge and width of the `index`th of `count` equal bands of the plot."""
    width = PLOT_W / max(count, 1)
    return LEFT + index * width, width


# --- Charts ------------------------------------------------------------------------------------


def stacked_area(
    *,
    slug: str,
    title: str,
    description: str,
    days: Sequence[datetime.date],
    series: Sequence[tuple[Series, Sequence[int]]],
) -> Chart:
    """Cumulative flow: `series` from the bottom of the stack up, one value per day."""
    columns = ["Day", *(s.name for s, _ in reversed(series))]
    rows = [
        [day.isoformat(), *(values[i] for _, values in reversed(series))]
        for i, day in enumerate(days)
    ]
    chart = Chart(slug, title, description, "Day (UTC)", "Issues", columns, rows)
    chart.legend = [s for s, _ in reversed(series)]
    if not days:
        return chart
    totals = [sum(values[i] for _, values in series) for i in range(len(days))]
    axis_top, chart.y_ticks = _y_scale(max(totals, default=0))
    span = max(len(days) - 1, 1)

    def x_of(day: datetime.date) -> float:
        return round(LEFT + (day - days[0]).days / span * PLOT_W, 2)

    chart.x_ticks = _date_ticks(days[0], days[-1], x_of)
    below = [0] * len(days)
    for s, values in series:
        above = [below[i] + values[i] for i in range(len(days))]
        if any(values):
            top = [f"{x_of(day)},{_y(above[i], axis_top)}" for i, day in enumerate(days)]
            bottom = [
                f"{x_of(day)},{_y(below[i], axis_top)}"
                for i, day in reversed(list(enumerate(days)))
            ]
            if len(days) == 1:  # One day: a thin band, so that it shows at all.
                top.append(f"{LEFT + PLOT_W},{_y(above[0], axis_top)}")
                bottom.insert(0, f"{LEFT + PLOT_W},{_y(below[0], axis_top)}")
            last = values[-1]
            chart.areas.append(
                Area(" ".join(top + bottom), s, f"{s.name}: {last} on {_day_label(days[-1])}")
            )
        below = above
    return chart


def bars(
    *,
    slug: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    categories: Sequence[str],
    series: Sequence[tuple[Series, Sequence[float]]],
    stacked: bool = False,
    first_column: str = "",
) -> Chart:
    """Bars per category: side by side, or `stacked`; one value per category per series."""
    columns = [first_column or x_label, *(s.name for s, _ in series)]
    rows = [
        [category, *(values[i] for _, values in series)] for i, category in enumerate(categories)
    ]
    chart = Chart(slug, title, description, x_label, y_label, columns, rows)
    chart.legend = [s for s, _ in series] if len(series) > 1 else []
    if not categories:
        return chart
    if stacked:
        top = max(
            (sum(values[i] for _, values in series) for i in range(len(categories))), default=0
        )
    else:
        top = max((max(values, default=0) for _, values in series), default=0)
    axis_top, chart.y_ticks = _y_scale(top)
    step = max(1, math.ceil(len(categories) / 12))
    for index, category in enumerate(categories):
        left, width = _band(index, len(categories))
        if index % step == 0:
            chart.x_ticks.append((round(left + width / 2, 2), category))
        inner = width * 0.8
        start = left + width * 0.1
        base = 0.0
        for position, (s, values) in enumerate(series):
            value = values[index]
            if stacked:
                x, bar_width = start, inner
                bottom, top_value = base, base + value
                base = top_value
            else:
                bar_width = inner / len(series)
                x = start + position * bar_width
                bottom, top_value = 0.0, value
            if value <= 0:
                continue
            y_top, y_bottom = _y(top_value, axis_top), _y(bottom, axis_top)
            chart.bars.append(
                Bar(
                    round(x, 2),
                    y_top,
                    round(bar_width, 2),
                    round(y_bottom - y_top, 2),
                    s,
                    f"{category} · {s.name}: {_number(value)}",
                    value,
                )
            )
    return chart


@dataclass(frozen=True)
class Point:
    """A dot: where (a day, or a category index) and how high, with its table row."""

    x: datetime.datetime | int
    value: float
    label: str
    href: str
    row: list
    series: Series


def scatter(
    *,
    slug: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    columns: list[str],
    points: Sequence[Point],
    percentiles: Sequence[tuple[int, float | None]],
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    categories: Sequence[str] = (),
) -> Chart:
    """Dots over time (from `start` to `end`) or over `categories` (x: the index of one),
    with a rule per percentile."""
    chart = Chart(slug, title, description, x_label, y_label, columns, [p.row for p in points])
    rules = [(p, v) for p, v in percentiles if v is not None]
    top = max([p.value for p in points] + [v for _, v in rules], default=0)
    axis_top, chart.y_ticks = _y_scale(top)
    if categories:
        per_band: dict[int, int] = {}
        for point in points:
            per_band[point.x] = per_band.get(point.x, 0) + 1
        seen: dict[int, int] = {}
        for index, name in enumerate(categories):
            left, width = _band(index, len(categories))
            chart.x_ticks.append((round(left + width / 2, 2), name))
        for point in points:
            left, width = _band(point.x, len(categories))
            order = seen.get(point.x, 0)
            seen[point.x] = order + 1
            # Spread a column's dots across its band, so that equal ages stay visible.
            share = (order + 0.5) / per_band[point.x]
            x = left + width * (0.15 + 0.7 * share)
            chart.dots.append(
                Dot(
                    round(x, 2),
                    _y(point.value, axis_top),
                    point.series,
                    point.label,
                    point.value,
                    point.href,
                )
            )
    elif start is not None and end is not None:
        span = (end - start).total_seconds() or 1

        def x_of(moment) -> float:
            if isinstance(moment, datetime.date) and not isinstance(moment, datetime.datetime):
                moment = datetime.datetime.combine(moment, datetime.time(), tzinfo=datetime.UTC)
            return round(LEFT + (moment - start).total_seconds() / span * PLOT_W, 2)

        last_day = (end - datetime.timedelta(days=1)).date()
        chart.x_ticks = _date_ticks(start.date(), last_day, x_of)
        for point in points:
            chart.dots.append(
                Dot(
                    x_of(point.x),
                    _y(point.value, axis_top),
                    point.series,
                    point.label,
                    point.value,
                    point.href,
                )
            )
    for percent, value in rules:
        chart.rules.append(
            Rule(_y(value, axis_top), f"{percent}th: {_number(value)} d", f"rule-p{percent}")
        )
    return chart


@dataclass(frozen=True)
class Line:
    points: str
    series: Series


def burndown(
    *,
    slug: str,
    title: str,
    description: str,
    labels: Sequence[str],
    remaining: Sequence[int | None],
    ideal: Sequence[float],
    added: Sequence[int],
    remaining_series: Series,
    ideal_series: Series,
    added_series: Series,
) -> Chart:
    """Points remaining per moment (a line), the ideal line, and scope added (bars)."""
    columns = ["Day", remaining_series.name, ideal_series.name, added_series.name]
    rows = [[label, remaining[i], ideal[i], added[i]] for i, label in enumerate(labels)]
    chart = Chart(slug, title, description, "Day (UTC)", "Points", columns, rows)
    chart.legend = [remaining_series, ideal_series, added_series]
    if not labels:
        return chart
    known = [value for value in remaining if value is not None]
    axis_top, chart.y_ticks = _y_scale(max([*known, *ideal, *added], default=0))
    step = max(1, math.ceil(len(labels) / 10))
    centres = []
    for index, label in enumerate(labels):
        left, width = _band(index, len(labels))
        centres.append(round(left + width / 2, 2))
        if index % step == 0:
            chart.x_ticks.append((centres[-1], label))
        if added[index] > 0:
            y_top, y_bottom = _y(added[index], axis_top), _y(0, axis_top)
            chart.bars.append(
                Bar(
                    round(left + width * 0.3, 2),
                    y_top,
                    round(width * 0.4, 2),
                    round(y_bottom - y_top, 2),
                    added_series,
                    f"{label} · {added_series.name}: {added[index]}",
                    added[index],
                )
            )
    for series, values in ((ideal_series, ideal), (remaining_series, remaining)):
        points = " ".join(
            f"{x},{_y(v, axis_top)}" for x, v in zip(centres, values, strict=True) if v is not None
        )
        chart.lines.append(Line(points, series))
    for x, value, label in zip(centres, remaining, labels, strict=True):
        if value is None:
            continue  # A day still to come.
        chart.dots.append(
            Dot(x, _y(value, axis_top), remaining_series, f"{label}: {value} points left", value)
        )
    return chart
