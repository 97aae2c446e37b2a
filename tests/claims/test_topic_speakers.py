"""
Who speaks on a topic, kept on write (claims/speakers.py), as properties.

For random histories of claims (created, approved, rejected, retracted,
edited and moved, positions among them, through the real `Claim.save` path:
tests/claims/test_conflict_properties.py's histories), the stored
`TopicSpeaker` rows are exactly what a computation from the approved claims
gives; a full recompute has nothing to change, and repairs rows broken
behind detection's back, saying so.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from claims import detection, speakers
from claims.conflicts import FACT, POSITION, ClaimFacts
from claims.models import Claim, Topic, TopicSpeaker
from sources.models import Source
from tests.claims import test_conflict_properties as histories

DAY_ONE = date(2015, 1, 1)


class SpeakerPropertyTests(histories.DetectionPropertyTests):
    """The histories of the detection properties; only the speakers' rows are asserted here."""

    # Not again here: those are tests/claims/test_conflict_properties.py's.
    test_it_keeps_the_open_conflicts_a_function_of_the_approved_claims = None
    test_it_never_reopens_a_conflict_a_person_closed = None
    test_it_reaches_the_same_conflicts_when_detection_is_deferred = None
    test_it_reopens_a_closed_conflict_only_into_the_state_the_rules_give = None
    test_the_bounded_preview_says_what_the_whole_variable_says = None
    test_approval_opens_the_conflicts_the_preview_announced = None

    def assert_speakers_consistent(self) -> None:
        self.assertEqual(speakers.stored(), speakers.from_scratch())

    @histories.examples(20)
    @given(st.data())
    def test_it_keeps_each_topics_speakers_a_function_of_the_approved_claims(self, data):
        closed: dict[int, str] = {}
        self.run_history(data, [], closed)

        self.assert_speakers_consistent()
        self.assertNotIn("speakers changed", detection.recompute_all().changes)
        self.assert_speakers_consistent()

    @histories.examples(10)
    @given(st.data())
    def test_it_keeps_them_when_detection_is_deferred(self, data):
        with detection.deferred():
            self.run_history(data, [], {})

        self.assert_speakers_consistent()

    @histories.examples(10)
    @given(st.data())
    def test_a_recompute_repairs_rows_broken_behind_detections_back(self, data):
        self.run_history(data, [], {})
        rows = list(TopicSpeaker.objects.order_by("pk"))
        if rows:
            broken = data.draw(st.sampled_from(rows), label="broken row")
            if data.draw(st.booleans(), label="delete it"):
                broken.delete()
            else:
                TopicSpeaker.objects.filter(pk=broken.pk).update(
                    claim_count=broken.claim_count + 3, position_id=None
                )
        # And a row for a source that never spoke on the topic.
        nobody = Source.objects.create(name="Nobody", kind=Source.Kind.OTHER)
        TopicSpeaker.objects.create(
            topic=self.yes_no, source=nobody, claim_count=1, last_stated_on=DAY_ONE
        )

        changed = detection.recompute_all().changes["speakers changed"]

        self.assertGreater(changed, 0)
        self.assert_speakers_consistent()


class TallyTests(TestCase):
    """The pure rule: per source, its claims, when it last spoke, its newest position."""

    def test_it_counts_every_kind_and_keeps_the_newest_position(self):
        facts = [
            ClaimFacts(1, 7, FACT, "affirms", DAY_ONE),
            ClaimFacts(2, 7, POSITION, "", DAY_ONE + timedelta(days=2)),
            ClaimFacts(3, 7, POSITION, "", DAY_ONE + timedelta(days=2)),  # same day, later id
            ClaimFacts(4, 7, POSITION, "", DAY_ONE + timedelta(days=1)),
            ClaimFacts(5, 8, FACT, "denies", DAY_ONE + timedelta(days=5)),
        ]

        found = speakers.tally(facts)

        self.assertEqual(
            found,
            {
                7: speakers.Tally(4, DAY_ONE + timedelta(days=2), 3),
                8: speakers.Tally(1, DAY_ONE + timedelta(days=5), None),
            },
        )


class CheckCommandTests(TestCase):
    """`recompute_conflicts --check-counters` names drifted speakers' rows and fails."""

    def test_it_fails_on_a_row_detection_would_not_keep(self):
        topic = Topic.objects.create(title="Talks", question="Do the talks go ahead?")
        source = Source.objects.create(name="Granma", kind=Source.Kind.MEDIA)
        call_command("recompute_conflicts", "--check-counters", stdout=_Sink())
        TopicSpeaker.objects.create(
            topic=topic, source=source, claim_count=2, last_stated_on=DAY_ONE
        )

        out = _Sink()
        with self.assertRaises(CommandError):
            call_command("recompute_conflicts", "--check-counters", stdout=out)
        self.assertIn("claims_topicspeaker: 1 row wrong", out.text)

        call_command("recompute_conflicts", stdout=out)
        self.assertFalse(TopicSpeaker.objects.exists())
        self.assertEqual(Claim.objects.count(), 0)
        self.assertEqual(detection.recompute_all().changes, Counter())


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass
