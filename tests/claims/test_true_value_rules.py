"""The verdicts a value found to be true gives (docs/verdicts.md): tables and properties.

Pure: claims.conflicts.verdict_against, applicable_truth, verdicts, outcomes_allowed.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims import conflicts as rules
from claims.conflicts import (
    A_RIGHT,
    B_RIGHT,
    BOTH_PARTLY,
    BOTH_WRONG,
    CONFIRMED,
    REFUTED,
    UNVERIFIED,
    ClaimFacts,
    TopicRules,
    Truth,
)

DAY = date(2015, 1, 6)
COUNTS = TopicRules(has_quantity=True, quantity_min=0, quantity_max=53)
TOLERANT = TopicRules(has_quantity=True, quantity_min=0, quantity_max=None, tolerance_percent=1)
DETAINEE = TopicRules()


def fact(stance=rules.AFFIRMS, lo=None, hi=None, status="", detainee=None, *, day=DAY, id=1):
    return ClaimFacts(
        id=id,
        source_id=id,
        kind=rules.FACT,
        stance=stance,
        stated_on=day,
        quantity_min=lo,
        quantity_max=hi,
        status=status,
        detainee_id=detainee,
    )


COUNT_TABLE = [
    # (what the claim says, the true count, the verdict)
    ("some released [1, 53]", fact(lo=1, hi=53), 36, CONFIRMED),
    ("all 53", fact(lo=53, hi=53), 36, REFUTED),
    ("exactly 36", fact(lo=36, hi=36), 36, CONFIRMED),
    ("at least 10", fact(lo=10), 36, CONFIRMED),
    ("at most 10", fact(hi=10), 36, REFUTED),
    ("bare yes (some)", fact(), 36, CONFIRMED),
    ("bare yes (some), none true", fact(), 0, REFUTED),
    ("bare no (none)", fact(rules.DENIES), 36, REFUTED),
    ("bare no (none), none true", fact(rules.DENIES), 0, CONFIRMED),
    ("not all 53, 53 true", fact(rules.DENIES, 53, 53), 53, REFUTED),
    ("not all 53, 36 true", fact(rules.DENIES, 53, 53), 36, CONFIRMED),
    ("no information", fact(rules.NO_INFORMATION), 36, UNVERIFIED),
    ("declines to say", fact(rules.DECLINES), 36, UNVERIFIED),
]


@pytest.mark.parametrize(("case", "claim", "count", "verdict"), COUNT_TABLE)
def test_a_true_count_judges_each_kind_of_claim(case, claim, count, verdict):
    assert rules.verdict_against(claim, Truth(DAY, quantity=count), COUNTS) == verdict, case


def test_a_count_within_the_topics_tolerance_of_the_true_one_is_confirmed():
    claim = fact(lo=4183, hi=4183)
    assert rules.verdict_against(claim, Truth(DAY, quantity=4190), TOLERANT) == CONFIRMED
    assert rules.verdict_against(claim, Truth(DAY, quantity=4300), TOLERANT) == REFUTED


STATUS_TABLE = [
    ("released against released", rules.AFFIRMS, "released", "released", CONFIRMED),
    ("released against a true exile", rules.AFFIRMS, "released", "exiled", CONFIRMED),
    (
        "exiled against a true release of unknown kind",
        rules.AFFIRMS,
        "exiled",
        "released",
        UNVERIFIED,
    ),
    ("detained against released", rules.AFFIRMS, "detained", "released", REFUTED),
    ("not detained against released", rules.DENIES, "detained", "released", CONFIRMED),
    ("not released against released", rules.DENIES, "released", "exiled", REFUTED),
    ("house arrest against imprisoned", rules.AFFIRMS, "house_arrest", "imprisoned", REFUTED),
]


@pytest.mark.parametrize(("case", "stance", "status", "true", "verdict"), STATUS_TABLE)
def test_a_true_status_judges_each_kind_of_claim(case, stance, status, true, verdict):
    claim = fact(stance, status=status, detainee=7)
    assert rules.verdict_against(claim, Truth(DAY, status=true), DETAINEE) == verdict, case


def test_whereabouts_unknown_is_never_refuted_by_a_status():
    claim = fact(rules.NO_INFORMATION, detainee=7)
    assert rules.verdict_against(claim, Truth(DAY, status="deceased"), DETAINEE) == UNVERIFIED


def test_a_position_gets_no_verdict():
    demand = ClaimFacts(id=1, source_id=1, kind=rules.POSITION, stance="", stated_on=DAY)
    assert rules.verdict_against(demand, Truth(DAY, quantity=36), COUNTS) == ""


def test_a_true_value_judges_only_claims_inside_the_window():
    truth = Truth(DAY, quantity=36)
    inside = fact(lo=53, hi=53, day=DAY + timedelta(days=7))
    outside = fact(lo=53, hi=53, day=DAY + timedelta(days=8), id=2)
    assert rules.verdicts([inside, outside], [truth], COUNTS) == {1: REFUTED, 2: ""}


def test_the_nearest_true_value_judges_and_a_tie_goes_to_the_later_one():
    early = Truth(DAY - timedelta(days=4), quantity=10)
    late = Truth(DAY + timedelta(days=4), quantity=36)
    claim = fact(lo=10, hi=10)
    assert rules.applicable_truth(claim, [early, late], COUNTS) == late
    nearer = fact(lo=10, hi=10, day=DAY - timedelta(days=3))
    assert rules.applicable_truth(nearer, [early, late], COUNTS) == early


OUTCOME_TABLE = [
    (CONFIRMED, REFUTED, (A_RIGHT,)),
    (REFUTED, CONFIRMED, (B_RIGHT,)),
    (REFUTED, REFUTED, (BOTH_WRONG,)),
    # A gap whose known side the true value refutes: neither is right.
    (UNVERIFIED, REFUTED, (BOTH_WRONG,)),
    (CONFIRMED, UNVERIFIED, (A_RIGHT, BOTH_PARTLY)),
    (UNVERIFIED, UNVERIFIED, (BOTH_PARTLY,)),
    # Within tolerance of both (they are further apart than it): both partly right.
    (CONFIRMED, CONFIRMED, (BOTH_PARTLY,)),
]


@pytest.mark.parametrize(("verdict_a", "verdict_b", "allowed"), OUTCOME_TABLE)
def test_a_true_value_allows_only_the_outcomes_that_agree_with_it(verdict_a, verdict_b, allowed):
    assert rules.outcomes_allowed(verdict_a, verdict_b) == allowed


@pytest.mark.parametrize(
    ("outcome", "stance_b", "verdicts"),
    [
        (BOTH_WRONG, rules.AFFIRMS, (REFUTED, REFUTED)),
        (BOTH_WRONG, rules.NO_INFORMATION, (REFUTED, UNVERIFIED)),
        (A_RIGHT, rules.AFFIRMS, (CONFIRMED, REFUTED)),
        (BOTH_PARTLY, rules.AFFIRMS, (UNVERIFIED, UNVERIFIED)),
    ],
)
def test_an_outcome_without_a_true_value_gives_its_verdicts(outcome, stance_b, verdicts):
    assert rules.outcome_verdicts(outcome, rules.AFFIRMS, stance_b) == verdicts


# Properties ---------------------------------------------------------------------

STANCES = [rules.AFFIRMS, rules.DENIES, rules.NO_INFORMATION, rules.DECLINES]


@st.composite
def count_claims(draw, id_):
    stance = draw(st.sampled_from(STANCES))
    lo = hi = None
    if stance in (rules.AFFIRMS, rules.DENIES) and draw(st.booleans()):
        lo = draw(st.integers(0, 53))
        hi = draw(st.integers(lo, 53))
    day = DAY + timedelta(days=draw(st.integers(-20, 20)))
    return fact(stance, lo, hi, day=day, id=id_)


claim_lists = st.integers(0, 8).flatmap(
    lambda n: st.tuples(*(count_claims(i + 1) for i in range(n)))
)
truth_lists = st.lists(
    st.builds(
        lambda d, q, o: Truth(DAY + timedelta(days=d), quantity=q, order=(o,)),
        st.integers(-20, 20),
        st.integers(0, 53),
        st.integers(0, 10**6),
    ),
    max_size=4,
    unique_by=lambda t: t.order,
)


@given(claim_lists, truth_lists, st.randoms(use_true_random=False))
def test_verdicts_are_a_function_of_the_true_values_and_the_claims(claims, truths, random):
    found = rules.verdicts(claims, truths, COUNTS)
    shuffled_claims, shuffled_truths = list(claims), list(truths)
    random.shuffle(shuffled_claims)
    random.shuffle(shuffled_truths)
    # Whatever the order they come in, and one claim at a time as in a set.
    assert rules.verdicts(shuffled_claims, shuffled_truths, COUNTS) == found
    for claim in claims:
        alone = rules.verdicts([claim], truths, COUNTS)[claim.id]
        assert alone == found[claim.id]
        if not truths or all(abs((t.as_of - claim.effective_as_of).days) > 7 for t in truths):
            assert found[claim.id] == ""


@given(count_claims(1), st.integers(0, 53))
def test_a_claim_that_admits_the_true_count_is_confirmed_and_only_then(claim, count):
    verdict = rules.verdict_against(claim, Truth(DAY, quantity=count), COUNTS)
    value = rules.value_of(claim, COUNTS)
    if value is None:
        assert verdict == UNVERIFIED
    else:
        admits = any(lo <= count <= hi for lo, hi in value)
        assert verdict == (CONFIRMED if admits else REFUTED)


@given(count_claims(1), count_claims(2), st.integers(0, 53))
def test_the_outcome_a_true_value_implies_gives_the_pair_the_same_verdicts(a, b, count):
    truth = Truth(DAY, quantity=count)
    va, vb = (rules.verdict_against(c, truth, COUNTS) for c in (a, b))
    allowed = rules.outcomes_allowed(va, vb)
    assert allowed
    implied = rules.outcome_verdicts(allowed[0], a.stance, b.stance)
    # The outcome never says more than the value: who is confirmed is the same.
    assert [v == CONFIRMED for v in implied] == [v == CONFIRMED for v in (va, vb)] or (
        allowed[0] == BOTH_PARTLY
    )
