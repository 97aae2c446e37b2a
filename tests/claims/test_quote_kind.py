"""A claim's quote is a direct quote or reported speech (a paraphrase).

Reported speech is never shown in quotation marks, nor put in the citation
line as the speaker's words; forms, the API, case files and spreadsheets
carry the mark, and leave it "direct" when they say nothing.
"""

import csv
import io
import json

from django.test import TestCase
from django.urls import reverse

from claims.casefile import CaseFileError, export_case, import_case
from claims.models import Claim
from claims.spreadsheet import import_file
from tests.cast import JanuaryCast
from tests.roles import RoleCast

HEADER = ["Source", "Topic", "Kind", "Quote", "Quote kind", "Summary", "Stated on", "Citation URL"]
DAY_AND_LINK = ["2015-01-07", "https://example.org/rubio"]
PARAPHRASE = "urged Obama to cancel upcoming talks until all the prisoners are released"


class QuoteKindTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        Claim.objects.filter(pk=cls.demand.pk).update(
            quote=PARAPHRASE, quote_kind=Claim.QuoteKind.REPORTED
        )
        cls.demand.refresh_from_db()

    def test_a_claim_is_a_direct_quote_unless_marked(self):
        self.assertEqual(self.some_released.quote_kind, Claim.QuoteKind.DIRECT)
        self.assertTrue(self.some_released.is_direct_quote)
        self.assertFalse(self.demand.is_direct_quote)

    def test_reported_speech_is_shown_without_quotation_marks_and_says_so(self):
        response = self.client.get(self.demand.get_absolute_url())

        self.assertContains(response, "Reported speech, not the speaker’s words:")
        self.assertNotContains(response, f"“{PARAPHRASE}”")
        self.assertNotContains(response, f'<blockquote class="quote" lang="en">“{PARAPHRASE}')

    def test_a_direct_quote_keeps_its_quotation_marks(self):
        response = self.client.get(self.some_released.get_absolute_url())

        self.assertContains(response, "“They have already released some of the prisoners")
        self.assertNotContains(response, "Reported speech, not the speaker’s words")

    def test_the_citation_line_never_quotes_reported_speech_as_the_speakers_words(self):
        response = self.client.get(self.demand.get_absolute_url())

        citation = response.context["citation"]
        self.assertNotIn(PARAPHRASE, citation)
        self.assertTrue(
            citation.startswith(f"Marco Rubio, reported: {self.demand.summary}, Jan 6, 2015"),
            citation,
        )

    def test_the_claims_list_and_feeds_do_not_quote_reported_speech(self):
        listing = self.client.get(reverse("claims:list"))
        self.assertContains(listing, "Reported speech, not the speaker’s words:")
        self.assertNotContains(listing, f"“{PARAPHRASE}")

    def test_the_claim_form_takes_the_mark(self):
        self.client.force_login(self.editor)
        response = self.client.post(
            reverse("claims:claim_create"),
            {
                "source": self.rubio.name,
                "topic": self.release.title,
                "kind": "position",
                "stance": "",
                "quote": "said the talks must wait",
                "quote_kind": "reported",
                "summary": "Talks must wait",
                "stated_on": "2015-01-07",
                "document": self.article.title,
                "language": "en",
                "action": "draft",
            },
        )

        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        claim = Claim.objects.get(summary="Talks must wait")
        self.assertEqual(claim.quote_kind, Claim.QuoteKind.REPORTED)

    def test_the_api_reports_the_mark(self):
        response = self.client.get(reverse("api:claim-detail", args=[self.demand.pk]))

        self.assertEqual(response.json()["quote_kind"], "reported")

    def test_a_case_file_carries_the_mark_and_defaults_to_direct(self):
        case = export_case()
        by_summary = {c["summary"]: c for c in case["claims"]}
        self.assertEqual(by_summary[self.demand.summary]["quote_kind"], "reported")
        self.assertEqual(by_summary[self.some_released.summary]["quote_kind"], "direct")

        entry = dict(by_summary[self.some_released.summary])
        entry.update(quote="a brand new direct line", summary="New line")
        del entry["quote_kind"]
        case["claims"] = [entry]
        import_case(case)
        self.assertEqual(Claim.objects.get(summary="New line").quote_kind, "direct")

        case["claims"] = [{**entry, "quote_kind": "sort of"}]
        with self.assertRaises(CaseFileError) as refused:
            import_case(case)
        self.assertIn(
            "claims[0].quote_kind: 'sort of' is not one of direct, reported",
            [str(error) for error in refused.exception.errors],
        )

    def test_the_download_and_the_spreadsheet_import_carry_the_mark(self):
        download = self.client.get(reverse("claims:claim_export", args=["json"]))
        content = b"".join(download.streaming_content) if download.streaming else download.content
        by_id = {row["id"]: row for row in json.loads(content)}
        self.assertEqual(by_id[self.demand.pk]["quote_kind"], "reported")

        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(HEADER)
        rubio, release = "Marco Rubio", self.release.title
        writer.writerow(
            [rubio, release, "position", "said wait", "Reported", "Wait", *DAY_AND_LINK]
        )
        writer.writerow([rubio, release, "position", "We must wait", "", "Wait!", *DAY_AND_LINK])
        import_file(out.getvalue().encode(), "claims.csv", user=self.editor)

        self.assertEqual(Claim.objects.get(summary="Wait").quote_kind, "reported")
        self.assertEqual(Claim.objects.get(summary="Wait!").quote_kind, "direct")
