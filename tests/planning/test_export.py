"""Planning's columns in the CSV export: sprint, release, score inputs and the score."""

import csv
import io

import pytest
from django.urls import reverse

from issues import operations as issue_ops
from issues.export import stream_csv
from issues.models import Issue, ScoringModel

from ..factories import IssueFactory, ReleaseFactory, SprintFactory


@pytest.fixture
def scored(project, member):
    sprint = SprintFactory(project=project, name="=Sprint 1")
    release = ReleaseFactory(project=project, name="2.4.0")
    issues = {
        "value": IssueFactory(project=project, actor=member, estimate=8),
        "rice": IssueFactory(project=project, actor=member, estimate=3),
        "missing": IssueFactory(project=project, actor=member),
        "zero": IssueFactory(project=project, actor=member, estimate=0),
    }
    changes = {
        "value": {"value": 1, "sprint": sprint, "release": release},
        "rice": {"value": 2, "reach": 120, "impact": "0.5", "confidence": 80},
        "missing": {"value": 3},
        "zero": {"value": 4, "reach": 10, "impact": "2", "confidence": 100},
    }
    for name, fields in changes.items():
        issue_ops.update_issue(issue=issues[name], actor=member, changes=fields)
    return issues


def export(client, **params):
    response = client.get(reverse("issues:export", args=["WEB"]), params)
    body = b"".join(response.streaming_content).decode()
    return {row["key"]: row for row in csv.DictReader(io.StringIO(body))}


def test_the_csv_ends_with_sprint_release_score_inputs_and_the_score(client, viewer, scored):
    """Planning's columns, then intake's `requests` (the last column)."""
    client.force_login(viewer)

    row = export(client)[scored["value"].key]
    planning = list(row)[-8:-1]

    assert list(row)[-1] == "requests"
    assert planning == [
        "sprint",
        "release",
        "value",
        "reach",
        "impact",
        "confidence",
        "score",
    ]
    assert [row[name] for name in planning] == [
        "'=Sprint 1",
        "2.4.0",
        "1",
        "",
        "",
        "",
        "0.13",
    ]


def test_the_score_follows_the_projects_model_and_is_empty_when_an_input_is_missing(
    client, viewer, project, scored
):
    client.force_login(viewer)
    value_effort = {key: row["score"] for key, row in export(client).items()}
    project.scoring_model = ScoringModel.RICE
    project.save()
    rice = {key: row["score"] for key, row in export(client).items()}

    keys = [scored[name].key for name in ("value", "rice", "missing", "zero")]
    assert [value_effort[key] for key in keys] == ["0.13", "0.67", "", ""]
    assert [rice[key] for key in keys] == ["", "16.00", "", ""]


@pytest.mark.postgres
def test_copy_and_orm_paths_write_the_same_scores(project, scored):
    for model in ScoringModel:
        project.scoring_model = model
        project.save()
        queryset = Issue.objects.filter(project=project).order_by("number")
        assert b"".join(stream_csv(queryset, use_copy=True)) == b"".join(
            stream_csv(queryset, use_copy=False)
        )
