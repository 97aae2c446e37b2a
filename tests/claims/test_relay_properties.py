"""
The relay (echo) rules as properties (Hypothesis): claims/conflicts.py, "Relays".

Pure: adding relays, of recorded claims or of sources, to any set of claims
never changes the conflicts or supersessions among the originals; a relay of
a recorded claim is in no conflict; a stand-in relay is never in conflict with
its relayed source; counts of agreeing sources never count an outlet.

Database: random histories with relays through the real `Claim.save` path
keep the open conflicts a function of the approved claims, and a full
recompute agrees with the incremental path.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from claims import detection
from claims.conflicts import (
    ClaimFacts,
    agreeing_sources,
    agreeing_with,
    examine,
    relayed_original,
    speaker_of,
    within_window,
)
from claims.detection import FACT_FIELDS
from claims.models import Claim
from claims.views import claims as claim_views
from sources.models import Source
from tests.claims import test_conflict_properties as base
from tests.claims.test_conflict_properties import (
    SOURCES,
    claim_facts,
    examples,
    in_turn,
    variables,
)

OUTLETS = (8, 9)


@st.composite
def with_relays(draw):
    """Draw originals on one variable, then relays of them and of sources, with fresh ids."""
    topic, originals = draw(variables())
    detainee_id = originals[0].detainee_id if originals else None
    relays = []
    next_id = 2000
    for turn in range(draw(st.integers(0, 5))):
        said = draw(claim_facts(topic, detainee_id, next_id, turn=turn))
        outlet = draw(st.sampled_from(OUTLETS + SOURCES))
        if originals and draw(st.booleans()):
            original = draw(st.sampled_from(originals))
            if original.source_id == outlet:
                continue
            relays.append(
                said._replace(
                    source_id=outlet, relays_id=original.id, relays_source_id=original.source_id
                )
            )
        else:
            relayed = draw(st.sampled_from(SOURCES))
            if relayed == outlet:
                continue
            relays.append(said._replace(source_id=outlet, relays_source_id=relayed))
        next_id += 1
    return topic, originals, relays


@given(with_relays(), st.randoms())
def test_relays_never_change_what_the_originals_find(drawn, random):
    topic, originals, relays = drawn
    everything = [*originals, *relays]
    random.shuffle(everything)
    alone = examine(originals, topic)
    together = examine(everything, topic)
    ids = {c.id for c in originals}

    among_originals = {pair: kind for pair, kind in together.conflicts.items() if set(pair) <= ids}
    assert among_originals == alone.conflicts
    assert {k: v for k, v in together.superseded.items() if k in ids} == alone.superseded
    # A relay supersedes nothing.
    assert set(together.superseded.values()) <= ids


@given(with_relays())
def test_a_relay_never_conflicts_with_what_it_relays(drawn):
    topic, originals, relays = drawn
    found = examine([*originals, *relays], topic)
    by_id = {c.id: c for c in [*originals, *relays]}
    for a, b in found.conflicts:
        assert by_id[a].relays_id is None and by_id[b].relays_id is None
        assert speaker_of(by_id[a]) != speaker_of(by_id[b])


@given(with_relays())
def test_agreement_never_counts_an_outlet(drawn):
    topic, originals, relays = drawn
    agree = agreeing_sources([*originals, *relays], topic)
    alone = agreeing_sources(originals, topic)
    relayed_claims = {c.id for c in relays if c.relays_id is not None}
    stand_ins = {c.source_id for c in relays if c.relays_id is None}
    for claim_id, sources in agree.items():
        # An outlet is counted only where it also speaks for itself.
        own = {c.source_id for c in originals}
        assert sources <= own | {c.relays_source_id for c in relays}
        if claim_id in relayed_claims:
            continue
        if claim_id in alone and not stand_ins:
            # Relays of recorded claims alone add no voice to any original.
            assert sources == alone[claim_id]


@given(with_relays(), st.randoms())
def test_one_claims_agreement_needs_only_the_claims_inside_its_window(drawn, random):
    """The claim page reads the claims around one claim's date, not its whole variable."""
    topic, originals, relays = drawn
    everything = [*originals, *relays]
    random.shuffle(everything)
    agree = agreeing_sources(everything, topic)
    superseded = examine(everything, topic).superseded
    by_id = {c.id: c for c in everything}
    for claim in everything:
        original = relayed_original(claim, by_id.get)
        if original is None:
            assert agree.get(claim.id, frozenset()) == frozenset()
            continue
        nearby = [c for c in everything if within_window(original, c, topic)]
        random.shuffle(nearby)
        assert agreeing_with(original, nearby, superseded, topic) == agree.get(
            claim.id, frozenset()
        )


