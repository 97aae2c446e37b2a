"""A claim with a verdict carries schema.org ClaimReview JSON-LD, as a consumer reads it.

The claim page is rendered through the test client and read back with
extruct, the structured-data extractor fact-check aggregators use, so what
is asserted is what a search engine would see: the types, the nested author,
the rating's name, ISO dates, the absolute permalink. A claim without a
verdict (or retracted) carries none, and a quote that says `</script>`
cannot break out of the block. The same JSON-LD, parsed as linked data by
rdflib, yields the ClaimReview → Claim → Person triples.
"""

import json

import extruct
import html5lib
from django.conf import settings
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rdflib import RDF, Graph, Namespace

from claims.models import Claim, Conflict, Document
from tests.cast import JanuaryCast
from tests.roles import RoleCast

# Feed and review addresses are built on SITE_URL, whatever host the test client sends.
BASE_URL = settings.SITE_URL
SCHEMA = Namespace("https://schema.org/")
BREAKOUT = "</script><script>alert(1)</script>"


class ClaimReviewTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def page(self, claim: Claim):
        response = self.client.get(reverse("claims:detail", args=[claim.pk]))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def reviews(self, claim: Claim) -> list[dict]:
        """Return the ClaimReviews extruct finds on the claim's page."""
        found = extruct.extract(self.page(claim), base_url=BASE_URL, syntaxes=["json-ld"])
        return [item for item in found["json-ld"] if item.get("@type") == "ClaimReview"]

    def review(self, claim: Claim) -> dict:
        reviews = self.reviews(claim)
        self.assertEqual(len(reviews), 1, reviews)
        return reviews[0]

    def resolve(self, conflict: Conflict, outcome: str, rationale: str = "The Jan 12 list") -> None:
        conflict.resolve(by=self.moderator, outcome=outcome, rationale=rationale)

    def test_a_confirmed_claim_carries_its_review_as_a_consumer_reads_it(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)
        self.gap.refresh_from_db()

        review = self.review(self.some_released)

        self.assertEqual(review["@context"], "https://schema.org")
        self.assertEqual(review["url"], f"{BASE_URL}/claims/{self.some_released.pk}/")
        self.assertEqual(review["claimReviewed"], "Some of the 53 released")
        self.assertEqual(
            review["datePublished"], timezone.localdate(self.gap.status_changed_at).isoformat()
        )
        self.assertEqual(review["reviewBody"], "The Jan 12 list")
        self.assertEqual(
            review["author"], {"@type": "Organization", "name": "Crosscheck", "url": f"{BASE_URL}/"}
        )
        self.assertEqual(
            review["reviewRating"],
            {
                "@type": "Rating",
                "name": "True",
                "alternateName": "True",
                "ratingValue": 5,
                "bestRating": 5,
                "worstRating": 1,
            },
        )
        item = review["itemReviewed"]
        self.assertEqual(item["@type"], "Claim")
        self.assertEqual(item["datePublished"], "2015-01-06")
        self.assertEqual(item["text"], "They have already released some of the prisoners")
        self.assertEqual(item["inLanguage"], "en")
        self.assertEqual(
            item["author"],
            {
                "@type": "Person",
                "name": "Jen Psaki",
                "affiliation": {"@type": "Organization", "name": "U.S. Department of State"},
            },
        )

    def test_the_url_is_the_permalink_the_page_gives(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        response = self.client.get(reverse("claims:detail", args=[self.some_released.pk]))
        review = self.review(self.some_released)

        self.assertEqual(review["url"], settings.SITE_URL + response.request["PATH_INFO"])
        self.assertIn(review["url"], response.context["citation"])

    def test_the_appearance_is_the_citation_link_titled_with_the_document(self):
        Document.objects.filter(pk=self.article.pk).update(
            publisher="Wire report",
            url="https://example.org/cuba",
            archive_url="https://web.archive.org/example.org/cuba",
        )
        Claim.objects.filter(pk=self.some_released.pk).update(
            citation_url="https://example.org/cuba#psaki"
        )
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        appearance = self.review(self.some_released)["itemReviewed"]["appearance"]

        self.assertEqual(
            appearance,
            {
                "@type": "CreativeWork",
                "url": "https://example.org/cuba#psaki",
                "headline": "US: Cuba Has Released Some of 53 'Political' Prisoners",
                "publisher": {"@type": "Organization", "name": "Wire report"},
                "datePublished": "2015-01-06",
                "archivedAt": "https://web.archive.org/example.org/cuba",
            },
        )

    def test_a_document_without_a_url_appears_at_the_citation_link(self):
        Claim.objects.filter(pk=self.some_released.pk).update(
            citation_url="https://example.org/briefing#psaki"
        )
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        appearance = self.review(self.some_released)["itemReviewed"]["appearance"]

        self.assertEqual(appearance["url"], "https://example.org/briefing#psaki")
        self.assertEqual(
            appearance["headline"], "US: Cuba Has Released Some of 53 'Political' Prisoners"
        )

    def test_the_rating_has_a_name(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        self.assertEqual(self.review(self.some_released)["reviewRating"]["name"], "True")
        self.assertEqual(self.review(self.no_information)["reviewRating"]["name"], "Unverified")

    def test_without_a_citation_link_the_appearance_is_the_documents_url(self):
        Document.objects.filter(pk=self.article.pk).update(url="https://example.org/cuba")
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        appearance = self.review(self.some_released)["itemReviewed"]["appearance"]

        self.assertEqual(appearance["url"], "https://example.org/cuba")

    def test_without_any_link_there_is_no_appearance(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        self.assertNotIn("appearance", self.review(self.some_released)["itemReviewed"])

    def test_a_refuted_organisation_is_rated_false(self):
        none_released = self.claim(
            self.ccdhrn,
            stance=Claim.Stance.DENIES,
            quote="Nobody has been released",
            summary="None of the 53 released",
        )
        contradiction = Conflict.objects.get(claim_a=self.some_released, claim_b=none_released)
        self.resolve(contradiction, Conflict.Outcome.A_RIGHT)

        review = self.review(none_released)

        self.assertEqual(review["reviewRating"]["alternateName"], "False")
        self.assertEqual(review["reviewRating"]["ratingValue"], 1)
        self.assertEqual(
            review["itemReviewed"]["author"],
            {
                "@type": "Organization",
                "name": "Cuban Commission for Human Rights and National Reconciliation",
            },
        )

    def test_an_unverified_claim_is_named_but_not_placed_on_the_true_false_scale(self):
        self.resolve(self.gap, Conflict.Outcome.UNRESOLVABLE)

        rating = self.review(self.no_information)["reviewRating"]

        self.assertEqual(
            rating, {"@type": "Rating", "name": "Unverified", "alternateName": "Unverified"}
        )

    def test_the_review_is_the_newest_resolution(self):
        self.resolve(self.gap, Conflict.Outcome.UNRESOLVABLE)
        self.gap.reopen(by=self.moderator, reason="New evidence")
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT, rationale="Confirmed on Jan 12")

        review = self.review(self.some_released)

        self.assertEqual(review["reviewBody"], "Confirmed on Jan 12")
        self.assertEqual(review["reviewRating"]["alternateName"], "True")

    def test_a_speakers_own_url_is_given(self):
        self.psaki.url = "https://www.state.gov/psaki"
        self.psaki.save()
        self.state_dept.url = "https://www.state.gov"
        self.state_dept.save()
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        author = self.review(self.some_released)["itemReviewed"]["author"]

        self.assertEqual(author["url"], "https://www.state.gov/psaki")
        self.assertEqual(author["affiliation"]["url"], "https://www.state.gov")

    @override_settings(NEWSROOM_NAME="Havana Desk", NEWSROOM_URL="https://news.example.org/")
    def test_the_author_is_the_newsroom_of_the_settings(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        author = self.review(self.some_released)["author"]

        self.assertEqual(
            author,
            {"@type": "Organization", "name": "Havana Desk", "url": "https://news.example.org/"},
        )

    def test_a_claim_without_a_verdict_has_no_review(self):
        html = self.page(self.some_released)

        self.assertEqual(self.reviews(self.some_released), [])
        self.assertNotIn("application/ld+json", html)

    def test_a_claim_in_a_dismissed_conflict_has_no_review(self):
        self.gap.dismiss(by=self.moderator, reason="Not a real conflict")

        self.assertEqual(self.reviews(self.some_released), [])

    def test_a_retracted_claim_keeps_its_page_but_publishes_no_review(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)
        self.some_released.refresh_from_db()
        self.some_released.retract(by=self.moderator, reason="Misquoted")

        self.assertEqual(self.reviews(self.some_released), [])

    def test_a_quote_that_closes_the_script_cannot_break_out(self):
        Claim.objects.filter(pk=self.some_released.pk).update(
            quote=f"Some {BREAKOUT} & <b>more</b>", summary=f"Some {BREAKOUT}"
        )
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)
        html = self.page(self.some_released)

        review = self.review(self.some_released)
        self.assertEqual(review["itemReviewed"]["text"], f"Some {BREAKOUT} & <b>more</b>")
        self.assertEqual(review["claimReviewed"], f"Some {BREAKOUT}")
        # As a browser parses the page: the only scripts are htmx and the one data block.
        document = html5lib.parse(html, namespaceHTMLElements=False)
        scripts = document.iter("script")
        kinds = sorted((s.get("type") or "", s.get("src") or "") for s in scripts)
        self.assertEqual(kinds, [("", "/static/vendor/htmx.min.js"), ("application/ld+json", "")])
        data_block = next(s for s in document.iter("script") if s.get("type"))
        self.assertNotIn("<", data_block.text)
        self.assertEqual(json.loads(data_block.text), review)

    def test_the_json_ld_is_linked_data_a_graph_reads(self):
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)
        review = self.review(self.some_released)
        # schema.org's context, without fetching it: every term is in its vocabulary.
        review["@context"] = {"@vocab": "https://schema.org/"}

        graph = Graph().parse(data=json.dumps(review), format="json-ld")

        node = next(graph.subjects(RDF.type, SCHEMA.ClaimReview))
        item = graph.value(node, SCHEMA.itemReviewed)
        self.assertEqual(graph.value(item, RDF.type), SCHEMA.Claim)
        speaker = graph.value(item, SCHEMA.author)
        self.assertEqual(graph.value(speaker, RDF.type), SCHEMA.Person)
        self.assertEqual(str(graph.value(speaker, SCHEMA.name)), "Jen Psaki")
        rating = graph.value(node, SCHEMA.reviewRating)
        self.assertEqual(str(graph.value(rating, SCHEMA.alternateName)), "True")

    def test_the_review_costs_no_query(self):
        url = reverse("claims:detail", args=[self.some_released.pk])
        with CaptureQueriesContext(connection) as before:
            self.client.get(url)
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        with self.assertNumQueries(len(before)):
            response = self.client.get(url)

        self.assertContains(response, "application/ld+json")

    def test_reported_speech_is_not_published_as_the_speakers_words(self):
        Claim.objects.filter(pk=self.some_released.pk).update(quote_kind=Claim.QuoteKind.REPORTED)
        self.resolve(self.gap, Conflict.Outcome.A_RIGHT)

        item = self.review(self.some_released)["itemReviewed"]

        self.assertNotIn("text", item)
        self.assertEqual(
            self.review(self.some_released)["claimReviewed"], "Some of the 53 released"
        )
