import pytest
from django.test import Client

from issues import ranking
from issues.models import Issue, Kind, Priority, Project


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


def bulk_issues(project: Project, count: int, *, status, actor=None, **fields) -> list[Issue]:
    """Many issues at once, at the bottom of the project's order: for tests about big boards,
    where creating them one by one through operations would only make the test slow."""
    last = Issue.objects.filter(project=project).order_by("-rank").values_list("rank", flat=True)
    rank = last.first()
    start = project.issues.count() + 1000
    issues = []
    for offset in range(count):
        rank = ranking.key_between(rank, None)
        issues.append(
            Issue(
                project=project,
                number=start + offset,
                title=f"Bulk issue {start + offset}",
                status=status,
                rank=rank,
                reporter=actor,
                **fields,
            )
        )
    Issue.objects.bulk_create(issues)
    Project.objects.filter(pk=project.pk).update(next_number=start + count)
    return list(Issue.objects.filter(project=project, number__gte=start).order_by("rank"))


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
