"""merge_issue: duplicates closed into their primary, with their customers and links."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from issues import operations
from issues.models import Comment, IssueEvent, StatusCategory
from tests.factories import IssueFactory, ProjectFactory, ask_for


@pytest.fixture
def pair(project, member):
    primary = IssueFactory(project=project, actor=member, title="Export to Excel")
    duplicate = IssueFactory(project=project, actor=member, title="Excel export please")
    return primary, duplicate


def test_merge_moves_requests_to_the_primary(pair, member):
    primary, duplicate = pair
    ask_for(primary, "ann@example.com")
    ask_for(duplicate, "bo@example.com")
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    primary.refresh_from_db()
    duplicate.refresh_from_db()
    assert primary.demand == 2
    assert duplicate.demand == 0
    assert sorted(primary.requests.values_list("requester__email", flat=True)) == [
        "ann@example.com",
        "bo@example.com",
    ]


def test_a_requester_of_both_is_counted_once(pair, member):
    primary, duplicate = pair
    ask_for(primary, "ann@example.com")
    ask_for(duplicate, "ann@example.com")
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    primary.refresh_from_db()
    assert primary.demand == 1


def test_the_duplicate_is_closed_as_canceled_with_a_link_both_ways(pair, member):
    primary, duplicate = pair
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    duplicate.refresh_from_db()
    assert duplicate.status.category == StatusCategory.CANCELED
    assert duplicate.resolved_at is not None
    assert duplicate.duplicate_of == primary
    assert list(primary.duplicates.all()) == [duplicate]
    assert Comment.objects.get(issue=duplicate).body == f"Duplicate of {primary.key}."


def test_merge_is_logged_on_both_issues(pair, member):
    primary, duplicate = pair
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    assert IssueEvent.objects.filter(
        issue=duplicate, field="duplicate_of", new_value=primary.key
    ).exists()
    assert IssueEvent.objects.filter(
        issue=primary, field="duplicates", new_value=duplicate.key
    ).exists()


def test_merging_into_itself_is_refused(pair, member):
    primary, _ = pair
    with pytest.raises(ValidationError, match="itself"):
        operations.merge_issue(duplicate=primary, primary=primary, actor=member)


def test_merging_into_another_projects_issue_is_refused(pair, member, db_snapshot):
    _, duplicate = pair
    elsewhere = IssueFactory(project=ProjectFactory(key="APP"))
    before = db_snapshot()
    with pytest.raises(ValidationError, match="within one project"):
        operations.merge_issue(duplicate=duplicate, primary=elsewhere, actor=member)
    assert db_snapshot() == before


def test_merging_in_a_cycle_is_refused(pair, member):
    primary, duplicate = pair
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    with pytest.raises(ValidationError, match="merged"):
        operations.merge_issue(duplicate=primary, primary=duplicate, actor=member)


def test_merging_twice_is_refused(pair, project, member):
    primary, duplicate = pair
    third = IssueFactory(project=project, actor=member)
    operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    with pytest.raises(ValidationError, match="already merged"):
        operations.merge_issue(duplicate=duplicate, primary=third, actor=member)


def test_a_viewer_cannot_merge(pair, viewer):
    primary, duplicate = pair
    with pytest.raises(PermissionDenied):
        operations.merge_issue(duplicate=duplicate, primary=primary, actor=viewer)
