"""Give a project's issues evenly spaced short rank keys again, keeping their order.

    manage.py rebalance_ranks WEB      # one project (or several keys)
    manage.py rebalance_ranks          # every project

Moves rebalance by themselves when a key grows long; this is for after bulk imports or by hand.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from issues import operations
from issues.models import Project


class Command(BaseCommand):
    help = "Rebalance the rank keys of the given projects (all projects without keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Project keys, e.g. WEB.")

    def handle(self, *args, keys: list[str], **options) -> None:
        projects = Project.objects.order_by("key")
        if keys:
            projects = projects.filter(key__in=keys)
            missing = sorted(set(keys) - {project.key for project in projects})
            if missing:
                raise CommandError(f"No such project: {', '.join(missing)}.")
        for project in projects:
            count = operations.rebalance_ranks(project=project)
            if options["verbosity"]:
                self.stdout.write(f"{project.key}: {count} issues rebalanced.")
