"""Invitations and the settings' activity log in the Django admin: listed for the projects
the staff user administers, changed only through projects.operations (revoking)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from issues.admin import ProjectScopedAdmin

from . import operations
from .models import Invitation, ProjectEvent


class ReadOnlyScopedAdmin(ProjectScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyScopedAdmin):
    list_display = ("email", "project", "role", "state", "invited_by", "created_at")
    list_filter = ("role",)
    list_select_related = ("project", "invited_by")
    search_fields = ("email", "project__key")
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, invitation: Invitation) -> str:
        return invitation.state

    def get_actions(self, request):
        # Actions need a change permission by default; revoking is the operation's own check.
        actions = super().get_actions(request)
        actions["revoke"] = self.get_action("revoke")
        return actions

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        for invitation in queryset.select_related("project"):
            try:
                operations.revoke_invitation(invitation=invitation, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                message = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{invitation.email}: {message}", messages.ERROR)


@admin.register(ProjectEvent)
class ProjectEventAdmin(ReadOnlyScopedAdmin):
    list_display = ("created_at", "project", "actor", "action_label", "detail")
    list_filter = ("action",)
    list_select_related = ("project", "actor")
    search_fields = ("detail", "project__key", "actor__username")
