import pytest
from django.core.management import call_command
from django.db import connection

from issues import operations
from issues.models import Comment, Issue, IssueEvent, Label, Membership, Project, Role, Status
from planning.models import PlanningEvent, Release, Sprint

from .factories import IssueFactory, ProjectFactory, UserFactory
from .smtp import SMTPServer


@pytest.fixture
def project(db):
    return ProjectFactory(key="WEB", name="Web app")


def _member(project, username, role):
    user = UserFactory(username=username)
    operations.add_member(project=project, user=user, role=role)
    return user


@pytest.fixture
def admin_user(project):
    return _member(project, "ada", Role.ADMIN)


@pytest.fixture
def member(project):
    return _member(project, "alice", Role.MEMBER)


@pytest.fixture
def other_member(project):
    return _member(project, "bob", Role.MEMBER)


@pytest.fixture
def viewer(project):
    return _member(project, "victor", Role.VIEWER)


@pytest.fixture
def outsider(db):
    return UserFactory(username="olga")


@pytest.fixture
def status(project):
    """The project's statuses by name: status("In progress")."""
    return lambda name: project.statuses.get(name=name)


@pytest.fixture
def issue(project, member):
    return IssueFactory(project=project, actor=member, title="Checkout button does nothing")


@pytest.fixture
def db_snapshot(db):
    """Take a picture of every domain table, to assert that a refused change wrote nothing.

    before = db_snapshot(); ...refused call...; assert db_snapshot() == before
    """
    models = (Project, Membership, Status, Label, Issue, Issue.labels.through, Comment, IssueEvent)
    models += (Sprint, Release, PlanningEvent)

    def take() -> dict:
        return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}

    return take


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def run_worker(db, monkeypatch):
    """Run every task that is due, as `manage.py db_worker` does, then return.

    The worker closes "old" connections between tasks; inside a test's transaction that would
    close the test's own connection, so that one step is left out here.
    """
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )

    def run() -> None:
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)

    return run


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free port, and the settings that send through it."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only when DATABASE_URL points at PostgreSQL."""
    import os

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
