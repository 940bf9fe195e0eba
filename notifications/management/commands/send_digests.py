"""Send today's daily digest e-mails now. The worker does it by itself every day (the task
`notifications.tasks.send_daily_digests`); this is for manual runs, and it also puts the daily
task back on the queue if it is missing."""

from django.core.management.base import BaseCommand

from notifications.delivery import schedule_digests, send_digests


class Command(BaseCommand):
    help = (
        "E-mail every user who chose the daily digest what changed since their last one "
        "(the worker delivers them), unless they had today's already: safe to repeat, nothing "
        "is sent twice. Also makes sure the worker's daily digest task is queued."
    )

    def handle(self, *args, **options) -> None:
        sent = send_digests()
        self.stdout.write(f"Queued {sent} digest e-mail{'s' if sent != 1 else ''}.")
        if schedule_digests():
            self.stdout.write("The daily digest task was missing: queued again.")
