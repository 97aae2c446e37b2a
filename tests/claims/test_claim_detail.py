from django.test import TestCase
from django.urls import reverse

from claims.models import Claim
from tests.cast import JanuaryCast


class ClaimPageTests(JanuaryCast, TestCase):
    def get(self, claim):
        return self.client.get(reverse("claims:detail", args=[claim.pk]))

    def test_it_shows_the_quote_speaker_affiliation_and_notes(self):
        response = self.get(self.some_released)

        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "Jen Psaki")
        self.assertContains(response, "U.S. Department of State")
        self.assertContains(response, self.psaki_note.body)

    def test_it_lists_the_conflicts_the_claim_is_in(self):
        response = self.get(self.some_released)

        self.assertEqual(len(response.context["conflicts"]), 1)
        self.assertContains(response, "We don&#x27;t have any information up to now")

    def test_it_shows_the_earlier_statement_it_updates(self):
        response = self.get(self.some_released)

        self.assertEqual(list(response.context["supersedes"]), [self.monday])

    def test_it_keeps_the_permalink_of_a_retracted_claim_with_the_reason(self):
        self.demand.retract(by=None, reason="Misattributed")

        response = self.get(self.demand)

        self.assertContains(response, "Retracted")
        self.assertContains(response, "Misattributed")

    def test_it_hides_a_pending_claim(self):
        self.demand.state = Claim.State.PENDING
        self.demand.save()

        self.assertEqual(self.get(self.demand).status_code, 404)
