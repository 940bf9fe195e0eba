"""The ideas portal: what visitors see, signing in, voting, submitting, and what never leaks."""

import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from intake import operations, portal_views
from intake.models import Channel, PortalMode, Request, Requester
from issues import operations as issue_operations
from issues.models import Comment, Issue, StatusCategory
from tests.factories import CommentFactory, IssueFactory, ask_for
from tests.issues.test_markdown import XSS_PAYLOADS, live_markup


def url(name, *args, key="WEB"):
    return reverse(f"intake_public:{name}", args=[key, *args])


@pytest.fixture
def portal(project, admin_user):
    return operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode=PortalMode.FULL, private=False
    )


@pytest.fixture
def published(project, member):
    def make(title="Dark mode", **fields):
        issue = IssueFactory(project=project, actor=member, title=title, **fields)
        return issue_operations.update_issue(issue=issue, actor=member, changes={"public": True})

    return make


def sign_in(client, email="ann@acme.example", key="WEB"):
    """Sign in through the e-mailed link, as a visitor does."""
    mail.outbox.clear()
    client.post(url("sign_in", key=key), {"email": email})
    link = Requester.objects.get(email__iexact=email)
    from intake.models import SignInLink

    row = SignInLink.objects.filter(requester=link).latest("pk")
    token = portal_views.signing.dumps(
        {"id": row.pk, "n": row.nonce, "next": url("portal", key=key)},
        salt=portal_views.SIGN_IN_SALT,
    )
    response = client.post(url("sign_in_confirm", token, key=key))
    assert response.status_code == 303
    return Requester.objects.get(email__iexact=email)


# Doors that are closed -------------------------------------------------------------------------


def test_the_portal_is_off_by_default(client, project):
    assert client.get(url("portal")).status_code == 404


def test_a_disabled_portal_and_an_unknown_project_are_the_same_404(client, project, portal):
    operations.configure_portal(
        project=project, actor=project.memberships.get().user, enabled=False, mode="full",
        private=False,
    )  # fmt: skip
    disabled = client.get(url("portal"))
    unknown = client.get(url("portal", key="NOPE"))
    assert disabled.status_code == unknown.status_code == 404
    token = re.compile(rb'"X-CSRFToken": "[^"]*"')
    assert token.sub(b"", disabled.content) == token.sub(b"", unknown.content)


# Browsing --------------------------------------------------------------------------------------


def test_only_published_ideas_are_listed(client, portal, published, issue):
    published("Dark mode")
    page = client.get(url("portal")).content.decode()
    assert "Dark mode" in page
    assert issue.title not in page


def test_an_unpublished_idea_is_404(client, portal, issue):
    assert client.get(url("idea", issue.number)).status_code == 404


@pytest.mark.parametrize(
    ("status_name", "state"),
    [("Triage", "Under review"), ("Backlog", "Planned"), ("To do", "Planned"),
     ("In progress", "In progress"), ("Done", "Shipped"), ("Canceled", "Won't do")],
)  # fmt: skip
def test_states_come_from_the_status_category(client, portal, published, status, status_name,
                                              state):  # fmt: skip
    idea = published(status=status(status_name))
    assert state in html.unescape(client.get(url("idea", idea.number)).content.decode())


def test_a_merged_idea_says_merged_into_its_primary(client, portal, published, member):
    primary = published("Dark mode")
    duplicate = published("Night theme")
    issue_operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    page = client.get(url("idea", duplicate.number)).content.decode()
    assert "Merged into" in page
    assert url("idea", primary.number) in page


def test_top_sorts_by_votes(client, portal, published):
    few, many = published("Few votes"), published("Many votes")
    ask_for(few)
    ask_for(many)
    ask_for(many)
    page = client.get(url("portal") + "?sort=top").content.decode()
    assert page.index("Many votes") < page.index("Few votes")


def test_newest_first(client, portal, published):
    published("Older idea")
    published("Newer idea")
    page = client.get(url("portal") + "?sort=newest").content.decode()
    assert page.index("Newer idea") < page.index("Older idea")


