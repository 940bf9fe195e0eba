from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("backlog/", views.backlog, name="backlog"),
    path("backlog/rows/", views.backlog_rows, name="backlog_rows"),
    path("backlog/move/", views.backlog_move, name="backlog_move"),
    path("backlog/plan/", views.backlog_plan, name="backlog_plan"),
    path("sprints/new/", views.sprint_create, name="sprint_create"),
    path("sprints/<int:sprint_id>/edit/", views.sprint_edit, name="sprint_edit"),
    path("sprints/<int:sprint_id>/start/", views.sprint_start, name="sprint_start"),
    path("sprints/<int:sprint_id>/complete/", views.sprint_complete, name="sprint_complete"),
    path("sprints/<int:sprint_id>/delete/", views.sprint_delete, name="sprint_delete"),
    path("releases/", views.releases, name="releases"),
    path("releases/new/", views.release_create, name="release_create"),
    path("releases/<int:release_id>/", views.release_detail, name="release"),
    path("releases/<int:release_id>/notes.md", views.release_notes, name="release_notes"),
    path("releases/<int:release_id>/edit/", views.release_edit, name="release_edit"),
    path("releases/<int:release_id>/release/", views.release_release, name="release_release"),
]
