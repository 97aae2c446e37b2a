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
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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
