from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:chart>.csv", views.chart_csv, name="chart_csv"),
]
