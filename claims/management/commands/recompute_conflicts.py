"""
Re-examine every variable and bring supersessions and conflicts in line.

Detection runs on every claim change, so on a healthy database this changes
nothing; run it after a bulk load or a data fix that bypassed `Claim.save`,
a restore, or a change to the conflict rules. It runs in one transaction, is
idempotent, and never reopens a conflict a person closed.

Then it counts again what the counters kept on write hold (claims/counters.py:
open conflicts and approved claims per topic, per source, per detainee),
repairs any that drifted and says which (nothing when none did). `--counters` does only that;
`--check-counters` only reports, and fails if any counter drifted, or if the topics'
speakers (claims/speakers.py, which the recompute rewrites: "speakers changed") did.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from claims import counters, detection, speakers

# The order a reader expects: what was flagged first, then what was closed.
ORDER = (
    "opened",
    "reopened",
    "kind changed",
    "superseded",
    "lapsed",
    "supersession changed",
    "speakers changed",
)


class Command(BaseCommand):
    help = "Recompute conflicts and supersessions on every topic and detainee, then the counters."

    def add_arguments(self, parser) -> None:
        only = parser.add_mutually_exclusive_group()
        only.add_argument(
            "--counters",
            action="store_true",
            help="Only count again and repair the counters kept on write.",
        )
        only.add_argument(
            "--check-counters",
            action="store_true",
            help="Only compare the counters with a count from scratch; fail if any drifted.",
        )

    def handle(self, *args, **options) -> None:
        if options["check_counters"]:
            drift = counters.recount(connection, counters.live_tables(), repair=False)
            # Who speaks on each topic (claims/speakers.py), kept by detection.
            drift["claims_topicspeaker"] = speakers.drift()
            self.report(drift, repaired=False)
            if any(drift.values()):
                raise CommandError("Some counters drifted: run recompute_conflicts --counters.")
            return
        with transaction.atomic():
            if not options["counters"]:
                self.recompute()
            drift = counters.recount(connection, counters.live_tables())
        self.report(drift, repaired=True)

    def recompute(self) -> None:
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

    def report(self, drift: dict[str, int], *, repaired: bool) -> None:
        wrong = {name: n for name, n in drift.items() if n}
        if not wrong and not repaired:  # A recompute stays quiet about right counters.
            self.stdout.write("Counters: all right.")
        for name, n in wrong.items():
            rows = "row" if n == 1 else "rows"
            done = "repaired" if repaired else "wrong"
            self.stdout.write(f"Counter {name}: {n} {rows} {done}.")
