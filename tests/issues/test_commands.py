"""Management commands: the demo data, a big project in bulk, and rebalancing ranks."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from issues import operations, ranking
from issues.models import Comment, Issue, IssueEvent, Kind, Project, Role, Source
from tests.factories import IssueFactory, ProjectFactory

# The demo users' passwords are hashed on every seed; their strength is not what is tested.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_USERS = ["demo", "alice", "bob", "victor"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def seeded_once(django_db_blocker, key: str, **options):
    """Seed once for a class of read-only tests (each still runs in its own transaction), and
    remove it all afterwards, so that the next tests start from an empty database again."""
    with django_db_blocker.unblock():
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            seed(**options)
        try:
            yield Project.objects.get(key=key)
        finally:
            Project.objects.filter(key=key).delete()
            get_user_model().objects.filter(username__in=DEMO_USERS).delete()


@pytest.fixture(scope="class")
def seeded_web(django_db_setup, django_db_blocker):
    yield from seeded_once(django_db_blocker, "WEB")


@pytest.fixture(scope="class")
def seeded_big(django_db_setup, django_db_blocker):
    yield from seeded_once(django_db_blocker, "BIG", issues=400, project="BIG")


@pytest.fixture
def web(seeded_web, db):
    return Project.objects.get(pk=seeded_web.pk)


@pytest.fixture
def big(seeded_big, db):
    return Project.objects.get(pk=seeded_big.pk)


def counts(queryset, field: str) -> dict[str, int]:
    return dict(queryset.values_list(field).annotate(n=Count("id")).order_by())


# seed_demo: the demo project ---------------------------------------------------------------


class TestDemoProject:
    """Read-only checks of one seeded demo (seeding it per test would triple the time)."""

    def test_demo_users_log_in_with_password_demo(self, web):
        User = get_user_model()
        for username in ["demo", "alice", "bob", "victor"]:
            user = User.objects.get(username=username)
            assert user.check_password("demo")
            assert user.first_name and user.last_name

    def test_demo_user_is_a_superuser_and_staff(self, web):
        demo = get_user_model().objects.get(username="demo")
        assert (demo.is_superuser, demo.is_staff) == (True, True)

    def test_demo_users_have_their_roles_in_web(self, web):
        roles = dict(web.memberships.values_list("user__username", "role"))
        assert roles == {
            "demo": Role.ADMIN,
            "alice": Role.MEMBER,
            "bob": Role.MEMBER,
            "victor": Role.VIEWER,
        }

    def test_demo_project_is_web_app_with_the_default_workflow(self, web):
        assert web.name == "Web app"
        assert list(web.statuses.values_list("name", flat=True)) == [
            "Triage",
            "Backlog",
            "To do",
            "In progress",
            "In review",
            "Done",
            "Canceled",
        ]

    def test_demo_has_epics_stories_and_subtasks(self, web):
        kinds = counts(web.issues, "kind")
        assert kinds[Kind.EPIC] == 6
        assert 40 <= kinds[Kind.STORY] + kinds[Kind.TASK] + kinds[Kind.BUG] <= 50
        assert 28 <= kinds[Kind.SUBTASK] <= 35
        assert min(kinds[Kind.STORY], kinds[Kind.TASK], kinds[Kind.BUG]) >= 10

    def test_demo_issues_obey_every_model_rule(self, web):
        for issue in web.issues.select_related("project", "status", "parent"):
            issue.full_clean()

    def test_demo_issues_are_numbered_from_one(self, web):
        numbers = sorted(web.issues.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        web.refresh_from_db()
        assert web.next_number == len(numbers) + 1

    def test_demo_work_is_spread_over_the_workflow(self, web):
        per_status = counts(web.issues, "status__name")
        assert set(per_status) == {
            "Triage",
            "Backlog",
            "To do",
            "In progress",
            "In review",
            "Done",
            "Canceled",
        }
        assert per_status["Done"] >= 15

    def test_demo_triage_holds_what_came_in_from_outside(self, web):
        triage = web.issues.filter(status__name="Triage")
        sources = set(triage.values_list("source", flat=True))
        assert Source.INTERNAL not in sources
        assert {
            Source.CUSTOMER_FEEDBACK,
            Source.SUPPORT_TICKET,
            Source.IDEAS_PORTAL,
            Source.IN_APP_FEEDBACK,
            Source.QA_TESTING,
            Source.BETA,
        } <= sources

    def test_demo_stays_within_its_wip_limits(self, web):
        limits = dict(web.statuses.exclude(wip_limit=None).values_list("name", "wip_limit"))
        assert limits == {"In progress": 5, "In review": 3}
        per_status = counts(web.issues, "status__name")
        assert per_status["In progress"] == 4
        assert per_status["In review"] == 2

    def test_demo_work_is_assigned_labelled_estimated_and_prioritised(self, web):
        assignees = set(
            web.issues.exclude(assignee=None).values_list("assignee__username", flat=True)
        )
        assert assignees == {"alice", "bob", "demo"}
        assert web.issues.filter(labels__isnull=False).distinct().count() >= 30
        assert web.issues.exclude(estimate=None).count() >= 50
        assert len(set(web.issues.values_list("priority", flat=True))) == 5

    def test_demo_titles_and_descriptions_are_believable(self, web):
        titles = list(web.issues.values_list("title", flat=True))
        assert len(set(titles)) == len(titles)
        assert "Guest checkout without creating an account" in titles
        assert not any("lorem" in title.lower() for title in titles)
        assert web.issues.exclude(description="").count() >= 40

    def test_demo_has_comments_with_their_events(self, web):
        comments = Comment.objects.filter(issue__project=web)
        assert comments.count() >= 8
        for comment in comments:
            event = IssueEvent.objects.get(
                issue=comment.issue, field="comment", new_value=comment.body
            )
            assert event.created_at == comment.created_at

    def test_demo_history_lies_in_the_past_weeks_in_order(self, web):
        """Spread over ten weeks; each issue's moves in the order they were made, after its
        creation. (A sprint's work is planned before it starts and done during it, so an issue's
        planning events may come before changes written earlier: planning/demo.py.)"""
        now = timezone.now()
        issues = list(web.issues.order_by("number").prefetch_related("events"))
        assert now - min(issue.created_at for issue in issues) > timezone.timedelta(days=60)
        for issue in issues:
            events = list(issue.events.all())  # In the order written.
            moves = [event.created_at for event in events if event.field == "status"]
            assert moves == sorted(moves)
            times = sorted(event.created_at for event in events)
            assert issue.created_at <= times[0]
            assert issue.updated_at == times[-1] < now

    def test_demo_sprints_hold_their_work(self, web):
        """Closed sprints: what was done in them was done between their start and completion,
        so their burndown falls and their velocity counts it."""
        from planning.models import Sprint, SprintState
        from reports import queries

        for sprint in Sprint.objects.filter(project=web, state=SprintState.CLOSED):
            points = queries.sprint_points(sprint.pk, sprint.started_at, sprint.completed_at)
            assert points.committed > 0 and points.done > 0
            days = queries.burndown(sprint.pk, [sprint.started_at, sprint.completed_at])
            assert days[0].remaining > days[-1].remaining

    def test_demo_status_history_matches_each_status(self, web):
        for issue in web.issues.select_related("status"):
            moves = [e for e in issue.events.all() if e.field == "status"]
            if issue.status.name in ("Triage", "Backlog"):
                assert moves == []
            else:
                assert moves[-1].new_status == issue.status

    def test_demo_resolved_at_is_when_the_work_was_closed(self, web):
        for issue in web.issues.select_related("status"):
            if issue.status.is_closed:
                closing = issue.events.filter(field="status").last()
                assert issue.resolved_at == closing.created_at
            else:
                assert issue.resolved_at is None

    def test_seed_demo_twice_changes_nothing(self, web, db_snapshot):
        User = get_user_model()
        before = db_snapshot(), list(User.objects.order_by("pk").values())
        assert "already there" in seed()
        assert (db_snapshot(), list(User.objects.order_by("pk").values())) == before


def test_seed_demo_leaves_existing_users_alone(db):
    User = get_user_model()
    User.objects.create_user("alice", password="her own", first_name="Alicia")
    seed()
    alice = User.objects.get(username="alice")
    assert alice.check_password("her own")
    assert alice.first_name == "Alicia"
    assert Project.objects.get(key="WEB").role_of(alice) == Role.MEMBER


# seed_demo --issues N: a big project in bulk ---------------------------------------------


class TestBigProject:
    """Read-only checks of one project of 400 issues built in bulk."""

    def test_big_project_has_the_issues_asked_numbered_from_one(self, big):
        assert sorted(big.issues.values_list("number", flat=True)) == list(range(1, 401))
        assert big.next_number == 401

    def test_big_project_ranks_are_evenly_spaced_in_number_order(self, big):
        ranks = list(big.issues.order_by("number").values_list("rank", flat=True))
        assert ranks == ranking.evenly_spaced(400)

    def test_big_project_issues_obey_every_model_rule(self, big):
        for issue in big.issues.select_related("project", "status", "parent"):
            issue.full_clean()

    def test_big_project_has_a_realistic_spread(self, big):
        kinds = counts(big.issues, "kind")
        assert set(kinds) == set(Kind.values)
        assert kinds[Kind.SUBTASK] == 100
        per_status = counts(big.issues, "status__name")
        assert len(per_status) == 7
        assert per_status["Done"] > per_status["In review"]
        assert big.issues.filter(parent__isnull=False).count() > 150
        assert big.issues.filter(labels__isnull=False).distinct().count() > 100

    def test_big_project_resolved_only_when_closed(self, big):
        assert not big.issues.filter(
            resolved_at=None, status__category__in=["done", "canceled"]
        ).exists()
        assert (
            not big.issues.exclude(status__category__in=["done", "canceled"])
            .exclude(resolved_at=None)
            .exists()
        )

    def test_big_project_works_with_the_operations(self, big):
        alice = get_user_model().objects.get(username="alice")
        ordered = list(big.issues.order_by("rank"))
        first, last = ordered[0], ordered[-1]
        moved = operations.move_issue(issue=last, actor=alice, status=first.status, after=first)
        assert first.rank < moved.rank
        created = operations.create_issue(project=big, actor=alice, title="One more")
        assert created.number == 401

    def test_big_project_of_the_same_size_is_kept(self, big, db_snapshot):
        before = db_snapshot()
        assert "BIG has 400 issues" in seed(issues=400, project="BIG")
        assert db_snapshot() == before

    def test_big_project_of_another_size_is_refused(self, big):
        with pytest.raises(CommandError, match="BIG already has 400 issues"):
            seed(issues=500, project="BIG")


@pytest.mark.parametrize("key", ["big", "B", "BIG-1"])
def test_big_project_needs_a_valid_key(db, key):
    with pytest.raises(CommandError):
        seed(issues=10, project=key)
    assert not Project.objects.exists()


def test_big_project_needs_at_least_one_issue(db):
    with pytest.raises(CommandError):
        seed(issues=0, project="BIG")


@pytest.mark.parametrize("count", [1, 2, 3])
def test_tiny_big_projects_are_valid(db, count):
    seed(issues=count, project="TINY")
    issues = Issue.objects.filter(project__key="TINY")
    assert issues.count() == count
    for issue in issues:
        issue.full_clean()


# rebalance_ranks -------------------------------------------------------------------------


def crowd(project, count: int = 6) -> list[int]:
    """Give the project issues whose keys grew long by moves into one gap; their order, by id."""
    actor = IssueFactory(project=project).reporter
    for _ in range(count):
        IssueFactory(project=project, actor=actor)
    to_do = project.statuses.get(name="To do")
    for _ in range(30):
        top, second = project.issues.order_by("rank")[:2]
        bottom = project.issues.order_by("-rank").first()
        operations.move_issue(issue=bottom, actor=actor, status=to_do, after=top, before=second)
    assert max(len(card.rank) for card in project.issues.all()) > 5
    return list(project.issues.order_by("rank").values_list("pk", flat=True))


def test_rebalance_ranks_command_shortens_one_project(project):
    order = crowd(project)
    other = ProjectFactory(key="APP")
    other_order = crowd(other)
    other_ranks = list(other.issues.order_by("rank").values_list("rank", flat=True))
    out = io.StringIO()
    call_command("rebalance_ranks", "WEB", stdout=out)
    assert out.getvalue() == "WEB: 7 issues rebalanced.\n"
    assert list(project.issues.order_by("rank").values_list("pk", flat=True)) == order
    assert max(len(rank) for rank in project.issues.values_list("rank", flat=True)) <= 3
    assert list(other.issues.order_by("rank").values_list("pk", flat=True)) == other_order
    assert list(other.issues.order_by("rank").values_list("rank", flat=True)) == other_ranks


def test_rebalance_ranks_command_without_keys_does_every_project(project):
    orders = {key: crowd(ProjectFactory(key=key)) for key in ("APP", "OPS")}
    out = io.StringIO()
    call_command("rebalance_ranks", stdout=out)
    assert out.getvalue() == (
        "APP: 7 issues rebalanced.\nOPS: 7 issues rebalanced.\nWEB: 0 issues rebalanced.\n"
    )
    for key, order in orders.items():
        issues = Issue.objects.filter(project__key=key)
        assert list(issues.order_by("rank").values_list("pk", flat=True)) == order
        assert max(len(rank) for rank in issues.values_list("rank", flat=True)) <= 3


def test_rebalance_ranks_command_refuses_unknown_keys(project):
    with pytest.raises(CommandError, match=r"No such project: NOPE\."):
        call_command("rebalance_ranks", "WEB", "NOPE")
