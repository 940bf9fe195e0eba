"""From the events that issues.operations writes to watchers and inbox rows (in the worker)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from issues import operations
from issues.models import Role
from notifications.models import Notification, Reason, Watch
from notifications.operations import fan_out, save_preferences
from notifications.summary import summarise

from ..factories import IssueFactory, UserFactory


def watchers(issue) -> set[str]:
    return set(Watch.objects.filter(issue=issue).values_list("user__username", flat=True))


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).prefetch_related("events"))


def test_the_request_only_enqueues_a_task(issue, member):
    before = DBTaskResult.objects.filter(task_path="notifications.tasks.fan_out").count()

    operations.add_comment(issue=issue, actor=member, body="Seen it too.")

    assert (
        DBTaskResult.objects.filter(task_path="notifications.tasks.fan_out").count() == before + 1
    )
    assert not Notification.objects.exists()


def test_a_rolled_back_change_notifies_nobody(issue, member, other_member, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    with pytest.raises(RuntimeError), transaction.atomic():
        operations.add_comment(issue=issue, actor=member, body="Never mind.")
        raise RuntimeError("rolled back")

    run_worker()

    assert inbox(other_member) == []


def test_reporter_and_assignee_watch_a_new_issue_at_once(project, member, other_member):
    issue = IssueFactory(project=project, actor=member, assignee=other_member)

    assert watchers(issue) == {"alice", "bob"}  # In the request's transaction: no worker yet.


def test_the_assignee_of_a_new_issue_is_notified_as_assigned(
    project, member, other_member, run_worker
):
    issue = IssueFactory(project=project, actor=member, assignee=other_member)

    run_worker()

    [row] = inbox(other_member)
    assert row.issue == issue
    assert row.reason == Reason.ASSIGNED
    assert inbox(member) == []


def test_a_watcher_hears_about_a_move(issue, member, other_member, status, run_worker):
    Watch.objects.create(issue=issue, user=other_member)

    operations.move_issue(issue=issue, actor=member, status=status("In progress"))
    run_worker()

    [row] = inbox(other_member)
    assert [event.field for event in row.events.all()] == ["status"]
    assert row.read_at is None


def test_nothing_you_did_yourself_lands_in_your_inbox(issue, member, run_worker):
    operations.add_comment(issue=issue, actor=member, body="Note to self.")
    operations.update_issue(issue=issue, actor=member, changes={"priority": 3})

    run_worker()

    assert inbox(member) == []


def test_a_commenter_starts_watching_at_once(issue, other_member):
    operations.add_comment(issue=issue, actor=other_member, body="I can reproduce it.")

    assert "bob" in watchers(issue)


def test_the_new_assignee_starts_watching_at_once(issue, member, other_member):
    operations.update_issue(issue=issue, actor=member, changes={"assignee": other_member})

    assert "bob" in watchers(issue)


def test_watches_of_a_rolled_back_comment_are_rolled_back(issue, other_member):
    with pytest.raises(RuntimeError), transaction.atomic():
        operations.add_comment(issue=issue, actor=other_member, body="Never mind.")
        raise RuntimeError("the change failed")

    assert "bob" not in watchers(issue)


def test_inactive_users_and_superusers_who_are_not_members_are_not_made_watchers(
    issue, member, other_member
):
    UserFactory(username="root", is_superuser=True)
    other_member.is_active = False
    other_member.save()

    operations.add_comment(issue=issue, actor=member, body="@root @bob have a look")

    assert watchers(issue) == {"alice"}


def test_the_watch_write_is_one_insert_and_only_for_events_that_name_someone(
    issue, member, other_member, status
):
    def watch_inserts(change) -> int:
        with CaptureQueriesContext(connection) as queries:
            change()
        return sum('INSERT INTO "notifications_watch"' in q["sql"] for q in queries)

    many = " ".join(f"@user{n}" for n in range(30))
    for n in range(30):
        operations.add_member(project=issue.project, user=UserFactory(username=f"user{n}"))

    assert (
        watch_inserts(
            lambda: operations.move_issue(issue=issue, actor=member, status=status("Done"))
        )
        == 0
    )
    assert watch_inserts(lambda: operations.add_comment(issue=issue, actor=member, body=many)) == 1
    assert len(watchers(issue)) == 31


def test_events_join_the_one_unread_row_of_an_issue(issue, member, other_member, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    operations.add_comment(issue=issue, actor=member, body="First.")
    run_worker()
    operations.add_comment(issue=issue, actor=member, body="Second.")
    operations.update_issue(issue=issue, actor=member, changes={"priority": 4})
    run_worker()

    [row] = inbox(other_member)
    assert [event.field for event in row.events.all()] == ["comment", "comment", "priority"]


def test_after_reading_the_next_event_starts_a_new_row(issue, member, other_member, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    operations.add_comment(issue=issue, actor=member, body="First.")
    run_worker()
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")

    operations.add_comment(issue=issue, actor=member, body="Second.")
    run_worker()

    read, unread = sorted(inbox(other_member), key=lambda row: row.read_at is None)
    assert read.read_at is not None
    assert unread.read_at is None
    assert [event.new_value for event in unread.events.all()] == ["Second."]


def test_a_mentioned_member_is_notified_and_starts_watching(
    issue, member, other_member, run_worker
):
    operations.add_comment(issue=issue, actor=member, body="@bob can you look at this?")
    assert "bob" in watchers(issue)  # At once, before the worker.

    run_worker()

    [row] = inbox(other_member)
    assert row.mentioned
    assert row.reason == Reason.MENTIONED


def test_a_mention_in_a_description_notifies(issue, member, other_member, run_worker):
    operations.update_issue(
        issue=issue, actor=member, changes={"description": "Ask @bob about the API."}
    )

    run_worker()

    [row] = inbox(other_member)
    assert row.mentioned


def test_a_mention_in_the_description_of_a_new_issue_notifies(
    project, member, other_member, run_worker
):
    IssueFactory(project=project, actor=member, description="Pairing with @bob.")

    run_worker()

    [row] = inbox(other_member)
    assert row.mentioned


def test_a_non_member_mentioned_learns_nothing(issue, member, outsider, run_worker):
    operations.add_comment(issue=issue, actor=member, body="Maybe @olga knows?")

    run_worker()

    assert inbox(outsider) == []
    assert "olga" not in watchers(issue)


def test_mentions_of_unknown_users_and_of_yourself_notify_nobody(issue, member, run_worker):
    operations.add_comment(issue=issue, actor=member, body="@nobody @alice @ @@ @-")

    run_worker()

    assert not Notification.objects.exists()


def test_a_mention_inside_code_is_not_a_mention(issue, member, other_member, run_worker):
    body = "Run `@bob` or\n\n```\n@bob\n```\n\n    @bob"
    operations.add_comment(issue=issue, actor=member, body=body)

    run_worker()

    assert inbox(other_member) == []


def test_editing_a_comment_notifies_only_newly_mentioned(issue, member, other_member, run_worker):
    comment = operations.add_comment(issue=issue, actor=member, body="@bob look")
    run_worker()
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    Watch.objects.filter(user=other_member).delete()

    operations.edit_comment(comment=comment, actor=member, body="@bob look again")
    run_worker()

    assert Notification.objects.filter(recipient=other_member, read_at__isnull=True).count() == 0


def test_five_hundred_mentions_in_one_comment(issue, member, other_member, run_worker):
    many = " ".join(["@bob"] * 250 + [f"@ghost{n}" for n in range(250)])
    operations.add_comment(issue=issue, actor=member, body=many)

    run_worker()

    [row] = inbox(other_member)
    assert row.mentioned
    assert Notification.objects.count() == 1


def test_a_former_member_hears_nothing(issue, member, other_member, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    other_member.memberships.all().delete()

    operations.add_comment(issue=issue, actor=member, body="Anyone?")
    run_worker()

    assert inbox(other_member) == []


def test_a_muted_project_sends_nothing(issue, member, other_member, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    save_preferences(
        user=other_member, email="immediately", email_mentions=True, muted_projects=[issue.project]
    )

    operations.add_comment(issue=issue, actor=member, body="@bob ping")
    run_worker()

    assert inbox(other_member) == []


def test_fan_out_queries_do_not_grow_with_watchers(
    project, member, other_member, django_assert_max_num_queries
):
    few, many = (IssueFactory(project=project, actor=member) for _ in range(2))
    Watch.objects.create(issue=few, user=other_member)
    for _ in range(40):
        user = UserFactory()
        operations.add_member(project=project, user=user, role=Role.MEMBER)
        Watch.objects.create(issue=many, user=user)
    operations.add_comment(issue=few, actor=member, body="x")
    operations.add_comment(issue=many, actor=member, body="x")
    few_event, many_event = (issue.events.get(field="comment") for issue in (few, many))

    with django_assert_max_num_queries(20) as few_queries:
        fan_out([few_event.pk])
    with django_assert_max_num_queries(len(few_queries)):
        fan_out([many_event.pk])
    assert Notification.objects.filter(issue=many).count() == 40


def test_the_edit_request_costs_the_same_with_fifty_watchers(
    client, project, member, django_assert_num_queries
):
    quiet, watched = (IssueFactory(project=project, actor=member) for _ in range(2))
    for _ in range(50):
        user = UserFactory()
        operations.add_member(project=project, user=user, role=Role.MEMBER)
        Watch.objects.create(issue=watched, user=user)
    client.force_login(member)

    def edit(issue):
        url = reverse("issues:field", args=[project.key, issue.number, "priority"])
        return client.post(url, {"priority": "high"}, headers={"HX-Request": "true"})

    with CaptureQueriesContext(connection) as baseline:
        assert edit(quiet).status_code == 200
    with django_assert_num_queries(len(baseline)):
        assert edit(watched).status_code == 200


def test_the_summary_reads_like_a_sentence(issue, member, other_member, status, run_worker):
    Watch.objects.create(issue=issue, user=other_member)
    operations.add_comment(issue=issue, actor=member, body="One.")
    operations.move_issue(issue=issue, actor=member, status=status("In review"))
    operations.add_comment(issue=issue, actor=member, body="Two.")
    operations.update_issue(issue=issue, actor=member, changes={"priority": 3, "estimate": 5})
    run_worker()

    [row] = inbox(other_member)
    text = summarise(row.events.select_related("actor"), "WEB-1", "bob")
    assert text == (
        f"{member.get_full_name()} moved WEB-1 to In review, commented twice, "
        "changed the priority and the estimate"
    )
