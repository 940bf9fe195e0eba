"""factory-boy factories for every model: tests name only what they care about."""

import functools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from intake import operations as intake_operations
from intake.models import Channel, Requester
from issues import operations
from issues.models import (
    Comment,
    Issue,
    IssueEvent,
    Kind,
    Label,
    Membership,
    Project,
    Role,
    Status,
    StatusCategory,
    Transition,
)
from planning import operations as planning_ops
from planning.models import Release, Sprint


@functools.cache
def _password_hash(raw: str) -> str:
    return make_password(raw)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        """Password "password" unless given; hashed once per test run, not once per user."""
        obj.password = _password_hash(extracted or "password")
        if create:
            obj.save(update_fields=["password"])


class ProjectFactory(DjangoModelFactory):
    """A project created the way the product creates one: with its workflow and labels."""

    class Meta:
        model = Project

    key = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Project {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return operations.create_project(**kwargs)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class StatusFactory(DjangoModelFactory):
    class Meta:
        model = Status

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Status {n}")
    category = StatusCategory.TODO
    position = factory.Sequence(lambda n: 100 + n)


class TransitionFactory(DjangoModelFactory):
    class Meta:
        model = Transition

    project = factory.SubFactory(ProjectFactory)
    from_status = factory.LazyAttribute(lambda t: t.project.statuses.first())
    to_status = factory.LazyAttribute(lambda t: t.project.statuses.last())


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"label {n}")
    color = "#0969da"


class IssueFactory(DjangoModelFactory):
    """An issue created through operations.create_issue, by a member of its project."""

    class Meta:
        model = Issue

    project = factory.SubFactory(ProjectFactory)
    title = factory.Faker("sentence", nb_words=5)
    kind = Kind.STORY

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        project = kwargs.pop("project")
        actor = kwargs.pop("actor", None)
        if actor is None:
            actor = UserFactory()
            operations.add_member(project=project, user=actor, role=Role.MEMBER)
        assignee = kwargs.get("assignee")
        if assignee is not None and project.role_of(assignee) is None:
            operations.add_member(project=project, user=assignee, role=Role.MEMBER)
        if kwargs.get("kind") == Kind.SUBTASK and kwargs.get("parent") is None:
            kwargs["parent"] = IssueFactory(project=project, actor=actor, kind=Kind.STORY)
        return operations.create_issue(project=project, actor=actor, **kwargs)


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    issue = factory.SubFactory(IssueFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph")


class IssueEventFactory(DjangoModelFactory):
    class Meta:
        model = IssueEvent

    issue = factory.SubFactory(IssueFactory)
    actor = factory.SubFactory(UserFactory)
    field = "title"
    old_value = "Old title"
    new_value = "New title"


class SprintFactory(DjangoModelFactory):
    """A planned sprint, created through planning.operations by an admin of its project."""

    class Meta:
        model = Sprint

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Sprint {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return planning_ops.create_sprint(actor=_planner(kwargs["project"]), **kwargs)


class ReleaseFactory(DjangoModelFactory):
    """An unreleased version, created through planning.operations."""

    class Meta:
        model = Release

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"1.{n}.0")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return planning_ops.create_release(actor=_planner(kwargs["project"]), **kwargs)


def _planner(project):
    user = UserFactory(username=f"planner-{project.key.lower()}")
    operations.add_member(project=project, user=user, role=Role.MEMBER)
    return user


class RequesterFactory(DjangoModelFactory):
    class Meta:
        model = Requester
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    name = factory.Faker("name")
    company = factory.Faker("company")


def ask_for(issue, email: str | None = None, *, channel: str = Channel.API, **fields):
    """A customer's request for `issue`, counted through intake's operation."""
    requester = intake_operations.requester_for(email=email) if email else RequesterFactory()
    return intake_operations.add_request(
        issue=issue, requester=requester, channel=channel, **fields
    )
