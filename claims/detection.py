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
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from claims import conflicts as rules
from claims import locks
from claims.bulk import insert_with_history
from claims.models import Claim, Conflict, Topic
from crosscheck.cache import data_changed

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
            # Bulk imports write inside this block without signals: cached pages go stale.
            data_changed()
    finally:
        _deferred.reset(token)


# No savepoint of its own: it runs inside the writing transaction, and a
# failure here must undo that write as well, never leave it half-examined.
@transaction.atomic(savepoint=False)
def refresh_variable(topic_id: int, detainee_id: int | None, *, by=None) -> Counter:
    """Bring supersessions and conflicts on one variable in line with its approved claims.

    Return a Counter of what changed ("opened", "reopened", "superseded",
    "lapsed", "kind changed", "supersession changed").
    """
    # Serialise detection per topic, so that two approvals on the same
    # variable cannot both open the same pair. The writer took the lock
    # already, before its claim row (claims/locks.py: the lock order); taking
    # it again is free, and covers a caller that did not.
    locks.lock_topics([topic_id])
    topic = Topic.objects.get(pk=topic_id)
    # The approved claims, and the others still marked superseded (to clear
    # the mark): a claim in any other state has nothing to change. Read as
    # tuples, in ClaimFacts' field order: this runs on every approval.
    rows = list(
        Claim.objects.on_variable(topic_id, detainee_id)
        .filter(Q(state=Claim.State.APPROVED) | Q(superseded_by__isnull=False))
        .order_by()
        .values_list(*FACT_FIELDS, "state", "superseded_by_id")
    )
    approved = [rules.ClaimFacts(*row[:-2]) for row in rows if row[-2] == Claim.State.APPROVED]
    found = rules.examine(approved, topic.rules)
    changes: Counter = Counter()

    _write_supersessions([(row[0], row[-1]) for row in rows], found.superseded, changes)
    _write_conflicts(topic_id, detainee_id, found, changes, by=by)
    if changes:  # Written in bulk, without signals: cached pages go stale.
        data_changed()
    return changes


def pair_standing(claim_a_id: int, claim_b_id: int) -> tuple[str | None, str, Variable | None]:
    """Return (the kind the rules give this pair now, or None; why not; the pair's variable).

    A person may reopen a conflict they closed only into the state the rules
    give it: reopening a pair whose claim was retracted or superseded would
    leave an open conflict on a dead claim, which the next recompute closes
    (the incremental path and the recompute would disagree).
    """
    claims = {
        c.pk: c
        for c in Claim.objects.filter(pk__in=[claim_a_id, claim_b_id]).only(
            "pk", "state", "topic_id", "detainee_id"
        )
    }
    for pk in (claim_a_id, claim_b_id):
        claim = claims[pk]
        if claim.state != Claim.State.APPROVED:
            return None, f"claim #{pk} is {claim.get_state_display().lower()}", None
    variable = claims[claim_a_id].variable
    if claims[claim_b_id].variable != variable:
        return None, "its claims are no longer about the same topic and detainee", None
    topic = Topic.objects.get(pk=variable[0])
    approved = [
        rules.ClaimFacts(*row)
        for row in Claim.objects.approved()
        .on_variable(*variable)
        .order_by()
        .values_list(*FACT_FIELDS)
    ]
    found = rules.examine(approved, topic.rules)
    for pk in (claim_a_id, claim_b_id):
        if pk in found.superseded:
            return (
                None,
                f"claim #{pk} is superseded by a later statement of its source "
                f"(#{found.superseded[pk]})",
                None,
            )
    kind = found.conflicts.get((claim_a_id, claim_b_id))
    if kind is None:
        return None, "its claims no longer conflict", None
    return str(kind), "", variable


def _write_supersessions(
    stored: list[tuple[int, int | None]], superseded: dict[int, int], changes: Counter
) -> None:
    """Write each claim's superseded_by where it differs; `stored` is (id, superseded_by_id)."""
    stale = [
        Claim(pk=pk, superseded_by_id=superseded.get(pk))
        for pk, superseded_by_id in stored
        if superseded_by_id != superseded.get(pk)
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
    stored: list[Conflict] | None = None,
) -> None:
    """Open, close, reopen or move the variable's conflicts to match `found`.

    `stored` is the variable's conflicts when the caller has read them
    already (the full recompute reads a whole batch of topics at once).
    """
    wanted = found.conflicts
    if stored is None:
        stored = list(Conflict.objects.filter(topic_id=topic_id, detainee_id=detainee_id))
    existing = {(c.claim_a_id, c.claim_b_id): c for c in stored}
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


