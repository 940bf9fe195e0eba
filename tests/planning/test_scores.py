"""Scores: value / effort or RICE by the project's model, "—" when an input is missing, the
same number in SQL (for ordering) as in Python (for display)."""

import pytest
from django.urls import reverse

from issues import operations as issue_ops
from issues.models import Issue, ScoringModel
from planning import operations, scores

from ..factories import IssueFactory, ask_for


def scored(project, member, *, estimate, **inputs):
    issue = IssueFactory(project=project, actor=member, estimate=estimate)
    if inputs:
        issue = issue_ops.update_issue(issue=issue, actor=member, changes=inputs)
    return issue


def test_value_over_effort(project, member):
    issue = scored(project, member, estimate=4, value=5)

    score = scores.score(issue, ScoringModel.VALUE_EFFORT)

    assert score.value == 1.25
    assert str(score) == "1.2"
    assert score.how == "Value 5 ÷ effort 4 pts = 1.25"


def test_rice(project, member):
    issue = scored(project, member, estimate=2, reach=300, impact="2", confidence=80)

    score = scores.score(issue, ScoringModel.RICE)

    assert score.value == 240
    assert score.how == (
        "RICE = reach 300 (typed in) × impact 2 × confidence 80 % ÷ effort 2 pts = 240.0"
    )


def test_rice_reach_is_the_number_of_customer_requests_unless_typed_in(project, member):
    issue = scored(project, member, estimate=2, impact="1", confidence=100)
    for email in ("ann@acme.example", "bea@acme.example", "cid@acme.example"):
        ask_for(issue, email)
    issue.refresh_from_db()

    counted = scores.score(issue, ScoringModel.RICE)

    assert counted.value == 1.5
    assert counted.how == (
        "RICE = reach 3 (customer requests) × impact 1 × confidence 100 % ÷ effort 2 pts = 1.5"
    )
    typed = issue_ops.update_issue(issue=issue, actor=member, changes={"reach": 40})
    assert scores.score(typed, ScoringModel.RICE).how.startswith("RICE = reach 40 (typed in)")
    back = issue_ops.update_issue(issue=typed, actor=member, changes={"reach": None})
    assert scores.score(back, ScoringModel.RICE).value == 1.5


def test_rice_without_requests_or_a_typed_reach_is_unknown(project, member):
    issue = scored(project, member, estimate=2, impact="1", confidence=100)

    score = scores.score(issue, ScoringModel.RICE)

    assert (score.value, str(score)) == (None, "—")
    assert score.how == "RICE: no reach yet (no customer requests, and none typed in)."


def test_the_score_tooltip_on_the_issue_page_says_where_reach_came_from(
    client, project, member, admin_user
):
    project.scoring_model = ScoringModel.RICE
    project.save()
    issue = scored(project, member, estimate=1, impact="1", confidence=100)
    ask_for(issue, "ann@acme.example")
    client.force_login(member)

    page = client.get(issue.get_absolute_url()).content.decode()

    assert "reach 1 (customer request)" in page


@pytest.mark.parametrize(
    ("model", "inputs", "estimate", "why"),
    [
        (ScoringModel.VALUE_EFFORT, {}, 3, "no value yet"),
        (ScoringModel.VALUE_EFFORT, {"value": 3}, None, "no estimate yet"),
        (ScoringModel.VALUE_EFFORT, {"value": 3}, 0, "the estimate is 0"),
        (ScoringModel.RICE, {"reach": 10, "impact": "1"}, 3, "no confidence yet"),
        (ScoringModel.RICE, {}, None, "no reach, impact, confidence or estimate yet"),
    ],
)
def test_a_missing_input_is_a_dash_never_a_number(project, member, model, inputs, estimate, why):
    issue = scored(project, member, estimate=estimate, **inputs)

    score = scores.score(issue, model)

    assert (score.value, str(score)) == (None, "—")
    assert why in score.how


@pytest.mark.parametrize("model", list(ScoringModel))
def test_sql_and_python_compute_the_same_scores(project, member, model):
    scored(project, member, estimate=3, value=2, reach=50, impact="0.25", confidence=50)
    scored(project, member, estimate=5, value=4, reach=7, impact="3", confidence=100)
    scored(project, member, estimate=0, value=4)
    asked = scored(project, member, estimate=2, impact="2", confidence=80)
    ask_for(asked, "ann@acme.example")
    ask_for(asked, "bea@acme.example")
    scored(project, member, estimate=2, impact="2", confidence=80)  # no reach at all

    annotated = scores.for_ordering(Issue.objects.filter(project=project), model)

    for issue in annotated:
        expected = scores.score(issue, model).value
        assert issue.score == pytest.approx(-1.0 if expected is None else expected)


def test_the_list_sorts_by_score_unknown_scores_last(client, viewer, project, member):
    low = scored(project, member, estimate=5, value=1)
    unknown = scored(project, member, estimate=5)
    high = scored(project, member, estimate=1, value=5)
    client.force_login(viewer)

    response = client.get(reverse("issues:list", args=["WEB"]), {"order": "-score"})

    assert [issue.pk for issue in response.context["page"]] == [high.pk, low.pk, unknown.pk]
    assert 'title="Value 5 ÷ effort 1 pts = 5.00">5.0<' in response.content.decode()


def test_rank_by_score_writes_one_event_per_moved_issue(project, member):
    issues = [scored(project, member, estimate=1, value=v) for v in (1, 2, 3)]

    moved = operations.rank_by_score(project=project, actor=member, issues=issues)

    order = list(Issue.objects.filter(project=project).order_by("rank"))
    assert order == issues[::-1]
    assert moved == 2  # the middle one kept its place
