"""Big boards for tests, built with bulk inserts."""

from issues import ranking
from issues.models import Issue, Project


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
