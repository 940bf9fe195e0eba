from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.general, name="general"),
    path("general/", views.general_save, name="general_save"),
    path("archive/", views.archive, name="archive"),
    path("workflow/", views.workflow, name="workflow"),
    path("workflow/add/", views.status_add, name="status_add"),
    path("workflow/order/", views.status_order, name="status_order"),
    path("workflow/<int:status_id>/", views.status_edit, name="status_edit"),
    path("workflow/<int:status_id>/default/", views.status_default, name="status_default"),
    path("workflow/<int:status_id>/delete/", views.status_delete, name="status_delete"),
    path("transitions/", views.transitions, name="transitions"),
    path("labels/", views.labels, name="labels"),
    path("labels/add/", views.label_add, name="label_add"),
    path("labels/<int:label_id>/", views.label_edit, name="label_edit"),
    path("labels/<int:label_id>/delete/", views.label_delete, name="label_delete"),
    path("labels/<int:label_id>/merge/", views.label_merge, name="label_merge"),
    path("members/", views.members, name="members"),
    path("members/add/", views.member_add, name="member_add"),
    path("members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/", views.invite, name="invite"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
