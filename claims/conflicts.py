"""
The conflict rules, as pure functions: no ORM, no request.

DESIGN.md "What a fact claim asserts" and "When two claims conflict" are the
specification. Given the approved claims on one variable (a topic, or a topic
and one detainee), `examine` answers which claims are superseded and which
pairs conflict, and how. The database side (claims.detection) feeds it and
writes the answer back.

Choices DESIGN.md leaves open, made here:

- Quantities are integers; a topic without an upper bound counts up to
  infinity. `affirms` with only a lower bound means [lo, topic max], with only
  an upper bound [topic min, hi]. `denies` with a quantity denies exactly that
  interval, so its value is the rest of the topic's range ("not all 53" is
  [0, 52]).
- Claims about one detainee report a status; a detainee claim's value is the
  set of status leaves it allows.
- A claim is superseded by the *next* later fact claim of the same source on
  the variable, so a chain Mon -> Tue -> Wed reads as two updates. Claims of
  one source with equal `stated_on` and `as_of` supersede neither each other.
- A topic may set a tolerance, absolute (10 people) or relative (1%), within
  which two counts agree: "4,183" and "4,190" do not contradict on a topic
  whose tolerance is 1%. The gap between the two intervals is compared with
  the absolute amount and with the percentage of the larger count at the gap.
  It applies to counts only (not statuses, not yes/no).
- Sources are compared by identity: Jen Psaki and the U.S. Department of State
  are different sources, as DESIGN.md's "from different sources" reads.

"Declines to say" (`declines`), a stance of its own (issue 11):

- A source that declines to say ("we will not name them, for their safety")
  refuses to disclose; it does not say it does not know. Its value is
  UNKNOWN like `no_information`'s, but it is compared with no claim: it forms
  no gap (against a known value) and no contradiction, and two refusals, or a
  refusal and a "no information", form nothing either.
- It is still the source's statement on the variable, so it supersedes and is
  superseded like any other fact claim of that source: a source that said
  "some were released" on Tuesday and declines to say on Wednesday has, as of
  Wednesday, declined, and Tuesday's claim is shown as updated (its conflicts
  close as superseded). A journalist reads a source's latest word as its
  position; keeping the older claim live would flag a gap the source itself
  has stepped back from.

Lists against persons (issue 14, point 1)
-----------------------------------------

(Also in docs/lists-and-parties.md, with the demo's example.)

A quantity topic may *count a status* (`Topic.counts_status`, e.g.
`released`): its count is the number of the topic's detainees whose status
lies under that status. Then the per-person claims bound the count.

- A per-person claim *reports a detainee counted* when every status leaf it
  allows lies under the counted status ("released", "exiled",
  "conditional_release" for `released`), and *reports a detainee not
  counted* when none does ("detained", "house_arrest", "denies released").
  "Deceased" is not counted under `released`; a claim that allows both
  (`denies detained`: released or deceased) reports neither.
- Only approved, current (not superseded on its own detainee variable) fact
  claims that do not decline to say take part.
- As of day D, the **lower bound** is the number of distinct detainees some
  claim reports counted with its `as_of` on or before D ("k named released by
  D": a release stays a release). The **upper bound** is the topic's maximum
  minus the distinct detainees reported not counted with an `as_of` within
  the topic's window of D (a detention is news only near its date), leaving
  out any detainee also reported counted (the disagreement is on that
  person's own variable, flagged there as a contradiction).
- An aggregate claim (on the topic, no detainee; approved, current, a fact,
  not declining) is judged against the bound its *other* sources' per-person
  claims give as of its own `as_of` (a source is never flagged against
  itself, as DESIGN.md's pairs are "from different sources"):
  - a known value sharing no count with [lower, upper] (within the topic's
    tolerance) is a **list contradiction** ("none released" against three
    named releases; "no more than 2" against three);
  - `no_information` facing a lower bound above zero is a **gap**, as
    between two aggregate claims;
  - anything else is nothing.
- The data shape: a list conflict is stored as an ordinary pair of the
  aggregate claim and ONE witness, the per-person claim with the smallest id
  among those behind the broken bound (smallest id: a later report adds
  witnesses without moving the pair, so a person's resolution of it stays
  put), plus the full set of witnesses (`Conflict.witnesses`, a many-to-many,
  derived by detection and rewritten as claims come and go). Releases are the
  witnesses when the aggregate is too low, detentions when it is too high.
  The pair is keyed like every pair (smaller id, larger id) and lives on the
  aggregate's variable (topic, no detainee).

One voice per organisation (issue 14, point 2)
----------------------------------------------

A source's *organisation* is the top of its
affiliation chain (Jen Psaki -> U.S. Department of State -> U.S. government).

- A conflict between two claims whose sources share an organisation is an
  **internal inconsistency** of that organisation, not two sources
  disagreeing. Detection still flags it (the sources differ, and a newsroom
  wants to know when a department and its spokesman disagree); the label
  says what it is.
- **Corroboration** counts organisations, not people: a claim is
  corroborated by the *other* organisations with a live known claim on the
  same variable, inside the window, whose value overlaps its own. Two
  spokespeople of one government agreeing with it are one voice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

FACT = "fact"
POSITION = "position"

AFFIRMS = "affirms"
DENIES = "denies"
NO_INFORMATION = "no_information"
DECLINES = "declines"
# Stances whose value is UNKNOWN; of these only no_information takes part in gaps.
UNKNOWN_STANCES = (NO_INFORMATION, DECLINES)

# The prisoner trackers' status tree: a status stands for the leaves under it.
STATUS_TREE: dict[str, tuple[str, ...]] = {
    "detained": ("pretrial_detention", "imprisoned", "house_arrest"),
    "released": ("unconditional_release", "conditional_release", "exiled"),
    "deceased": (),
}
ALL_STATUS_LEAVES: frozenset[str] = frozenset(
    leaf for parent, leaves in STATUS_TREE.items() for leaf in (leaves or (parent,))
)
ALL_STATUSES: frozenset[str] = frozenset(STATUS_TREE) | ALL_STATUS_LEAVES

YES, NO = "yes", "no"


class Kind(StrEnum):
    CONTRADICTION = "contradiction"
    GAP = "gap"
    # An aggregate claim against the per-person claims (lists against persons).
    LIST_CONTRADICTION = "list_contradiction"


@dataclass(frozen=True)
class TopicRules:
    """What the rules need to know of a topic."""

    has_quantity: bool = False
    quantity_min: int = 0
    quantity_max: int | None = None
    window_days: int = 7
    # Two counts agree when they are at most this far apart: an absolute
    # amount, or a percentage of the larger of the two (the one nearer zero
    # would make 1% of "0" no tolerance at all). Either suffices. 0: exact.
    tolerance: int = 0
    tolerance_percent: float = 0.0
    # The status whose detainees the count counts ("released"), or "": lists
    # against persons, below.
    counts_status: str = ""

    @property
    def upper(self) -> float:
        return math.inf if self.quantity_max is None else self.quantity_max


class ClaimFacts(NamedTuple):
    """What the rules need to know of a claim.

    A named tuple, not a dataclass: detection builds one per claim on the
    variable at every approval, and a tuple is built eight times faster.
    """

    id: int
    source_id: int
    kind: str
    stance: str
    stated_on: date
    as_of: date | None = None
    quantity_min: int | None = None
    quantity_max: int | None = None
    status: str = ""
    detainee_id: int | None = None

    @property
    def effective_as_of(self) -> date:
        return self.as_of or self.stated_on

    @property
    def recency(self) -> tuple[date, date]:
        """Order of a source's statements: later `stated_on`, then later `as_of`."""
        return (self.stated_on, self.effective_as_of)


