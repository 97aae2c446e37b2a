"""
Lists against persons and one voice per organisation, as tables: the rules in
claims/conflicts.py's module docstring ("Lists against persons", "One voice
per organisation"), one row per sentence. Pure functions, no database.
"""

from __future__ import annotations

from datetime import date

import pytest

from claims.conflicts import (
    AFFIRMS,
    DECLINES,
    DENIES,
    FACT,
    NO_INFORMATION,
    ClaimFacts,
    Kind,
    TopicRules,
    corroborations,
    examine_topic,
    is_internal,
    list_bound,
    list_conflicts,
    named_counts,
    reports_counted,
)

JAN = {day: date(2015, 1, day) for day in range(1, 32)}
THE_53 = TopicRules(
    has_quantity=True, quantity_min=0, quantity_max=53, window_days=7, counts_status="released"
)
NOT_COUNTING = TopicRules(has_quantity=True, quantity_min=0, quantity_max=53, window_days=7)
STATE, CCDHRN, GRANMA = 1, 2, 3


def aggregate(id, source, stance, lo=None, hi=None, day=6):
    return ClaimFacts(
        id=id,
        source_id=source,
        kind=FACT,
        stance=stance,
        stated_on=JAN[day],
        quantity_min=lo,
        quantity_max=hi,
    )


def person(id, source, detainee, status, day=8, stance=AFFIRMS, stated_on=None):
    return ClaimFacts(
        id=id,
        source_id=source,
        kind=FACT,
        stance=stance,
        stated_on=stated_on or JAN[day],
        as_of=JAN[day],
        status=status,
        detainee_id=detainee,
    )


COUNTED = [
    (AFFIRMS, "released", True),
    (AFFIRMS, "conditional_release", True),
    (AFFIRMS, "exiled", True),
    (AFFIRMS, "detained", False),
    (AFFIRMS, "house_arrest", False),
    (DENIES, "released", False),
    (AFFIRMS, "deceased", False),
    # Released or deceased: the claim does not say which.
    (DENIES, "detained", None),
    (DENIES, "exiled", None),
    (NO_INFORMATION, "", None),
]


@pytest.mark.parametrize(("stance", "status", "expected"), COUNTED)
def test_it_reads_whether_a_claim_reports_a_detainee_counted(stance, status, expected):
    claim = person(1, STATE, 10, status, stance=stance)
    assert reports_counted(claim, "released") is expected


def test_the_lower_bound_counts_distinct_named_detainees_released_by_the_day():
    persons = [
        person(10, CCDHRN, 100, "released", day=8),
        person(11, STATE, 100, "conditional_release", day=9),  # the same person again
        person(12, CCDHRN, 101, "exiled", day=10),
        person(13, CCDHRN, 102, "released", day=20),  # after the day
    ]
    bound = list_bound(persons, THE_53, JAN[12])
    assert (bound.lower, bound.upper) == (2, 53)
    assert bound.counted == (10, 11, 12)


def test_the_upper_bound_takes_off_detainees_reported_still_detained_near_the_day():
    persons = [
        person(10, CCDHRN, 100, "imprisoned", day=10),
        person(11, CCDHRN, 101, "released", stance=DENIES, day=12),
        person(12, CCDHRN, 102, "detained", day=1),  # more than a week before
        # Reported both released and detained: counted, and not taken off.
        person(13, CCDHRN, 103, "detained", day=12),
        person(14, STATE, 103, "released", day=11),
    ]
    bound = list_bound(persons, THE_53, JAN[12])
    assert (bound.lower, bound.upper) == (1, 51)
    assert bound.not_counted == (10, 11)


def test_a_superseded_or_declining_per_person_claim_takes_no_part():
    persons = [
        person(10, CCDHRN, 100, "released", day=8, stated_on=JAN[8]),
        # CCDHRN's later word on the same person: still in prison.
        person(11, CCDHRN, 100, "imprisoned", day=9, stated_on=JAN[9]),
        person(12, STATE, 101, "", stance=DECLINES, day=8),
    ]
    bound = list_bound(persons, THE_53, JAN[10])
    assert (bound.lower, bound.upper, bound.counted) == (0, 52, ())


NAMED = [person(10, CCDHRN, 100, "released"), person(11, CCDHRN, 101, "released", day=9)]

