"""
Delete the staged spreadsheet files past their expiry (claims.jobs.clean_imports).

    python manage.py clean_imports

Each new upload does the same first; run this from cron where uploads are
rare, so that unconfirmed files do not wait for the next one. The jobs stay,
marked expired, with the time their file went.
"""

from django.core.management.base import BaseCommand

from claims.jobs import clean_imports


class Command(BaseCommand):
    help = "Delete staged spreadsheet files past CLAIMS_IMPORT_EXPIRY_HOURS."

    def handle(self, *args, **options) -> None:
        done = clean_imports()
        self.stdout.write(
            f"Expired {done['expired']} import job(s); removed {done['orphans']} stray file(s)."
        )