def test_search(client, portal, published):
    published("Export to Excel")
    published("Dark mode")
    page = client.get(url("portal") + "?q=excel").content.decode()
    assert "Export to Excel" in page
    assert "Dark mode" not in page


def test_only_public_comments_are_shown_with_the_display_name(client, portal, published, member):
    idea = published()
    issue_operations.add_comment(issue=idea, actor=member, body="Shipping next week", public=True)
    issue_operations.add_comment(issue=idea, actor=member, body="Blocked on the auth rewrite")
    page = client.get(url("idea", idea.number)).content.decode()
    assert "Shipping next week" in page
    assert "Blocked on the auth rewrite" not in page
    assert member.get_full_name() in page
    assert member.email not in page


def test_the_list_takes_the_same_queries_for_many_ideas(
    client, portal, published, django_assert_max_num_queries
):
    for number in range(3):
        published(f"Idea {number}")
    with django_assert_max_num_queries(4) as few:
        client.get(url("portal"))
    for number in range(25):
        published(f"More {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("portal"))


# Signing in ------------------------------------------------------------------------------------


def test_a_sign_in_link_is_emailed(client, portal, run_worker):
    client.post(url("sign_in"), {"email": "ann@acme.example"})
    run_worker()
    assert mail.outbox[0].to == ["ann@acme.example"]
    assert "/portal/WEB/sign-in/" in mail.outbox[0].body


def link_from_email(client, run_worker, email="ann@acme.example"):
    client.post(url("sign_in"), {"email": email})
    run_worker()
    found = re.search(r"http://[^/]+(/portal/WEB/sign-in/\S+/)", mail.outbox[-1].body)
    return found.group(1)


def test_following_the_link_asks_first_then_signs_in(client, portal, run_worker):
    link = link_from_email(client, run_worker)
    assert client.get(link).status_code == 200
    assert client.get(url("mine")).status_code == 303  # not signed in by a GET
    assert client.post(link).status_code == 303
    assert client.get(url("mine")).status_code == 200
    assert Requester.objects.get().verified_at is not None


def test_a_sign_in_link_works_once(client, portal, run_worker):
    link = link_from_email(client, run_worker)
    client.post(link)
    assert Client().post(link).status_code == 400


def test_an_expired_sign_in_link_is_refused(client, portal, run_worker, monkeypatch):
    link = link_from_email(client, run_worker)
    monkeypatch.setattr(portal_views, "SIGN_IN_MAX_AGE", -1)
    assert client.post(link).status_code == 400


def test_a_tampered_link_is_refused(client, portal, run_worker):
    link = link_from_email(client, run_worker)
    assert client.post(link.replace(":", "x:", 1)).status_code == 400


def test_sign_in_requests_are_rate_limited(client, portal, settings):
    settings.INTAKE_RATE_LIMITS = {"sign-in": (2, 600)}
    for _ in range(2):
        client.post(url("sign_in"), {"email": "ann@acme.example"})
    response = client.post(url("sign_in"), {"email": "ann@acme.example"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# Voting ----------------------------------------------------------------------------------------


def test_voting_needs_a_verified_email(client, portal, published):
    idea = published()
    response = client.post(url("vote", idea.number))
    assert response.status_code == 303
    assert "/sign-in/" in response["Location"]
    assert Request.objects.count() == 0


def test_a_vote_counts_once_and_can_be_taken_back(client, portal, published):
    idea = published()
    sign_in(client)
    client.post(url("vote", idea.number))
    client.post(url("vote", idea.number))
    idea.refresh_from_db()
    assert idea.demand == 0
    client.post(url("vote", idea.number))
    idea.refresh_from_db()
    assert idea.demand == 1
    assert Request.objects.get().channel == Channel.PORTAL


def test_a_vote_and_its_withdrawal_are_logged_as_the_customers(client, portal, published, member):
    idea = published()
    requester = sign_in(client)
    requester.name = "Ann Customer"
    requester.save()
    client.post(url("vote", idea.number))
    client.post(url("vote", idea.number))
    events = idea.events.filter(field="requests").order_by("pk")
    assert [(e.actor, e.requester, e.new_value) for e in events] == [
        (None, requester, "1 (+ Ann Customer)"),
        (None, requester, "0 (− Ann Customer)"),
    ]
    client.force_login(member)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "<strong>A customer (Ann Customer)</strong>" in page
    assert requester.email not in page.split('id="timeline"')[1].split("</ol>")[0]


def test_voting_is_rate_limited_per_requester(client, portal, published, settings):
    settings.INTAKE_RATE_LIMITS = {"portal-requester": (1, 60)}
    idea = published()
    sign_in(client)
    client.post(url("vote", idea.number))
    assert client.post(url("vote", idea.number)).status_code == 429


def test_portal_forms_need_the_csrf_token(portal, published):
    idea = published()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url("vote", idea.number)).status_code == 403
    assert strict.post(url("sign_in"), {"email": "a@b.co"}).status_code == 403


# Submitting ------------------------------------------------------------------------------------


def test_a_submitted_idea_lands_in_triage_unpublished(client, portal):
    sign_in(client)
    response = client.post(url("submit"), {"title": "Dark mode", "description": "Eyes hurt"})
    issue = Issue.objects.get()
    assert response["Location"] == url("idea", issue.number)
    assert (issue.status.category, issue.public, issue.source) == (
        StatusCategory.TRIAGE,
        False,
        "ideas_portal",
    )
    assert issue.requests.get().words == "Eyes hurt"


def test_the_submitter_sees_their_idea_but_others_do_not(client, portal):
    sign_in(client)
    client.post(url("submit"), {"title": "Dark mode"})
    number = Issue.objects.get().number
    assert client.get(url("idea", number)).status_code == 200
    assert "Under review" in client.get(url("mine")).content.decode()
    assert Client().get(url("idea", number)).status_code == 404


def test_submitting_needs_a_verified_email(client, portal):
    response = client.post(url("submit"), {"title": "Dark mode"})
    assert response.status_code == 303
    assert Issue.objects.count() == 0


def test_the_honeypot_keeps_bots_out(client, portal):
    sign_in(client)
    response = client.post(url("submit"), {"title": "Cheap pills", "website": "spam.example"})
    assert response.status_code == 303
    assert Issue.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [({"title": ""}, "required"), ({"title": "x" * 201}, "200"),
     ({"title": "ok", "description": "x" * 10_001}, "10,000")],
)  # fmt: skip
def test_bad_submissions_are_refused_with_the_reason(client, portal, data, message):
    sign_in(client)
    response = client.post(url("submit"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Issue.objects.count() == 0


def test_similar_public_ideas_are_suggested_while_typing(client, portal, published, issue):
    published("Export invoices to Excel")
    IssueFactory(project=issue.project, title="Export invoices to Excel (internal)")
    response = client.get(
        url("similar") + "?title=Export invoices to excel please", HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "Export invoices to Excel" in page
    assert "(internal)" not in page


# Customers' comments ---------------------------------------------------------------------------


def test_a_verified_customer_comments_on_a_published_idea(client, portal, published):
    idea = published()
    requester = sign_in(client)
    requester.name = "Ann Customer"
    requester.save()
    response = client.post(
        url("comment", idea.number), {"body": "We need this for **night** shifts"}
    )
    comment = Comment.objects.get(issue=idea)
    assert response.status_code == 303
    assert response["Location"] == f"{url('idea', idea.number)}#comment-{comment.pk}"
    assert (comment.requester, comment.author, comment.public) == (requester, None, True)
    assert idea.events.filter(field="comment", actor=None).exists()
    page = Client().get(url("idea", idea.number)).content.decode()
    assert "<strong>night</strong> shifts" in page
    assert "Ann Customer" in page
    assert "Customer</span>" in page
    assert requester.email not in page


def test_a_customer_without_a_name_is_a_customer(client, portal, published):
    idea = published()
    sign_in(client)
    client.post(url("comment", idea.number), {"body": "Yes please"})
    page = Client().get(url("idea", idea.number)).content.decode()
    assert "A customer" in page
    assert "ann@acme.example" not in page


def test_commenting_needs_a_verified_email(client, portal, published):
    idea = published()
    response = client.post(url("comment", idea.number), {"body": "Hello"})
    assert response.status_code == 303
    assert "/sign-in/" in response["Location"]
    assert Comment.objects.count() == 0
    assert "Sign in to comment" in client.get(url("idea", idea.number)).content.decode()


def test_an_unverified_requester_in_the_session_cannot_comment(client, portal, published):
    idea = published()
    requester = sign_in(client)
    Requester.objects.filter(pk=requester.pk).update(verified_at=None)
    response = client.post(url("comment", idea.number), {"body": "Hello"})
    assert response.status_code == 303
    assert "/sign-in/" in response["Location"]
    assert Comment.objects.count() == 0


def test_a_submit_only_portal_takes_no_comments(client, project, admin_user, published):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="submit", private=False
    )
    idea = published()
    sign_in(client)
    assert client.post(url("comment", idea.number), {"body": "Hello"}).status_code == 404
    assert Comment.objects.count() == 0


def test_a_private_portal_takes_comments_only_from_its_domains(client, project, admin_user,
                                                               published):  # fmt: skip
    idea = published()
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=True,
        allowed_domains="acme.example",
    )  # fmt: skip
    outsider = Client()
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=False
    )
    sign_in(outsider, "eve@rival.example")
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=True,
        allowed_domains="acme.example",
    )  # fmt: skip
    # Signed in before the portal turned private: no longer admitted, so sent to sign in.
    response = outsider.post(url("comment", idea.number), {"body": "Let me in"})
    assert response.status_code == 303
    assert "/sign-in/" in response["Location"]
    sign_in(client, "ann@acme.example")
    assert client.post(url("comment", idea.number), {"body": "From Acme"}).status_code == 303
    assert list(Comment.objects.values_list("body", flat=True)) == ["From Acme"]


