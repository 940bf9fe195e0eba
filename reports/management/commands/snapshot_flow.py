"""Fill the reports' daily snapshots now (the reports page queues the same fill when it finds
a day missing): `manage.py snapshot_flow [--project KEY] [--rebuild]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from issues.models import Project
from reports import snapshots


class Command(BaseCommand):
    help = "Snapshot every settled day of each project's cumulative flow not snapshotted yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="only this project (its key)")
        parser.add_argument(
            "--rebuild", action="store_true", help="forget the existing snapshots first"
        )

    def handle(self, *args, project: str | None = None, rebuild: bool = False, **options):
        projects = Project.objects.order_by("key")
        if project:
            projects = projects.filter(key=project.upper())
            if not projects.exists():
                raise CommandError(f"There is no project {project!r}.")
        for each in projects:
            if rebuild:
                snapshots.forget(each.pk)
            written = snapshots.fill(each.pk)
            self.stdout.write(f"{each.key}: {written} rows")
