import re
from datetime import date
from itertools import pairwise

from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Document
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

    def test_it_shows_the_dates_it_was_stated_on_and_is_about(self):
        late = self.claim(
            self.psaki,
            stance=Claim.Stance.AFFIRMS,
            quote="By Monday some had been freed",
            summary="Some freed by Monday",
            stated_on=date(2015, 1, 8),
            as_of=date(2015, 1, 5),
        )

        response = self.get(late)

        self.assertContains(response, "Thursday, Jan 8, 2015")
        self.assertContains(response, "Monday, Jan 5, 2015</time> (the day the statement is about)")

    def test_it_shows_the_document_with_its_links(self):
        Document.objects.filter(pk=self.article.pk).update(
            publisher="Wire report",
            url="https://example.org/cuba",
            archive_url="https://web.archive.org/example.org/cuba",
        )
        Claim.objects.filter(pk=self.some_released.pk).update(
            citation_url="https://example.org/cuba#psaki"
        )

        response = self.get(self.some_released)

        self.assertContains(
            response, "US: Cuba Has Released Some of 53 &#x27;Political&#x27; Prisoners"
        )
        self.assertContains(response, "Wire report")
        self.assertContains(response, "Jan 6, 2015")
        self.assertContains(response, 'href="https://example.org/cuba"')
        self.assertContains(response, 'href="https://web.archive.org/example.org/cuba"')
        self.assertContains(response, 'href="https://example.org/cuba#psaki"')

    def test_it_shows_the_later_statement_that_updates_it(self):
        response = self.get(self.monday)

        self.assertContains(response, "The later statement that updates this one")
        self.assertContains(response, f'id="later-claim-{self.some_released.pk}"')

    def test_it_says_when_there_is_no_update_either_way(self):
        self.assertContains(self.get(self.no_information), "No update:")

    def test_it_offers_a_ready_to_paste_citation_line(self):
        response = self.get(self.some_released)

        self.assertEqual(
            response.context["citation"],
            'Jen Psaki (U.S. Department of State), "They have already released some of the '
            "prisoners\", Jan 6, 2015, in \"US: Cuba Has Released Some of 53 'Political' "
            f'Prisoners" — Crosscheck claim #{self.some_released.pk}, '
            f"{settings.SITE_URL}/claims/{self.some_released.pk}/",
        )
        self.assertContains(response, '<label for="citation-line">')
        self.assertContains(response, '<textarea id="citation-line" readonly')

    def test_it_shortens_a_long_quote_in_the_citation_and_escapes_it(self):
        long = self.claim(
            self.rubio,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="<b>Talks</b> " + "must wait " * 40,
            summary="Talks must wait",
            document=None,
        )

        response = self.get(long)

        citation = response.context["citation"]
        self.assertIn("…", citation)
        self.assertLess(len(citation), 260)
        self.assertNotIn(', in "', citation)  # no document recorded
        self.assertContains(response, "&lt;b&gt;Talks&lt;/b&gt;")
        self.assertNotContains(response, "<b>Talks</b>")

    def test_it_marks_a_retracted_claim_in_its_citation(self):
        self.demand.retract(by=None, reason="Misattributed")

        self.assertIn("(retracted)", self.get(self.demand).context["citation"])

    def test_it_says_where_you_are_in_the_title(self):
        self.assertContains(
            self.get(self.some_released),
            f"<title>Claim #{self.some_released.pk}: Some of the 53 released — Jen Psaki",
        )

    def test_it_keeps_headings_in_order_and_ids_unique(self):
        body = self.get(self.some_released).content.decode()

        levels = [int(n) for n in re.findall(r"<h([1-6])", body)]
        self.assertTrue(all(b - a <= 1 for a, b in pairwise(levels)), levels)
        ids = re.findall(r'\sid="([^"]+)"', body)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertNotIn("style=", body)
