"""
Delete the staged spreadsheet files past their expiry (claims.jobs.clean_imports),
and the one-time form tokens past FORM_SUBMISSION_KEEP_DAYS
(claims.submissions.purge_submissions).

    python manage.py clean_imports

Each new upload cleans the files first; run this from cron (daily, say) so
that unconfirmed files do not wait for the next upload and the tokens'
table does not grow for ever. The jobs stay, marked expired, with the time
their file went.
"""

from django.core.management.base import BaseCommand

from claims.jobs import clean_imports
from claims.submissions import purge_submissions


class Command(BaseCommand):
    help = (
        "Delete staged spreadsheet files past CLAIMS_IMPORT_EXPIRY_HOURS and one-time form "
        "tokens past FORM_SUBMISSION_KEEP_DAYS."
    )

    def handle(self, *args, **options) -> None:
        done = clean_imports()
        self.stdout.write(
            f"Expired {done['expired']} import job(s); removed {done['orphans']} stray file(s)."
        )
        purged = purge_submissions()
        self.stdout.write(f"Purged {purged} one-time form token(s) older than the setting.")
