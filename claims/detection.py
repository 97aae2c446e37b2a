"""
The database side of conflict detection.

`refresh_variable` reads the claims on one variable, asks the pure rules in
claims.conflicts what is superseded and what conflicts, and brings the
stored supersessions and conflicts in line, inside the caller's transaction.
Its cost grows with the claims on that variable, never with the database.
An approval (one claim joining the approved ones) takes `claim_added`
instead, whose cost grows with the claims of its source on the variable and
the current claims inside its window, not with the variable's history; it
gives the same answer, and hands over to `refresh_variable` whenever it
cannot be sure it would (a relay, a counting topic, a true value).

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
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from claims import conflicts as rules
from claims import locks
from claims import speakers as topic_speakers
from claims.bulk import builder, insert_with_history
from claims.models import HAS_TRUE_VALUE, Claim, Conflict, Topic
from crosscheck.cache import data_changed
from watching import events

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
    "relays_id",
    "relays_source_id",
)


def variable_changed(topic_id: int, detainee_id: int | None, *, added=None) -> None:
    """Re-examine a variable now, or at the end of the enclosing `deferred()` block.

    `added`: the one change on the variable is this claim (saved) joining its
    approved claims (an approval, a restore): `claim_added` compares it with
    the claims it can touch instead of re-examining the whole variable, or
    falls back to `refresh_variable` when it cannot tell.
    """
    pending = _deferred.get()
    if pending is not None:
        pending.add((topic_id, detainee_id))
    elif added is None or claim_added(added) is None:
        refresh_variable(topic_id, detainee_id)


def person_facts(topic_id: int) -> list[rules.ClaimFacts]:
    """Return the approved per-person claims reporting a status on a topic: a list's witnesses."""
    return [
        rules.ClaimFacts(*row)
        for row in Claim.objects.approved()
        .filter(topic_id=topic_id, detainee__isnull=False, kind=rules.FACT)
        .exclude(status="")
        .order_by()
        .values_list(*FACT_FIELDS)
    ]


def examine_variable(
    topic: Topic, detainee_id: int | None, approved: list[rules.ClaimFacts], persons=None
) -> rules.Examination:
    """Examine one variable's approved claims; the topic's own adds its list conflicts.

    `persons` are the topic's approved per-person claims when the caller has
    them (the recompute reads whole topics); read here otherwise.
    """
    topic_rules = topic.rules
    if detainee_id is not None or not topic_rules.counts_status:
        return rules.examine(approved, topic_rules)
    if persons is None:
        persons = person_facts(topic.pk)
    return rules.examine_topic(approved, persons, topic_rules)


@contextlib.contextmanager
def deferred() -> Iterator[set[Variable]]:
    """Collect changed variables and refresh each once when the block ends."""
    if _deferred.get() is not None:  # Nested: the outer block refreshes.
        yield _deferred.get()
        return
    pending: set[Variable] = set()
    token = _deferred.set(pending)
    try:
        # The watchers' notifications too are written once, in bulk, at the end.
        with transaction.atomic(), events.collected():
            yield pending
            _deferred.set(None)
            counting: set[int] = set()
            for topic_id, detainee_id in sorted(pending, key=lambda v: (v[0], v[1] or 0)):
                refresh_variable(topic_id, detainee_id, follow=counting)
            # Lists against persons: each counting topic's own variable once,
            # however many of its detainees changed (it reads their claims afresh).
            for topic_id in sorted(counting - {t for t, d in pending if d is None}):
                refresh_variable(topic_id, None)
            # Bulk imports write inside this block without signals: cached pages go stale.
            data_changed()
    finally:
        _deferred.reset(token)


