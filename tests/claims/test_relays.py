"""Relays (echoes) through the database, the form, the claim page and the API.

The rules are claims/conflicts.py's "Relays" (tables in test_relay_rules.py).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.test import TestCase

from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast


class RelayTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wire = Source.objects.create(name="Wire report", kind=Source.Kind.MEDIA)
        cls.relay = cls.claim(
            cls.wire,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=1,
            quantity_max=53,
            quote="Cuba has freed some of 53 people, the U.S. government said on Tuesday",
            summary="Reports that some were freed",
            relays=cls.some_released,
        )

    def test_a_relay_adds_no_conflict_and_records_whom_it_relays(self):
        self.assertEqual(self.relay.relays_source, self.psaki, "kept in step with the claim")
        # Only the original's gap with Sanchez: the relay raises none of its own.
        self.assertEqual(
            list(Conflict.objects.open().values_list("claim_a_id", "claim_b_id")),
            [(self.some_released.pk, self.no_information.pk)],
        )

    def refused(self, claim: Claim) -> dict:
        with self.assertRaises(ValidationError) as caught:
            claim.full_clean()
        return caught.exception.message_dict

    def test_it_refuses_a_claim_relaying_itself(self):
        self.relay.relays = self.relay
        self.assertIn("A claim cannot relay itself", self.refused(self.relay)["relays"][0])

    def test_it_refuses_a_source_relaying_itself(self):
        self.relay.relays = None
        self.relay.relays_source = self.wire
        self.assertIn("A source cannot relay itself", self.refused(self.relay)["relays_source"][0])

    def test_it_refuses_a_loop_of_relays(self):
        echo = self.claim(
            self.rubio,
            stance=Claim.Stance.AFFIRMS,
            quote="The wire says some were freed",
            summary="Echo of the wire",
            relays=self.relay,
        )
        self.relay.relays = echo
        message = self.refused(self.relay)["relays"][0]
        self.assertIn(f"loop (#{self.relay.pk} → #{echo.pk} → #{self.relay.pk})", message)

    def test_it_refuses_a_relay_about_another_question(self):
        talks = Topic.objects.create(title="Talks", question="Do the talks go ahead?")
        elsewhere = self.claim(
            self.psaki,
            topic=talks,
            stance=Claim.Stance.DENIES,
            quote="Not a precondition",
            summary="Not a precondition",
        )
        self.relay.relays = elsewhere
        self.assertIn("another topic or detainee", self.refused(self.relay)["relays"][0])

    def test_the_claim_page_shows_the_chain_and_counts_originals_only(self):
        response = self.client.get(self.relay.get_absolute_url())
        self.assertContains(response, "Outlet:")
        self.assertContains(response, "Original statement:")
        self.assertContains(response, "They have already released some of the prisoners")
        original = self.client.get(self.some_released.get_absolute_url())
        self.assertContains(original, "Relayed by")
        self.assertContains(original, "none</p>".replace("</p>", ".</p>"))

    def test_the_agreeing_sources_count_a_second_original_not_the_relay(self):
        state = self.claim(
            self.state_dept,
            stance=Claim.Stance.AFFIRMS,
            quote="Some have been released",
            summary="Some released, says State",
        )
        response = self.client.get(self.some_released.get_absolute_url())
        text = response.content.decode()
        agreeing = text[text.index('<p class="agreeing">') :].split("</p>")[0]
        self.assertIn(state.source.name, agreeing)
        self.assertNotIn("Wire report", agreeing)

    def test_the_api_carries_the_relay(self):
        response = self.client.get(f"/api/claims/{self.relay.pk}/")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["relays"], self.some_released.pk)
        self.assertEqual(body["relays_source"]["name"], "Jen Psaki")

    def test_a_stand_in_relay_is_compared_as_the_relayed_source(self):
        stand_in = self.claim(
            self.wire,
            stance=Claim.Stance.AFFIRMS,
            quote="According to Havana, none are left",
            summary="All released, says Havana via the wire",
            quantity_min=53,
            quantity_max=53,
            relays_source=self.rubio,
            stated_on=date(2015, 1, 6),
        )
        pairs = set(Conflict.objects.open().values_list("claim_a_id", "claim_b_id"))
        self.assertIn((self.no_information.pk, stand_in.pk), pairs)