LIST_TABLE = [
    # "None released" on Jan 12 against two named releases by Jan 9.
    (aggregate(1, GRANMA, DENIES, day=12), NAMED, Kind.LIST_CONTRADICTION, (10, 11)),
    (aggregate(1, GRANMA, AFFIRMS, 0, 0, day=12), NAMED, Kind.LIST_CONTRADICTION, (10, 11)),
    # "No more than 1".
    (aggregate(1, GRANMA, AFFIRMS, None, 1, day=12), NAMED, Kind.LIST_CONTRADICTION, (10, 11)),
    # "At most 2", "some", "at least 1": inside the bound.
    (aggregate(1, GRANMA, AFFIRMS, None, 2, day=12), NAMED, None, None),
    (aggregate(1, GRANMA, AFFIRMS, day=12), NAMED, None, None),
    # "None released" on Jan 6: before any named release.
    (aggregate(1, GRANMA, DENIES, day=6), NAMED, None, None),
    # "None released" on Jan 8: one named release by then.
    (aggregate(1, GRANMA, DENIES, day=8), NAMED, Kind.LIST_CONTRADICTION, (10,)),
    # "No information" facing named releases: a gap, as between aggregates.
    (aggregate(1, GRANMA, NO_INFORMATION, day=12), NAMED, Kind.GAP, (10, 11)),
    (aggregate(1, GRANMA, NO_INFORMATION, day=6), NAMED, None, None),
    # A refusal to say is compared with nothing.
    (aggregate(1, GRANMA, DECLINES, day=12), NAMED, None, None),
    # A source's own per-person claims never flag its own aggregate.
    (aggregate(1, CCDHRN, DENIES, day=12), NAMED, None, None),
    # "All 53 released" against one named still in prison near the day.
    (
        aggregate(1, GRANMA, AFFIRMS, 53, 53, day=12),
        [person(10, CCDHRN, 100, "imprisoned", day=11)],
        Kind.LIST_CONTRADICTION,
        (10,),
    ),
]


@pytest.mark.parametrize(("claim", "persons", "kind", "witnesses"), LIST_TABLE)
def test_it_judges_an_aggregate_claim_against_the_named_persons(claim, persons, kind, witnesses):
    found = list_conflicts([claim], persons, THE_53)
    if kind is None:
        assert found == {}
        return
    ((pair, finding),) = found.items()
    assert pair == (1, witnesses[0])
    assert (finding.kind, finding.witnesses) == (kind, witnesses)


def test_a_topic_that_counts_no_status_has_no_list_conflicts():
    assert list_conflicts([aggregate(1, GRANMA, DENIES, day=12)], NAMED, NOT_COUNTING) == {}


def test_the_pair_is_the_aggregate_and_its_smallest_witness_whatever_the_order():
    claim = aggregate(50, GRANMA, DENIES, day=12)
    persons = [person(70, CCDHRN, 101, "released"), person(60, STATE, 100, "released")]
    found = examine_topic([claim], persons, THE_53)
    assert found.conflicts == {(50, 60): Kind.LIST_CONTRADICTION}
    assert found.witnesses == {(50, 60): (60, 70)}
    assert examine_topic([claim], persons[::-1], THE_53) == found


def test_the_topic_examination_keeps_the_ordinary_pairs():
    some = aggregate(1, STATE, AFFIRMS, day=6)
    none_ = aggregate(2, GRANMA, NO_INFORMATION, day=6)
    found = examine_topic([some, none_], NAMED, THE_53)
    assert found.conflicts == {(1, 2): Kind.GAP}
    assert found.witnesses == {}


def test_it_counts_named_releases_over_all_sources_and_per_organisation():
    persons = [
        person(10, CCDHRN, 100, "released"),
        person(11, 4, 101, "released"),  # CCDHRN's leader: the same organisation
        person(12, STATE, 101, "released"),
        person(13, STATE, 102, "imprisoned"),
    ]
    total, by_org = named_counts(persons, THE_53, JAN[12], {4: CCDHRN})
    assert total == 2
    assert by_org == {CCDHRN: 2, STATE: 1}


def test_two_voices_of_one_organisation_are_an_internal_inconsistency():
    assert is_internal(1, 1)
    assert not is_internal(1, 2)


def test_corroboration_counts_organisations_not_people():
    psaki = aggregate(1, 11, AFFIRMS, day=6)
    earnest = aggregate(2, 12, AFFIRMS, 1, 10, day=6)
    ccdhrn = aggregate(3, CCDHRN, AFFIRMS, 2, 5, day=6)
    nothing = aggregate(4, GRANMA, NO_INFORMATION, day=6)
    government = {11: 100, 12: 100}
    found = corroborations([psaki, earnest, ccdhrn, nothing], THE_53, government)
    assert found[1] == frozenset({CCDHRN})
    assert found[3] == frozenset({100})
    assert 4 not in found