# A value is None (UNKNOWN), a frozenset of answers ("yes"/"no" or status
# leaves), or a tuple of closed integer intervals on a quantity topic.
Intervals = tuple[tuple[float, float], ...]
Value = frozenset[str] | Intervals | None


def status_leaves(status: str) -> frozenset[str]:
    """Return the leaves a status stands for: "released" is its three kinds of release."""
    if status in STATUS_TREE:
        return frozenset(STATUS_TREE[status] or (status,))
    if status in ALL_STATUS_LEAVES:
        return frozenset({status})
    raise ValueError(f"unknown status {status!r}")


def value_of(claim: ClaimFacts, topic: TopicRules) -> Value:
    """Return the set of answers a fact claim allows, or None for UNKNOWN."""
    if claim.kind != FACT:
        raise ValueError("a position asserts no value")
    if claim.stance in UNKNOWN_STANCES:
        return None
    if claim.stance not in (AFFIRMS, DENIES):
        raise ValueError(f"unknown stance {claim.stance!r}")
    affirms = claim.stance == AFFIRMS

    if claim.status:
        leaves = status_leaves(claim.status)
        return leaves if affirms else ALL_STATUS_LEAVES - leaves

    if topic.has_quantity and claim.detainee_id is None:
        lo_bound, hi_bound = topic.quantity_min, topic.upper
        if claim.quantity_min is None and claim.quantity_max is None:
            # Bare "yes, some were" / "no, none were": [1, max] and [0, 0], even
            # on a topic counting from above zero, where the rest of [1, max]
            # would be empty and a bare "no" would contradict another "no".
            if not affirms:
                return ((0, 0),)
            interval = (max(1, lo_bound), hi_bound)
        else:
            lo = lo_bound if claim.quantity_min is None else claim.quantity_min
            hi = hi_bound if claim.quantity_max is None else claim.quantity_max
            interval = (lo, hi)
        if affirms:
            return (interval,)
        rest = ((lo_bound, interval[0] - 1), (interval[1] + 1, hi_bound))
        # Nothing lies above an unbounded interval: (inf, inf) is no count, and
        # keeping it would make "fewer than 10" overlap "at least 20" on a topic
        # without a maximum.
        return tuple((lo, hi) for lo, hi in rest if lo <= hi and lo != math.inf)

    return frozenset({YES if affirms else NO})