@dataclass(frozen=True)
class Recomputation:
    """What a full recompute changed, and over how many variables."""

    changes: Counter
    variables: int


# Claims read per query by the full recompute: whole topics at a time, so that
# a million claims take a few hundred queries instead of three per variable.
RECOMPUTE_BATCH_CLAIMS = 20_000
FLAGGED = "Flagged by detection."


def recompute_all(*, by=None) -> Recomputation:
    """Refresh every variable that has claims or conflicts; return what changed.

    Gives exactly what `refresh_variable` on each variable in turn would give
    (same supersessions, same conflicts, same statuses, reasons and history),
    but reads whole topics per query and writes in bulk: new conflicts (with
    their history rows) by bulk insert, supersessions by one UPDATE per
    batch. A variable that already has conflicts, or whose new pair has a
    conflict on another variable (a claim moved), goes through the same
    `_write_conflicts` that `refresh_variable` uses.
    """
    variables = set(Claim.objects.values_list("topic_id", "detainee_id").distinct())
    variables |= set(Conflict.objects.values_list("topic_id", "detainee_id").distinct())
    ordered = sorted(variables, key=lambda v: (v[0], v[1] or 0))
    sizes = dict(
        Claim.objects.order_by()
        .values("topic_id")
        .annotate(n=Count("pk"))
        .values_list("topic_id", "n")
    )
    total: Counter = Counter()
    batch: list[tuple[int, int | None]] = []
    claims_in_batch = 0
    for index, variable in enumerate(ordered):
        batch.append(variable)
        next_topic = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if next_topic == variable[0]:
            continue  # A topic is never split across batches.
        claims_in_batch += sizes.get(variable[0], 0)
        if claims_in_batch >= RECOMPUTE_BATCH_CLAIMS or next_topic is None:
            with transaction.atomic():
                _recompute_batch(batch, total, by=by)
                # Written in bulk, without signals: cached pages go stale.
                data_changed()
            batch, claims_in_batch = [], 0
    return Recomputation(changes=total, variables=len(variables))


def _recompute_batch(variables: list[tuple[int, int | None]], total: Counter, *, by) -> None:
    topic_ids = sorted({topic_id for topic_id, _ in variables})
    locks.lock_topics(topic_ids)  # In ascending order: claims/locks.py.
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=topic_ids)}
    rows_by_variable: dict[tuple[int, int | None], list[dict]] = defaultdict(list)
    fields = (*FACT_FIELDS, "state", "superseded_by_id", "topic_id")
    for values in (
        Claim.objects.filter(topic_id__in=topic_ids)
        .order_by()
        .values_list(*fields)
        .iterator(chunk_size=5000)
    ):
        row = dict(zip(fields, values, strict=True))
        rows_by_variable[(row.pop("topic_id"), row["detainee_id"])].append(row)
    stored: dict[tuple[int, int | None], list[Conflict]] = defaultdict(list)
    for conflict in Conflict.objects.filter(topic_id__in=topic_ids).order_by("pk"):
        stored[(conflict.topic_id, conflict.detainee_id)].append(conflict)

    examined = []
    for topic_id, detainee_id in variables:
        rows = rows_by_variable.get((topic_id, detainee_id), [])
        approved = [
            rules.ClaimFacts(**{f: row[f] for f in FACT_FIELDS})
            for row in rows
            if row["state"] == Claim.State.APPROVED
        ]
        examined.append(
            (topic_id, detainee_id, rows, rules.examine(approved, topics[topic_id].rules))
        )

    # Pairs about to be opened that already have a conflict elsewhere: a claim moved.
    firsts = {a for *_, found in examined for a, _ in found.conflicts}
    elsewhere = set()
    for chunk in _chunks(sorted(firsts), 5000):
        elsewhere |= set(
            Conflict.objects.filter(claim_a_id__in=chunk).values_list("claim_a_id", "claim_b_id")
        )

    # Which variable of this batch wants each pair: a stored conflict wanted by
    # another variable is about to move there, so its own variable reads its
    # conflicts afresh, as refresh_variable would, once the move is written.
    wanted_on = {
        pair: (topic_id, detainee_id)
        for topic_id, detainee_id, _, found in examined
        for pair in found.conflicts
    }
    stale: list[tuple[int, int | None]] = []
    opened: list[Conflict] = []
    now = timezone.now()
    for topic_id, detainee_id, rows, found in examined:
        changes: Counter = Counter()
        for row in rows:
            wanted = found.superseded.get(row["id"])
            if row["superseded_by_id"] != wanted:
                stale.append((row["id"], wanted))
                changes["supersession changed"] += 1
        simple = (topic_id, detainee_id) not in stored and not any(
            pair in elsewhere for pair in found.conflicts
        )
        if simple:
            for (a, b), kind in found.conflicts.items():
                conflict = Conflict(
                    claim_a_id=a,
                    claim_b_id=b,
                    topic_id=topic_id,
                    detainee_id=detainee_id,
                    kind=kind,
                    opened_at=now,
                    status_changed_at=now,
                    status_reason=FLAGGED,
                )
                conflict._change_reason = FLAGGED
                opened.append(conflict)
            if found.conflicts:
                changes["opened"] += len(found.conflicts)
        else:
            mine = stored.get((topic_id, detainee_id), [])
            moving = any(
                wanted_on.get((c.claim_a_id, c.claim_b_id), (topic_id, detainee_id))
                != (topic_id, detainee_id)
                for c in mine
            )
            _write_conflicts(
                topic_id, detainee_id, found, changes, by=by, stored=None if moving else mine
            )
        total.update(changes)

    _write_stale_supersessions(stale)
    # COPY on PostgreSQL (claims.bulk): an import's thousands of new conflicts.
    insert_with_history(Conflict, opened, user=None, reason=FLAGGED, now=now)


