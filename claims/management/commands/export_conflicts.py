"""Print conflicts as JSON or CSV, in the shape DESIGN.md "Case files" gives.

After DESIGN.md's keys, issue 14's: `witnesses`, a list conflict's per-person
claims behind the broken bound (claim ids, ascending; empty for a pair), and
`internal_to`, the organisation both claims speak for when the conflict is an
internal inconsistency (claims.voices), else null. In CSV they are the last
two columns: the ids joined by "; ", the name or "".
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.management.base import BaseCommand
from django.db.models import CharField, OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Cast

from claims.models import Claim, Conflict
from claims.voices import every_organisation, internal_to

CLAIM_KEYS = (
    "id",
    "source",
    "kind",
    "stance",
    "quantity_min",
    "quantity_max",
    "status",
    "summary",
    "stated_on",
    "as_of",
    # After DESIGN.md's keys: whose words a relay (claims/conflicts.py) repeats, or null.
    "relays_source",
)
CONFLICT_KEYS = ("id", "topic", "detainee", "kind", "status")
# After DESIGN.md's keys (issue 14): a list conflict's witnesses, an internal inconsistency's
# organisation.
LATER_KEYS = ("witnesses", "internal_to")
CSV_HEADER = [
    *CONFLICT_KEYS,
    *(f"a_{key}" for key in CLAIM_KEYS),
    *(f"b_{key}" for key in CLAIM_KEYS),
    *LATER_KEYS,
]


def claim_dict(claim: Claim) -> dict:
    """Return a claim as the export shows it: names for sources, ISO dates, null for absent."""
    return {
        "id": claim.pk,
        "source": claim.source.name,
        "kind": claim.kind,
        "stance": claim.stance or None,
        "quantity_min": claim.quantity_min,
        "quantity_max": claim.quantity_max,
        "status": claim.status or None,
        "summary": claim.summary,
        "stated_on": claim.stated_on.isoformat(),
        "as_of": claim.as_of.isoformat() if claim.as_of else None,
        "relays_source": claim.relays_source.name if claim.relays_source_id else None,
    }


def conflict_dict(conflict: Conflict) -> dict:
    """Return a conflict as the export shows it; expects `witness_ids` and `internal_to` set."""
    ids = getattr(conflict, "witness_ids", None) or ""
    return {
        "id": conflict.pk,
        "topic": conflict.topic.title,
        "detainee": conflict.detainee.name if conflict.detainee_id else None,
        "kind": conflict.kind,
        "status": conflict.status,
        "claims": [claim_dict(conflict.claim_a), claim_dict(conflict.claim_b)],
        "witnesses": sorted(int(i) for i in ids.split(",") if i),
        "internal_to": getattr(conflict, "internal_to", None),
    }


class Command(BaseCommand):
    help = "Print conflicts, oldest first, as a JSON array (default) or as CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--status",
            choices=Conflict.Status.values,
            help="Keep only conflicts in this status, e.g. open.",
        )

    def handle(self, *args, **options) -> None:
        conflicts = self.conflicts(options["status"])
        if options["format"] == "csv":
            self.write_csv(conflicts)
        else:
            self.write_json(conflicts)

    def conflicts(self, status: str | None) -> Iterator[Conflict]:
        """Yield the conflicts, labelled: two queries (the sources, then the conflicts, streamed).

        A large export never sits in memory whole; the witnesses come as one
        aggregated subquery per row, the organisations from every source read once.
        """
        organisations, names = every_organisation()
        witnesses = (
            Conflict.witnesses.through.objects.filter(conflict=OuterRef("pk"))
            .order_by()
            .values("conflict")
            .annotate(ids=StringAgg(Cast("claim_id", CharField()), Value(",")))
            .values("ids")
        )
        rows = (
            Conflict.objects.annotate(witness_ids=Subquery(witnesses))
            .select_related(
                "topic",
                "detainee",
                "claim_a__source",
                "claim_b__source",
                "claim_a__relays_source",
                "claim_b__relays_source",
            )
            .order_by("pk")
        )
        if status:
            rows = rows.filter(status=status)
        for conflict in rows.iterator(chunk_size=500):
            conflict.internal_to = internal_to(conflict, organisations, names)
            yield conflict

    def write_json(self, conflicts: Iterator[Conflict]) -> None:
        # An array written one conflict per line as they stream in; each line
        # waits for the next to know whether it takes a comma.
        self.stdout.write("[")
        previous = None
        for conflict in conflicts:
            if previous is not None:
                self.stdout.write(f"  {previous},")
            previous = json.dumps(conflict_dict(conflict), ensure_ascii=False)
        if previous is not None:
            self.stdout.write(f"  {previous}")
        self.stdout.write("]")

    def write_csv(self, conflicts: Iterator[Conflict]) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for conflict in conflicts:
            data = conflict_dict(conflict)
            a, b = data.pop("claims")
            later = [data.pop(key) for key in LATER_KEYS]
            later[0] = "; ".join(str(pk) for pk in later[0])
            row = [*data.values(), *a.values(), *b.values(), *later]
            writer.writerow(["" if value is None else value for value in row])
