from django.core.management.base import BaseCommand

from watching import mail
from watching.tasks import schedule_digests


class Command(BaseCommand):
    help = (
        "Send today's daily digests now (each user at most once a day), or with --schedule "
        "queue the worker's daily digest task for NOTIFICATIONS_DIGEST_HOUR unless it waits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Only queue the daily task for the worker (idempotent); send nothing now.",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        if schedule:
            queued = schedule_digests()
            due = mail.next_digest_time()
            self.stdout.write(
                f"Daily digest queued for {due:%Y-%m-%d %H:%M %Z}."
                if queued
                else "The daily digest is queued already."
            )
            return
        sent = mail.send_digests()
        self.stdout.write(f"Sent {sent} digest{'s' * (sent != 1)}.")
