"""
The app's text policy (crosscheck.text), at every way in and every way out.

In: line ends become LF and text NFC; NUL, lone surrogates and control
characters other than tab and newline are refused with a message naming the
field and the character, by the web forms, the API, the spreadsheet import
(at the dry run, as at the confirmation) and case files.

Out: text stored before the policy (written here with .update(), around
every check) never breaks a feed (feedparser reads each as well-formed), a
CSV or JSON download, a claim's JSON-LD or a topic's SVG timeline.
"""

import csv
import io
import json

import extruct
import feedparser
from django.test import TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.casefile import validate_case
from claims.forms import ClaimForm
from claims.models import Claim, Conflict
from claims.spreadsheet import SpreadsheetError, check_file, import_file
from crosscheck.text import clean_text, normalise, printable, text_problem
from sources.models import Source
from tests.cast import JanuaryCast
from tests.claims.test_import_case import small_case
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast

VT = "\u000b"


class PolicyTests(TestCase):
    def test_it_normalises_line_ends_and_composes_accents(self):
        self.assertEqual(normalise("a\r\nb\rc\n"), "a\nb\nc\n")
        self.assertEqual(normalise("Jose\u0301"), "José")

    def test_it_keeps_tab_and_newline(self):
        self.assertEqual(clean_text("a\tb\nc", "Quote"), "a\tb\nc")

    def test_it_names_the_field_the_character_and_where(self):
        self.assertEqual(
            text_problem("Some\x00released", "Quote"),
            "Quote contains a NUL character (U+0000) at character 5: remove it "
            "(retype the text, or paste it as plain text).",
        )
        self.assertIn("U+000B", text_problem(f"a{VT}", "Summary"))
        self.assertIn("U+0085", text_problem("a\x85", "Summary"))
        self.assertIn("surrogate pair (U+D800)", text_problem("a\ud800", "Summary"))

    def test_printable_replaces_what_xml_cannot_hold(self):
        self.assertEqual(printable(f"a{VT}b\x00c\td\ne"), "a\ufffdb\ufffdc\td\ne")


