"""
Re-examine every variable and bring supersessions and conflicts in line.

Detection runs on every claim change, so on a healthy database this changes
nothing; run it after a bulk load or a data fix that bypassed `Claim.save`,
a restore, or a change to the conflict rules. It runs in one transaction, is
idempotent, and never reopens a conflict a person closed.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from claims import detection

# The order a reader expects: what was flagged first, then what was closed.
ORDER = ("opened", "reopened", "kind changed", "superseded", "lapsed", "supersession changed")


class Command(BaseCommand):
    help = "Recompute conflicts and supersessions on every topic and detainee."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            result = detection.recompute_all()
        changes = {str(kind): count for kind, count in result.changes.items() if count}
        if not changes:
            self.stdout.write("No changes.")
        for kind in sorted(
            changes, key=lambda k: (ORDER.index(k) if k in ORDER else len(ORDER), k)
        ):
            self.stdout.write(f"{kind}: {changes[kind]}")
        plural = "" if result.variables == 1 else "s"
        self.stdout.write(f"Examined {result.variables} variable{plural}.")
