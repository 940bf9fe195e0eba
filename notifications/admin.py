"""Notifications in the admin: for superusers, read-only (the worker makes them; people change
their own preferences at /accounts/notifications/). Project staff never see other people's
inboxes here."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Notification, Preferences, Watch


class SuperuserReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(SuperuserReadOnly):
    list_display = ("recipient", "issue", "reason", "updated_at", "read_at", "email_due_at")
    list_filter = ("reason", "mentioned")
    list_select_related = ("recipient", "issue__project")
    search_fields = ("recipient__username",)
    raw_id_fields = ("recipient", "issue", "project")
    show_full_result_count = False


@admin.register(Watch)
class WatchAdmin(SuperuserReadOnly):
    list_display = ("user", "issue", "created_at")
    list_select_related = ("user", "issue__project")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "issue")


@admin.register(Preferences)
class PreferencesAdmin(SuperuserReadOnly):
    list_display = ("user", "email", "email_mentions")
    list_filter = ("email",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
