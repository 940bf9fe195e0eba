"""Send the daily digest e-mails: run it once a day from cron (see the README)."""

from django.core.management.base import BaseCommand

from notifications.delivery import send_digests


class Command(BaseCommand):
    help = (
        "E-mail every user who chose the daily digest what changed since their last one "
        "(the worker delivers them). Safe to repeat: nothing is sent twice."
    )

    def handle(self, *args, **options) -> None:
        sent = send_digests()
        self.stdout.write(f"Queued {sent} digest e-mail{'s' if sent != 1 else ''}.")