def _write_stale_supersessions(stale: list[tuple[int, int | None]]) -> None:
    """Set superseded_by on many claims at once: one UPDATE per 5,000 on PostgreSQL."""
    if not stale:
        return
    if connection.vendor != "postgresql":
        Claim.objects.bulk_update(
            [Claim(pk=pk, superseded_by_id=by) for pk, by in stale],
            ["superseded_by"],
            batch_size=500,
        )
        return
    table = Claim._meta.db_table
    with connection.cursor() as cursor:
        for chunk in _chunks(stale, 5000):
            # Arrays as text literals: far cheaper to send than lists of ints.
            ids = "{" + ",".join(str(pk) for pk, _ in chunk) + "}"
            targets = "{" + ",".join("NULL" if by is None else str(by) for _, by in chunk) + "}"
            cursor.execute(
                f'UPDATE "{table}" AS c SET "superseded_by_id" = v.by '
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, by) WHERE c.id = v.id",
                [ids, targets],
            )


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The preview: what approving a claim now would do --------------------------

# The id an unsaved claim takes in the rules; no saved claim has it.
CANDIDATE_ID = -1


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving one claim now would bring on its variable."""

    conflicts: list[tuple[Claim, str]]
    # Earlier approved claims of the same source it would update.
    supersedes: list[Claim]
    # A later approved claim of the same source that would update it at once.
    superseded_by: Claim | None


def preview_approval(claim: Claim) -> ApprovalPreview:
    """Return the conflicts and updates approving `claim` now would bring; write nothing.

    The claim may be unsaved, a draft or pending. The approved claims on its
    variable are examined as they are, with the claim added (its stored
    version, if approved, set aside): the pairs that involve it are the
    conflicts it would raise.
    """
    nothing = ApprovalPreview(conflicts=[], supersedes=[], superseded_by=None)
    stances = (rules.AFFIRMS, rules.DENIES, *rules.UNKNOWN_STANCES)
    if claim.kind != rules.FACT or claim.stance not in stances:
        return nothing
    if claim.topic_id is None or claim.stated_on is None:
        return nothing
    approved = Claim.objects.approved().on_variable(claim.topic_id, claim.detainee_id)
    if claim.pk is not None:
        approved = approved.exclude(pk=claim.pk)
    others = {other.pk: other for other in approved.for_display()}
    candidate_id = claim.pk or CANDIDATE_ID
    candidate = rules.ClaimFacts(
        **{field: getattr(claim, field) for field in FACT_FIELDS if field != "id"},
        id=candidate_id,
    )
    found = rules.examine([*(o.facts for o in others.values()), candidate], claim.topic.rules)

    conflicts = [
        (others[b if a == candidate_id else a], kind.value)
        for (a, b), kind in found.conflicts.items()
        if candidate_id in (a, b)
    ]
    conflicts.sort(key=lambda pair: (pair[0].effective_as_of, pair[0].pk))
    supersedes = [others[old] for old, new in found.superseded.items() if new == candidate_id]
    later = found.superseded.get(candidate_id)
    return ApprovalPreview(
        conflicts=conflicts,
        supersedes=supersedes,
        superseded_by=others[later] if later is not None else None,
    )


def preview(claim: Claim) -> list[tuple[Claim, str]]:
    """Return the approved claims `claim` would conflict with if approved now, and how.

    Each pair is (other claim, "gap" or "contradiction"). What it would
    supersede is in `preview_approval(claim).supersedes`.
    """
    return preview_approval(claim).conflicts