def test_an_own_unpublished_submission_takes_no_comments(client, portal):
    sign_in(client)
    client.post(url("submit"), {"title": "Dark mode"})
    number = Issue.objects.get().number
    assert "Add a comment" not in client.get(url("idea", number)).content.decode()
    response = client.post(url("comment", number), {"body": "Any news?"})
    assert response.status_code == 422
    assert "Only published ideas take comments." in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_merged_idea_takes_no_comments(client, portal, published, member):
    primary, duplicate = published("Dark mode"), published("Night theme")
    issue_operations.merge_issue(duplicate=duplicate, primary=primary, actor=member)
    sign_in(client)
    response = client.post(url("comment", duplicate.number), {"body": "Hello"})
    assert response.status_code == 422
    assert "merged" in response.content.decode()
    assert not Comment.objects.filter(requester__isnull=False).exists()


def test_an_unpublished_idea_of_someone_else_is_404_to_comment(client, portal, issue):
    sign_in(client)
    assert client.post(url("comment", issue.number), {"body": "Hello"}).status_code == 404
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "cannot be empty"), ("   ", "cannot be empty"), ("x" * 5_001, "5,000")],
)
def test_bad_comments_are_refused_with_the_reason(client, portal, published, body, message):
    idea = published()
    sign_in(client)
    response = client.post(url("comment", idea.number), {"body": body})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Comment.objects.count() == 0


