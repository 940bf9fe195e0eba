"""Issue pages offer what can be done: the Status list has only the allowed moves, the
assignee lists have members and admins only (not viewers)."""

import re

import pytest

from issues.models import Issue
from tests.factories import IssueFactory, TransitionFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def status_options(html: str) -> list[str]:
    select = html[
        html.index('id="input-status"') : html.index("</select>", html.index('id="input-status"'))
    ]
    return re.findall(r">([^<]+)</option>", select)


def test_status_list_offers_every_status_without_transitions(member_client, project, issue):
    html = member_client.get(issue.get_absolute_url()).content.decode()
    assert status_options(html) == [s.name for s in project.statuses.order_by("position")]


def test_status_list_offers_only_allowed_moves_and_says_why(member_client, project, issue, status):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    html = member_client.get(issue.get_absolute_url()).content.decode()
    assert status_options(html) == ["To do", "In progress"]
    note = re.search(r'id="input-status" title="([^"]+)"', html).group(1)
    assert note.startswith("The workflow does not allow moving from “To do” to ")
    assert "“Done”" in note and "“In progress”" not in note


def test_status_list_after_a_move_offers_the_new_status_moves(
    member_client, project, issue, status
):
    TransitionFactory(project=project, from_status=status("To do"), to_status=status("In progress"))
    TransitionFactory(project=project, from_status=status("In progress"), to_status=status("Done"))
    url = f"{issue.get_absolute_url()}fields/status/"
    response = member_client.post(url, {"status": status("In progress").pk}, **HTMX)
    assert response.status_code == 200
    assert status_options(response.content.decode()) == ["In progress", "Done"]


def test_assignee_choices_leave_out_viewers(member_client, issue, viewer, admin_user):
    html = member_client.get(issue.get_absolute_url()).content.decode()
    select = html[html.index('id="input-assignee"') :]
    select = select[: select.index("</select>")]
    assert f'value="{admin_user.pk}"' in select
    assert f'value="{viewer.pk}"' not in select


def test_assigning_a_viewer_is_refused(member_client, issue, viewer):
    url = f"{issue.get_absolute_url()}fields/assignee/"
    response = member_client.post(url, {"assignee": viewer.pk}, **HTMX)
    assert response.status_code == 422
    assert Issue.objects.get(pk=issue.pk).assignee is None


def test_create_form_leaves_out_viewers(member_client, viewer, member):
    html = member_client.get("/projects/WEB/issues/new/").content.decode()
    select = html[html.index('name="assignee"') :]
    select = select[: select.index("</select>")]
    assert f'<option value="{member.pk}"' in select
    assert f'<option value="{viewer.pk}"' not in select


def test_bulk_edit_assignees_leave_out_viewers(member_client, project, member, viewer):
    IssueFactory(project=project, actor=member)
    html = member_client.get("/projects/WEB/issues/").content.decode()
    bulk = html[html.index('name="assignee"', html.index("bulk")) :]
    bulk = bulk[: bulk.index("</select>")]
    assert f'value="{member.username}"' in bulk
    assert f'value="{viewer.username}"' not in bulk


def test_searching_an_exact_key_opens_the_issue(member_client, issue):
    response = member_client.get("/projects/WEB/issues/", {"q": f" web-{issue.number} "})
    assert response.status_code == 302
    assert response["Location"] == issue.get_absolute_url()


def test_searching_a_missing_key_lists_no_issues(member_client, issue):
    response = member_client.get("/projects/WEB/issues/", {"q": "WEB-999"})
    assert response.status_code == 200


def test_searching_a_key_with_other_filters_stays_on_the_list(member_client, issue):
    response = member_client.get(
        "/projects/WEB/issues/", {"q": f"WEB-{issue.number}", "kind": "bug"}
    )
    assert response.status_code == 200


def test_searching_a_key_over_htmx_filters_the_list(member_client, issue):
    response = member_client.get("/projects/WEB/issues/", {"q": f"WEB-{issue.number}"}, **HTMX)
    assert response.status_code == 200


def test_searching_another_projects_key_does_not_open_it(member_client, issue):
    response = member_client.get("/projects/WEB/issues/", {"q": f"MOB-{issue.number}"})
    assert response.status_code == 200


def test_a_label_id_too_big_for_the_database_is_refused(member_client):
    """Found by test_bad_input's fuzzing: SQLite raised OverflowError (a 500)."""
    response = member_client.post(
        "/projects/WEB/issues/new/", {"title": "x", "labels": ["99999999999999999999"]}
    )
    assert response.status_code == 422
    assert not Issue.objects.exists()
