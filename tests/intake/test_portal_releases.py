"""The portal's releases page and its Atom feed: released versions, published issues only."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from intake import operations
from intake.models import PortalMode
from issues import operations as issue_operations
from planning import operations as planning_operations
from tests.factories import IssueFactory, ReleaseFactory
from tests.intake.test_portal import sign_in
from tests.issues.test_markdown import XSS_PAYLOADS, live_markup

ATOM = "{http://www.w3.org/2005/Atom}"


def url(name, *args, key="WEB"):
    return reverse(f"intake_public:{name}", args=[key, *args])


@pytest.fixture
def portal(project, admin_user):
    return operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode=PortalMode.FULL, private=False
    )


@pytest.fixture
def ship(project, member, status):
    """A released version of these issues (each {title, public, kind, labels}), all done."""

    def make(name, *issues, day=2, description=""):
        release = ReleaseFactory(project=project, name=name, description=description)
        for fields in issues:
            public = fields.pop("public", True)
            issue = IssueFactory(project=project, actor=member, status=status("Done"), **fields)
            changes = {"release": release, "public": public}
            issue_operations.update_issue(issue=issue, actor=member, changes=changes)
        return planning_operations.release_version(
            release=release, actor=member, release_date=datetime.date(2026, 12, day)
        )

    return make


def test_released_versions_are_listed_newest_first_with_their_public_notes(
    client, portal, project, ship
):
    ship("2.3.0", {"title": "Export to Excel"}, day=1)
    ship(
        "2.4.0",
        {"title": "Dark mode"},
        {"title": "Totals off by a cent", "kind": "bug"},
        {"title": "Secret partner deal", "public": False},
        {"title": "Split the views", "labels": [project.labels.get(name="Tech debt")]},
    )
    ReleaseFactory(project=project, name="2.5.0")  # unreleased

    page = client.get(url("releases")).content.decode()

    assert page.index("2.4.0") < page.index("2.3.0")
    assert "2.5.0" not in page
    assert "Dark mode" in page
    assert "Totals off by a cent" in page
    assert page.index("New") < page.index("Dark mode") < page.index("Fixed")
    assert "Secret partner deal" not in page
    assert "Split the views" not in page


def test_a_release_with_nothing_public_still_appears_without_its_issues(client, portal, ship):
    ship("2.4.0", {"title": "Secret partner deal", "public": False})
    page = client.get(url("releases")).content.decode()
    assert "2.4.0" in page
    assert "Secret partner deal" not in page


def test_the_releases_page_takes_the_same_queries_for_more_releases(
    client, portal, ship, django_assert_max_num_queries
):
    ship("1.0.0", {"title": "First"}, day=1)
    with django_assert_max_num_queries(8) as few:
        client.get(url("releases"))
    for day in range(2, 8):
        ship(
            f"1.{day}.0", {"title": f"Idea {day}"}, {"title": f"Fix {day}", "kind": "bug"}, day=day
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("releases"))


def test_the_feed_is_valid_atom_with_absolute_links(client, portal, ship, settings):
    settings.SITE_URL = "https://tracker.example.com"
    ship("2.4.0", {"title": "Dark mode"}, {"title": "Secret partner deal", "public": False})

    response = client.get(url("releases_feed"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == "https://tracker.example.com/portal/WEB/releases/feed/"
    (entry,) = feed.findall(f"{ATOM}entry")
    for required in ("id", "title", "updated", "link"):
        assert entry.find(f"{ATOM}{required}") is not None, required
    assert entry.find(f"{ATOM}title").text == "2.4.0 (2026-12-02)"
    assert (
        entry.find(f"{ATOM}link")
        .get("href")
        .startswith("https://tracker.example.com/portal/WEB/releases/#release-")
    )
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "Dark mode" in summary.text
    assert 'href="https://tracker.example.com/portal/WEB/ideas/' in summary.text
    assert "Secret partner deal" not in response.content.decode()


def test_the_feed_escapes_what_teams_and_customers_typed(client, portal, ship):
    payload = '<script>alert(1)</script> & "quotes"'
    ship("2.4.0 <b>", {"title": payload}, description=f"About {payload}")
    response = client.get(url("releases_feed"))
    body = response.content.decode()
    feed = ET.fromstring(response.content)  # well-formed despite the markup in the input
    assert "<script>" not in body
    summary = feed.find(f"{ATOM}entry/{ATOM}summary").text
    # The summary's HTML, once unescaped by a reader, carries the title as text, not markup.
    assert "<script>" not in summary
    assert "&lt;script&gt;" in summary
    assert feed.find(f"{ATOM}entry/{ATOM}title").text.startswith("2.4.0 <b>")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_stay_inert_on_the_releases_page(client, portal, ship, payload):
    ship(f"R {payload}"[:50], {"title": f"T {payload}"[:200]}, description=f"D {payload}")
    page = client.get(url("releases")).content.decode()
    assert live_markup(page, page=True) == []


def test_no_releases_page_or_feed_while_the_portal_is_off(client, project, ship):
    ship("2.4.0", {"title": "Dark mode"})
    assert client.get(url("releases")).status_code == 404
    assert client.get(url("releases_feed")).status_code == 404


def test_a_submit_only_portal_has_no_releases(client, project, admin_user, ship):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="submit", private=False
    )
    ship("2.4.0", {"title": "Dark mode"})
    assert client.get(url("releases")).status_code == 404
    assert client.get(url("releases_feed")).status_code == 404


def test_a_private_portal_shows_releases_to_its_customers_and_has_no_feed(
    client, project, admin_user, ship
):
    operations.configure_portal(
        project=project, actor=admin_user, enabled=True, mode="full", private=True,
        allowed_domains="acme.example",
    )  # fmt: skip
    ship("2.4.0", {"title": "Dark mode"})
    response = client.get(url("releases"))
    assert response.status_code == 303
    assert "/sign-in/" in response["Location"]
    sign_in(client, "ann@acme.example")
    assert "Dark mode" in client.get(url("releases")).content.decode()
    assert client.get(url("releases_feed")).status_code == 404
    assert Client().get(url("releases_feed")).status_code == 404
