"""
The conflict rules as tables: DESIGN.md "What a fact claim asserts" and
"When two claims conflict", one row per sentence.

Pure functions, no database: each row builds `ClaimFacts` and a `TopicRules`
and reads the answer of `value_of`, `compare`, `supersessions` or `examine`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from claims.conflicts import (
    AFFIRMS,
    ALL_STATUS_LEAVES,
    DECLINES,
    DENIES,
    FACT,
    NO_INFORMATION,
    POSITION,
    ClaimFacts,
    Kind,
    TopicRules,
    compare,
    examine,
    status_leaves,
    supersessions,
    value_of,
)

MON, TUE, WED = date(2015, 1, 5), date(2015, 1, 6), date(2015, 1, 7)

# "Has Cuba released the 53, and how many?"
THE_53 = TopicRules(has_quantity=True, quantity_min=0, quantity_max=53, window_days=7)
# A count with no upper bound: "How many protesters were arrested?"
UNBOUNDED = TopicRules(has_quantity=True, quantity_min=0, quantity_max=None, window_days=7)
# A count that starts above zero: "How many of the 10 hunger strikers were hospitalised?"
FROM_ONE = TopicRules(has_quantity=True, quantity_min=1, quantity_max=10, window_days=7)
# A yes/no question: "Did the talks take place?"
YES_NO = TopicRules(has_quantity=False, window_days=7)

DETAINEE = 7
DETAINED = frozenset({"pretrial_detention", "imprisoned", "house_arrest"})
RELEASED = frozenset({"unconditional_release", "conditional_release", "exiled"})


def fact(
    stance: str,
    lo: int | None = None,
    hi: int | None = None,
    *,
    status: str = "",
    id: int = 1,
    source: int = 1,
    stated_on: date = TUE,
    as_of: date | None = None,
) -> ClaimFacts:
    return ClaimFacts(
        id=id,
        source_id=source,
        kind=FACT,
        stance=stance,
        stated_on=stated_on,
        as_of=as_of,
        quantity_min=lo,
        quantity_max=hi,
        status=status,
        detainee_id=DETAINEE if status else None,
    )


def affirms(lo: int | None = None, hi: int | None = None, **kwargs) -> ClaimFacts:
    return fact(AFFIRMS, lo, hi, **kwargs)


def denies(lo: int | None = None, hi: int | None = None, **kwargs) -> ClaimFacts:
    return fact(DENIES, lo, hi, **kwargs)


def no_information(**kwargs) -> ClaimFacts:
    return fact(NO_INFORMATION, **kwargs)


def declines(**kwargs) -> ClaimFacts:
    """A refusal to disclose: "we will not name them, for their safety"."""
    return fact(DECLINES, **kwargs)


def reports(status: str, **kwargs) -> ClaimFacts:
    """A claim about the detainee: "she has been released"."""
    return fact(AFFIRMS, status=status, **kwargs)


def denies_status(status: str, **kwargs) -> ClaimFacts:
    """A claim about the detainee: "she has not been released"."""
    return fact(DENIES, status=status, **kwargs)


def position(**kwargs) -> ClaimFacts:
    return fact(AFFIRMS, **kwargs)._replace(kind=POSITION, stance="")


def on_detainee(claim: ClaimFacts) -> ClaimFacts:
    return claim._replace(detainee_id=DETAINEE)


def other_source(claim: ClaimFacts) -> ClaimFacts:
    """The same statement, made by source 2 as claim 2."""
    return claim._replace(id=2, source_id=2)


# -- What a fact claim asserts ------------------------------------------------

VALUES = [
    # A quantity topic: a claim is an interval of possible counts.
    pytest.param(affirms(), THE_53, ((1, 53),), id="bare affirms is some: 1 to max"),
    pytest.param(denies(), THE_53, ((0, 0),), id="bare denies is none: 0"),
    pytest.param(affirms(1, 53), THE_53, ((1, 53),), id="some of the 53 is 1 to 53"),
    pytest.param(affirms(53, 53), THE_53, ((53, 53),), id="all 53 is exactly 53"),
    pytest.param(affirms(36, 36), THE_53, ((36, 36),), id="36 is exactly 36"),
    pytest.param(affirms(10), THE_53, ((10, 53),), id="at least 10 runs to the topic max"),
    pytest.param(affirms(None, 10), THE_53, ((0, 10),), id="at most 10 runs from the topic min"),
    pytest.param(denies(53, 53), THE_53, ((0, 52),), id="not all 53 is 0 to 52"),
    pytest.param(denies(36, 36), THE_53, ((0, 35), (37, 53)), id="not 36 is everything but 36"),
    pytest.param(denies(10), THE_53, ((0, 9),), id="not at least 10 is fewer than 10"),
    pytest.param(denies(0, 0), THE_53, ((1, 53),), id="not none is some"),
    # A topic without an upper bound counts up to infinity.
    pytest.param(affirms(), UNBOUNDED, ((1, math.inf),), id="unbounded: bare affirms is 1 up"),
    pytest.param(denies(), UNBOUNDED, ((0, 0),), id="unbounded: bare denies is 0"),
    pytest.param(affirms(10), UNBOUNDED, ((10, math.inf),), id="unbounded: at least 10"),
    pytest.param(denies(10), UNBOUNDED, ((0, 9),), id="unbounded: not at least 10 is below 10"),
    pytest.param(denies(5, 5), UNBOUNDED, ((0, 4), (6, math.inf)), id="unbounded: not 5"),
    # A bare "none" is 0 even where the count starts above zero.
    pytest.param(affirms(), FROM_ONE, ((1, 10),), id="from one: bare affirms is 1 to max"),
    pytest.param(denies(), FROM_ONE, ((0, 0),), id="from one: bare denies is still 0"),
    # A topic without a quantity is a yes/no question.
    pytest.param(affirms(), YES_NO, frozenset({"yes"}), id="yes/no topic: affirms is yes"),
    pytest.param(denies(), YES_NO, frozenset({"no"}), id="yes/no topic: denies is no"),
    # A claim about one detainee is the set of status leaves it allows.
    pytest.param(reports("released"), THE_53, RELEASED, id="released is every kind of release"),
    pytest.param(reports("detained"), THE_53, DETAINED, id="detained is every kind of detention"),
    pytest.param(
        reports("exiled"), THE_53, frozenset({"exiled"}), id="a leaf status is just that leaf"
    ),
    pytest.param(
        reports("deceased"), THE_53, frozenset({"deceased"}), id="deceased is a leaf of its own"
    ),
    pytest.param(
        denies_status("released"),
        THE_53,
        DETAINED | {"deceased"},
        id="not released is detained or deceased",
    ),
    pytest.param(
        denies_status("imprisoned"),
        THE_53,
        ALL_STATUS_LEAVES - {"imprisoned"},
        id="not imprisoned is every other leaf",
    ),
    # "We don't have any information up to now."
    pytest.param(no_information(), THE_53, None, id="no information is UNKNOWN"),
    pytest.param(no_information(), YES_NO, None, id="no information on yes/no is UNKNOWN"),
    pytest.param(on_detainee(no_information()), THE_53, None, id="whereabouts unknown is UNKNOWN"),
    pytest.param(declines(), THE_53, None, id="declining to say asserts no value"),
]


@pytest.mark.parametrize(("claim", "topic", "expected"), VALUES)
def test_it_reads_the_value_a_fact_claim_asserts(claim, topic, expected):
    assert value_of(claim, topic) == expected


def test_it_refuses_to_read_a_value_from_a_position():
    with pytest.raises(ValueError, match="position"):
        value_of(position(), THE_53)


def test_it_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="unknown status"):
        status_leaves("missing")


# -- When two claims conflict -------------------------------------------------

CONTRADICTION, GAP, NOTHING = Kind.CONTRADICTION, Kind.GAP, None

PAIRS = [
    # Intervals on "How many of the 53 were released?"
    pytest.param(affirms(1, 53), denies(), THE_53, CONTRADICTION, id="some vs none"),
    pytest.param(affirms(), denies(), THE_53, CONTRADICTION, id="bare yes vs bare no"),
    pytest.param(affirms(36, 36), affirms(53, 53), THE_53, CONTRADICTION, id="36 vs all 53"),
    pytest.param(affirms(10), affirms(36, 36), THE_53, NOTHING, id="at least 10 vs 36"),
    pytest.param(affirms(), affirms(36, 36), THE_53, NOTHING, id="some vs 36"),
    pytest.param(affirms(None, 10), affirms(36, 36), THE_53, CONTRADICTION, id="at most 10 vs 36"),
    pytest.param(affirms(1, 10), affirms(10, 20), THE_53, NOTHING, id="touching intervals overlap"),
    pytest.param(affirms(1, 9), affirms(10, 20), THE_53, CONTRADICTION, id="adjacent intervals"),
    pytest.param(denies(53, 53), affirms(36, 36), THE_53, NOTHING, id="not all 53 vs 36"),
    pytest.param(denies(53, 53), affirms(53, 53), THE_53, CONTRADICTION, id="not all 53 vs 53"),
    pytest.param(denies(36, 36), affirms(36, 36), THE_53, CONTRADICTION, id="not 36 vs 36"),
    pytest.param(denies(36, 36), affirms(35, 37), THE_53, NOTHING, id="not 36 vs 35 to 37"),
    pytest.param(denies(), denies(53, 53), THE_53, NOTHING, id="none vs not all 53"),
    pytest.param(denies(), denies(), THE_53, NOTHING, id="none vs none"),
    # A topic without an upper bound.
    pytest.param(affirms(), denies(), UNBOUNDED, CONTRADICTION, id="unbounded: some vs none"),
    pytest.param(affirms(20), denies(10), UNBOUNDED, CONTRADICTION, id="unbounded: 20+ vs <10"),
    pytest.param(affirms(5), denies(10), UNBOUNDED, NOTHING, id="unbounded: 5+ vs fewer than 10"),
    pytest.param(affirms(1000), affirms(), UNBOUNDED, NOTHING, id="unbounded: 1000+ vs some"),
    pytest.param(
        affirms(1000, 1000),
        denies(1000, 1000),
        UNBOUNDED,
        CONTRADICTION,
        id="unbounded: n vs not n",
    ),
    # A topic counting from one.
    pytest.param(affirms(), denies(), FROM_ONE, CONTRADICTION, id="from one: some vs none"),
    pytest.param(denies(), denies(), FROM_ONE, NOTHING, id="from one: none vs none"),
    pytest.param(affirms(3, 3), denies(), FROM_ONE, CONTRADICTION, id="from one: 3 vs none"),
    # Yes/no on a topic without a quantity.
    pytest.param(affirms(), denies(), YES_NO, CONTRADICTION, id="yes vs no"),
    pytest.param(affirms(), affirms(), YES_NO, NOTHING, id="yes vs yes"),
    pytest.param(denies(), denies(), YES_NO, NOTHING, id="no vs no"),
    pytest.param(affirms(), no_information(), YES_NO, GAP, id="yes vs no information"),
    # Statuses of one detainee.
    pytest.param(
        reports("released"),
        reports("conditional_release"),
        THE_53,
        NOTHING,
        id="released vs parole",
    ),
    pytest.param(
        reports("exiled"),
        reports("conditional_release"),
        THE_53,
        CONTRADICTION,
        id="exiled vs parole",
    ),
    pytest.param(
        reports("released"), reports("detained"), THE_53, CONTRADICTION, id="released vs detained"
    ),
    pytest.param(
        reports("house_arrest"),
        reports("released"),
        THE_53,
        CONTRADICTION,
        id="house arrest vs released",
    ),
    pytest.param(
        reports("house_arrest"), reports("detained"), THE_53, NOTHING, id="house arrest vs detained"
    ),
    pytest.param(
        denies_status("released"),
        reports("exiled"),
        THE_53,
        CONTRADICTION,
        id="not released vs exiled",
    ),
    pytest.param(
        denies_status("released"),
        reports("imprisoned"),
        THE_53,
        NOTHING,
        id="not released vs imprisoned",
    ),
    pytest.param(
        denies_status("released"),
        denies_status("detained"),
        THE_53,
        NOTHING,
        id="not released vs not detained: both allow deceased",
    ),
    pytest.param(
        reports("deceased"), reports("detained"), THE_53, CONTRADICTION, id="deceased vs detained"
    ),
    pytest.param(
        reports("deceased"), reports("released"), THE_53, CONTRADICTION, id="deceased vs released"
    ),
    pytest.param(
        reports("deceased"),
        denies_status("released"),
        THE_53,
        NOTHING,
        id="deceased vs not released",
    ),
    pytest.param(
        reports("deceased"), reports("deceased"), THE_53, NOTHING, id="deceased vs deceased"
    ),
    # UNKNOWN: a gap against anything known, nothing against another UNKNOWN.
    pytest.param(affirms(1, 53), no_information(), THE_53, GAP, id="some vs no information"),
    pytest.param(denies(), no_information(), THE_53, GAP, id="none vs no information"),
    pytest.param(affirms(53, 53), no_information(), THE_53, GAP, id="all 53 vs no information"),
    pytest.param(
        reports("released"),
        on_detainee(no_information()),
        THE_53,
        GAP,
        id="released vs whereabouts unknown",
    ),
    pytest.param(
        no_information(), no_information(), THE_53, NOTHING, id="no information vs no information"
    ),
    # Declining to say is not saying one does not know: no gap, no contradiction.
    pytest.param(affirms(1, 53), declines(), THE_53, NOTHING, id="some vs declines to say"),
    pytest.param(denies(), declines(), THE_53, NOTHING, id="none vs declines to say"),
    pytest.param(affirms(), declines(), YES_NO, NOTHING, id="yes vs declines to say"),
    pytest.param(
        reports("released"),
        on_detainee(declines()),
        THE_53,
        NOTHING,
        id="released vs declines to say where",
    ),
    pytest.param(
        no_information(), declines(), THE_53, NOTHING, id="no information vs declines to say"
    ),
    pytest.param(declines(), declines(), THE_53, NOTHING, id="declines vs declines"),
    pytest.param(position(), declines(), THE_53, NOTHING, id="position vs declines to say"),
    # Positions are shown, never flagged.
    pytest.param(position(), denies(), THE_53, NOTHING, id="position vs none"),
    pytest.param(position(), no_information(), THE_53, NOTHING, id="position vs no information"),
    pytest.param(position(), position(), THE_53, NOTHING, id="position vs position"),
]


@pytest.mark.parametrize(("a", "b", "topic", "expected"), PAIRS)
def test_it_compares_two_sources_claims_on_one_variable(a, b, topic, expected):
    assert compare(a, other_source(b), topic) == expected


@pytest.mark.parametrize(("a", "b", "topic", "expected"), PAIRS)
def test_it_compares_the_same_either_way_round(a, b, topic, expected):
    assert compare(other_source(b), a, topic) == expected


SAME_SOURCE = [
    pytest.param(affirms(), denies(), THE_53, id="some vs none"),
    pytest.param(affirms(36, 36), affirms(53, 53), THE_53, id="36 vs 53"),
    pytest.param(affirms(), no_information(), THE_53, id="some vs no information"),
    pytest.param(reports("released"), reports("detained"), THE_53, id="released vs detained"),
    pytest.param(affirms(), denies(), YES_NO, id="yes vs no"),
]


@pytest.mark.parametrize(("a", "b", "topic"), SAME_SOURCE)
def test_it_never_flags_two_claims_of_the_same_source(a, b, topic):
    b = b._replace(id=2)  # Same source, same day: neither supersedes the other.
    assert compare(a, b, topic) is None
    assert examine([a, b], topic).conflicts == {}


# -- The comparison window ----------------------------------------------------

WINDOW = [
    pytest.param(0, 7, CONTRADICTION, id="same day"),
    pytest.param(7, 7, CONTRADICTION, id="7 days apart inside a 7-day window"),
    pytest.param(8, 7, NOTHING, id="8 days apart outside a 7-day window"),
    pytest.param(1, 0, NOTHING, id="next day outside a 0-day window"),
    pytest.param(0, 0, CONTRADICTION, id="same day inside a 0-day window"),
    pytest.param(30, 30, CONTRADICTION, id="30 days apart inside a 30-day window"),
]


@pytest.mark.parametrize(("days_apart", "window", "expected"), WINDOW)
def test_it_compares_only_claims_inside_the_topics_window(days_apart, window, expected):
    topic = replace(THE_53, window_days=window)
    a = affirms(stated_on=TUE)
    b = other_source(denies(stated_on=TUE + timedelta(days=days_apart)))
    assert compare(a, b, topic) == expected
    assert compare(b, a, topic) == expected
    assert examine([a, b], topic).conflicts == ({(1, 2): expected} if expected else {})


AS_OF = [
    pytest.param(
        affirms(stated_on=date(2015, 1, 20), as_of=TUE),
        denies(stated_on=TUE),
        CONTRADICTION,
        id="as_of used when set: said two weeks later about the same day",
    ),
    pytest.param(
        affirms(stated_on=TUE, as_of=date(2014, 12, 20)),
        denies(stated_on=TUE),
        NOTHING,
        id="as_of used when set: said the same day about weeks before",
    ),
    pytest.param(
        affirms(stated_on=TUE),
        denies(stated_on=TUE + timedelta(days=7), as_of=None),
        CONTRADICTION,
        id="as_of defaults to stated_on: 7 days",
    ),
    pytest.param(
        affirms(stated_on=TUE),
        denies(stated_on=TUE + timedelta(days=8), as_of=None),
        NOTHING,
        id="as_of defaults to stated_on: 8 days",
    ),
    pytest.param(
        affirms(stated_on=TUE + timedelta(days=30), as_of=TUE + timedelta(days=8)),
        denies(stated_on=TUE + timedelta(days=1), as_of=TUE + timedelta(days=1)),
        CONTRADICTION,
        id="as_of on both sides: 7 days apart",
    ),
]


@pytest.mark.parametrize(("a", "b", "expected"), AS_OF)
def test_it_measures_the_window_between_the_days_the_claims_are_about(a, b, expected):
    assert compare(a, other_source(b), THE_53) == expected


# -- Supersession -------------------------------------------------------------

SUPERSESSIONS = [
    pytest.param(
        [affirms(id=1, stated_on=MON), affirms(id=2, stated_on=TUE)],
        {1: 2},
        id="a later stated_on supersedes",
    ),
    pytest.param(
        [affirms(id=2, stated_on=MON), affirms(id=1, stated_on=TUE)],
        {2: 1},
        id="the date decides, not the id",
    ),
    pytest.param(
        [affirms(id=1, stated_on=TUE, as_of=MON), denies(id=2, stated_on=TUE)],
        {1: 2},
        id="a tie on stated_on goes to the later as_of",
    ),
    pytest.param(
        [affirms(id=1, stated_on=WED, as_of=MON), denies(id=2, stated_on=TUE)],
        {2: 1},
        id="stated_on decides before as_of",
    ),
    pytest.param(
        [affirms(id=1, stated_on=TUE), denies(id=2, stated_on=TUE)],
        {},
        id="a full tie supersedes neither",
    ),
    pytest.param(
        [affirms(id=1, stated_on=TUE, as_of=MON), denies(id=2, stated_on=TUE, as_of=MON)],
        {},
        id="a full tie with as_of supersedes neither",
    ),
    pytest.param(
        [affirms(id=1, stated_on=MON), position(id=2, stated_on=TUE)],
        {},
        id="a position supersedes nothing",
    ),
    pytest.param(
        [position(id=1, stated_on=MON), position(id=2, stated_on=TUE)],
        {},
        id="a position is never superseded",
    ),
    pytest.param(
        [affirms(id=1, stated_on=MON), denies(id=2, source=2, stated_on=TUE)],
        {},
        id="another source's later claim supersedes nothing",
    ),
    pytest.param(
        [
            affirms(id=3, stated_on=WED),
            affirms(id=1, stated_on=MON),
            affirms(id=2, stated_on=TUE),
        ],
        {1: 2, 2: 3},
        id="a chain Mon Tue Wed: each superseded by the next",
    ),
    pytest.param(
        [
            affirms(id=1, stated_on=MON),
            affirms(id=2, stated_on=TUE),
            denies(id=3, stated_on=TUE),
            no_information(id=4, stated_on=WED),
        ],
        {1: 2, 2: 4, 3: 4},
        id="both claims of a tied day are superseded by the next day",
    ),
    pytest.param(
        [no_information(id=1, stated_on=TUE), no_information(id=2, stated_on=MON)],
        {2: 1},
        id="no information supersedes too",
    ),
    pytest.param(
        [affirms(id=1, stated_on=MON), declines(id=2, stated_on=TUE)],
        {1: 2},
        id="declining to say supersedes the source's earlier statement",
    ),
    pytest.param(
        [declines(id=1, stated_on=MON), affirms(id=2, stated_on=TUE)],
        {1: 2},
        id="a refusal is superseded by the source's later statement",
    ),
]


@pytest.mark.parametrize(("claims", "expected"), SUPERSESSIONS)
def test_it_finds_which_statements_a_source_has_updated(claims, expected):
    assert supersessions(claims) == expected
    assert examine(claims, THE_53).superseded == expected


def test_it_leaves_superseded_claims_out_of_conflicts():
    monday_none = denies(id=1, source=1, stated_on=MON)
    tuesday_some = affirms(id=2, source=1, stated_on=TUE)
    others_some = affirms(id=3, source=2, stated_on=TUE)
    found = examine([monday_none, tuesday_some, others_some], THE_53)
    assert found.superseded == {1: 2}
    assert found.conflicts == {}


def test_it_flags_the_update_not_the_superseded_claim():
    monday_some = affirms(id=1, source=1, stated_on=MON)
    tuesday_none = denies(id=2, source=1, stated_on=TUE)
    others_some = affirms(id=3, source=2, stated_on=TUE)
    found = examine([monday_some, tuesday_none, others_some], THE_53)
    assert found.conflicts == {(2, 3): CONTRADICTION}


def test_it_keeps_comparing_a_claim_a_position_came_after():
    fact_on_monday = denies(id=1, source=1, stated_on=MON)
    position_on_tuesday = position(id=2, source=1, stated_on=TUE)
    others_some = affirms(id=3, source=2, stated_on=TUE)
    found = examine([fact_on_monday, position_on_tuesday, others_some], THE_53)
    assert found.superseded == {}
    assert found.conflicts == {(1, 3): CONTRADICTION}


# -- examine ------------------------------------------------------------------


def test_it_keys_a_pair_by_smaller_id_then_larger_id():
    later_id_first = affirms(id=9, source=1)
    earlier_id = denies(id=4, source=2)
    assert examine([later_id_first, earlier_id], THE_53).conflicts == {(4, 9): CONTRADICTION}


def test_it_flags_every_pair_that_conflicts():
    some = affirms(id=1, source=1)
    none = denies(id=2, source=2)
    unknown = no_information(id=3, source=3)
    all_53 = affirms(53, 53, id=4, source=4)
    assert examine([some, none, unknown, all_53], THE_53).conflicts == {
        (1, 2): CONTRADICTION,
        (1, 3): GAP,
        (2, 3): GAP,
        (2, 4): CONTRADICTION,
        (3, 4): GAP,
    }


def test_it_compares_claims_further_apart_than_neighbours_within_the_window():
    # Sorted by date, a pair 7 days apart has claims between them.
    claims = [
        affirms(id=1, source=1, stated_on=date(2015, 1, 1)),
        affirms(id=2, source=2, stated_on=date(2015, 1, 3)),
        affirms(id=3, source=3, stated_on=date(2015, 1, 5)),
        denies(id=4, source=4, stated_on=date(2015, 1, 8)),
        affirms(id=5, source=5, stated_on=date(2015, 1, 16)),
    ]
    assert examine(claims, THE_53).conflicts == {
        (1, 4): CONTRADICTION,
        (2, 4): CONTRADICTION,
        (3, 4): CONTRADICTION,
    }


def test_it_finds_nothing_among_no_claims():
    found = examine([], THE_53)
    assert (found.superseded, found.conflicts) == ({}, {})


def test_it_reads_the_case_the_app_was_born_from():
    psaki, ccdhrn, rubio = 1, 2, 3
    psaki_monday = no_information(id=10, source=psaki, stated_on=MON)
    psaki_tuesday = affirms(1, 53, id=11, source=psaki, stated_on=TUE)
    ccdhrn_tuesday = no_information(id=12, source=ccdhrn, stated_on=TUE)
    rubio_demand = position(id=13, source=rubio, stated_on=TUE)

    found = examine([psaki_monday, psaki_tuesday, ccdhrn_tuesday, rubio_demand], THE_53)

    assert found.conflicts == {(11, 12): GAP}
    assert found.superseded == {10: 11}