class RelayDetectionPropertyTests(base.DetectionPropertyTests):
    """The database side, with relays among the random actions."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.outlet = Source.objects.create(name="Wire report", kind=Source.Kind.MEDIA)

    def write(self, claim: Claim, values: dict) -> Claim:
        # An editor who moves a relay, or the claim it relays, to another
        # variable unlinks the relay (Claim.clean refuses a relay about
        # another question than its original's).
        relays = values.get("relays", claim.relays)
        if relays is not None:
            topic_id = values["topic"].pk if "topic" in values else claim.topic_id
            detainee = values.get("detainee", claim.detainee)
            relays.refresh_from_db()
            if (relays.topic_id, relays.detainee_id) != (topic_id, detainee and detainee.pk):
                values = {**values, "relays": None, "relays_source": None}
        # And one who makes a relay's outlet the very source it relays.
        relayed = values.get("relays_source", claim.relays_source)
        if relays is not None:
            relayed = relays.source
        # By id: a new claim has no source to read yet.
        source_id = values["source"].pk if "source" in values else claim.source_id
        if relayed is not None and relayed.pk == source_id:
            values = {**values, "relays": None, "relays_source": None}
        return super().write(claim, values)

    def act(self, data, turn, ids, closed):
        if ids and data.draw(st.integers(0, 2), label="relay?") == 0:
            return self.relay(data, turn, ids)
        return super().act(data, turn, ids, closed)

    def relay(self, data, turn: int, ids: list[int]) -> None:
        """Record, and approve, a relay of a stored claim or of a source."""
        original = Claim.objects.get(pk=in_turn(data.draw, tuple(ids), turn))
        speakers = [self.outlet, *(s for s in self.sources if s.pk != original.source_id)]
        values = self.draw_values(data, original.topic, original.detainee, turn)
        values["source"] = in_turn(data.draw, tuple(speakers), turn)
        if data.draw(st.booleans(), label="of a claim"):
            values["relays"] = original
        else:
            others = [s for s in self.sources if s.pk != values["source"].pk]
            values["relays_source"] = in_turn(data.draw, tuple(others), turn)
        claim = Claim(quote="…", summary="A relay", state=Claim.State.PENDING)
        claim = self.write(claim, values)
        claim.approve(by=None)
        ids.append(claim.pk)

    @examples(25)
    @given(st.data())
    def test_it_keeps_the_open_conflicts_a_function_of_the_approved_claims(self, data):
        closed: dict[int, str] = {}
        self.run_history(data, [], closed)
        self.assert_consistent(closed)
        self.assertEqual(detection.recompute_all().changes, Counter())
        self.assert_consistent(closed)

    @examples(15)
    @given(st.data())
    def test_the_claim_page_gives_each_claim_the_agreement_of_its_whole_variable(self, data):
        """`agreeing_sources` on the claim page, from a window's current claims and the stored
        supersessions, is the rules' agreement over every approved claim on the variable."""
        self.run_history(data, [], {})
        for claim in Claim.objects.approved().select_related("topic", "source__affiliation"):
            on_variable = Claim.objects.approved().on_variable(*claim.variable).order_by()
            facts = [ClaimFacts(*row) for row in on_variable.values_list(*FACT_FIELDS)]
            expected = agreeing_sources(facts, claim.topic.rules).get(claim.pk, frozenset())
            expected = expected if claim.is_fact else frozenset()
            chain = claim_views.provenance_chain(claim)
            for known in (chain, ()):  # The relay's original from its chain, or read anew.
                shown = claim_views.agreeing_sources(claim, known)
                self.assertEqual({s.pk for s in shown}, expected, f"claim #{claim.pk}")

    # The other histories are DetectionPropertyTests' own; run once, there.
    test_it_never_reopens_a_conflict_a_person_closed = None
    test_it_reaches_the_same_conflicts_when_detection_is_deferred = None
    test_it_reopens_a_closed_conflict_only_into_the_state_the_rules_give = None
    test_the_bounded_preview_says_what_the_whole_variable_says = None
    test_approval_opens_the_conflicts_the_preview_announced = None
