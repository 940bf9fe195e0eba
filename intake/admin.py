"""Intake in the admin: who asked for what (read-only: requests are added through the doors
and the issue page, so that demand is always counted by the operations)."""

from django.contrib import admin

from issues.admin import ProjectScopedAdmin

from .models import Request, Requester


@admin.register(Request)
class RequestAdmin(ProjectScopedAdmin):
    project_lookup = "issue__project_id"
    list_display = ("issue_key", "issue_title", "requester", "channel", "source", "created_at")
    list_filter = ("channel", "source")
    list_select_related = ("issue__project", "requester")
    search_fields = ("requester__email", "requester__name", "requester__company", "words")
    show_full_result_count = False
    fields = (
        "issue",
        "requester",
        "channel",
        "source",
        "words",
        "external_url",
        "external_id",
        "added_by",
        "created_at",
        "shipped_notified_at",
    )
    readonly_fields = fields

    def project_id_of(self, obj) -> int:
        return obj.issue.project_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Issue", ordering="issue__number")
    def issue_key(self, obj: Request) -> str:
        return obj.issue.key

    @admin.display(description="Title")
    def issue_title(self, obj: Request) -> str:
        return obj.issue.title


@admin.register(Requester)
class RequesterAdmin(admin.ModelAdmin):
    """Requesters belong to no project: only superusers see them all."""

    list_display = ("email", "name", "company", "verified_at", "unsubscribed_at", "created_at")
    search_fields = ("email", "name", "company")
    readonly_fields = ("email", "verified_at", "unsubscribed_at", "created_at")
    fields = ("email", "name", "company", "verified_at", "unsubscribed_at", "created_at")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
