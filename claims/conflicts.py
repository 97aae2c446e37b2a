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

Relays, or echoes (issue 14, point 3; `relays_of` and the functions after it):

- A claim **relays** when its speaker (the outlet: a newspaper, a wire
  report, a spokesman reading out another's words) repeats what another
  source said ("according to the State Department, ..."). It records whom it
  relays: the relayed *claim* when the original statement is recorded
  (`relays_id`), or else only the relayed *source* (`relays_source_id`). A
  relay of a claim also names that claim's source; the database keeps the two
  in step (Claim.clean).
- A relay of a recorded claim takes no part in the rules at all: it is
  compared with nothing, supersedes nothing and is superseded by nothing. The
  original stands for it: whatever the original conflicts with, the relay
  would only say again, and a relay cannot conflict with what it repeats. So
  an outlet that relays Jen Psaki's "some released" adds no second gap with
  Elizardo Sanchez, and does not update the outlet's own earlier statements
  (nor Psaki's: her chain of statements is hers).
- A relay of a source whose statement is not recorded stands in for that
  statement: it is compared as if the relayed source had said it (so it is in
  a gap with a third source, but never in conflict with the relayed source's
  own claims, nor with another relay of the same source), it supersedes
  nothing (it is not the source's own word, first hand), and the relayed
  source's own later fact claim on the variable supersedes it, as the
  source's latest word replaces what was relayed of it. Once the original is
  recorded, editors link the relay to it and it falls silent.
- Hence relays never change the conflicts or supersessions among originals
  (`examine` of all claims and of the originals alone agree on every pair of
  originals; a property test checks it).
- Corroboration counts originals only (`agreeing_sources`): the sources that
  agree with a claim are the other speakers whose live original claims (or
  stand-in relays, counted as the relayed source) on the variable overlap its
  value inside the window. An outlet relaying a claim is never one of them,
  and a relay's own agreement is its original's.
- Relaying oneself (a claim relaying itself, or a source relaying its own
  words) and loops of relays (A relays B relays A) are refused by
  `relay_problem` before anything is saved.
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
from collections import Counter, defaultdict
from collections.abc import Container, Iterable
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
    # Whom the claim relays (see the module docstring): a recorded claim, or a source.
    relays_id: int | None = None
    relays_source_id: int | None = None

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
    if not (is_compared(a) and is_compared(b)) or speaker_of(a) == speaker_of(b):
        return None
    if a.relays_id is not None or b.relays_id is not None:
        return None  # A relay of a recorded claim: its original is compared instead.
    if not within_window(a, b, topic):
        return None
    return compare_values(value_of(a, topic), value_of(b, topic), topic)


def supersessions(claims: Iterable[ClaimFacts]) -> dict[int, int]:
    """Map each superseded fact claim's id to the id of the claim that updates it.

    Originals only: relays are left to `relay_supersessions`.
    """
    by_source: dict[int, list[ClaimFacts]] = defaultdict(list)
    for claim in claims:
        if claim.kind == FACT and not is_relay(claim):
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
    superseded.update(relay_supersessions(claims))
    # `compare` on every pair inside the window, with each claim's date and
    # value worked out once rather than once per pair (the same answers: the
    # rule tables check `compare`, the properties check `examine` against it).
    # A relay of a recorded claim is left out; a stand-in relay is compared
    # under its relayed source (`speaker_of`).
    live = sorted(
        (
            (c.effective_as_of, speaker_of(c), c.id, value_of(c, topic))
            for c in claims
            # A refusal is compared with nothing (it may still supersede, above).
            if is_compared(c) and c.relays_id is None and c.id not in superseded
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


# Verdicts from a recorded true value (issue 15) ------------------------------
#
# A moderator who resolves a conflict may record the value found to be true:
# a count on a quantity topic, a status on a detainee. That value gives every
# approved fact claim on the variable whose date lies inside the topic's
# window of it (the same window that decides which claims are compared) its
# verdict, by one rule (docs/verdicts.md is the specification):
#
# - a claim whose value *admits* the true value is confirmed: the true count
#   lies in one of its intervals, or within the topic's tolerance of one ("some
#   released" [1, 53] admits 36; "36" admits 37 on a topic tolerating 1);
#   every status leaf the true status stands for is among the claim's leaves
#   ("released" admits "exiled"; "not detained" admits "released");
# - a claim whose value excludes it is refuted ("none released" against 36;
#   "detained" against "released"), and so is a `denies` claim whose denied
#   interval holds it ("not all 53" against 53);
# - a claim whose statuses overlap a broader true status without holding all
#   of it is unverified ("exiled" against a true "released": it may be right,
#   the finding does not say);
# - `no_information` and `declines` assert nothing: unverified, never refuted;
# - a claim answering another question (a yes/no on a detainee) is unverified;
# - a position gets no verdict.
#
# Several true values on one variable: a claim takes the one nearest its date
# (inside the window); at equal distance the later value, then the newer
# resolution (`Truth.order`).

CONFIRMED, REFUTED, UNVERIFIED = "confirmed", "refuted", "unverified"
A_RIGHT, B_RIGHT, BOTH_PARTLY, BOTH_WRONG, UNRESOLVABLE = (
    "a_right",
    "b_right",
    "both_partly",
    "both_wrong",
    "unresolvable",
)


class Truth(NamedTuple):
    """A value found to be true on one variable: a count or a status, as of one day."""

    as_of: date
    quantity: int | None = None
    status: str = ""
    # Ties between equally near values: the larger wins (when it was resolved, its id).
    order: tuple = ()


def truth_value(truth: Truth) -> Value:
    """Return a true value as a value of the rules: one count, or the leaves of a status."""
    if truth.status:
        return status_leaves(truth.status)
    if truth.quantity is None:
        raise ValueError("a true value is a count or a status")
    return ((truth.quantity, truth.quantity),)


def verdict_against(claim: ClaimFacts, truth: Truth, topic: TopicRules) -> str:
    """Return the verdict a true value gives one claim: confirmed, refuted, unverified, or ""."""
    if claim.kind != FACT:
        return ""
    value = value_of(claim, topic)
    if value is None:
        return UNVERIFIED
    true = truth_value(truth)
    if isinstance(value, tuple) and isinstance(true, tuple):
        return CONFIRMED if any(near(x, true[0], topic) for x in value) else REFUTED
    if isinstance(value, frozenset) and isinstance(true, frozenset):
        if true <= value:
            return CONFIRMED
        return REFUTED if true.isdisjoint(value) else UNVERIFIED
    return UNVERIFIED


def applicable_truth(claim: ClaimFacts, truths: Iterable[Truth], topic: TopicRules) -> Truth | None:
    """Return the true value that judges this claim: the nearest in date inside the window."""
    day = claim.effective_as_of
    inside = [t for t in truths if abs((t.as_of - day).days) <= topic.window_days]
    if not inside:
        return None
    return min(inside, key=lambda t: (abs((t.as_of - day).days), -t.as_of.toordinal(), _neg(t)))


def _neg(truth: Truth) -> tuple:
    return tuple(-x if isinstance(x, int | float) else x for x in truth.order)


def verdicts(
    claims: Iterable[ClaimFacts], truths: Iterable[Truth], topic: TopicRules
) -> dict[int, str]:
    """Map each claim's id to the verdict the true values give it ("" where none applies)."""
    truths = list(truths)
    found = {}
    for claim in claims:
        truth = applicable_truth(claim, truths, topic)
        found[claim.id] = verdict_against(claim, truth, topic) if truth is not None else ""
    return found


def outcome_verdicts(outcome: str, stance_a: str, stance_b: str) -> tuple[str, str]:
    """Return the verdicts an outcome without a true value gives claims A and B.

    The side found right is confirmed; the other is refuted if it asserted
    something, unverified if it only said it had no information (saying "we
    don't know" is not being wrong). "Both wrong" refutes both sides that
    asserted something. "Both partly right" and "cannot be resolved yet"
    leave both unverified.
    """

    def wrong(stance: str) -> str:
        return UNVERIFIED if stance in UNKNOWN_STANCES else REFUTED

    if outcome == A_RIGHT:
        return CONFIRMED, wrong(stance_b)
    if outcome == B_RIGHT:
        return wrong(stance_a), CONFIRMED
    if outcome == BOTH_WRONG:
        return wrong(stance_a), wrong(stance_b)
    return UNVERIFIED, UNVERIFIED


def outcomes_allowed(verdict_a: str, verdict_b: str) -> tuple[str, ...]:
    """Return the outcomes a resolution may record given the verdicts its true value gives A and B.

    The first is the one the true value implies (chosen when the moderator
    leaves the outcome to it). "A is right" needs A confirmed and B not;
    "both wrong" needs neither confirmed and one refuted; "both partly
    right" needs neither refuted; "cannot be resolved yet" never goes with a
    value found to be true.
    """
    allowed = []
    if verdict_a == CONFIRMED and verdict_b != CONFIRMED:
        allowed.append(A_RIGHT)
    if verdict_b == CONFIRMED and verdict_a != CONFIRMED:
        allowed.append(B_RIGHT)
    if CONFIRMED not in (verdict_a, verdict_b) and REFUTED in (verdict_a, verdict_b):
        allowed.append(BOTH_WRONG)
    if REFUTED not in (verdict_a, verdict_b):
        allowed.append(BOTH_PARTLY)
    return tuple(allowed)


# Clusters: a topic's conflicts grouped by the claim they share (issue 15) ---
#
# One real topic had 721 contradictions, nearly all of one claim against
# every other. A moderator should see one cluster ("claim #X contradicts 720
# claims"), not 721 rows. Each conflict joins the cluster of whichever of its
# two claims is in more of the conflicts being listed (on a tie, the older
# claim, the smaller id): a claim against many forms one cluster, and a
# conflict between two claims in no other conflict is a cluster of one.
# Clusters come largest first, then in the order of their first conflict.


def clusters(conflicts: Iterable[tuple[int, int, int]]) -> list[tuple[int, list[int]]]:
    """Group conflicts, given as (id, claim A, claim B), into [(shared claim, conflict ids)]."""
    conflicts = list(conflicts)
    counts: Counter = Counter()
    for _, a, b in conflicts:
        counts[a] += 1
        counts[b] += 1
    groups: dict[int, list[int]] = {}
    first: dict[int, int] = {}
    for position, (pk, a, b) in enumerate(conflicts):
        hub = a if (counts[a], -a) >= (counts[b], -b) else b
        groups.setdefault(hub, []).append(pk)
        first.setdefault(hub, position)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), first[item[0]]))


# Relays (echoes): see the module docstring. -----------------------------------


def is_relay(claim: ClaimFacts) -> bool:
    """Return whether a claim relays another's words (a recorded claim, or a source)."""
    return claim.relays_id is not None or claim.relays_source_id is not None


def speaker_of(claim: ClaimFacts) -> int:
    """Return whose statement a claim stands for in the rules.

    An original: its own source. A stand-in relay (of a source only): the
    relayed source. A relay of a recorded claim is never compared; for it
    this is its outlet, and unused.
    """
    if claim.relays_id is None and claim.relays_source_id is not None:
        return claim.relays_source_id
    return claim.source_id


def relay_supersessions(claims: Iterable[ClaimFacts]) -> dict[int, int]:
    """Map each stand-in relay superseded by its relayed source's own later word.

    A stand-in relay (of a source whose statement is not recorded) is updated
    by the next fact claim, strictly later (`recency`), that the relayed
    source itself makes on the variable. Relays of recorded claims, and
    originals, are never in this map.
    """
    claims = list(claims)
    originals: dict[int, list[tuple[tuple[date, date], int]]] = defaultdict(list)
    for c in claims:
        if c.kind == FACT and not is_relay(c):
            originals[c.source_id].append((c.recency, c.id))
    for statements in originals.values():
        statements.sort()
    superseded: dict[int, int] = {}
    for c in claims:
        if c.kind != FACT or c.relays_id is not None or c.relays_source_id is None:
            continue
        later = [entry for entry in originals.get(c.relays_source_id, ()) if entry[0] > c.recency]
        if later:
            superseded[c.id] = later[0][1]
    return superseded


def agreeing_sources(claims: Iterable[ClaimFacts], topic: TopicRules) -> dict[int, frozenset[int]]:
    """Map each claim to the other sources that agree with it, counting originals only.

    Two live claims agree when both are compared (facts that do not decline),
    their values are both known and overlap (within the topic's tolerance),
    and their dates lie inside the window. A claim's speaker for this count is
    `speaker_of` (a stand-in relay counts as the relayed source); a relay of a
    recorded claim counts for nobody, and is given its original's agreement,
    so that a newspaper repeating a briefing is never a second voice. Claims
    that are superseded, unknown or positions agree with no one.
    """
    claims = list(claims)
    found = examine(claims, topic)
    live = [
        (c, value_of(c, topic))
        for c in claims
        if is_compared(c) and c.relays_id is None and c.id not in found.superseded
    ]
    agree: dict[int, frozenset[int]] = {}
    for c, value in live:
        if value is None:
            agree[c.id] = frozenset()
            continue
        agree[c.id] = frozenset(
            speaker_of(other)
            for other, other_value in live
            if other_value is not None
            and speaker_of(other) != speaker_of(c)
            and within_window(c, other, topic)
            and not disjoint(value, other_value, topic)
        )
    by_id = {c.id: c for c in claims}
    for c in claims:
        if c.relays_id is None:
            continue
        # Follow the relay to its original on this variable (a chain of relays too).
        seen, target = {c.id}, by_id.get(c.relays_id)
        while target is not None and target.relays_id is not None and target.id not in seen:
            seen.add(target.id)
            target = by_id.get(target.relays_id)
        agree[c.id] = agree.get(target.id, frozenset()) if target is not None else frozenset()
    return agree


def relayed_original(claim: ClaimFacts, lookup) -> ClaimFacts | None:
    """Return the original a relay of a recorded claim stands for (the claim itself otherwise).

    `lookup(id)` gives an approved claim on the same variable, or None: the
    walk `agreeing_sources` makes through its relays, one claim at a time. None
    when the chain leaves the variable's approved claims, or loops.
    """
    seen, target = {claim.id}, claim
    while target.relays_id is not None:
        target = lookup(target.relays_id)
        if target is None or target.id in seen:
            return None
        seen.add(target.id)
    return target


def agreeing_with(
    claim: ClaimFacts, nearby: Iterable[ClaimFacts], superseded: Container[int], topic: TopicRules
) -> frozenset[int]:
    """Return the other sources that agree with one original: its part of `agreeing_sources`.

    `nearby` holds the claims on its variable that may agree with it (at
    least those inside one window of its date: no other can), `superseded`
    the ids of the variable's superseded claims. A page that shows one claim
    reads those few instead of the whole variable (issue 16: 24,000 claims,
    0.6 s to examine them all for one page). For a relay of a recorded claim,
    pass `relayed_original` of it: it is given its original's agreement.
    """
    if not is_compared(claim) or claim.relays_id is not None or claim.id in superseded:
        return frozenset()
    value = value_of(claim, topic)
    if value is None:
        return frozenset()
    speaker = speaker_of(claim)
    found = set()
    for other in nearby:
        if (
            is_compared(other)
            and other.relays_id is None
            and other.id not in superseded
            and speaker_of(other) != speaker
            and within_window(claim, other, topic)
        ):
            other_value = value_of(other, topic)
            if other_value is not None and not disjoint(value, other_value, topic):
                found.add(speaker_of(other))
    return frozenset(found)


def relay_problem(
    claim_id: int | None,
    source_id: int | None,
    relays_id: int | None,
    relays_source_id: int | None,
    relayed: dict[int, tuple[int | None, int | None]],
) -> str:
    """Return why a claim may not relay what it says it relays, or "" when it may.

    `relayed` maps claim ids to (the claim each relays, its source) for the
    chain that starts at `relays_id` (read by the caller, one hop at a time).
    Refused: relaying itself; relaying its own source (a source does not echo
    itself: that is its own statement); a relay whose claim and source
    disagree; and a loop (A relays B, which relays ... A).
    """
    if relays_id is not None and relays_id == claim_id:
        return "A claim cannot relay itself: choose the claim whose words it repeats."
    if relays_id is not None and relays_id in relayed:
        original_source = relayed[relays_id][1]
        if relays_source_id is not None and original_source != relays_source_id:
            return "The relayed source must be the source of the relayed claim."
        relays_source_id = original_source
    if relays_source_id is not None and relays_source_id == source_id:
        return "A source cannot relay itself: record its words as its own claim, not as a relay."
    chain = [relays_id]
    current = relays_id
    while current is not None and current in relayed:
        current = relayed[current][0]
        if current is None:
            break
        if current == claim_id or current in chain:
            loop = " → ".join(f"#{pk}" for pk in [claim_id, *chain, current])
            return (
                f"These relays would make a loop ({loop}): a claim cannot end up relaying itself."
            )
        chain.append(current)
    return ""


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
        # Relays (see "Relays"): a relay of a recorded claim is not a second
        # report of the person; a stand-in relay counts as the relayed source's.
        superseded = supersessions(claims) | relay_supersessions(claims)
        live.extend(
            c
            for c in claims
            if c.id not in superseded and c.relays_id is None and is_compared(c) and c.status
        )
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
        if excluding_source is not None and speaker_of(claim) == excluding_source:
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
    superseded = supersessions(aggregates) | relay_supersessions(aggregates)
    live_persons = live_person_claims(persons)
    if not live_persons:
        return {}
    found: dict[tuple[int, int], ListFinding] = {}
    for claim in aggregates:
        if claim.id in superseded or claim.relays_id is not None or not is_compared(claim):
            continue  # A relay of a recorded claim: its original is judged instead.
        bound = list_bound(
            live_persons,
            topic,
            claim.effective_as_of,
            excluding_source=speaker_of(claim),
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
    superseded = supersessions(claims) | relay_supersessions(claims)
    # Originals only, as `agreeing_sources` counts (see "Relays"): a relay of a
    # recorded claim is no voice of its own and gets its original's agreement;
    # a stand-in relay speaks for the relayed source's organisation.
    live = [
        (c, value_of(c, topic))
        for c in claims
        if is_compared(c) and c.relays_id is None and c.id not in superseded
    ]
    known = [(c, v) for c, v in live if v is not None]

    def organisation(claim: ClaimFacts) -> int:
        return organisation_of.get(speaker_of(claim), speaker_of(claim))

    agreeing: dict[int, frozenset[int]] = {}
    for claim, value in known:
        mine = organisation(claim)
        agreeing[claim.id] = frozenset(
            org
            for other, other_value in known
            if (org := organisation(other)) != mine
            and within_window(claim, other, topic)
            and not disjoint(value, other_value, topic)
        )
    for claim in claims:
        if claim.relays_id in agreeing:
            agreeing[claim.id] = agreeing[claim.relays_id]
    return agreeing