def near(a: tuple[float, float], b: tuple[float, float], topic: TopicRules | None) -> bool:
    """Return whether two count intervals overlap, or lie within the topic's tolerance."""
    (alo, ahi), (blo, bhi) = a, b
    if alo <= bhi and blo <= ahi:
        return True
    if topic is None or not (topic.tolerance or topic.tolerance_percent):
        return False
    low, high = (ahi, blo) if ahi < blo else (bhi, alo)
    gap = high - low
    return gap <= topic.tolerance or gap <= topic.tolerance_percent / 100 * high


def disjoint(a: Value, b: Value, topic: TopicRules | None = None) -> bool:
    """Return whether two known values share no possible answer (within the topic's tolerance)."""
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return a.isdisjoint(b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return not any(near(x, y, topic) for x in a for y in b)
    # A status against a yes/no or a quantity: the claims answer different
    # questions, so neither can prove the other wrong.
    return False


def compare_values(a: Value, b: Value, topic: TopicRules | None = None) -> Kind | None:
    """Return how two values conflict: contradiction, gap, or None."""
    if a is None and b is None:
        return None
    if a is None or b is None:
        return Kind.GAP
    return Kind.CONTRADICTION if disjoint(a, b, topic) else None


def is_compared(claim: ClaimFacts) -> bool:
    """Return whether a claim is compared with others: a fact that does not decline to say."""
    return claim.kind == FACT and claim.stance != DECLINES


def within_window(a: ClaimFacts, b: ClaimFacts, topic: TopicRules) -> bool:
    return abs((a.effective_as_of - b.effective_as_of).days) <= topic.window_days


def compare(a: ClaimFacts, b: ClaimFacts, topic: TopicRules) -> Kind | None:
    """Return how two live claims on one variable conflict, or None.

    Both are assumed approved and not superseded; `examine` sees to that.
    """
    if not (is_compared(a) and is_compared(b)) or a.source_id == b.source_id:
        return None
    if not within_window(a, b, topic):
        return None
    return compare_values(value_of(a, topic), value_of(b, topic), topic)


def supersessions(claims: Iterable[ClaimFacts]) -> dict[int, int]:
    """Map each superseded fact claim's id to the id of the claim that updates it."""
    by_source: dict[int, list[ClaimFacts]] = defaultdict(list)
    for claim in claims:
        if claim.kind == FACT:
            by_source[claim.source_id].append(claim)
    superseded: dict[int, int] = {}
    for statements in by_source.values():
        # c.recency, spelled out: this runs for every claim at every approval.
        ordered = sorted(((c.stated_on, c.as_of or c.stated_on), c.id) for c in statements)
        # The next statement strictly later than this one updates it. The list
        # is in order, so that statement's index only moves forward: one pass.
        later = 0
        for i, (recency, claim_id) in enumerate(ordered):
            later = max(later, i + 1)
            while later < len(ordered) and ordered[later][0] <= recency:
                later += 1
            if later < len(ordered):
                superseded[claim_id] = ordered[later][1]
    return superseded


@dataclass(frozen=True)
class Examination:
    superseded: dict[int, int]
    conflicts: dict[tuple[int, int], Kind]
    # List conflicts only: each pair's witnesses (per-person claim ids), lists against persons.
    witnesses: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)


