"""Who may see and change a project, as views ask it.

A non-member gets 404 for every URL of a project (its existence is not revealed); a member whose
role is too low gets 403. Views call this first, because a fragment skips the page around it.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest

from .models import Membership, Project, Role, role_at_least


def project_for(
    request: HttpRequest, key: str, minimum: str = Role.VIEWER, *, archived_ok: bool = False
) -> Project:
    """The project `key` with `project.role` set to the user's role, or 404 / 403.

    An archived project is read-only: anything above viewing is 403, except what
    `archived_ok` allows (its settings, where an admin unarchives it).
    """
    user = request.user
    projects = Project.objects.filter(key=key)
    if user.is_authenticated and not user.is_superuser:
        # The role in the same query as the project: one query fewer on every request.
        member = Membership.objects.filter(project=OuterRef("pk"), user=user).order_by()
        projects = projects.annotate(member_role=Subquery(member.values("role")[:1]))
    project = projects.first()
    role = None
    if project is not None:
        if hasattr(project, "member_role"):
            project.remember_role(user, project.member_role)
        role = project.role_of(user)
    if role is None:
        raise Http404("No such project.")
    if not role_at_least(role, minimum):
        raise PermissionDenied(f"You need the {Role(minimum).label.lower()} role in {key}.")
    archived = project.archived_at is not None
    if archived and minimum != Role.VIEWER and not archived_ok:
        raise PermissionDenied(f"{key} is archived: it is read-only until an admin unarchives it.")
    project.role = role
    project.can_edit = role_at_least(role, Role.MEMBER) and not archived
    project.can_admin = role == Role.ADMIN
    return project