# No savepoint of its own: it runs inside the writing transaction, and a
# failure here must undo that write as well, never leave it half-examined.
@transaction.atomic(savepoint=False)
def refresh_variable(
    topic_id: int,
    detainee_id: int | None,
    *,
    by=None,
    because: str = "",
    follow: bool | set[int] = True,
) -> Counter:
    """Bring supersessions and conflicts on one variable in line with its approved claims.

    `by` and `because` are the person and the reason behind a change that is
    not a claim's (a topic's rules edited): every conflict opened, closed or
    reopened records both, on the conflict and in its history.

    Return a Counter of what changed ("opened", "reopened", "superseded",
    "lapsed", "kind changed", "supersession changed", "witnesses changed").

    Lists against persons: on a topic whose count counts a status, a
    per-person claim moves the bound on the count, so refreshing a
    detainee's variable refreshes the topic's own variable too (`follow`),
    or, given a set, adds the topic to it for the caller to refresh once.
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
        .values_list(*FACT_FIELDS, "state", "superseded_by_id", "verdict")
    )
    approved = [rules.ClaimFacts(*row[:-3]) for row in rows if row[-3] == Claim.State.APPROVED]
    found = examine_variable(topic, detainee_id, approved)
    changes: Counter = Counter()

    _write_supersessions([(row[0], row[-2]) for row in rows], found.superseded, changes)
    # Who speaks on the topic (claims/speakers.py), on its own variable.
    if detainee_id is None and (speakers_changed := topic_speakers.keep({topic_id: approved})):
        changes["speakers changed"] += speakers_changed
    stored = list(Conflict.objects.filter(topic_id=topic_id, detainee_id=detainee_id))
    lists = detainee_id is None and bool(topic.rules.counts_status)
    speakers = {row[0]: row[1] for row in rows}
    _write_conflicts(
        topic_id,
        detainee_id,
        found,
        changes,
        by=by,
        because=because,
        stored=stored,
        lists=lists,
        speakers=speakers,
    )
    if any(c.truth is not None for c in stored) or any(row[-1] for row in rows):
        _refresh_verdicts(topic_id, detainee_id, changes, by=by)
    if changes:  # Written in bulk, without signals: cached pages go stale.
        data_changed()
    if detainee_id is not None and topic.rules.counts_status and follow is not False:
        if isinstance(follow, set):
            follow.add(topic_id)
        else:
            changes.update(refresh_variable(topic_id, None, by=by, because=because))
    return changes


# No savepoint of its own, as refresh_variable.
@transaction.atomic(savepoint=False)
def claim_added(claim, *, by=None) -> Counter | None:
    """Bring the variable in line after one claim joined its approved claims; None if it cannot.

    The moderators' busiest write (an approval) changes one claim, so only
    what that claim can touch is read, not the whole variable: the claims of
    its source there (whose chain of statements it may join, superseding an
    earlier one: that one's open conflicts close), and the other sources'
    current approved claims inside the topic's window of its date (those
    it may conflict with), with the conflicts of the claims whose standing
    changes. The answer is the one `refresh_variable` would give, by the
    same rules (`examine` on the variable: the newly superseded claims leave
    the live set, the new claim enters it and is compared with every live
    claim of another speaker inside the window; nothing else changes). It
    does not try, and returns None for `refresh_variable` to run, when the
    claim relays another's words, the topic counts a status (lists against
    persons), the variable holds a true value or the claim a verdict, a
    stored mark says otherwise than the rules (a claim no longer
    superseded), or the claim has an open conflict there already.

    `claim` is the saved instance; its row is read again, and a row that
    differs from the instance in what the rules read falls back too.
    """
    if claim.relays_id is not None or claim.relays_source_id is not None:
        return None
    topic_id, detainee_id = claim.topic_id, claim.detainee_id
    locks.lock_topics([topic_id])  # Held already by Claim.save: free (claims/locks.py).
    topic = Topic.objects.get(pk=topic_id)
    topic_rules = topic.rules
    if topic_rules.counts_status:
        return None
    source_id = claim.source_id
    day = claim.as_of or claim.stated_on
    window = timedelta(days=topic_rules.window_days)
    first, last = day - window, day + window
    rows = list(
        Claim.objects.on_variable(topic_id, detainee_id)
        .filter(state=Claim.State.APPROVED)
        .filter(
            Q(pk=claim.pk)
            | Q(source_id=source_id)
            | Q(relays_source_id=source_id)
            | (
                Q(superseded_by__isnull=True)
                & (
                    Q(as_of__range=(first, last))
                    | Q(as_of__isnull=True, stated_on__range=(first, last))
                )
            )
        )
        .order_by()
        .values_list(*FACT_FIELDS, "superseded_by_id", "verdict")
    )
    facts = {row[0]: rules.ClaimFacts(*row[:-2]) for row in rows}
    stored_by = {row[0]: row[-2] for row in rows}
    new = facts.get(claim.pk)
    if new is None or new[1:] != rules.ClaimFacts(*(getattr(claim, f) for f in FACT_FIELDS))[1:]:
        return None  # Not approved after all, or the row is not what the instance says.
    if any(row[-1] for row in rows if row[0] == claim.pk):
        return None  # A verdict: refresh_variable brings it in line.

    # The source's chain: its originals, and the stand-in relays of it, which
    # its own word supersedes. Nobody else's supersessions depend on this claim.
    chain = [
        c
        for c in facts.values()
        if (c.source_id == source_id and not rules.is_relay(c))
        or (c.relays_source_id == source_id and c.relays_id is None)
    ]
    superseded = rules.supersessions(chain)
    superseded.update(rules.relay_supersessions(chain))
    relayed = [
        c.id for c in facts.values() if c.relays_source_id == source_id and c.relays_id is not None
    ]
    marks = [(c.id, stored_by[c.id]) for c in chain] + [(pk, stored_by[pk]) for pk in relayed]
    if any(by_id is not None and superseded.get(pk) is None for pk, by_id in marks):
        return None  # A claim the rules no longer supersede: not one claim's change.
    newly = {pk for pk, by_id in marks if by_id is None and pk in superseded}

    # The new claim against the live claims of the other speakers in its window.
    wanted: dict[tuple[int, int], rules.Kind] = {}
    if claim.pk not in superseded and rules.is_compared(new):
        value = rules.value_of(new, topic_rules)
        for other in facts.values():
            if (
                stored_by[other.id] is not None
                or other.relays_id is not None
                or not rules.is_compared(other)
                or rules.speaker_of(other) == source_id
                or not rules.within_window(new, other, topic_rules)
            ):
                continue
            kind = rules.compare_values(value, rules.value_of(other, topic_rules), topic_rules)
            if kind is not None:
                wanted[(min(claim.pk, other.id), max(claim.pk, other.id))] = kind

    # Their conflicts, and whether the variable holds a true value: one query.
    touched = [claim.pk, *newly]
    read = list(
        Conflict.objects.filter(
            Q(claim_a_id__in=touched)
            | Q(claim_b_id__in=touched)
            | (
                Q(topic_id=topic_id, detainee_id=detainee_id, status=Conflict.Status.RESOLVED)
                & HAS_TRUE_VALUE
            )
        ).order_by("pk")
    )
    here = (topic_id, detainee_id)
    stored = []
    for conflict in read:
        pair = (conflict.claim_a_id, conflict.claim_b_id)
        on_here = (conflict.topic_id, conflict.detainee_id) == here
        if on_here and conflict.status == Conflict.Status.RESOLVED and conflict.has_true_value:
            return None  # Verdicts to give: refresh_variable does.
        if claim.pk in pair and pair not in wanted and on_here and conflict.is_open:
            return None  # An open conflict of a claim that was not approved: not ours to guess.
        if on_here or pair in wanted:
            stored.append(conflict)

    changes: Counter = Counter()
    sup_map = {pk: by_id for pk, by_id in stored_by.items() if by_id is not None}
    sup_map.update(superseded)
    _write_supersessions(marks, superseded, changes)
    if detainee_id is None:  # The source's row among the topic's speakers (claims/speakers.py).
        own = [c for c in facts.values() if c.source_id == source_id]
        topic_speakers.keep({topic_id: own}, sources={source_id})
    _write_conflicts(
        topic_id,
        detainee_id,
        rules.Examination(superseded=sup_map, conflicts=wanted),
        changes,
        by=by,
        stored=stored,
        speakers={c.id: c.source_id for c in facts.values()},
        looked_elsewhere=True,
    )
    if changes:  # Written without signals (supersessions): cached pages go stale.
        data_changed()
    return changes


def _refresh_verdicts(topic_id: int, detainee_id: int | None, changes: Counter, *, by) -> None:
    """Give the variable's claims the verdicts a true value recorded on it gives them.

    Run when the variable holds a true value or a claim with a verdict (one
    that moved here may bring a verdict the values here no longer give):
    the verdicts are a function of the recorded values and the claims,
    whatever changed them (docs/verdicts.md).
    """
    from claims.models import claims_for_verdicts, refresh_verdicts

    changed = refresh_verdicts(claims_for_verdicts(topic_id, detainee_id), by=by)
    if changed:
        changes["verdict changed"] += changed


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
    other = claims[claim_b_id].variable
    if other != variable:
        # A list conflict: the topic's claim against a per-person claim on it.
        if variable[0] == other[0] and None in (variable[1], other[1]):
            variable = (variable[0], None)
        else:
            return None, "its claims are no longer about the same topic and detainee", None
    topic = Topic.objects.get(pk=variable[0])
    approved = [
        rules.ClaimFacts(*row)
        for row in Claim.objects.approved()
        .on_variable(*variable)
        .order_by()
        .values_list(*FACT_FIELDS)
    ]
    found = examine_variable(topic, variable[1], approved)
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
    because: str = "",
    speakers: dict[int, int],
    stored: list[Conflict] | None = None,
    lists: bool = False,
    looked_elsewhere: bool = False,
) -> None:
    """Open, close, reopen or move the variable's conflicts to match `found`.

    `stored` is the variable's conflicts when the caller has read them
    already (the full recompute reads a whole batch of topics at once).
    `lists`: the variable is a counting topic's own, whose conflicts may
    have witnesses (lists against persons) to bring in line.
    `speakers` maps the variable's claims to their sources: the watchers of
    a conflict opened (or reopened) are told (watching.events).
    `looked_elsewhere`: `stored` holds already every conflict of the wanted
    pairs, wherever it lies (claim_added reads them with the rest).
    """
    opened: list[Conflict] = []
    wanted = found.conflicts
    if stored is None:
        stored = list(Conflict.objects.filter(topic_id=topic_id, detainee_id=detainee_id))
    existing = {(c.claim_a_id, c.claim_b_id): c for c in stored}
    missing = [pair for pair in wanted if pair not in existing]
    if missing and not looked_elsewhere:
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
            _transition(conflict, status, reason, now, by, because)
            changes[status] += 1
            continue
        moved = (conflict.topic_id, conflict.detainee_id) != (topic_id, detainee_id)
        if conflict.status != Conflict.Status.OPEN:
            conflict.kind, conflict.topic_id, conflict.detainee_id = kind, topic_id, detainee_id
            _transition(
                conflict, Conflict.Status.OPEN, "The claims conflict again.", now, by, because
            )
            changes["reopened"] += 1
            opened.append(conflict)
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
            status_changed_by=by if because else None,
            status_reason=" ".join(filter(None, ["Flagged by detection.", because])),
        )
        conflict._change_reason = conflict.status_reason
        if because and by is not None:
            conflict._history_user = by
        conflict.save()
        events.created(conflicts=[conflict])  # A new row: no one watches it yet.
        existing[pair] = conflict
        changes["opened"] += 1
        opened.append(conflict)
    if opened:
        events.conflicts_opened(opened, speakers, by=by)
    if lists or found.witnesses:
        _write_witnesses(
            {
                existing[pair].pk: found.witnesses.get(pair, ())
                for pair in wanted
                if pair in existing
            },
            changes,
        )


def _write_witnesses(wanted: dict[int, tuple[int, ...]], changes: Counter) -> None:
    """Make each conflict's witnesses (a list conflict's per-person claims) what detection found.

    `wanted` maps conflict ids to witness claim ids (empty for a pair). Two
    queries to read, one to add, one to remove, however many conflicts.
    A conflict the rules no longer want keeps the witnesses it had.
    """
    if not wanted:
        return
    through = Conflict.witnesses.through
    stored: dict[int, set[int]] = defaultdict(set)
    for conflict_id, claim_id in through.objects.filter(conflict_id__in=wanted).values_list(
        "conflict_id", "claim_id"
    ):
        stored[conflict_id].add(claim_id)
    add, remove = [], Q(pk__in=[])
    changed = 0
    for conflict_id, claim_ids in wanted.items():
        want, have = set(claim_ids), stored.get(conflict_id, set())
        if want == have:
            continue
        changed += 1
        add.extend(through(conflict_id=conflict_id, claim_id=c) for c in sorted(want - have))
        if have - want:
            remove |= Q(conflict_id=conflict_id, claim_id__in=have - want)
    if add:
        through.objects.bulk_create(add, batch_size=2000)
    if remove != Q(pk__in=[]):
        through.objects.filter(remove).delete()  # A derived link, not a record: nothing lost.
    if changed:
        changes["witnesses changed"] += changed


def _transition(conflict: Conflict, status: str, reason: str, now, by, because: str = "") -> None:
    reason = " ".join(filter(None, [reason, because]))
    conflict.status, conflict.status_changed_at = status, now
    conflict.status_changed_by, conflict.status_reason = by, reason
    conflict._change_reason = reason
    if by is not None:
        conflict._history_user = by
    conflict.save()


@dataclass(frozen=True)
class Recomputation:
    """What a full recompute changed, and over how many variables."""

    changes: Counter
    variables: int


# Claims read per query by the full recompute: whole topics at a time, so that
# a million claims take a few hundred queries instead of three per variable.
RECOMPUTE_BATCH_CLAIMS = 20_000
# And at most this many topics per batch: each batch takes every one of its
# topics' advisory locks (claims/locks.py) in one transaction, and PostgreSQL
# holds max_locks_per_transaction x max_connections locks for the whole server
# (6,400 by default, shared with every other session): 20,000 claims of
# small topics are thousands of topics, and ran it out ("out of shared memory").
RECOMPUTE_BATCH_TOPICS = 500
FLAGGED = "Flagged by detection."
# The batched path's new conflicts, thousands at a time: built positionally (claims.bulk).
new_conflict = builder(Conflict)


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
    # order_by(): the models' default orderings would add their columns to
    # the DISTINCT, which then returned every claim (a million rows) instead
    # of every variable.
    variables = set(Claim.objects.order_by().values_list("topic_id", "detainee_id").distinct())
    variables |= set(Conflict.objects.order_by().values_list("topic_id", "detainee_id").distinct())
    ordered = sorted(variables, key=lambda v: (v[0], v[1] or 0))
    sizes = dict(
        Claim.objects.order_by()
        .values("topic_id")
        .annotate(n=Count("pk"))
        .values_list("topic_id", "n")
    )
    total: Counter = Counter()
    batch: list[tuple[int, int | None]] = []
    claims_in_batch = topics_in_batch = 0
    for index, variable in enumerate(ordered):
        batch.append(variable)
        next_topic = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if next_topic == variable[0]:
            continue  # A topic is never split across batches.
        claims_in_batch += sizes.get(variable[0], 0)
        topics_in_batch += 1
        if (
            claims_in_batch >= RECOMPUTE_BATCH_CLAIMS
            or topics_in_batch >= RECOMPUTE_BATCH_TOPICS
            or next_topic is None
        ):
            with transaction.atomic():
                _recompute_batch(batch, total, by=by)
                # Written in bulk, without signals: cached pages go stale.
                data_changed()
            batch, claims_in_batch, topics_in_batch = [], 0, 0
    if orphans := topic_speakers.repair_orphans():  # Topics left without claims: in no batch.
        total["speakers changed"] += orphans
    return Recomputation(changes=total, variables=len(variables))


def _recompute_batch(variables: list[tuple[int, int | None]], total: Counter, *, by) -> None:
    topic_ids = sorted({topic_id for topic_id, _ in variables})
    locks.lock_topics(topic_ids)  # In ascending order: claims/locks.py.
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=topic_ids)}
    # Each row as a tuple: ClaimFacts' fields, then these three (a dict per
    # row cost more than the rules, at a million claims).
    n = len(FACT_FIELDS)
    state, superseded_by, verdict = n, n + 1, n + 2
    detainee = FACT_FIELDS.index("detainee_id")
    rows_by_variable: dict[tuple[int, int | None], list[tuple]] = defaultdict(list)
    fields = (*FACT_FIELDS, "state", "superseded_by_id", "verdict", "topic_id")
    for values in (
        Claim.objects.filter(topic_id__in=topic_ids)
        .order_by()
        .values_list(*fields)
        .iterator(chunk_size=5000)
    ):
        rows_by_variable[(values[-1], values[detainee])].append(values)
    approved = Claim.State.APPROVED
    fact_of = rules.ClaimFacts._make
    stored: dict[tuple[int, int | None], list[Conflict]] = defaultdict(list)
    for conflict in Conflict.objects.filter(topic_id__in=topic_ids).order_by("pk"):
        stored[(conflict.topic_id, conflict.detainee_id)].append(conflict)

    # Each topic's approved per-person claims: the witnesses of its list conflicts.
    persons: dict[int, list[rules.ClaimFacts]] = defaultdict(list)
    for (topic_id, detainee_id), rows in rows_by_variable.items():
        if detainee_id is None:
            continue
        persons[topic_id].extend(
            fact
            for row in rows
            if row[state] == approved
            and (fact := fact_of(row[:n])).kind == rules.FACT
            and fact.status
        )

    examined = []
    for topic_id, detainee_id in variables:
        rows = rows_by_variable.get((topic_id, detainee_id), [])
        facts = [fact_of(row[:n]) for row in rows if row[state] == approved]
        found = examine_variable(
            topics[topic_id], detainee_id, facts, persons=persons.get(topic_id, [])
        )
        examined.append((topic_id, detainee_id, rows, found))

    # Pairs about to be opened that already have a conflict elsewhere: a claim
    # moved. Those stored on their own variable in this batch need no look-up.
    here = {
        (c.claim_a_id, c.claim_b_id, c.topic_id, c.detainee_id)
        for conflicts in stored.values()
        for c in conflicts
    }
    firsts = {
        a
        for topic_id, detainee_id, _, found in examined
        for a, b in found.conflicts
        if (a, b, topic_id, detainee_id) not in here
    }
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
    verdict_variables: list[tuple[int, int | None, Counter]] = []
    now = timezone.now()
    for topic_id, detainee_id, rows, found in examined:
        changes: Counter = Counter()
        for row in rows:
            wanted = found.superseded.get(row[0])
            if row[superseded_by] != wanted:
                stale.append((row[0], wanted))
                changes["supersession changed"] += 1
        simple = (topic_id, detainee_id) not in stored and not any(
            pair in elsewhere for pair in found.conflicts
        )
        if simple:
            for (a, b), kind in found.conflicts.items():
                conflict = new_conflict(
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
                topic_id,
                detainee_id,
                found,
                changes,
                by=by,
                speakers={row[0]: row[1] for row in rows},
                stored=None if moving else mine,
                lists=detainee_id is None and bool(topics[topic_id].rules.counts_status),
            )
        if any(c.truth is not None for c in stored.get((topic_id, detainee_id), [])) or any(
            row[verdict] for row in rows
        ):
            verdict_variables.append((topic_id, detainee_id, changes))
        total.update(changes)

    _write_stale_supersessions(stale)
    # Who speaks on each topic of the batch (claims/speakers.py): rewritten where it differs.
    if speakers_changed := topic_speakers.keep(
        {
            topic_id: [
                fact_of(row[:n])
                for row in rows_by_variable.get((topic_id, None), [])
                if row[state] == approved
            ]
            for topic_id in topic_ids
        }
    ):
        total["speakers changed"] += speakers_changed
    if opened:
        # COPY on PostgreSQL (claims.bulk): an import's thousands of new conflicts.
        insert_with_history(Conflict, opened, user=None, reason=FLAGGED, now=now)
        events.created(conflicts=opened)  # Rows new to this transaction: no one watches them.
        witnessed = {(c.claim_a_id, c.claim_b_id): c for c in opened if c.detainee_id is None}
        links = [
            Conflict.witnesses.through(conflict_id=witnessed[pair].pk, claim_id=claim_id)
            for *_, found in examined
            for pair, claim_ids in found.witnesses.items()
            if pair in witnessed
            for claim_id in claim_ids
        ]
        if links:
            Conflict.witnesses.through.objects.bulk_create(links, batch_size=2000)
            total["witnesses changed"] += len({link.conflict_id for link in links})
        speakers = {row[0]: row[1] for _, _, rows, _ in examined for row in rows}
        events.conflicts_opened(opened, speakers, by=by)
    for topic_id, detainee_id, changes in verdict_variables:
        before = changes["verdict changed"]
        _refresh_verdicts(topic_id, detainee_id, changes, by=by)
        total["verdict changed"] += changes["verdict changed"] - before


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


NOTHING = ApprovalPreview(conflicts=[], supersedes=[], superseded_by=None)


def _sorted_by_date(claims: list[Claim]) -> list[Claim]:
    return sorted(claims, key=lambda other: (other.effective_as_of, other.pk))


def preview_approval(claim: Claim) -> ApprovalPreview:
    """Return the conflicts and updates approving `claim` now would bring; write nothing.

    The claim may be unsaved, a draft or pending. The approved claims on its
    variable are examined as they are, with the claim added (its stored
    version, if approved, set aside): the pairs that involve it are the
    conflicts it would raise. A claim whose stored version is not approved
    takes `preview_approvals`' bounded reads.
    """
    if claim.pk is None or claim.state != Claim.State.APPROVED:
        return preview_approvals([claim])[0]
    return _preview_whole_variable(claim)


def _previewable(claim: Claim) -> bool:
    stances = (rules.AFFIRMS, rules.DENIES, *rules.UNKNOWN_STANCES)
    if claim.kind != rules.FACT or claim.stance not in stances:
        return False
    return claim.topic_id is not None and claim.stated_on is not None


def _candidate(claim: Claim) -> rules.ClaimFacts:
    return rules.ClaimFacts(
        **{field: getattr(claim, field) for field in FACT_FIELDS if field != "id"},
        id=claim.pk or CANDIDATE_ID,
    )


def _preview_whole_variable(claim: Claim) -> ApprovalPreview:
    """The preview from every approved claim on the variable, its stored version set aside.

    For a claim whose stored version is approved (an approved claim being
    edited): setting that version aside may revive claims it superseded,
    which the stored marks cannot tell.
    """
    if not _previewable(claim):
        return NOTHING
    approved = Claim.objects.approved().on_variable(claim.topic_id, claim.detainee_id)
    if claim.pk is not None:
        approved = approved.exclude(pk=claim.pk)
    others = {other.pk: other for other in approved.for_display()}
    candidate = _candidate(claim)
    found = rules.examine([*(o.facts for o in others.values()), candidate], claim.topic.rules)
    return _preview_from(candidate.id, found, others)


def _preview_from(
    candidate_id: int, found: rules.Examination, others: dict[int, Claim]
) -> ApprovalPreview:
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
        supersedes=_sorted_by_date(supersedes),
        superseded_by=others[later] if later is not None else None,
    )


def preview_approvals(claims: list[Claim]) -> list[ApprovalPreview]:
    """Return `preview_approval` of each claim, in two queries for them all (three at most).

    The moderation queue previews a page of pending claims at once. Approving
    one of them changes the standing of its own speaker's claims only (the
    claims it supersedes), so what it would conflict with is read from the
    *live* approved claims (facts no later statement of their source has
    updated: the stored marks, which detection keeps a function of the
    approved claims) on its variable inside the topic's window of its date,
    and what it would update from its speaker's live claims there. All of it
    through the partial index claim_live_idx (migration 0021): its cost grows
    with the sources speaking on the variable, never with the variable's
    history. Only a claim dated before its speaker's latest word there (which
    may slot between two older statements, or be updated at once) reads its
    speaker's whole chain on the variable, in one more query for all such
    claims. A claim whose stored version is approved (being edited) is
    previewed from its whole variable (`_preview_whole_variable`).

    The same answers as examining every approved claim on the variable with
    the claim added: tests/claims/test_claim_preview.py checks them against
    that and against what approval then opens.
    """
    results: list[ApprovalPreview | None] = [None] * len(claims)
    bounded = []
    for index, claim in enumerate(claims):
        if not _previewable(claim):
            results[index] = NOTHING
        elif claim.pk is not None and claim.state == Claim.State.APPROVED:
            results[index] = _preview_whole_variable(claim)
        elif claim.relays_id is not None:
            results[index] = NOTHING  # A relay of a recorded claim takes no part in the rules.
        else:
            bounded.append((index, claim, _candidate(claim)))
    if not bounded:
        return results

    live_wanted = Q(pk__in=[])
    asked = set()
    for _, claim, candidate in bounded:
        day, window = candidate.effective_as_of, timedelta(days=claim.topic.rules.window_days)
        speaker = rules.speaker_of(candidate)
        term = (claim.topic_id, claim.detainee_id, day - window, day + window, speaker)
        if term in asked:  # A page of one source's claims on one day asks once.
            continue
        asked.add(term)
        live_wanted |= Q(topic_id=claim.topic_id, detainee_id=claim.detainee_id) & (
            Q(live_day__range=(day - window, day + window))
            | Q(source_id=speaker)
            | Q(relays_source_id=speaker)
        )
    live: dict[Variable, dict[int, Claim]] = defaultdict(dict)
    for other in live_claims().filter(live_wanted).for_display().order_by():
        live[other.variable][other.pk] = other

    # A claim not later than its speaker's latest word on the variable: its
    # place in the chain needs the whole chain.
    chained = []
    for entry in bounded:
        _, claim, candidate = entry
        speaker = rules.speaker_of(candidate)
        if any(
            other.pk != claim.pk
            and other.source_id == speaker
            and not rules.is_relay(other.facts)
            and other.facts.recency >= candidate.recency
            for other in live[claim.variable].values()
        ):
            chained.append(entry)
    chains: dict[tuple[Variable, int], list[Claim]] = defaultdict(list)
    if chained:
        chain_wanted = Q(pk__in=[])
        for speaker, topic_id, detainee_id in {
            (rules.speaker_of(candidate), claim.topic_id, claim.detainee_id)
            for _, claim, candidate in chained
        }:
            chain_wanted |= Q(topic_id=topic_id, detainee_id=detainee_id) & (
                Q(source_id=speaker) | Q(relays_source_id=speaker)
            )
        for other in (
            Claim.objects.approved()
            .filter(kind=rules.FACT)
            .filter(chain_wanted)
            .for_display()
            .order_by()
        ):
            # Its speaker's originals and stand-in relays: a relay it makes of
            # another's words is not in its chain (and may be superseded there).
            facts = other.facts
            if not rules.is_relay(facts):
                chains[(other.variable, facts.source_id)].append(other)
            elif facts.relays_id is None:
                chains[(other.variable, facts.relays_source_id)].append(other)

    for index, claim, candidate in bounded:
        others = {pk: o for pk, o in live[claim.variable].items() if pk != claim.pk}
        speaker = rules.speaker_of(candidate)
        others.update(
            (o.pk, o) for o in chains.get((claim.variable, speaker), ()) if o.pk != claim.pk
        )
        found = rules.examine([*(o.facts for o in others.values()), candidate], claim.topic.rules)
        results[index] = _preview_from(candidate.id, found, others)
    return results


def live_claims():
    """The approved facts no later statement of their source updates, with their effective day.

    Read through claim_live_idx (topic, detainee, effective day; migration 0021).
    """
    return Claim.objects.filter(
        state=Claim.State.APPROVED, kind=rules.FACT, superseded_by__isnull=True
    ).annotate(live_day=Coalesce("as_of", "stated_on"))


def preview(claim: Claim) -> list[tuple[Claim, str]]:
    """Return the approved claims `claim` would conflict with if approved now, and how.

    Each pair is (other claim, "gap" or "contradiction"). What it would
    supersede is in `preview_approval(claim).supersedes`.
    """
    return preview_approval(claim).conflicts