def examine(claims: Iterable[ClaimFacts], topic: TopicRules) -> Examination:
    """Return supersessions and conflicting pairs among the approved claims on one variable.

    Pairs are keyed (smaller id, larger id). Only claims inside one window of
    each other are compared, so a variable's cost grows with its live claims
    that overlap in time, not with its history.
    """
    claims = list(claims)
    superseded = supersessions(claims)
    # `compare` on every pair inside the window, with each claim's date and
    # value worked out once rather than once per pair (the same answers: the
    # rule tables check `compare`, the properties check `examine` against it).
    live = sorted(
        (
            (c.effective_as_of, c.source_id, c.id, value_of(c, topic))
            for c in claims
            # A refusal is compared with nothing (it may still supersede, above).
            if is_compared(c) and c.id not in superseded
        ),
        key=lambda fact: fact[0],
    )
    window = timedelta(days=topic.window_days)
    conflicts: dict[tuple[int, int], Kind] = {}
    for i, (day_a, source_a, id_a, value_a) in enumerate(live):
        last_day = day_a + window
        for j in range(i + 1, len(live)):
            day_b, source_b, id_b, value_b = live[j]
            if day_b > last_day:
                break
            if source_a == source_b:
                continue
            kind = compare_values(value_a, value_b, topic)
            if kind is not None:
                conflicts[(min(id_a, id_b), max(id_a, id_b))] = kind
    return Examination(superseded=superseded, conflicts=conflicts)


# -- Lists against persons (issue 14, point 1) ---------------------------------
# The rule: the module docstring, "Lists against persons".


@dataclass(frozen=True)
class ListBound:
    """What per-person claims say of a counting topic's count as of one day."""

    lower: int
    upper: float
    # Claim ids behind each side of the bound: reports of counted / not-counted detainees.
    counted: tuple[int, ...] = ()
    not_counted: tuple[int, ...] = ()


def reports_counted(claim: ClaimFacts, counts_status: str) -> bool | None:
    """Return True if a per-person claim reports the detainee counted, False if not, else None."""
    if not claim.status or claim.kind != FACT or claim.stance not in (AFFIRMS, DENIES):
        return None
    counted = status_leaves(counts_status)
    leaves = status_leaves(claim.status)
    allowed = leaves if claim.stance == AFFIRMS else ALL_STATUS_LEAVES - leaves
    if allowed and allowed <= counted:
        return True
    if allowed.isdisjoint(counted):
        return False
    return None


def live_person_claims(persons: Iterable[ClaimFacts]) -> list[ClaimFacts]:
    """Return the per-person claims that take part: current facts that report a status."""
    by_detainee: dict[int | None, list[ClaimFacts]] = defaultdict(list)
    for claim in persons:
        if claim.detainee_id is not None:
            by_detainee[claim.detainee_id].append(claim)
    live = []
    for claims in by_detainee.values():
        superseded = supersessions(claims)
        live.extend(c for c in claims if c.id not in superseded and is_compared(c) and c.status)
    return live


def list_bound(
    persons: Iterable[ClaimFacts],
    topic: TopicRules,
    on: date,
    *,
    excluding_source: int | None = None,
    live: bool = False,
) -> ListBound:
    """Return the bounds on the topic's count as of `on` from per-person claims.

    `persons` are approved per-person claims (any detainee of the topic);
    `live=True` says they are filtered by `live_person_claims` already.
    """
    claims = list(persons) if live else live_person_claims(persons)
    counted: dict[int, list[int]] = defaultdict(list)
    not_counted: dict[int, list[int]] = defaultdict(list)
    for claim in claims:
        if excluding_source is not None and claim.source_id == excluding_source:
            continue
        reported = reports_counted(claim, topic.counts_status)
        day = claim.effective_as_of
        if reported is True and day <= on:
            counted[claim.detainee_id].append(claim.id)
        elif reported is False and abs((day - on).days) <= topic.window_days:
            not_counted[claim.detainee_id].append(claim.id)
    held = {d: ids for d, ids in not_counted.items() if d not in counted}
    return ListBound(
        lower=len(counted),
        upper=topic.upper - len(held),
        counted=tuple(sorted(i for ids in counted.values() for i in ids)),
        not_counted=tuple(sorted(i for ids in held.values() for i in ids)),
    )


@dataclass(frozen=True)
class ListFinding:
    kind: str  # Kind.LIST_CONTRADICTION or Kind.GAP
    witnesses: tuple[int, ...]


