"""When a release ships, the customers who asked for its issues hear of it: once each."""

import datetime

import pytest
from django.core import mail

from intake import operations
from issues import operations as issue_operations
from planning import operations as planning_operations
from tests.factories import IssueFactory, ReleaseFactory, ask_for


@pytest.fixture
def release(project):
    return ReleaseFactory(project=project, name="2.4.0")


@pytest.fixture
def planned(project, member, release):
    """An issue of the release, asked for by these customers."""

    def make(title, *emails):
        issue = IssueFactory(project=project, actor=member, title=title)
        issue = issue_operations.update_issue(
            issue=issue, actor=member, changes={"release": release}
        )
        for email in emails:
            ask_for(issue, email)
        issue.refresh_from_db()
        return issue

    return make


def finish(issue, member, status):
    return issue_operations.move_issue(issue=issue, actor=member, status=status("Done"))


def release_it(release, member):
    return planning_operations.release_version(
        release=release, actor=member, release_date=datetime.date(2026, 12, 2)
    )


def sent(run_worker):
    run_worker()
    return {message.to[0]: message for message in mail.outbox}


def test_each_requester_gets_one_email_listing_their_issues(
    planned, release, member, status, run_worker
):
    dark = planned("Dark mode", "ann@acme.example", "bea@acme.example")
    excel = planned("Export to Excel", "ann@acme.example")
    for issue in (dark, excel):
        finish(issue, member, status)
    assert sent(run_worker) == {}  # Done is not shipped yet: the release ships them.

    release_it(release, member)
    messages = sent(run_worker)

    assert sorted(messages) == ["ann@acme.example", "bea@acme.example"]
    ann = messages["ann@acme.example"]
    assert ann.subject == "Released: Web app 2.4.0"
    assert "Dark mode" in ann.body and "Export to Excel" in ann.body
    assert "Export to Excel" not in messages["bea@acme.example"].body
    assert "/intake/unsubscribe/" in ann.extra_headers["List-Unsubscribe"]


def test_nobody_is_told_twice(planned, release, member, status, run_worker):
    issue = planned("Dark mode", "ann@acme.example")
    finish(issue, member, status)
    release_it(release, member)
    assert len(sent(run_worker)) == 1
    mail.outbox.clear()

    issue_operations.move_issue(issue=issue, actor=member, status=status("In progress"))
    finish(issue, member, status)
    assert sent(run_worker) == {}


def test_an_issue_told_when_it_was_done_is_not_announced_again(
    project, planned, release, member, status, run_worker
):
    early = IssueFactory(project=project, actor=member, title="Dark mode")
    ask_for(early, "ann@acme.example")
    early.refresh_from_db()
    finish(early, member, status)  # No release yet: "Shipped" now.
    assert "Shipped: Dark mode" in sent(run_worker)["ann@acme.example"].subject
    mail.outbox.clear()
    issue_operations.update_issue(issue=early, actor=member, changes={"release": release})

    release_it(release, member)

    assert sent(run_worker) == {}


def test_canceled_issues_of_a_release_are_not_announced(
    planned, release, member, status, run_worker
):
    issue = planned("Dark mode", "ann@acme.example")
    issue_operations.move_issue(issue=issue, actor=member, status=status("Canceled"))
    release_it(release, member)
    assert sent(run_worker) == {}


def test_an_unsubscribed_requester_is_not_told(planned, release, member, status, run_worker):
    issue = planned("Dark mode", "ann@acme.example", "bea@acme.example")
    finish(issue, member, status)
    operations.unsubscribe(
        requester=issue.requests.get(requester__email="bea@acme.example").requester
    )
    release_it(release, member)
    assert sorted(sent(run_worker)) == ["ann@acme.example"]
    assert not issue.requests.filter(shipped_notified_at__isnull=True).exists()


def test_the_email_links_the_portals_releases_page(
    project, admin_user, planned, release, member, status, run_worker
):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=False
    )
    finish(planned("Dark mode", "ann@acme.example"), member, status)
    release_it(release, member)
    assert "/portal/WEB/releases/" in sent(run_worker)["ann@acme.example"].body


def test_a_refused_release_sends_nothing(planned, release, member, status, run_worker):
    finish(planned("Dark mode", "ann@acme.example"), member, status)
    planned("Still open", "bea@acme.example")
    with pytest.raises(Exception, match="open issue"):
        release_it(release, member)
    assert sent(run_worker) == {}
