"""Priority scores: value / effort or RICE, by the project's scoring model.

The inputs are fields of the issue (value, reach, impact, confidence) and its estimate, the
effort; RICE's reach is the number typed in, else the issue's customer requests (its demand). A score needs all of its inputs and an effort above zero; otherwise it is unknown (shown
as "—"), never a made-up number. `score_expression` computes the same number in SQL, so that
lists can be ordered by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, F, FloatField, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf

from issues.models import Impact, Issue, ScoringModel

SCORE = "score"


@dataclass(frozen=True)
class Score:
    value: float | None
    how: str  # how it was (or could not be) computed: the tooltip

    def __str__(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:.1f}" if self.value < 100 else f"{self.value:,.0f}"


def reach_of(issue: Issue) -> tuple[int | None, str]:
    """The reach and where it comes from: the number typed on the issue, else its customer
    requests (intake's demand) when it has any; none otherwise (the score is then unknown)."""
    if issue.reach is not None:
        return issue.reach, "typed in"
    if issue.demand:
        return issue.demand, f"customer request{'s' if issue.demand != 1 else ''}"
    return None, ""


def score(issue: Issue, model: str) -> Score:
    effort = issue.estimate
    if model == ScoringModel.RICE:
        reach, origin = reach_of(issue)
        impact = Decimal(issue.impact) if issue.impact else None
        confidence = issue.confidence
        missing = [
            name
            for name, value in (
                ("reach", reach),
                ("impact", impact),
                ("confidence", confidence),
                ("estimate", effort),
            )
            if value is None
        ]
        if missing:
            hint = " (no customer requests, and none typed in)" if reach is None else ""
            return Score(None, f"RICE: no {_join(missing)} yet{hint}.")
        if effort == 0:
            return Score(None, "RICE: the estimate is 0, so there is no effort to divide by.")
        result = reach * float(impact) * confidence / 100 / effort
        return Score(
            result,
            f"RICE = reach {reach} ({origin}) × impact {issue.impact} × confidence {confidence} % "
            f"÷ effort {effort} pts = {result:.1f}",
        )
    if issue.value is None or effort is None:
        missing = [n for n, v in (("value", issue.value), ("estimate", effort)) if v is None]
        return Score(None, f"Value / effort: no {_join(missing)} yet.")
    if effort == 0:
        return Score(None, "Value / effort: the estimate is 0, so there is no effort to divide by.")
    result = issue.value / effort
    return Score(result, f"Value {issue.value} ÷ effort {effort} pts = {result:.2f}")


def score_expression(model: str):
    """The score as an SQL expression (NULL when an input is missing or the effort is 0)."""
    effort = NullIf(Cast("estimate", FloatField()), Value(0.0))
    if model == ScoringModel.RICE:
        impact = Case(
            *[When(impact=choice.value, then=Value(float(choice.value))) for choice in Impact],
            default=None,
            output_field=FloatField(),
        )
        # Typed reach, else the number of customer requests (none: unknown, like a NULL).
        reach = Coalesce(Cast("reach", FloatField()), NullIf(Cast("demand", FloatField()), 0.0))
        return reach * impact * Cast("confidence", FloatField()) / Value(100.0) / effort
    return Cast("value", FloatField()) / effort


def for_ordering(queryset, model: str):
    """`score` annotated for ?order=score: an unknown score sorts below every known one, on
    SQLite and PostgreSQL alike (their NULLs sort differently)."""
    return queryset.annotate(**{SCORE: Coalesce(score_expression(model), Value(-1.0))})


def by_score(queryset, model: str):
    """Highest score first; unknown scores last, in rank order."""
    return for_ordering(queryset, model).order_by(F(SCORE).desc(), "rank")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
