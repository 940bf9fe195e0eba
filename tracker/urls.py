from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from issues import admin as issue_admin
from issues import views as issue_views
from projects import views as project_views

urlpatterns = [
    path("", issue_views.project_list, name="home"),
    path("healthz", issue_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # Before the admin's own: "View on site" only for what the staff user administers.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(issue_admin.view_on_site),
    ),
    path("admin/", admin.site.urls),
    path("projects/new/", project_views.project_new, name="project_new"),
    path("invitations/<str:token>/", project_views.invitation, name="invitation"),
    path("projects/<str:key>/settings/", include("projects.urls")),
    path("projects/<str:key>/", include("boards.urls")),
    path("projects/<str:key>/", include("issues.urls")),
    path("projects/<str:key>/", include("reports.urls")),
    path("projects/<str:key>/", include("notifications.project_urls")),
    path("", include("notifications.urls")),
    path("projects/<str:key>/", include("planning.urls")),
    path("projects/<str:key>/", include("intake.urls")),
    path("", include("intake.public_urls")),
]
