from django.http import HttpRequest

from .models import Project


def navigation(request: HttpRequest) -> dict:
    """The projects for the top bar's switcher (lazy: only queried when a template uses it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_projects": Project.objects.visible_to(user).active().only("key", "name")}
