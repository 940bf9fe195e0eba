from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """django.contrib.admin with the project's site (tracker/admin_site.py) as `admin.site`."""

    default_site = "tracker.admin_site.TrackerAdminSite"
