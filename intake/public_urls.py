"""Intake's public doors: the ideas portal, the intake API, the widget, unsubscribe links."""

from django.urls import path

from . import portal_views, public_views

app_name = "intake_public"

urlpatterns = [
    path("portal/<str:key>/", portal_views.home, name="portal"),
    path("portal/<str:key>/ideas/<int:number>/", portal_views.idea, name="idea"),
    path("portal/<str:key>/ideas/<int:number>/vote/", portal_views.vote, name="vote"),
    path("portal/<str:key>/ideas/<int:number>/comment/", portal_views.comment, name="comment"),
    path("portal/<str:key>/releases/", portal_views.releases, name="releases"),
    path("portal/<str:key>/releases/feed/", portal_views.releases_feed, name="releases_feed"),
    path("portal/<str:key>/submit/", portal_views.submit, name="submit"),
    path("portal/<str:key>/similar/", portal_views.similar, name="similar"),
    path("portal/<str:key>/mine/", portal_views.mine, name="mine"),
    path("portal/<str:key>/sign-in/", portal_views.sign_in, name="sign_in"),
    path(
        "portal/<str:key>/sign-in/<str:token>/",
        portal_views.sign_in_confirm,
        name="sign_in_confirm",
    ),
    path("portal/<str:key>/sign-out/", portal_views.sign_out, name="sign_out"),
    path("api/intake/<str:key>/", public_views.intake_api, name="api"),
    path("api/intake/<str:key>/widget/", public_views.widget, name="widget"),
    path("intake/unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
]
