from django.apps import AppConfig
from django.db.backends.signals import connection_created


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        connection_created.connect(set_trigram_threshold, dispatch_uid="intake-trigram-threshold")


def set_trigram_threshold(sender, connection, **kwargs) -> None:
    """Similar titles (intake.portal.similar) match above intake's threshold, not pg_trgm's
    default: one SET per new connection instead of one per query."""
    if connection.vendor == "postgresql":
        from .portal import TRIGRAM_THRESHOLD

        with connection.cursor() as cursor:
            cursor.execute(f"SET pg_trgm.similarity_threshold = {float(TRIGRAM_THRESHOLD)}")