class WaysInTests(RoleCast, JanuaryCast, TestCase):
    def claim_data(self, **changes) -> dict:
        data = {
            "source": "Jen Psaki",
            "topic": self.release.title,
            "kind": "fact",
            "stance": "affirms",
            "quantity": "some",
            "quote": "They have released\r\nsome of the prisoners",
            "summary": "Some released",
            "language": "en",
            "stated_on": "2015-01-08",
            "document": self.article.title,
        }
        data.update(changes)
        return data

    def api_post(self, name: str, body: dict, *args):
        token, _ = Token.objects.get_or_create(user=self.moderator)
        return self.client.post(
            reverse(f"api:{name}", args=args),
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )

    def test_the_claim_form_stores_lf_line_ends(self):
        form = ClaimForm(self.claim_data())

        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.instance.quote, "They have released\nsome of the prisoners")

    def test_the_claim_form_refuses_a_control_character_naming_field_and_character(self):
        form = ClaimForm(self.claim_data(summary=f"Some{VT}released"))

        self.assertFalse(form.is_valid())
        [message] = form.errors["summary"]
        self.assertTrue(message.startswith("Summary contains"), message)
        self.assertIn("U+000B", message)

    def test_the_api_refuses_a_lone_surrogate_and_a_nul(self):
        surrogate = self.api_post("source-list", {"name": "Gran\ud800ma", "kind": "media"})
        nul = self.api_post("source-list", {"name": "Gran\x00ma", "kind": "media"})

        self.assertEqual(surrogate.status_code, 400)
        self.assertIn("U+D800", surrogate.json()["name"][0])
        self.assertEqual(nul.status_code, 400)
        self.assertIn("NUL character (U+0000)", nul.json()["name"][0])
        self.assertFalse(Source.objects.filter(name__startswith="Gran").exists())

    def test_a_reason_with_a_control_character_is_refused(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

        response = self.api_post("conflict-dismiss", {"reason": f"Not{VT}real"}, gap.pk)

        self.assertEqual(response.status_code, 400)
        self.assertIn("U+000B", response.json()["reason"][0])
        self.assertEqual(Conflict.objects.get(pk=gap.pk).status, Conflict.Status.OPEN)

    def test_a_nul_in_an_import_is_refused_at_the_dry_run_as_at_the_confirmation(self):
        data = csv_file(row(Quote="We still\x00 have no names"))

        dry_run = check_file(data, user=self.editor)
        with self.assertRaises(SpreadsheetError) as confirmation:
            import_file(data, user=self.editor)

        self.assertEqual(
            [str(e) for e in dry_run.errors],
            [
                "Row 2, Quote: The cell contains a NUL character (U+0000) at character 9: "
                "remove it (retype the text, or paste it as plain text)."
            ],
        )
        self.assertEqual([str(e) for e in confirmation.exception.errors], [
            str(e) for e in dry_run.errors
        ])  # fmt: skip

    def test_an_import_stores_lf_line_ends(self):
        import_file(csv_file(row(Quote="We still\r\nhave no names")), user=self.editor)

        self.assertTrue(Claim.objects.filter(quote="We still\nhave no names").exists())

    def test_a_case_file_refuses_a_control_character_and_normalises_line_ends(self):
        case = small_case()
        case["claims"][0]["summary"] = f"Some{VT}released"
        case["sources"][0]["name"] = "U.S. Department\r\nof State"

        errors = [str(e) for e in validate_case(case)]

        self.assertIn(
            "claims[0].summary: The text contains the invisible control character U+000B at "
            "character 5: remove it (retype the text, or paste it as plain text).",
            errors,
        )


class WaysOutTests(RoleCast, JanuaryCast, TestCase):
    """Text stored around every check: each output still answers, and is well-formed."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        bad = f"Some{VT}released\x1b\x85"
        Claim.objects.filter(pk=cls.some_released.pk).update(summary=bad, quote=bad)
        Source.objects.filter(pk=cls.psaki.pk).update(name=f"Jen{VT}Psaki")
        cls.release.__class__.objects.filter(pk=cls.release.pk).update(title=f"Release{VT}")

    def assert_feed_reads(self, url: str) -> feedparser.FeedParserDict:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        feed = feedparser.parse(response.content)
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        return feed

    def test_every_feed_answers_well_formed_atom(self):
        site = self.assert_feed_reads(reverse("claims:conflicts_feed"))
        self.assert_feed_reads(reverse("claims:topic_conflicts_feed", args=[self.release.slug]))
        self.assert_feed_reads(reverse("claims:topic_claims_feed", args=[self.release.slug]))
        self.assert_feed_reads(reverse("sources:conflicts_feed", args=[self.psaki.pk]))

        self.assertTrue(any("Some\ufffdreleased" in e.title for e in site.entries))

    def test_the_csv_and_json_downloads_answer(self):
        csv_response = self.client.get(reverse("claims:claim_export", args=["csv"]))
        json_response = self.client.get(reverse("claims:claim_export", args=["json"]))

        text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertIn("Some\ufffdreleased\ufffd\ufffd", [r["summary"] for r in rows])
        body = json.loads(b"".join(json_response.streaming_content))
        self.assertIn(f"Some{VT}released\x1b\x85", [c["summary"] for c in body])

    def test_a_claims_json_ld_and_a_topics_svg_answer(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        gap.resolve(
            by=self.moderator,
            outcome=Conflict.Outcome.A_RIGHT,
            rationale="The list",
            evidence_url="https://example.org/l",
        )

        page = self.client.get(self.some_released.get_absolute_url())
        topic = self.client.get(self.release.get_absolute_url())

        self.assertEqual(page.status_code, 200)
        found = extruct.extract(page.content.decode(), syntaxes=["json-ld"])["json-ld"]
        self.assertEqual(found[0]["claimReviewed"], f"Some{VT}released\x1b\x85")
        self.assertEqual(topic.status_code, 200)
        html = topic.content.decode()
        svgs = html[html.find("<svg") : html.rfind("</svg>")]
        self.assertTrue(svgs)
        self.assertFalse(VT in svgs or "\x1b" in svgs, "a control character in an SVG")


class CrlfRoundTripTests(RoleCast, JanuaryCast, TestCase):
    """Issue 15, bug 6: a quote stored with CRLF came back LF from a spreadsheet
    program and was imported again as a new claim."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Stored before line ends were normalised on the way in.
        Claim.objects.filter(pk=cls.some_released.pk).update(
            quote="They have already released\r\nsome of the prisoners"
        )

    def download(self) -> bytes:
        response = self.client.get(reverse("claims:claim_export", args=["csv"]))
        return b"".join(response.streaming_content)

    def test_a_download_imported_as_it_is_adds_nothing(self):
        before = Claim.objects.count()

        report = import_file(self.download(), "claims.csv", user=self.editor)

        self.assertEqual((report.claims_added, report.skipped), (0, before))
        self.assertEqual(Claim.objects.count(), before)

    def test_a_download_saved_again_with_lf_line_ends_adds_nothing(self):
        before = Claim.objects.count()
        # What LibreOffice saves: the CRLF inside the quoted cell as LF.
        saved = self.download().replace(b"released\r\nsome", b"released\nsome")

        report = import_file(saved, "claims.csv", user=self.editor)

        self.assertEqual((report.claims_added, report.skipped), (0, before))
