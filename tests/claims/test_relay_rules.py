"""
The relay (echo) rules as tables: claims/conflicts.py, "Relays".

Pure functions, no database. Sources: 1 Jen Psaki, 2 Elizardo Sanchez (CCDHRN),
3 the wire report (an outlet), 4 another newspaper, 5 the State Department.
"""

from __future__ import annotations

import pytest

from claims.conflicts import (
    Kind,
    agreeing_sources,
    compare,
    examine,
    relay_problem,
    relay_supersessions,
    speaker_of,
)
from tests.claims.test_conflict_rules import (
    MON,
    THE_53,
    TUE,
    WED,
    affirms,
    denies,
    no_information,
    position,
)

PSAKI, SANCHEZ, WIRE, PAPER, STATE = 1, 2, 3, 4, 5
CONTRADICTION, GAP_KIND = Kind.CONTRADICTION, Kind.GAP


def relay(claim, *, id: int, source: int, of: int | None = None, of_source: int | None = None):
    """`claim`'s words as claim `id` of `source`, relaying claim `of` or source `of_source`."""
    return claim._replace(id=id, source_id=source, relays_id=of, relays_source_id=of_source)


SOME = affirms(1, 53, id=11, source=PSAKI, stated_on=TUE)
NO_INFO = no_information(id=12, source=SANCHEZ, stated_on=TUE)
NONE_RELEASED = denies(id=13, source=SANCHEZ, stated_on=TUE)

# Each row: the claims on the variable, the conflicts and supersessions expected.
EXAMINE = [
    pytest.param(
        [SOME, NO_INFO, relay(SOME, id=20, source=WIRE, of=11, of_source=PSAKI)],
        {(11, 12): GAP_KIND},
        {},
        id="a relay of a recorded claim adds no second gap: the original's gap is the one",
    ),
    pytest.param(
        [SOME, relay(denies(), id=20, source=WIRE, of=11, of_source=PSAKI)],
        {},
        {},
        id="a relay never conflicts with what it relays, even if it garbles it",
    ),
    pytest.param(
        [SOME, NONE_RELEASED, relay(NONE_RELEASED, id=20, source=WIRE, of=13, of_source=SANCHEZ)],
        {(11, 13): CONTRADICTION},
        {},
        id="a relay of one side of a contradiction adds nothing to it",
    ),
    pytest.param(
        [
            affirms(1, 53, id=30, source=WIRE, stated_on=MON),
            relay(SOME, id=31, source=WIRE, of=11, of_source=PSAKI)._replace(stated_on=WED),
            SOME,
        ],
        {},
        {},
        id="a relay does not update its outlet's own earlier statement",
    ),
    pytest.param(
        [
            no_information(id=10, source=PSAKI, stated_on=MON),
            relay(SOME, id=20, source=WIRE, of=10, of_source=PSAKI)._replace(stated_on=WED),
        ],
        {},
        {},
        id="nor the relayed source's chain: Monday's word stays hers until she speaks again",
    ),
    pytest.param(
        [NO_INFO, relay(SOME, id=20, source=WIRE, of_source=STATE)],
        {(12, 20): GAP_KIND},
        {},
        id="a relay of a source whose words are not recorded stands in for them",
    ),
    pytest.param(
        [
            affirms(id=14, source=STATE, stated_on=TUE),
            relay(denies(), id=20, source=WIRE, of_source=STATE),
        ],
        {},
        {},
        id="a stand-in relay never conflicts with the relayed source's own claims",
    ),
    pytest.param(
        [
            relay(SOME, id=20, source=WIRE, of_source=STATE),
            relay(denies(), id=21, source=PAPER, of_source=STATE),
        ],
        {},
        {},
        id="two relays of one source never conflict: one voice, relayed twice",
    ),
    pytest.param(
        [
            relay(no_information(stated_on=MON), id=20, source=WIRE, of_source=STATE),
            affirms(1, 53, id=14, source=STATE, stated_on=TUE),
            affirms(1, 53, id=15, source=PAPER, stated_on=TUE),
        ],
        {},
        {20: 14},
        id="the relayed source's own later word supersedes a stand-in relay",
    ),
    pytest.param(
        [
            no_information(id=14, source=STATE, stated_on=MON),
            relay(SOME, id=20, source=WIRE, of_source=STATE)._replace(stated_on=TUE),
        ],
        {},
        {},
        id="a stand-in relay supersedes nothing, not even the relayed source's older word",
    ),
    pytest.param(
        [position(id=20, source=WIRE)._replace(relays_source_id=STATE), NO_INFO],
        {},
        {},
        id="a relayed position is still a position",
    ),
]


@pytest.mark.parametrize(("claims", "conflicts", "superseded"), EXAMINE)
def test_it_keeps_relays_out_of_the_conflicts_among_originals(claims, conflicts, superseded):
    found = examine(claims, THE_53)
    assert found.conflicts == conflicts
    assert found.superseded == superseded


