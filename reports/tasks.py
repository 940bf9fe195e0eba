"""Background work of the reports app, run by `manage.py db_worker`."""

from __future__ import annotations

from django_tasks import task

from . import snapshots


@task()
def fill_flow_snapshots(*, project_id: int) -> int:
    """The project's missing daily snapshots, up to the last settled day."""
    return snapshots.fill(project_id)
