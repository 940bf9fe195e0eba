"""Release pages: progress, releasing (refused with open issues unless they move), notes."""

import pytest
from django.urls import reverse

from issues import operations as issue_ops
from planning import operations
from planning.models import ReleaseState

from ..factories import IssueFactory, ProjectFactory, ReleaseFactory


def url(name, *args):
    return reverse(f"planning:{name}", args=["WEB", *args])


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def release(project):
    return ReleaseFactory(project=project, name="2.4.0")


def in_release(project, member, release, **fields):
    issue = IssueFactory(project=project, actor=member, **fields)
    return issue_ops.update_issue(issue=issue, actor=member, changes={"release": release})


def test_the_release_page_shows_progress_in_issues_and_points(
    logged_in, project, member, release, status
):
    in_release(project, member, release, estimate=3, status=status("Done"))
    in_release(project, member, release, estimate=5)

    response = logged_in.get(url("release", release.pk))

    assert (response.context["done_count"], response.context["total"]) == (1, 2)
    assert (response.context["done_points"], response.context["points"]) == (3, 8)
    assert "<strong>1 / 2</strong> issues done (50 %)" in response.content.decode()


def test_a_release_with_open_issues_is_refused_with_a_sentence(
    logged_in, project, member, release, db_snapshot
):
    in_release(project, member, release)
    before = db_snapshot()

    response = logged_in.post(url("release_release", release.pk))

    assert response.status_code == 400
    assert "2.4.0 has 1 open issue" in response.content.decode()
    assert db_snapshot() == before


def test_releasing_moves_the_open_issues_to_the_chosen_release(logged_in, project, member, release):
    issue = in_release(project, member, release)
    following = ReleaseFactory(project=project, name="2.5.0")

    response = logged_in.post(
        url("release_release", release.pk),
        {"move_open_to": following.pk, "release_date": "2026-12-02"},
    )

    assert response.status_code == 302
    release.refresh_from_db()
    issue.refresh_from_db()
    assert release.state == ReleaseState.RELEASED
    assert str(release.release_date) == "2026-12-02"
    assert issue.release == following


def test_releasing_twice_says_when_it_was_released(logged_in, member, release):
    operations.release_version(release=release, actor=member)

    response = logged_in.post(url("release_release", release.pk))

    assert response.status_code == 400
    assert "already released" in response.content.decode()


def test_moving_open_issues_to_a_release_of_another_project_is_not_found(
    logged_in, project, member, release, db_snapshot
):
    in_release(project, member, release)
    foreign = ReleaseFactory(project=ProjectFactory(key="OPS"))
    before = db_snapshot()

    response = logged_in.post(url("release_release", release.pk), {"move_open_to": foreign.pk})

    assert response.status_code == 404
    assert db_snapshot() == before


def test_released_notes_are_editable_and_served_as_markdown(logged_in, member, release):
    operations.release_version(release=release, actor=member)

    logged_in.post(url("release_edit", release.pk), {"notes": "## 2.4.0\n\nHand-written."})
    response = logged_in.get(url("release_notes", release.pk))

    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content.decode() == "## 2.4.0\n\nHand-written."


def test_notes_are_rendered_safely(logged_in, member, release):
    operations.release_version(release=release, actor=member)
    logged_in.post(url("release_edit", release.pk), {"notes": "<script>alert(1)</script>"})

    response = logged_in.get(url("release", release.pk))

    assert "<script>alert(1)</script>" not in response.content.decode()


def test_creating_a_release_twice_with_one_name_is_refused(logged_in, release):
    response = logged_in.post(url("release_create"), {"name": "2.4.0"})

    assert response.status_code == 400
    assert "already has a release with this name" in response.content.decode()


def test_viewers_see_releases_but_cannot_release(client, viewer, release):
    client.force_login(viewer)

    page = client.get(url("release", release.pk))
    refused = client.post(url("release_release", release.pk))

    assert page.status_code == 200
    assert "Release 2.4.0" not in page.content.decode()
    assert refused.status_code == 403


def test_the_release_list_orders_unreleased_versions_first(logged_in, project, member):
    old = ReleaseFactory(project=project, name="1.0.0")
    operations.release_version(release=old, actor=member)
    upcoming = ReleaseFactory(project=project, name="1.1.0")

    response = logged_in.get(url("releases"))

    assert response.context["releases"] == [upcoming, old]
