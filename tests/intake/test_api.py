"""POST /api/intake/<KEY>/: issues from support tools, with a bearer secret."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake import operations
from intake.models import ExternalTicket, IntakeKey, KeyKind, Request
from issues.models import Issue, StatusCategory


@pytest.fixture
def secret(project, admin_user):
    _, raw = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.SECRET, name="Zendesk"
    )
    return raw


def post(client, body, secret=None, key="WEB", **headers):
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        reverse("intake_public:api", args=[key]), data, content_type="application/json", **headers
    )


TICKET = {
    "title": "Export invoices to Excel",
    "description": "Finance re-types every invoice.",
    "source": "support_ticket",
    "requester": {"email": "ann@acme.example", "name": "Ann Lee", "company": "Acme"},
    "words": "We lose a day a month.",
    "external_id": "ZD-48213",
    "external_url": "https://acme.zendesk.com/agent/tickets/48213",
}


def test_a_ticket_becomes_an_issue_in_triage(client, project, secret):
    response = post(client, TICKET, secret)
    assert response.status_code == 201
    issue = Issue.objects.get()
    assert response.json() == {
        "key": issue.key,
        "url": f"http://127.0.0.1:8000/projects/WEB/issues/{issue.number}/",
    }
    assert issue.status.category == StatusCategory.TRIAGE
    assert (issue.title, issue.source, issue.demand) == (TICKET["title"], "support_ticket", 1)
    request = Request.objects.get()
    assert (request.requester.company, request.words, request.channel) == (
        "Acme",
        "We lose a day a month.",
        "api",
    )


def test_the_timeline_names_the_customer_who_asked_never_by_email(client, project, secret, member):
    post(client, TICKET, secret)
    client.force_login(member)
    page = client.get(Issue.objects.get().get_absolute_url()).content.decode()
    assert "<strong>A customer (Ann Lee)</strong> created this" in page
    assert "Someone" not in page


def test_a_repeated_delivery_answers_200_with_the_same_key(client, project, secret):
    first = post(client, TICKET, secret).json()
    again = post(client, TICKET, secret)
    assert again.status_code == 200
    assert again.json() == first
    assert Issue.objects.count() == 1


def test_no_authorization_header_is_401(client, project, secret):
    response = post(client, TICKET)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


@pytest.mark.parametrize("key", ["WEB", "NOPE"])
def test_wrong_secret_and_unknown_project_are_the_same_404(client, project, secret, key):
    response = post(client, TICKET, "sk_" + "x" * 40, key=key)
    assert (response.status_code, response.json()) == (
        404,
        {"message": "Not found.", "field": None},
    )


def test_a_revoked_key_is_404(client, project, secret, admin_user):
    operations.revoke_key(key=IntakeKey.objects.get(), actor=admin_user)
    assert post(client, TICKET, secret).status_code == 404


def test_a_key_of_another_project_is_404(client, project, secret):
    from tests.factories import ProjectFactory

    ProjectFactory(key="APP")
    assert post(client, TICKET, secret, key="APP").status_code == 404


def test_a_publishable_key_cannot_use_the_api(client, project, admin_user):
    _, raw = operations.create_key(
        project=project, actor=admin_user, kind=KeyKind.PUBLISHABLE, name="Site"
    )
    assert post(client, TICKET, raw).status_code == 404


def test_the_secret_is_stored_hashed(project, secret):
    key = IntakeKey.objects.get()
    assert secret not in (key.hashed, key.prefix)
    assert key.prefix == secret[:12]


def test_last_used_is_recorded(client, project, secret):
    post(client, TICKET, secret)
    assert IntakeKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 400, None),
        ("[1, 2]", 400, None),
        ({"title": "x", "colour": "red"}, 400, "colour"),
        ({"title": 5}, 400, "title"),
        ({"title": "x", "requester": "ann"}, 400, "requester"),
        ({"title": "x", "requester": {"name": "Ann"}}, 400, "requester.email"),
        ({"title": "x", "requester": {"email": "nope"}}, 422, "requester.email"),
        ({"title": ""}, 422, "title"),
        ({"title": "x" * 201}, 422, "title"),
        ({"title": "x", "source": "pigeon"}, 422, "source"),
        ({"title": "x", "external_url": "ftp://x"}, 422, "external_url"),
    ],
)
def test_bad_input_is_a_json_error_naming_the_field(client, project, secret, body, status, field):
    response = post(client, body, secret)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert Issue.objects.count() == 0


def test_a_body_that_is_too_big_is_413(client, project, secret):
    response = post(client, {"title": "x", "description": "y" * 70_000}, secret)
    assert response.status_code == 413


def test_form_data_is_415(client, project, secret):
    response = client.post(
        reverse("intake_public:api", args=["WEB"]),
        {"title": "x"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 415


def test_too_many_calls_get_429_with_retry_after(client, project, secret, settings):
    settings.INTAKE_RATE_LIMITS = {"api-key": (2, 60)}
    for number in range(2):
        post(client, {**TICKET, "external_id": str(number)}, secret)
    response = post(client, {**TICKET, "external_id": "3"}, secret)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61


def test_the_api_sets_no_cookies(client, project, secret):
    assert not post(client, TICKET, secret).cookies


def test_the_api_needs_no_csrf_token(project, secret):
    assert post(Client(enforce_csrf_checks=True), TICKET, secret).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_exactly_one_issue(project, secret):
    results = []

    def deliver():
        try:
            results.append(post(Client(), TICKET, secret).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 9 + [201]
    assert Issue.objects.filter(project=project).count() == 1
    assert Request.objects.count() == 1


def test_a_new_ticket_is_one_issue_with_its_demand_and_events_in_few_queries(
    client, project, secret, django_assert_max_num_queries
):
    post(client, {**TICKET, "external_id": "ZD-1"}, secret)  # Ann is known from now on.
    # 19 on PostgreSQL (18 on SQLite, no id to reserve), 43 before issue 12's work: two rate
    # limit hits, the key, the requester, the external id, the triage column, the id, the
    # events (one INSERT), the task, the ticket, the request, the lock, the WIP count (not here),
    # the counter, the last rank, the issue, and the savepoints of the test's transaction.
    with django_assert_max_num_queries(19):
        response = post(client, {**TICKET, "external_id": "ZD-2"}, secret)
    assert response.status_code == 201
    issue = Issue.objects.get(number=2)
    # Written with the issue, not recounted: demand 1, and the events count_demand would log.
    assert issue.demand == issue.requests.count() == 1
    assert list(issue.events.order_by("pk").values_list("field", "new_value")) == [
        ("created", TICKET["title"]),
        ("requests", "1 (+ Ann Lee)"),
    ]


@pytest.mark.postgres
def test_a_new_ticket_takes_its_locks_last(client, project, secret):
    post(client, {**TICKET, "external_id": "ZD-1"}, secret)
    with CaptureQueriesContext(connection) as captured:
        assert post(client, {**TICKET, "external_id": "ZD-2"}, secret).status_code == 201
    statements = [query["sql"] for query in captured.captured_queries]
    # The locks come last (issue 12): from the triage column's lock on, only the WIP count
    # (none here: no limit), the counter, the last rank and the issue's INSERT (in the
    # savepoint that retries a rank clash with a concurrent move).
    locked = next(i for i, sql in enumerate(statements) if "FOR NO KEY UPDATE" in sql)
    after = statements[locked + 1 :]
    assert "issues_project" in after[0] and after[0].startswith("UPDATE")
    assert 'MAX("issues_issue"."rank")' in after[1]
    assert [sql.split()[0] for sql in after[2:]][:3] == ["SAVEPOINT", "INSERT", "RELEASE"]
    assert 'INSERT INTO "issues_issue"' in after[3]
    assert not any("intake_" in sql or "issueevent" in sql for sql in after)


def test_a_ticket_into_a_triage_column_at_its_wip_limit_is_refused_with_nothing_left(
    client, project, secret
):
    triage = project.statuses.get(category=StatusCategory.TRIAGE)
    post(client, {**TICKET, "external_id": "ZD-1"}, secret)
    triage.wip_limit = 1
    triage.save()
    response = post(client, {**TICKET, "external_id": "ZD-2"}, secret)
    assert response.status_code == 422
    assert "WIP limit" in response.json()["message"]
    assert Issue.objects.count() == Request.objects.count() == 1
    assert not ExternalTicket.objects.filter(external_id="ZD-2").exists()
    project.refresh_from_db()
    assert project.next_number == 2  # The number was not taken.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_new_tickets_get_every_number_once(project, secret):
    results = []

    def deliver(n):
        try:
            ticket = {**TICKET, "external_id": f"ZD-{n}",
                      "requester": {"email": f"c{n % 3}@acme.example"}}  # fmt: skip
            results.append(post(Client(), ticket, secret).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * 12
    issues = Issue.objects.filter(project=project)
    assert sorted(issues.values_list("number", flat=True)) == list(range(1, 13))
    assert set(issues.values_list("demand", flat=True)) == {1}
    assert Request.objects.count() == ExternalTicket.objects.count() == 12
    assert len(set(issues.values_list("rank", flat=True))) == 12