def judge_against_list(
    aggregate: ClaimFacts, bound: ListBound, topic: TopicRules
) -> ListFinding | None:
    """Return how one live aggregate claim stands against the bound: a finding, or None."""
    value = value_of(aggregate, topic)
    if value is None:
        if aggregate.stance == NO_INFORMATION and bound.lower > 0:
            return ListFinding(Kind.GAP, bound.counted)
        return None
    if not isinstance(value, tuple):
        return None
    if not disjoint(value, ((bound.lower, bound.upper),), topic):
        return None
    # Too low against the named releases, or too high against the named detentions.
    too_low = all(hi < bound.lower for _, hi in value)
    witnesses = bound.counted if too_low else bound.not_counted
    return ListFinding(Kind.LIST_CONTRADICTION, witnesses) if witnesses else None


def list_conflicts(
    aggregates: Iterable[ClaimFacts], persons: Iterable[ClaimFacts], topic: TopicRules
) -> dict[tuple[int, int], ListFinding]:
    """Return the list conflicts on a counting topic, keyed by (smaller id, larger id).

    `aggregates` are the approved claims on the topic itself, `persons` the
    approved per-person claims on its detainees. The pair is the aggregate
    claim and its smallest-id witness.
    """
    if not (topic.has_quantity and topic.counts_status):
        return {}
    aggregates = [c for c in aggregates if c.detainee_id is None]
    superseded = supersessions(aggregates)
    live_persons = live_person_claims(persons)
    if not live_persons:
        return {}
    found: dict[tuple[int, int], ListFinding] = {}
    for claim in aggregates:
        if claim.id in superseded or not is_compared(claim):
            continue
        bound = list_bound(
            live_persons,
            topic,
            claim.effective_as_of,
            excluding_source=claim.source_id,
            live=True,
        )
        finding = judge_against_list(claim, bound, topic)
        if finding is not None:
            witness = finding.witnesses[0]
            found[(min(claim.id, witness), max(claim.id, witness))] = finding
    return found


def examine_topic(
    aggregates: Iterable[ClaimFacts], persons: Iterable[ClaimFacts], topic: TopicRules
) -> Examination:
    """Return `examine` of the topic's own variable, with its list conflicts added.

    The list pairs never collide with the ordinary pairs: their witness lies
    on a detainee's variable, the ordinary pairs on the topic's.
    """
    aggregates = list(aggregates)
    found = examine(aggregates, topic)
    listed = list_conflicts(aggregates, persons, topic)
    if not listed:
        return found
    conflicts = dict(found.conflicts)
    witnesses = {}
    for pair, finding in listed.items():
        conflicts[pair] = finding.kind
        witnesses[pair] = finding.witnesses
    return Examination(superseded=found.superseded, conflicts=conflicts, witnesses=witnesses)


def named_counts(
    persons: Iterable[ClaimFacts],
    topic: TopicRules,
    on: date,
    organisation_of: dict[int, int],
) -> tuple[int, dict[int, int]]:
    """Return the detainees reported counted by `on`, over all sources and per organisation.

    "Named releases reported: 3 of 53, by CCDHRN 2, U.S. government 1". An
    organisation (`organisation_of`, source id to organisation id) counts
    the distinct detainees its voices report counted.
    """
    live = live_person_claims(persons)
    total = list_bound(live, topic, on, live=True).lower
    by_org: dict[int, set[int]] = defaultdict(set)
    for claim in live:
        if reports_counted(claim, topic.counts_status) and claim.effective_as_of <= on:
            by_org[organisation_of.get(claim.source_id, claim.source_id)].add(claim.detainee_id)
    return total, {org: len(ids) for org, ids in by_org.items()}


# -- One voice per organisation (issue 14, point 2) ----------------------------
# The rule: the module docstring, "One voice per organisation".


def is_internal(organisation_a: int, organisation_b: int) -> bool:
    """Return whether a conflict between these two organisations is an internal inconsistency."""
    return organisation_a == organisation_b


def corroborations(
    claims: Iterable[ClaimFacts], topic: TopicRules, organisation_of: dict[int, int]
) -> dict[int, frozenset[int]]:
    """Map each live, known claim on one variable to the other organisations that agree with it."""
    claims = list(claims)
    superseded = supersessions(claims)
    live = [(c, value_of(c, topic)) for c in claims if is_compared(c) and c.id not in superseded]
    known = [(c, v) for c, v in live if v is not None]
    agreeing: dict[int, frozenset[int]] = {}
    for claim, value in known:
        mine = organisation_of.get(claim.source_id, claim.source_id)
        agreeing[claim.id] = frozenset(
            org
            for other, other_value in known
            if (org := organisation_of.get(other.source_id, other.source_id)) != mine
            and within_window(claim, other, topic)
            and not disjoint(value, other_value, topic)
        )
    return agreeing
