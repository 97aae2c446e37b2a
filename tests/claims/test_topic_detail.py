from datetime import date

from django.test import TestCase
from django.urls import reverse

from claims.models import Claim
from tests.cast import JanuaryCast


class TopicPageTests(JanuaryCast, TestCase):
    def get(self):
        return self.client.get(reverse("claims:topic", args=[self.release.slug]))

    def test_it_shows_the_question_and_the_quantity_it_counts(self):
        response = self.get()

        self.assertContains(response, "Has Cuba released the 53 prisoners, and how many?")
        self.assertContains(response, "prisoners released: 0–53")

    def test_it_lists_claims_oldest_first(self):
        claims = list(self.get().context["claims"])

        self.assertEqual(claims[0], self.monday)
        self.assertEqual([c.stated_on for c in claims], sorted(c.stated_on for c in claims))

    def test_it_shows_mondays_statement_as_updated_by_tuesdays(self):
        response = self.get()

        self.assertContains(response, "Updated by this source’s later statement")
        self.assertContains(response, f'id="claim-{self.monday.pk}"')
        self.assertContains(response, "claim claim-superseded")
        self.assertNotContains(response, f"claim-{self.some_released.pk} claim-superseded")

    def test_it_shows_the_open_gap_with_both_sources_notes(self):
        conflicts = list(self.get().context["conflicts"])

        self.assertEqual(len(conflicts), 1)
        self.assertEqual(
            {conflicts[0].claim_a, conflicts[0].claim_b}, {self.some_released, self.no_information}
        )

    def test_it_labels_a_position_as_a_position(self):
        response = self.get()

        self.assertContains(response, "shown as a position, never a contradiction of fact")

    def test_it_hides_claims_not_yet_approved(self):
        pending = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A pending demand",
            summary="Pending",
            stated_on=date(2015, 1, 6),
            state=Claim.State.PENDING,
        )

        self.assertNotContains(self.get(), pending.quote)

    def test_it_escapes_quotes(self):
        self.claim(
            self.rubio,
            kind=Claim.Kind.POSITION,
            quote="<script>alert(1)</script>",
            summary="<b>bold</b>",
        )

        response = self.get()

        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_it_answers_404_for_an_unknown_topic(self):
        response = self.client.get(reverse("claims:topic", args=["no-such-topic"]))

        self.assertEqual(response.status_code, 404)

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. topic, 2. open conflicts, 3.-6. notes on their sources and
        # affiliations, 7. claims joined to source, affiliation, document,
        # detainee and update, 8.-9. notes on the claims' sources and
        # affiliations, 10. detainees in the topic.
        with self.assertNumQueries(10):
            self.get()

        for n in range(20):
            self.claim(
                self.rubio,
                kind=Claim.Kind.POSITION,
                stance="",
                quote=f"Demand {n}",
                summary=f"Demand {n}",
            )

        with self.assertNumQueries(10):
            self.get()
