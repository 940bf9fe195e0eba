"""Project pages of the notifications app (under /projects/<KEY>/)."""

from django.urls import path

from . import views

app_name = "watching"

urlpatterns = [
    path("issues/<int:number>/watch/", views.watch, name="watch"),
    path("mentions/", views.mention_suggestions, name="mentions"),
]
