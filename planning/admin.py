"""Sprints and releases in the admin, scoped like the rest: a project's admins see its rows.

Saving goes through `planning.operations` (validation and a PlanningEvent), never `save()`.
State changes (start, complete, release) happen on the backlog and release pages.
"""

from django.contrib import admin

from issues.admin import ProjectScopedAdmin, administered, refusals
from issues.models import Project

from . import operations
from .models import PlanningEvent, Release, Sprint


class PlanningEventInline(admin.TabularInline):
    model = PlanningEvent
    fields = ("created_at", "actor", "action", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PlanningAdmin(ProjectScopedAdmin):
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            ids = administered(request)
            projects = Project.objects.order_by("key")
            kwargs["queryset"] = projects if ids is None else projects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "project") if obj else self.readonly_fields

    def get_deleted_objects(self, objs, request):
        # Its issues do not block a deletion: the operation takes them out of it first.
        deleted, counts, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, []


@admin.register(Sprint)
class SprintAdmin(PlanningAdmin):
    list_display = ("name", "project", "state", "start", "end")
    list_filter = ("state",)
    list_select_related = ("project",)
    search_fields = ("name", "goal")
    fields = ("project", "name", "goal", "start", "end", "state", "started_at", "completed_at")
    readonly_fields = ("state", "started_at", "completed_at")
    inlines = [PlanningEventInline]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in operations.SPRINT_FIELDS}
        with refusals():
            if change:
                operations.update_sprint(sprint=obj, actor=request.user, changes=data)
            else:
                saved = operations.create_sprint(
                    project=form.cleaned_data["project"], actor=request.user, **data
                )
                obj.pk = saved.pk

    def delete_model(self, request, obj):
        with refusals():
            operations.delete_sprint(sprint=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with refusals():
            for sprint in queryset:
                operations.delete_sprint(sprint=sprint, actor=request.user)


@admin.register(Release)
class ReleaseAdmin(PlanningAdmin):
    list_display = ("name", "project", "state", "target_date", "release_date")
    list_filter = ("state",)
    list_select_related = ("project",)
    search_fields = ("name", "description")
    fields = ("project", "name", "description", "target_date", "state", "release_date", "notes")
    readonly_fields = ("state", "release_date")
    inlines = [PlanningEventInline]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in operations.RELEASE_FIELDS}
        with refusals():
            if change:
                operations.update_release(release=obj, actor=request.user, changes=data)
            else:
                notes = data.pop("notes")
                saved = operations.create_release(
                    project=form.cleaned_data["project"], actor=request.user, **data
                )
                if notes:
                    operations.update_release(
                        release=saved, actor=request.user, changes={"notes": notes}
                    )
                obj.pk = saved.pk

    def delete_model(self, request, obj):
        with refusals():
            operations.delete_release(release=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with refusals():
            for release in queryset:
                operations.delete_release(release=release, actor=request.user)