def test_the_honeypot_keeps_bots_from_commenting(client, portal, published):
    idea = published()
    sign_in(client)
    response = client.post(url("comment", idea.number), {"body": "Cheap", "website": "spam"})
    assert response.status_code == 303
    assert Comment.objects.count() == 0


def test_commenting_is_rate_limited_per_requester(client, portal, published, settings):
    settings.INTAKE_RATE_LIMITS = {"portal-requester": (1, 60)}
    idea = published()
    sign_in(client)
    client.post(url("comment", idea.number), {"body": "One"})
    response = client.post(url("comment", idea.number), {"body": "Two"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Comment.objects.count() == 1


def test_commenting_needs_the_csrf_token(portal, published):
    idea = published()
    signed_in = Client()
    sign_in(signed_in)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    assert strict.post(url("comment", idea.number), {"body": "Hello"}).status_code == 403
    assert Comment.objects.count() == 0


def test_members_see_a_customer_comment_marked_as_the_customers(client, portal, published,
                                                                 member):  # fmt: skip
    idea = published()
    customer = Client()
    sign_in(customer)
    customer.post(url("comment", idea.number), {"body": "Please hurry"})
    client.force_login(member)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "Please hurry" in page
    assert "Customer</span>" in page
    assert "ann@acme.example" in page  # members see who it was


def test_watchers_hear_of_a_customer_comment(client, portal, published, member, run_worker):
    from notifications.models import Notification

    idea = published()
    run_worker()
    Notification.objects.all().delete()
    sign_in(client)
    client.post(url("comment", idea.number), {"body": "Please hurry"})
    run_worker()
    assert Notification.objects.filter(recipient=member, issue=idea).exists()


def test_a_customer_comment_is_told_as_the_customers_by_name_never_by_email(
    client, portal, published, member, run_worker, settings
):
    settings.NOTIFICATION_BATCH_SECONDS = 0  # E-mailed at once, not after the batch window.
    idea = published()
    run_worker()
    mail.outbox.clear()
    customer = Client()
    requester = sign_in(customer)
    requester.name = "Ann Customer"
    requester.save()
    customer.post(url("comment", idea.number), {"body": "Please hurry"})
    run_worker()
    run_worker()  # The e-mail's task, queued by the fan-out.
    client.force_login(member)
    inbox = client.get("/inbox/").content.decode()
    assert f"A customer (Ann Customer) commented on {idea.key}" in inbox
    [message] = [m for m in mail.outbox if member.email in m.to]
    assert "A customer (Ann Customer) commented" in message.body
    for text in (inbox, message.body, message.subject, *(a[0] for a in message.alternatives)):
        assert "Someone" not in text
        assert requester.email not in text


def test_a_customer_without_a_name_is_told_as_a_customer(client, portal, published, member,
                                                         run_worker):  # fmt: skip
    idea = published()
    run_worker()
    requester = operations.requester_for(email="ann@acme.example", verified=True)
    issue_operations.add_customer_comment(issue=idea, requester=requester, body="Yes")
    run_worker()
    client.force_login(member)
    inbox = client.get("/inbox/").content.decode()
    assert f"A customer commented on {idea.key}" in inbox
    assert requester.email not in inbox


def test_the_shipped_note_is_the_teams_not_a_customers(client, portal, published, member,
                                                        status, run_worker):  # fmt: skip
    idea = published()
    ask_for(idea, "bea@acme.example")
    issue_operations.add_comment(issue=idea, actor=member, body="Out in 2.4", public=True)
    sign_in(client)
    client.post(url("comment", idea.number), {"body": "Customer words"})
    run_worker()
    mail.outbox.clear()
    issue_operations.move_issue(issue=idea, actor=member, status=status("Done"))
    run_worker()
    shipped = [m for m in mail.outbox if m.subject.startswith("Shipped")]
    assert shipped
    assert all("Out in 2.4" in m.body and "Customer words" not in m.body for m in shipped)


# Private and submit-only portals ---------------------------------------------------------------


def test_a_private_portal_sends_visitors_to_sign_in(client, project, admin_user, published):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=True,
        allowed_domains="acme.example",
    )  # fmt: skip
    published("Dark mode")
    assert client.get(url("portal")).status_code == 303
    sign_in(client, "ann@acme.example")
    assert "Dark mode" in client.get(url("portal")).content.decode()


def test_a_private_portal_refuses_other_domains(client, project, admin_user):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=True,
        allowed_domains="acme.example",
    )  # fmt: skip
    response = client.post(url("sign_in"), {"email": "eve@evil.example"})
    assert response.status_code == 403
    assert Requester.objects.count() == 0