def test_compare_agrees_with_examine_on_relays():
    wire = relay(SOME, id=20, source=WIRE, of=11, of_source=PSAKI)
    stand_in = relay(SOME, id=21, source=WIRE, of_source=STATE)
    assert compare(wire, NO_INFO, THE_53) is None
    assert compare(stand_in, NO_INFO, THE_53) == GAP_KIND
    state_says_none = denies(id=15, source=STATE)
    assert compare(stand_in, state_says_none, THE_53) is None
    assert compare(wire, stand_in, THE_53) is None


SPEAKERS = [
    pytest.param(SOME, PSAKI, id="an original speaks for its source"),
    pytest.param(
        relay(SOME, id=20, source=WIRE, of_source=STATE),
        STATE,
        id="a stand-in for the relayed source",
    ),
    pytest.param(
        relay(SOME, id=20, source=WIRE, of=11, of_source=PSAKI),
        WIRE,
        id="a relay of a claim: its outlet, never compared",
    ),
]


@pytest.mark.parametrize(("claim", "speaker"), SPEAKERS)
def test_it_knows_whose_statement_a_claim_stands_for(claim, speaker):
    assert speaker_of(claim) == speaker


AGREEMENT = [
    pytest.param(
        [
            SOME,
            affirms(10, 20, id=14, source=STATE),
            relay(SOME, id=20, source=WIRE, of=11, of_source=PSAKI),
        ],
        {11: {STATE}, 14: {PSAKI}, 20: {STATE}},
        id="the outlet relaying Psaki is no second voice; the relay has its original's agreement",
    ),
    pytest.param(
        [
            SOME,
            relay(SOME, id=20, source=WIRE, of_source=STATE),
            relay(SOME, id=21, source=PAPER, of_source=STATE),
        ],
        {11: {STATE}, 20: {PSAKI}, 21: {PSAKI}},
        id="two outlets relaying one source count as that one source",
    ),
    pytest.param(
        [SOME, NO_INFO, NONE_RELEASED._replace(id=15, source_id=STATE)],
        {11: set(), 12: set(), 15: set()},
        id="no information agrees with nothing, disjoint values neither",
    ),
    pytest.param(
        [
            no_information(id=10, source=PSAKI, stated_on=MON),
            SOME,
            affirms(id=14, source=STATE, stated_on=MON),
        ],
        {11: {STATE}, 14: {PSAKI}},
        id="superseded claims are left out",
    ),
]


@pytest.mark.parametrize(("claims", "expected"), AGREEMENT)
def test_it_counts_the_sources_that_agree_originals_only(claims, expected):
    assert agreeing_sources(claims, THE_53) == {k: frozenset(v) for k, v in expected.items()}


def test_it_finds_relay_supersessions_only_for_stand_ins():
    claims = [
        relay(no_information(stated_on=MON), id=20, source=WIRE, of_source=STATE),
        relay(no_information(stated_on=MON), id=21, source=WIRE, of=14, of_source=STATE),
        affirms(id=14, source=STATE, stated_on=TUE),
    ]
    assert relay_supersessions(claims) == {20: 14}


# relay_problem(claim_id, source_id, relays_id, relays_source_id, chain)
PROBLEMS = [
    pytest.param((20, WIRE, 11, None, {11: (None, PSAKI)}), "", id="a relay of a claim"),
    pytest.param((None, WIRE, None, STATE, {}), "", id="a relay of a source"),
    pytest.param(
        (20, WIRE, 20, None, {20: (20, WIRE)}), "cannot relay itself", id="a claim relaying itself"
    ),
    pytest.param(
        (20, STATE, None, STATE, {}), "A source cannot relay itself", id="a source relaying itself"
    ),
    pytest.param(
        (20, PSAKI, 11, None, {11: (None, PSAKI)}),
        "A source cannot relay itself",
        id="relaying one's own claim",
    ),
    pytest.param(
        (20, WIRE, 11, STATE, {11: (None, PSAKI)}),
        "must be the source of the relayed claim",
        id="claim and source disagree",
    ),
    pytest.param(
        (20, WIRE, 21, None, {21: (20, PAPER)}), "loop (#20 → #21 → #20)", id="A relays B relays A"
    ),
    pytest.param(
        (20, WIRE, 21, None, {21: (22, PAPER), 22: (20, STATE)}),
        "loop (#20 → #21 → #22 → #20)",
        id="a longer loop",
    ),
    pytest.param(
        (20, WIRE, 21, None, {21: (22, PAPER), 22: (None, PSAKI)}),
        "",
        id="a chain of relays without a loop",
    ),
]


@pytest.mark.parametrize(("args", "expected"), PROBLEMS)
def test_it_refuses_relaying_oneself_and_loops(args, expected):
    problem = relay_problem(*args)
    if expected:
        assert expected in problem
    else:
        assert problem == ""
