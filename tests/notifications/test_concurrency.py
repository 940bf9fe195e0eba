"""Digests against PostgreSQL: two workers (threads with their own connections) at once."""

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from issues import operations
from notifications import delivery, tasks
from notifications.models import Digest, DigestRun, EmailMode, Watch
from notifications.operations import fan_out, save_preferences
from tests.factories import IssueFactory
from tests.issues.test_concurrency import at_once, failures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def queued_emails() -> list[str]:
    return [
        message["to"]
        for task in DBTaskResult.objects.filter(task_path="notifications.email.deliver")
        for message in task.args_kwargs["kwargs"]["messages"]
    ]


def test_two_workers_running_one_days_digests_at_once_send_each_digest_once(
    project, member, other_member
):
    issue = IssueFactory(project=project, actor=member)
    Watch.objects.create(issue=issue, user=other_member)
    save_preferences(
        user=other_member, email=EmailMode.DIGEST, email_mentions=True, muted_projects=[]
    )
    operations.add_comment(issue=issue, actor=member, body="One.")
    fan_out(list(issue.events.values_list("pk", flat=True)))
    day = timezone.localdate()

    results = at_once(4, lambda i: delivery.send_digests(day))

    assert failures(results) == []
    assert sorted(results) == [0, 0, 0, 1]
    assert queued_emails() == [other_member.email]
    assert Digest.objects.filter(user=other_member, day=day).count() == 1


def test_two_workers_scheduling_the_next_run_at_once_queue_it_once(project, other_member):
    day = delivery.next_digest_day()

    results = at_once(4, lambda i: delivery.schedule_digests(day))

    assert failures(results) == []
    assert sorted(results) == [False, False, False, True]
    assert DigestRun.objects.filter(day=day).count() == 1
    assert DBTaskResult.objects.filter(task_path=tasks.send_daily_digests.module_path).count() == 1
