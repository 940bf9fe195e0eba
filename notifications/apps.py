from django.apps import AppConfig
from django.db import DatabaseError
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        post_migrate.connect(schedule_digests_after_migrate, sender=self)


def schedule_digests_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """Every deploy's `migrate` makes sure the worker's daily digest task is queued, if anyone
    chose the digest (it queues itself again every day; this starts it, or restarts it)."""
    from .delivery import schedule_digests
    from .models import EmailMode, Preferences

    try:
        if Preferences.objects.using(using).filter(email=EmailMode.DIGEST).exists():
            schedule_digests()
    except DatabaseError:
        pass  # Migrated back past the notifications tables: nothing to schedule.
