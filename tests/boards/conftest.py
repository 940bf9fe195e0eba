import pytest
from django.core.cache import caches
from django.test import Client

from boards.cache import board_cache
from issues.models import Issue, Kind, Priority

from .builders import bulk_issues


@pytest.fixture(autouse=True)
def empty_board_cache():
    """No rendered board outlives its test (the databases roll back; the cache would not)."""
    board_cache().clear()
    caches["default"].clear()
    yield
    board_cache().clear()


class HtmxClient(Client):
    """The test client as HTMX calls the server (django-htmx docs, "Testing")."""

    def generic(self, *args, headers=None, **kwargs):
        return super().generic(*args, headers={"HX-Request": "true", **(headers or {})}, **kwargs)


@pytest.fixture
def htmx_client():
    return HtmxClient()


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def htmx_member(htmx_client, member):
    htmx_client.force_login(member)
    return htmx_client


@pytest.fixture
def busy_board(project, member, other_member, status):
    """A board with every kind of card: epics with stories and subtasks, labels, assignees."""

    def build(count: int) -> None:
        """About `count` issues spread over three columns (some of them subtasks)."""
        epic = Issue.objects.filter(project=project, kind=Kind.EPIC).first()
        if epic is None:
            from tests.factories import IssueFactory

            epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout")
        labels = list(project.labels.all()[:2])
        links = []
        for name in ("To do", "In progress", "Done"):
            issues = bulk_issues(
                project,
                count // 3,
                status=status(name),
                actor=member,
                parent=epic,
                assignee=other_member,
                priority=Priority.HIGH,
                estimate=3,
            )
            subtasks = bulk_issues(
                project, 1, status=status(name), actor=member, parent=issues[0], kind=Kind.SUBTASK
            )
            links += [
                Issue.labels.through(issue_id=issue.pk, label_id=label.pk)
                for issue in [*issues, *subtasks]
                for label in labels
            ]
        Issue.labels.through.objects.bulk_create(links)

    return build
