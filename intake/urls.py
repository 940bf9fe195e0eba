"""Intake's pages inside a project (under /projects/<KEY>/)."""

from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("issues/<int:number>/requests/", views.request_add, name="request_add"),
    path("issues/<int:number>/publish/", views.publish, name="publish"),
    path("issues/<int:number>/merge/", views.merge, name="merge"),
    path("issues/<int:number>/accept/", views.accept, name="accept"),
    path("issues/<int:number>/decline/", views.decline, name="decline"),
    path("intake/triage/", views.triage, name="triage"),
    path("intake/", views.intake_settings, name="settings"),
    path("intake/keys/", views.key_create, name="key_create"),
    path("intake/keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("intake/docs/", views.docs, name="docs"),
    path("intake/portal/", views.portal_settings, name="portal_settings"),
]
