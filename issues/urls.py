from django.urls import path

from . import export, views

app_name = "issues"

urlpatterns = [
    path("issues/", views.issue_list, name="list"),
    path("issues/new/", views.issue_create, name="create"),
    path("issues/new/parent/", views.parent_field, name="parent_field"),
    path("issues/bulk/", views.issue_bulk, name="bulk"),
    path("issues/bulk/undo/", views.bulk_undo, name="bulk_undo"),
    path("issues/export.csv", export.export_csv, name="export"),
    path("issues/<int:number>/", views.issue_detail, name="detail"),
    path("issues/<int:number>/fields/<str:field>/", views.issue_field, name="field"),
    path("issues/<int:number>/parents/", views.parent_search, name="parents"),
    path("issues/<int:number>/delete/", views.issue_delete, name="delete"),
    path("issues/<int:number>/comments/", views.comment_add, name="comment_add"),
    path(
        "issues/<int:number>/comments/<int:comment_id>/edit/",
        views.comment_edit,
        name="comment_edit",
    ),
    path(
        "issues/<int:number>/comments/<int:comment_id>/delete/",
        views.comment_delete,
        name="comment_delete",
    ),
]
