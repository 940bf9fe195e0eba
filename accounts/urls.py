from django.urls import path

from . import views

# Django's auth views reverse these names without a namespace.
urlpatterns = [
    path("profile/", views.profile, name="account_profile"),
    path("sessions/", views.sign_out_elsewhere, name="account_sessions"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
