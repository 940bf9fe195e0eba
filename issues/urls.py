from django.urls import path

from . import export, views

app_name = "issues"

urlpatterns = [
    path("issues/export.csv", export.export_csv, name="export"),
]
