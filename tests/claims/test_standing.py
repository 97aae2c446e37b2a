"""A claim card's status badge: where the claim stands, on every page that shows claim cards."""

import html
from datetime import date

from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Detainee
from tests.cast import JanuaryCast

GAP_WITH_SANCHEZ = "In an open gap with Elizardo Sanchez"
GAP_WITH_PSAKI = "In an open gap with Jen Psaki"


class StandingTestCase(JanuaryCast, TestCase):
    def gap(self) -> Conflict:
        return Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

    def standing(self, claim: Claim):
        return Claim.objects.with_standing().get(pk=claim.pk).standing

    def page(self, url: str, **params) -> str:
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200)
        return html.unescape(response.content.decode())


class StandingRuleTests(StandingTestCase):
    def test_it_says_an_open_gap_with_the_other_source_and_links_the_conflict(self):
        standing = self.standing(self.some_released)

        self.assertEqual(standing.key, "open-gap")
        self.assertEqual(standing.text, GAP_WITH_SANCHEZ)
        self.assertEqual(standing.url, self.gap().get_absolute_url())
        self.assertEqual(self.standing(self.no_information).text, GAP_WITH_PSAKI)

    def test_it_counts_several_open_conflicts_and_links_the_conflicts_list_filtered_to_it(self):
        none = self.claim(
            self.rubio, stance=Claim.Stance.DENIES, quote="None freed", summary="None freed"
        )

        standing = self.standing(none)

        # Against Psaki's "some" (a contradiction) and Sanchez's "no information" (a gap).
        self.assertEqual(standing.text, "In open conflicts with 2 claims (1 contradiction, 1 gap)")
        self.assertEqual(standing.key, "open-contradiction")
        self.assertEqual(standing.url, f"{reverse('claims:conflicts')}?claim={none.pk}")

    def test_it_says_superseded_and_links_the_later_statement(self):
        standing = self.standing(self.monday)

        self.assertEqual(standing.key, "superseded")
        self.assertEqual(standing.url, self.some_released.get_absolute_url())

    def test_it_gives_the_verdict_and_links_the_resolution_once_resolved(self):
        gap = self.gap()
        gap.resolve(by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Confirmed later.")

        confirmed, unverified = (
            self.standing(self.some_released),
            self.standing(self.no_information),
        )

        self.assertEqual((confirmed.key, confirmed.text), ("confirmed", "Verdict: confirmed"))
        self.assertEqual(confirmed.url, gap.get_absolute_url())
        # "We don't know" is not being wrong: unverified, not refuted.
        self.assertEqual(unverified.key, "unverified")

    def test_an_open_conflict_outranks_a_verdict(self):
        self.gap().resolve(by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Confirmed.")
        self.claim(self.rubio, stance=Claim.Stance.DENIES, quote="None", summary="None freed")

        standing = self.standing(self.some_released)

        self.assertEqual(Claim.objects.get(pk=self.some_released.pk).verdict, "confirmed")
        self.assertEqual(standing.key, "open-contradiction")
        self.assertEqual(standing.text, "In an open contradiction with Marco Rubio")

    def test_a_claim_never_disputed_has_no_badge(self):
        self.assertIsNone(self.standing(self.demand))

    def test_a_claim_read_without_the_annotations_still_says_it_is_disputed_without_a_query(self):
        claim = Claim.objects.get(pk=self.some_released.pk)

        with self.assertNumQueries(0):
            standing = claim.standing

        self.assertEqual(standing.text, "In an open conflict")
        self.assertEqual(standing.url, f"{reverse('claims:conflicts')}?claim={claim.pk}")


class StandingOnEveryPageTests(StandingTestCase):
    def test_a_search_for_released_shows_the_open_gap_on_psakis_card(self):
        body = self.page(reverse("claims:list"), q="released")

        card = body[: body.index("have already")]
        card = card[card.rindex("<article") :]
        self.assertIn(GAP_WITH_SANCHEZ, card)
        self.assertIn(f'href="{self.gap().get_absolute_url()}"', body)
        self.assertIn("standing-open-gap", card)

    def test_the_topic_page_badges_each_sources_current_word(self):
        body = self.page(self.release.get_absolute_url())

        self.assertIn(GAP_WITH_SANCHEZ, body)
        self.assertIn(GAP_WITH_PSAKI, body)

    def test_the_source_page_badges_its_claims(self):
        body = self.page(self.psaki.get_absolute_url())

        self.assertIn(GAP_WITH_SANCHEZ, body)
        self.assertIn("Superseded by a later statement", body)

    def test_the_detainee_page_badges_its_claims(self):
        ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        ferrer.topics.add(self.release)
        for source, status in ((self.psaki, "released"), (self.sanchez, "imprisoned")):
            self.claim(
                source,
                detainee=ferrer,
                stance=Claim.Stance.AFFIRMS,
                status=status,
                quote=status,
                summary=f"Ferrer {status}",
            )

        body = self.page(ferrer.get_absolute_url())

        self.assertIn("In an open contradiction with Elizardo Sanchez", body)
        self.assertIn("In an open contradiction with Jen Psaki", body)

    def test_the_claims_feed_entries_carry_the_badge_with_an_absolute_link(self):
        body = self.page(reverse("claims:topic_claims_feed", args=[self.release.slug]))

        self.assertIn(GAP_WITH_SANCHEZ, body)
        # Absolute on the canonical site address, never the request's host (SITE_URL).
        self.assertIn(f'href="{settings.SITE_URL}{self.gap().get_absolute_url()}"', body)

    def test_the_claim_page_shows_its_badge(self):
        body = self.page(self.no_information.get_absolute_url())

        self.assertIn(GAP_WITH_PSAKI, body)


class ConflictsOfOneClaimTests(StandingTestCase):
    def test_the_conflicts_list_filtered_to_a_claim_shows_only_its_conflicts_and_says_so(self):
        none = self.claim(
            self.rubio,
            stance=Claim.Stance.DENIES,
            quote="None freed",
            summary="None freed",
            stated_on=date(2015, 1, 6),
        )

        response = self.client.get(reverse("claims:conflicts"), {"claim": self.no_information.pk})

        shown = list(response.context["page"])
        self.assertEqual(len(shown), 2)
        self.assertTrue(all(self.no_information in c.claims for c in shown))
        self.assertContains(response, f"claim #{self.no_information.pk}</a>")
        self.assertEqual(Conflict.objects.open().count(), 3)
        self.assertNotIn(none, [self.no_information])


class ClaimPageStandingFirstTests(StandingTestCase):
    def test_the_open_gap_comes_before_the_quote_and_the_citation(self):
        body = self.page(self.some_released.get_absolute_url())

        gap = body.index("Open gap (one source has no information)</strong> with")
        self.assertLess(body.index("Where this claim stands"), gap)
        self.assertLess(gap, body.index("<blockquote"))
        self.assertLess(gap, body.index("Cite this claim"))
        self.assertLess(body.index(GAP_WITH_SANCHEZ), body.index("<blockquote"))

    def test_a_resolution_says_the_outcome_the_verdict_who_when_and_why_at_the_top(self):
        from django.contrib.auth.models import User

        mona = User.objects.create_user("mona", first_name="Mona", last_name="Moderator")
        self.gap().resolve(
            by=mona, outcome=Conflict.Outcome.A_RIGHT, rationale="The State Department named 36."
        )

        body = self.page(self.some_released.get_absolute_url())

        top = body[: body.index("<blockquote")]
        self.assertIn("Claim A is right (this claim is A): this claim confirmed", top)
        self.assertIn("Resolved by Mona Moderator", top)
        self.assertIn("“The State Department named 36.”", top)
        self.assertIn("Verdict: confirmed", top)

    def test_a_claim_in_no_conflict_says_so_at_the_top(self):
        body = self.page(self.demand.get_absolute_url())

        self.assertLess(body.index("No source disputes this claim"), body.index("<blockquote"))


class RangeChartLegendTests(StandingTestCase):
    def test_the_topic_pages_count_chart_explains_a_range_in_its_legend(self):
        body = self.page(self.release.get_absolute_url())

        self.assertIn("A range: “some of 53” is drawn from 1 to 53, capped at both ends", body)
        self.assertIn('class="range-cap"', body)
        self.assertIn('fill-opacity="0.3"', body)
