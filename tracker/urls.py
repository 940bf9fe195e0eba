from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from issues import views as issue_views

urlpatterns = [
    path("", issue_views.project_list, name="home"),
    path("healthz", issue_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("projects/<str:key>/", include("boards.urls")),
    path("projects/<str:key>/", include("issues.urls")),
]