def test_a_submit_only_portal_lists_nothing(client, project, admin_user, published):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="submit", private=False
    )
    idea = published("Dark mode")
    assert "Dark mode" not in client.get(url("portal")).content.decode()
    assert client.get(url("idea", idea.number)).status_code == 404


def test_a_private_portal_needs_a_domain(project, admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="domain"):
        operations.configure_portal(
            project=project, actor=admin_user, enabled=True, mode="full", private=True
        )


# Nothing leaks ---------------------------------------------------------------------------------

SECRET = "INTERNAL-ONLY-7f3a"


def portal_get_urls(numbers):
    yield url("portal")
    for sort in ("trending", "top", "newest"):
        yield url("portal") + f"?sort={sort}&q=a"
    yield url("mine")
    yield url("releases")
    yield url("releases_feed")
    yield url("submit")
    yield url("sign_in")
    yield url("similar") + "?title=Secret plan"
    for number in numbers:
        yield url("idea", number)


def test_no_portal_url_shows_anything_unpublished_or_internal(client, portal, published, project,
                                                              member, other_member):  # fmt: skip
    """Every portal page, with every issue number, as a visitor and as a signed-in customer who
    voted: unpublished issues, internal comments, e-mails and usernames never appear."""
    shown = published("Dark mode", description="Public words")
    hidden = IssueFactory(project=project, actor=member, title=f"Secret plan {SECRET}",
                          description=SECRET, assignee=other_member)  # fmt: skip
    CommentFactory(issue=shown, author=member, body=f"internal {SECRET}")
    issue_operations.update_issue(issue=shown, actor=member, changes={"assignee": other_member})
    ask_for(shown, "someone.else@rival.example", words=f"their words {SECRET}")
    issue_operations.add_customer_comment(
        issue=shown, requester=Requester.objects.get(email="someone.else@rival.example"),
        body="A customer's public comment",
    )  # fmt: skip
    ask_for(hidden, "third@rival.example")
    numbers = [*list(Issue.objects.values_list("number", flat=True)), 999]
    forbidden = [SECRET, "Secret plan", "someone.else@rival.example", "third@rival.example",
                 member.username, other_member.username, member.email]  # fmt: skip

    visitor, customer = Client(), Client()
    requester = sign_in(customer, "ann@acme.example")
    ask_for(shown, requester.email)
    for who in (visitor, customer):
        for address in portal_get_urls(numbers):
            response = who.get(address)
            assert response.status_code in (200, 303, 404), address
            body = response.content.decode()
            for word in forbidden:
                assert word not in body, (address, word)
        assert who.get(url("idea", hidden.number)).status_code == 404


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_stay_inert_on_every_portal_page(client, portal, project, member, payload):
    idea = IssueFactory(project=project, actor=member, title=f"T {payload}"[:200],
                        description=f"D {payload}")  # fmt: skip
    issue_operations.update_issue(issue=idea, actor=member, changes={"public": True})
    issue_operations.add_comment(issue=idea, actor=member, body=f"C {payload}", public=True)
    member.first_name = payload[:150]
    member.save()
    requester = sign_in(client)
    requester.name = payload[:100]
    requester.save()
    assert client.post(url("comment", idea.number), {"body": f"K {payload}"}).status_code == 303
    client.post(url("vote", idea.number))
    for address in [url("portal"), url("idea", idea.number), url("mine"),
                    url("similar") + f"?title=T {payload}"[:300]]:  # fmt: skip
        assert live_markup(client.get(address).content.decode(), page=True) == [], address
    # The customer's comment and name on the team's issue page.
    team = Client()
    team.force_login(member)
    issue_page = team.get(idea.get_absolute_url()).content.decode()
    assert live_markup(issue_page, page=True) == []
