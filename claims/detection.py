"""
The database side of conflict detection.

`refresh_variable` reads the claims on one variable, asks the pure rules in
claims.conflicts what is superseded and what conflicts, and brings the
stored supersessions and conflicts in line, inside the caller's transaction.
Its cost grows with the claims on that variable, never with the database.

Conflict statuses follow one rule: the *open* set is a function of the
approved claims alone. Detection opens a conflict for every conflicting pair,
closes an open one as `superseded` or `lapsed` when its pair stops
conflicting, and reopens those it closed itself when the pair conflicts
again. It never touches a conflict a person resolved or dismissed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from claims import conflicts as rules
from claims.models import Claim, Conflict, Topic

Variable = tuple[int, int | None]

# While set, changed variables are collected and refreshed once at the end
# (bulk imports), instead of once per saved claim.
_deferred: ContextVar[set[Variable] | None] = ContextVar("deferred_detection", default=None)

FACT_FIELDS = (
    "id",
    "source_id",
    "kind",
    "stance",
    "stated_on",
    "as_of",
    "quantity_min",
    "quantity_max",
    "status",
    "detainee_id",
)


def variable_changed(topic_id: int, detainee_id: int | None) -> None:
    """Re-examine a variable now, or at the end of the enclosing `deferred()` block."""
    pending = _deferred.get()
    if pending is not None:
        pending.add((topic_id, detainee_id))
    else:
        refresh_variable(topic_id, detainee_id)


@contextlib.contextmanager
def deferred() -> Iterator[set[Variable]]:
    """Collect changed variables and refresh each once when the block ends."""
    if _deferred.get() is not None:  # Nested: the outer block refreshes.
        yield _deferred.get()
        return
    pending: set[Variable] = set()
    token = _deferred.set(pending)
    try:
        with transaction.atomic():
            yield pending
            _deferred.set(None)
            for topic_id, detainee_id in sorted(pending, key=lambda v: (v[0], v[1] or 0)):
                refresh_variable(topic_id, detainee_id)
    finally:
        _deferred.reset(token)


@transaction.atomic
def refresh_variable(topic_id: int, detainee_id: int | None, *, by=None) -> Counter:
    """Bring supersessions and conflicts on one variable in line with its approved claims.

    Return a Counter of what changed ("opened", "reopened", "superseded",
    "lapsed", "kind changed", "supersession changed").
    """
    # Serialise detection per topic on PostgreSQL, so that two approvals on
    # the same variable cannot both open the same pair. SQLite locks the
    # whole database on write anyway.
    topic = Topic.objects.select_for_update().get(pk=topic_id)
    rows = list(
        Claim.objects.on_variable(topic_id, detainee_id).values(
            *FACT_FIELDS, "state", "superseded_by_id"
        )
    )
    approved = [
        rules.ClaimFacts(**{f: row[f] for f in FACT_FIELDS})
        for row in rows
        if row["state"] == Claim.State.APPROVED
    ]
    found = rules.examine(approved, topic.rules)
    changes: Counter = Counter()

    _write_supersessions(rows, found.superseded, changes)
    _write_conflicts(topic_id, detainee_id, found, changes, by=by)
    return changes


def _write_supersessions(rows: list[dict], superseded: dict[int, int], changes: Counter) -> None:
    stale = [
        Claim(pk=row["id"], superseded_by_id=superseded.get(row["id"]))
        for row in rows
        if row["superseded_by_id"] != superseded.get(row["id"])
    ]
    if stale:
        # A derived field, kept out of history: bulk_update skips save().
        Claim.objects.bulk_update(stale, ["superseded_by"], batch_size=500)
        changes["supersession changed"] += len(stale)


def _write_conflicts(
    topic_id: int,
    detainee_id: int | None,
    found: rules.Examination,
    changes: Counter,
    *,
    by,
) -> None:
    wanted = found.conflicts
    existing = {
        (c.claim_a_id, c.claim_b_id): c
        for c in Conflict.objects.filter(topic_id=topic_id, detainee_id=detainee_id)
    }
    missing = [pair for pair in wanted if pair not in existing]
    if missing:
        # A claim moved here from another variable may bring its old pair.
        firsts = {a for a, _ in missing}
        for conflict in Conflict.objects.filter(claim_a_id__in=firsts):
            pair = (conflict.claim_a_id, conflict.claim_b_id)
            if pair in wanted:
                existing[pair] = conflict

    now = timezone.now()
    for pair, conflict in existing.items():
        kind = wanted.get(pair)
        if conflict.status in Conflict.HUMAN_CLOSED:
            continue
        if kind is None:
            if conflict.status != Conflict.Status.OPEN:
                continue
            if conflict.claim_a_id in found.superseded or conflict.claim_b_id in found.superseded:
                status, reason = (
                    Conflict.Status.SUPERSEDED,
                    "A later statement of the same source updates one claim.",
                )
            else:
                status, reason = (
                    Conflict.Status.LAPSED,
                    "The claims no longer conflict: one was retracted, rejected or changed.",
                )
            _transition(conflict, status, reason, now, by)
            changes[status] += 1
            continue
        moved = (conflict.topic_id, conflict.detainee_id) != (topic_id, detainee_id)
        if conflict.status != Conflict.Status.OPEN:
            conflict.kind, conflict.topic_id, conflict.detainee_id = kind, topic_id, detainee_id
            _transition(conflict, Conflict.Status.OPEN, "The claims conflict again.", now, by)
            changes["reopened"] += 1
        elif conflict.kind != kind or moved:
            conflict.kind, conflict.topic_id, conflict.detainee_id = kind, topic_id, detainee_id
            conflict._change_reason = "The claims changed."
            conflict.save()
            changes["kind changed"] += 1

    for pair in missing:
        if pair in existing:
            continue
        a, b = pair
        conflict = Conflict(
            claim_a_id=a,
            claim_b_id=b,
            topic_id=topic_id,
            detainee_id=detainee_id,
            kind=wanted[pair],
            opened_at=now,
            status_changed_at=now,
            status_reason="Flagged by detection.",
        )
        conflict._change_reason = "Flagged by detection."
        conflict.save()
        changes["opened"] += 1


def _transition(conflict: Conflict, status: str, reason: str, now, by) -> None:
    conflict.status, conflict.status_changed_at = status, now
    conflict.status_changed_by, conflict.status_reason = by, reason
    conflict._change_reason = reason
    conflict.save()


def recompute_all(*, by=None) -> Counter:
    """Refresh every variable that has claims or conflicts; return what changed."""
    variables = set(Claim.objects.values_list("topic_id", "detainee_id").distinct())
    variables |= set(Conflict.objects.values_list("topic_id", "detainee_id").distinct())
    total: Counter = Counter()
    for topic_id, detainee_id in sorted(variables, key=lambda v: (v[0], v[1] or 0)):
        total.update(refresh_variable(topic_id, detainee_id, by=by))
    total["variables examined"] = len(variables)
    return total
