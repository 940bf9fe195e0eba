"""manage.py export_issues WEB [--status "In progress"] [--label "Bug fix"] [-o file.csv]

The same CSV as the list's "Export" link (issues.export): the same filters, order and columns.
"""

from __future__ import annotations

import codecs
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.http import QueryDict

from issues.export import stream_csv
from issues.filters import IssueFilter, error_message
from issues.models import Project


class Command(BaseCommand):
    help = "Export a project's issues as CSV, with the list's filters (stdout unless -o)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="the project's key, e.g. WEB")
        parser.add_argument(
            "--status", action="append", default=[], help="a status name (repeatable)"
        )
        parser.add_argument("--label", action="append", default=[], help="a label (repeatable)")
        parser.add_argument(
            "--query",
            default="",
            help='any of the list\'s query string, e.g. "priority=high&kind=bug&order=-created"',
        )
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 byte-order mark")

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(key=options["project"].upper()).first()
        if project is None:
            raise CommandError(f"No project with the key {options['project']!r}.")
        data = QueryDict(options["query"], mutable=True)
        # The filter takes statuses by id and labels by exact name; here both are names, any case.
        for name in options["status"]:
            data.appendlist("status", str(_named(project, project.statuses.all(), name).pk))
        for name in options["label"]:
            data.appendlist("label", _named(project, project.labels.all(), name).name)
        filterset = IssueFilter(data, project=project)
        if not filterset.is_valid():
            raise CommandError(error_message(filterset))
        chunks = stream_csv(filterset.ordered_qs, bom=options["bom"], projects=[project])
        if options["output"]:
            with Path(options["output"]).open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
            return
        binary = getattr(self.stdout, "buffer", None)
        if binary is not None:  # A real stdout: the bytes as they are, whatever the locale.
            self.stdout.flush()
            try:
                for chunk in chunks:
                    binary.write(chunk)
                binary.flush()
            except BrokenPipeError:
                # The reader stopped early (`| head`): not an error. Quiet the flush at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        decoder = codecs.getincrementaldecoder("utf-8")()  # A text stream (call_command).
        for chunk in chunks:
            self.stdout.write(decoder.decode(chunk), ending="")
        self.stdout.write(decoder.decode(b"", final=True), ending="")


def _named(project: Project, rows: QuerySet, name: str):
    """The project's status or label of that name (any case), or a CommandError listing them."""
    found = rows.filter(name__iexact=name.strip()).first()
    if found is None:
        noun = rows.model._meta.verbose_name
        names = ", ".join(rows.values_list("name", flat=True))
        raise CommandError(f"{project.key} has no {noun} {name!r} (it has: {names}).")
    return found
