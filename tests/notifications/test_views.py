"""The inbox, the unread count, preferences, watching and @mention suggestions, over HTTP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues import operations
from issues.models import Role
from notifications.inbox import count_unread
from notifications.models import EmailMode, Notification, Preferences, Watch
from notifications.operations import mark_all_read

from ..factories import IssueFactory, ProjectFactory, UserFactory

INBOX = "/inbox/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def bob_client(client, other_member):
    client.force_login(other_member)
    return client


@pytest.fixture
def notified(issue, member, other_member, status, run_worker):
    """Bob watches the issue; Alice moved it and commented twice."""
    Watch.objects.create(issue=issue, user=other_member)
    operations.move_issue(issue=issue, actor=member, status=status("In review"))
    operations.add_comment(issue=issue, actor=member, body="Ready.")
    operations.add_comment(issue=issue, actor=member, body="Really ready.")
    run_worker()
    return issue


def test_urls_are_the_documented_ones():
    assert reverse("notifications:inbox") == "/inbox/"
    assert reverse("notifications:preferences") == "/accounts/notifications/"


def test_the_inbox_says_what_happened_in_one_row(bob_client, notified):
    response = bob_client.get(INBOX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="inbox-row') == 1
    assert "moved WEB-1 to In review, commented twice" in html
    assert 'class="inbox-row is-unread"' in html


def test_the_inbox_shows_newest_first(
    bob_client, notified, project, member, run_worker, other_member
):
    IssueFactory(project=project, actor=member, title="Newer issue", assignee=other_member)
    run_worker()

    html = bob_client.get(INBOX).content.decode()

    assert html.index("Newer issue") < html.index(notified.title)


def test_the_header_shows_the_unread_count_on_every_page(bob_client, notified):
    html = bob_client.get(reverse("home")).content.decode()

    assert "data-unread-count>1<" in html
    assert 'aria-label="Inbox, 1 unread"' in html


def test_more_than_99_unread_show_as_99_plus_and_the_count_stops_there(
    bob_client, project, member, other_member
):
    issues = [IssueFactory(project=project, actor=member) for _ in range(100)]
    Notification.objects.bulk_create(
        Notification(recipient=other_member, issue=issue, project=project) for issue in issues
    )
    board = reverse("boards:board", args=[project.key])

    html = bob_client.get(reverse("home")).content.decode()
    poll = bob_client.get(board, headers=HTMX)

    assert "data-unread-count>99+<" in html
    assert 'aria-label="Inbox, 99+ unread"' in html
    assert poll["X-Unread-Count"] == "99+"
    with CaptureQueriesContext(connection) as queries:
        assert count_unread(other_member) == 100
    [count] = queries.captured_queries
    assert "LIMIT 100" in count["sql"]
    Notification.objects.filter(issue=issues[0]).delete()
    assert bob_client.get(board, headers=HTMX)["X-Unread-Count"] == "99"


def test_opening_the_issue_marks_it_read(bob_client, notified, other_member):
    bob_client.get(notified.get_absolute_url())

    assert not Notification.objects.filter(recipient=other_member, read_at__isnull=True).exists()
    assert 'class="inbox-row is-unread"' not in bob_client.get(INBOX).content.decode()


def test_mark_all_read(bob_client, notified, other_member):
    response = bob_client.post(reverse("notifications:mark_all_read"))

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=other_member, read_at__isnull=True).exists()


def test_the_unread_filter_leaves_out_read_rows(bob_client, notified, other_member):
    Notification.objects.filter(recipient=other_member).update(read_at="2026-01-01T00:00:00Z")

    html = bob_client.get(INBOX + "?show=unread").content.decode()

    assert "inbox-row" not in html
    assert "Nothing unread" in html


def test_the_mentions_filter_shows_only_mentions(bob_client, notified, project, member, run_worker):
    mentioning = IssueFactory(project=project, actor=member, title="Needs Bob")
    operations.add_comment(issue=mentioning, actor=member, body="@bob your turn")
    run_worker()

    html = bob_client.get(INBOX + "?show=mentions").content.decode()

    assert "Needs Bob" in html
    assert notified.title not in html


def test_an_unknown_filter_is_a_400_with_a_message(bob_client, notified):
    response = bob_client.get(INBOX + "?show=everything")

    assert response.status_code == 400
    assert "There is no “everything” filter" in response.content.decode()


def test_losing_membership_hides_the_projects_notifications(bob_client, notified, other_member):
    other_member.memberships.all().delete()

    html = bob_client.get(INBOX).content.decode()

    assert notified.title not in html
    assert "data-unread-count hidden" in html or "data-unread-count>0<" in html


def test_the_inbox_queries_do_not_grow(
    bob_client, notified, project, member, other_member, run_worker, django_assert_max_num_queries
):
    for _ in range(15):
        issue = IssueFactory(project=project, actor=member, assignee=other_member)
        operations.add_comment(issue=issue, actor=member, body="More.")
    run_worker()

    with django_assert_max_num_queries(8):
        response = bob_client.get(INBOX)
    assert response.content.decode().count('class="inbox-row') == 16


def test_the_inbox_pages_by_fifty(bob_client, project, member, other_member, run_worker):
    for _ in range(51):
        IssueFactory(project=project, actor=member, assignee=other_member)
    run_worker()

    first = bob_client.get(INBOX).content.decode()
    second = bob_client.get(INBOX + "?page=2").content.decode()

    assert first.count('class="inbox-row') == 50
    assert 'rel="next"' in first
    assert second.count('class="inbox-row') == 1


def test_the_board_poll_carries_the_unread_count(bob_client, notified, project):
    board = reverse("boards:board", args=[project.key])
    first = bob_client.get(board, headers=HTMX)

    unchanged = bob_client.get(board, headers={**HTMX, "X-Board-Version": first["X-Board-Version"]})

    assert first["X-Unread-Count"] == "1"
    assert unchanged.status_code == 204
    assert unchanged["X-Unread-Count"] == "1"


def test_a_cached_board_shows_the_current_unread_count(bob_client, notified, project, other_member):
    board = reverse("boards:board", args=[project.key])
    assert "data-unread-count>1<" in bob_client.get(board).content.decode()

    bob_client.get(board)  # Now in the cache of rendered boards.

    mark_all_read(user=other_member)

    assert "data-unread-count hidden" in bob_client.get(board).content.decode()


# Preferences ---------------------------------------------------------------------------------


def test_preferences_are_saved(bob_client, project, other_member):
    response = bob_client.post(
        reverse("notifications:preferences"),
        {"email": "digest", "email_mentions": "on", "muted_projects": [project.pk]},
    )

    assert response.status_code == 302
    preferences = Preferences.of(other_member)
    assert preferences.email == EmailMode.DIGEST
    assert preferences.email_mentions
    assert list(preferences.muted_projects.all()) == [project]


def test_preferences_refuse_a_foreign_project_and_change_nothing(bob_client, other_member):
    foreign = ProjectFactory(key="HR")

    response = bob_client.post(
        reverse("notifications:preferences"), {"email": "never", "muted_projects": [foreign.pk]}
    )

    assert response.status_code == 422
    assert "You can only mute projects you belong to." in response.content.decode()
    assert not Preferences.objects.filter(user=other_member).exists()


def test_preferences_refuse_an_unknown_mode(bob_client, other_member):
    response = bob_client.post(reverse("notifications:preferences"), {"email": "hourly"})

    assert response.status_code == 422
    assert not Preferences.objects.filter(user=other_member).exists()


# Watching ------------------------------------------------------------------------------------


def watch_url(issue) -> str:
    return reverse("watching:watch", args=[issue.project.key, issue.number])


def test_watch_and_unwatch_over_htmx(bob_client, issue, other_member):
    response = bob_client.post(watch_url(issue), {"watch": "1"}, headers=HTMX)

    assert response.status_code == 200
    assert "Unwatch" in response.content.decode()
    assert Watch.objects.filter(issue=issue, user=other_member).exists()

    response = bob_client.post(watch_url(issue), {"watch": "0"}, headers=HTMX)

    assert "Unwatch" not in response.content.decode()
    assert not Watch.objects.filter(issue=issue, user=other_member).exists()


def test_watch_without_javascript_redirects_to_the_issue(bob_client, issue):
    response = bob_client.post(watch_url(issue), {"watch": "1"})

    assert response.status_code == 302
    assert response["Location"] == issue.get_absolute_url()


def test_a_viewer_may_watch(client, issue, viewer):
    client.force_login(viewer)

    response = client.post(watch_url(issue), {"watch": "1"})

    assert response.status_code == 302
    assert Watch.objects.filter(issue=issue, user=viewer).exists()


def test_watching_twice_is_watching_once(bob_client, issue):
    bob_client.post(watch_url(issue), {"watch": "1"})
    bob_client.post(watch_url(issue), {"watch": "1"})

    assert Watch.objects.filter(issue=issue, user__username="bob").count() == 1


@pytest.mark.parametrize("value", ["", "2", "yes", "\x00"])
def test_a_bad_watch_value_is_a_400(bob_client, issue, value):
    response = bob_client.post(watch_url(issue), {"watch": value})

    assert response.status_code == 400
    assert not Watch.objects.filter(issue=issue, user__username="bob").exists()


def test_the_issue_page_lists_its_watchers(bob_client, issue, member, other_member):
    html = bob_client.get(issue.get_absolute_url()).content.decode()

    assert 'id="watch-block"' in html
    assert ">Watch</button>" in html
    assert member.get_full_name() in html


def test_a_new_commenter_is_listed_as_a_watcher_before_the_worker_runs(bob_client, issue):
    url = reverse("issues:comment_add", args=[issue.project.key, issue.number])
    assert bob_client.post(url, {"body": "Me too."}).status_code == 302

    html = bob_client.get(issue.get_absolute_url()).content.decode()

    block = html[html.index('id="watch-block"') :]
    block = block[: block.index("</section>")]
    assert ">Unwatch</button>" in block
    assert "(you)" in block


# @mentions -----------------------------------------------------------------------------------


def test_a_mention_of_a_member_is_a_link_to_their_issues(bob_client, issue, member):
    operations.add_comment(issue=issue, actor=member, body="Thanks @bob and @nobody, see `@bob`")

    html = bob_client.get(issue.get_absolute_url()).content.decode()

    assert '<a href="/projects/WEB/issues/?assignee=bob"' in html
    assert 'class="mention"' in html
    assert "@nobody" in html
    assert "<code>@bob</code>" in html


def test_a_non_member_mention_stays_plain_text(bob_client, issue, member, outsider):
    operations.add_comment(issue=issue, actor=member, body="Ask @olga")

    html = bob_client.get(issue.get_absolute_url()).content.decode()

    assert "assignee=olga" not in html


def test_five_hundred_mentions_render_in_constant_queries(
    bob_client, issue, member, django_assert_max_num_queries
):
    comment = operations.add_comment(issue=issue, actor=member, body="Hi @bob")
    with CaptureQueriesContext(connection) as one:
        bob_client.get(issue.get_absolute_url())
    body = " ".join(f"@user{n}" for n in range(500)) + " @bob"
    operations.edit_comment(comment=comment, actor=member, body=body)

    with django_assert_max_num_queries(len(one)):
        response = bob_client.get(issue.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count('class="mention"') == 0  # @bob is past the 100th


def test_mention_suggestions_list_matching_members(bob_client, project):
    for name in ("bea", "bert"):
        operations.add_member(project=project, user=UserFactory(username=name), role=Role.MEMBER)
    UserFactory(username="bernard")  # Not a member.

    response = bob_client.get(reverse("watching:mentions", args=[project.key]), {"q": "be"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-username="bea"' in html
    assert 'data-username="bert"' in html
    assert "bernard" not in html


def test_mention_suggestions_survive_odd_input(bob_client, project):
    response = bob_client.get(
        reverse("watching:mentions", args=[project.key]), {"q": "%_" + "x" * 5000}
    )

    assert response.status_code == 200
    assert "No member matches" in response.content.decode()


def test_mention_suggestions_refuse_a_nul_character(bob_client, project):
    response = bob_client.get(reverse("watching:mentions", args=[project.key]), {"q": "al\x00"})

    assert response.status_code == 400
