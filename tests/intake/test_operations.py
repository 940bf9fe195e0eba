"""Intake's operations: requesters, requests and demand, merging, telling customers."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from intake import operations
from intake.models import Channel, Request, Requester
from issues import operations as issue_operations
from issues.models import Issue, IssueEvent, StatusCategory
from tests.factories import IssueFactory, ProjectFactory, RequesterFactory, ask_for


def test_requester_email_is_unique_whatever_its_case(db):
    first = operations.requester_for(email="Ann@Example.com", name="Ann")
    again = operations.requester_for(email="ann@example.COM")
    assert again.pk == first.pk
    assert Requester.objects.count() == 1


def test_requester_gets_a_missing_name_and_company_filled_in(db):
    operations.requester_for(email="ann@example.com")
    requester = operations.requester_for(email="ann@example.com", name="Ann", company="Acme")
    assert (requester.name, requester.company) == ("Ann", "Acme")


def test_invalid_requester_email_is_refused(db):
    with pytest.raises(ValidationError, match="valid e-mail"):
        operations.requester_for(email="not an address")


def test_a_request_counts_as_demand(issue):
    ask_for(issue, "ann@example.com")
    ask_for(issue, "bo@example.com")
    issue.refresh_from_db()
    assert issue.demand == 2


def test_a_second_ask_by_the_same_requester_counts_once(issue):
    ask_for(issue, "ann@example.com")
    ask_for(issue, "ANN@example.com", words="Still need it")
    issue.refresh_from_db()
    assert issue.demand == 1
    assert Request.objects.get().words == "Still need it"


def test_a_request_is_logged_without_bumping_the_version(issue):
    version = issue.version
    ask_for(issue, "ann@example.com")
    issue.refresh_from_db()
    assert issue.version == version
    assert IssueEvent.objects.filter(
        issue=issue, field="requests", new_value__startswith="1"
    ).exists()


def test_a_member_adds_a_request_on_a_customers_behalf(issue, member):
    requester = RequesterFactory(email="ann@example.com")
    request = operations.add_request(
        issue=issue, requester=requester, channel=Channel.MEMBER, actor=member, words="On a call"
    )
    assert request.added_by == member


def test_a_viewer_cannot_add_a_request(issue, viewer):
    with pytest.raises(PermissionDenied):
        operations.add_request(
            issue=issue, requester=RequesterFactory(), channel=Channel.MEMBER, actor=viewer
        )


def test_removing_a_request_lowers_demand(issue, member):
    request = ask_for(issue)
    operations.remove_request(request=request, actor=member)
    issue.refresh_from_db()
    assert issue.demand == 0


def test_a_request_for_a_merged_issue_goes_to_its_primary(project, member):
    primary = IssueFactory(project=project, actor=member)
    duplicate = IssueFactory(project=project, actor=member)
    issue_operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    ask_for(duplicate, "ann@example.com")
    primary.refresh_from_db()
    assert primary.demand == 1


def test_receive_creates_an_issue_in_triage_with_source_and_requester(project):
    delivery = operations.receive(
        project=project,
        channel=Channel.API,
        title="Export to Excel",
        description="Please",
        source="support_ticket",
        requester={"email": "ann@example.com", "name": "Ann"},
    )
    issue = delivery.issue
    assert delivery.created
    assert issue.status.category == StatusCategory.TRIAGE
    assert issue.source == "support_ticket"
    assert issue.reporter is None
    assert issue.requests.get().requester.email == "ann@example.com"


def test_receive_falls_back_to_the_default_status_without_a_triage_column(project):
    project.statuses.filter(category=StatusCategory.TRIAGE).delete()
    delivery = operations.receive(project=project, channel=Channel.API, title="Dark mode")
    assert delivery.issue.status == project.default_status()


def test_receive_is_idempotent_on_the_external_id(project):
    first = operations.receive(
        project=project, channel=Channel.API, title="Dark mode", external_id="ZD-1",
        requester={"email": "ann@example.com"},
    )  # fmt: skip
    again = operations.receive(
        project=project, channel=Channel.API, title="Dark mode", external_id="ZD-1",
        requester={"email": "ann@example.com"},
    )  # fmt: skip
    assert (again.issue.pk, again.created) == (first.issue.pk, False)
    assert Issue.objects.count() == 1
    assert Request.objects.count() == 1


def test_another_requester_about_the_same_external_id_adds_a_request(project):
    first = operations.receive(
        project=project, channel=Channel.API, title="Dark mode", external_id="ZD-1",
        requester={"email": "ann@example.com"},
    )  # fmt: skip
    operations.receive(
        project=project, channel=Channel.API, title="Dark mode", external_id="ZD-1",
        requester={"email": "bo@example.com"},
    )  # fmt: skip
    first.issue.refresh_from_db()
    assert first.issue.demand == 2


def test_the_same_external_id_in_another_project_is_another_issue(project):
    other = ProjectFactory(key="APP")
    a = operations.receive(project=project, channel=Channel.API, title="X", external_id="1")
    b = operations.receive(project=other, channel=Channel.API, title="X", external_id="1")
    assert a.issue.pk != b.issue.pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "x" * 10_001}, "description"),
        ({"title": "ok", "source": "carrier pigeon"}, "source"),
        ({"title": "ok", "requester": {"email": "nope"}}, "email"),
        ({"title": "ok", "requester": {"email": "a@b.co"}, "external_url": "javascript:x"},
         "external_url"),
        ({"title": "a\x00b"}, "title"),
    ],
)  # fmt: skip
def test_receive_refuses_bad_input_naming_the_field(project, fields, field):
    with pytest.raises(ValidationError) as refused:
        operations.receive(project=project, channel=Channel.API, **fields)
    assert field in refused.value.message_dict
    assert Issue.objects.count() == 0


# Shipping --------------------------------------------------------------------------------------


@pytest.fixture
def outbox(run_worker):
    """The e-mails sent so far: queued by the operations, delivered by the worker."""

    def delivered():
        run_worker()
        return mail.outbox

    return delivered


def test_requesters_are_told_once_when_the_issue_is_done(issue, member, status, outbox):
    ask_for(issue, "ann@example.com")
    ask_for(issue, "bo@example.com")
    issue_operations.move_issue(issue=issue, actor=member, status=status("Done"))
    assert sorted(m.to[0] for m in outbox()) == ["ann@example.com", "bo@example.com"]
    assert outbox()[0].subject == f"Shipped: {issue.title}"


def test_reopening_and_closing_again_sends_nothing_twice(issue, member, status, outbox):
    ask_for(issue, "ann@example.com")
    issue_operations.move_issue(issue=issue, actor=member, status=status("Done"))
    issue_operations.move_issue(issue=issue, actor=member, status=status("In progress"))
    issue_operations.update_issue(issue=issue, actor=member, changes={"status": status("Done")})
    assert len(outbox()) == 1


def test_an_unsubscribed_requester_is_not_told(issue, member, status, outbox):
    request = ask_for(issue, "ann@example.com")
    operations.unsubscribe(requester=request.requester)
    issue_operations.move_issue(issue=issue, actor=member, status=status("Done"))
    assert outbox() == []


def test_cancelling_is_not_shipping(issue, member, status, outbox):
    ask_for(issue, "ann@example.com")
    issue_operations.move_issue(issue=issue, actor=member, status=status("Canceled"))
    assert outbox() == []


def test_the_shipped_email_carries_a_one_click_unsubscribe_link(
    client, issue, member, status, outbox
):
    request = ask_for(issue, "ann@example.com")
    issue_operations.move_issue(issue=issue, actor=member, status=status("Done"))
    url = outbox()[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200  # asks; a link scanner unsubscribes nobody
    request.requester.refresh_from_db()
    assert request.requester.unsubscribed_at is None
    assert client.post(path).status_code == 200
    request.requester.refresh_from_db()
    assert request.requester.unsubscribed_at is not None


def test_a_tampered_unsubscribe_link_is_404(client, db):
    assert client.post("/intake/unsubscribe/abc:def/").status_code == 404


def test_declining_can_send_a_kind_note(issue, outbox):
    ask_for(issue, "ann@example.com")
    assert operations.tell_declined(issue=issue, note="Not this year.") == 1
    assert "Not this year." in outbox()[0].body
