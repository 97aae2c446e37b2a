"""
Downloads of the claims, conflicts and detainees lists (claims.views.exports).

Specified here: an export is its list page without pages: the same filters
from the same query string, the same visibility rule and order, every
matching row; CSV with a BOM, readable headers and formula-neutralised text;
JSON as one valid array; a streamed attachment named after what and when;
a constant number of queries whatever the number of rows; the list pages
link to their downloads with their current filters; a topic's case file
carries only what a reader may see.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.conf import settings
from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from claims.casefile import validate_case
from claims.models import Claim, Conflict, Detainee, Topic
from crosscheck.exports import BOM, neutralise
from tests.cast import JanuaryCast, publish_everything
from tests.claims.test_claim_list import bulk_claims

CLAIM_HEADER = [
    "id",
    "permalink",
    "source",
    "source kind",
    "affiliation",
    "topic",
    "detainee",
    "kind",
    "stance",
    "quantity min",
    "quantity max",
    "status",
    "quote",
    "quote kind",
    "summary",
    "stated on",
    "as of",
    "document title",
    "document URL",
    "citation URL",
    "language",
    "state",
    "verdict",
    "relays claim",
    "relays source",
    "current",
    "superseded by",
    "open conflicts",
]
JSON_KEYS = [
    "id",
    "url",
    "source",
    "source_kind",
    "affiliation",
    "topic",
    "detainee",
    "kind",
    "stance",
    "quantity_min",
    "quantity_max",
    "status",
    "quote",
    "quote_kind",
    "summary",
    "stated_on",
    "as_of",
    "document",
    "document_url",
    "citation_url",
    "language",
    "state",
    "verdict",
    "relays",
    "relays_source",
    "current",
    "superseded_by",
    "open_conflicts",
]


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict]:
    text = body(response)
    assert text.startswith(BOM), "the CSV starts with a byte order mark"
    return list(csv.DictReader(io.StringIO(text[len(BOM) :])))


def json_rows(response) -> list[dict]:
    return json.loads(body(response))


class NeutraliseTests(TestCase):
    def test_it_prefixes_text_that_a_spreadsheet_would_run_as_a_formula(self):
        for text in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"):
            with self.subTest(text=text):
                self.assertEqual(neutralise(text), "'" + text)

    def test_it_leaves_other_text_numbers_and_nothing_alone(self):
        for value in ("Some released", "1-53", "", 12, -3, 0.5, None):
            with self.subTest(value=value):
                self.assertEqual(neutralise(value), value)


class ClaimExportTests(JanuaryCast, TestCase):
    def get(self, fmt: str = "csv", **params):
        return self.client.get(reverse("claims:claim_export", args=[fmt]), params)

    def test_it_downloads_the_approved_claims_as_a_streamed_csv_attachment(self):
        Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A draft",
            summary="Draft",
            stated_on=date(2015, 1, 9),
        )
        response = self.get()

        self.assertTrue(response.streaming)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        today = timezone.localdate().isoformat()
        self.assertEqual(
            response["Content-Disposition"], f'attachment; filename="crosscheck-claims-{today}.csv"'
        )
        text = body(response)
        self.assertEqual(next(csv.reader(io.StringIO(text[1:]))), CLAIM_HEADER)
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        self.assertEqual(
            [int(r["id"]) for r in rows],
            [self.demand.pk, self.no_information.pk, self.some_released.pk, self.monday.pk],
        )

    def test_it_writes_each_claim_as_the_importer_reads_it(self):
        row = next(r for r in csv_rows(self.get()) if r["id"] == str(self.some_released.pk))

        self.assertEqual(
            row,
            {
                "id": str(self.some_released.pk),
                "permalink": f"{settings.SITE_URL}/claims/{self.some_released.pk}/",
                "source": "Jen Psaki",
                "source kind": "official",
                "affiliation": "U.S. Department of State",
                "topic": "Release of the 53 prisoners",
                "detainee": "",
                "kind": "fact",
                "stance": "affirms",
                "quantity min": "1",
                "quantity max": "53",
                "status": "",
                "quote": "They have already released some of the prisoners",
                "quote kind": "direct",
                "summary": "Some of the 53 released",
                "stated on": "2015-01-06",
                "as of": "",
                "document title": "US: Cuba Has Released Some of 53 'Political' Prisoners",
                "document URL": "",
                "citation URL": "",
                "language": "en",
                "state": "approved",
                "verdict": "",
                "relays claim": "",
                "relays source": "",
                "current": "yes",
                "superseded by": "",
                "open conflicts": "1",
            },
        )

    def test_it_marks_mondays_statement_as_superseded_by_tuesdays(self):
        rows = {r["id"]: r for r in csv_rows(self.get())}

        monday = rows[str(self.monday.pk)]
        self.assertEqual(
            (monday["current"], monday["superseded by"]), ("no", str(self.some_released.pk))
        )
        self.assertEqual(rows[str(self.demand.pk)]["open conflicts"], "0")

    def test_it_applies_the_lists_filters_and_search(self):
        by_kind = csv_rows(self.get(source_kind="monitor"))
        self.assertEqual([r["source"] for r in by_kind], ["Elizardo Sanchez"])

        searched = csv_rows(self.get(q="released", stance="affirms"))
        self.assertEqual([r["id"] for r in searched], [str(self.some_released.pk)])

    def test_it_keeps_the_order_of_the_page(self):
        params = {"sort": "source"}
        page = self.client.get(reverse("claims:list"), params).context["page"]

        rows = csv_rows(self.get(**params))

        self.assertEqual([int(r["id"]) for r in rows], [c.pk for c in page])

    def test_it_ignores_the_page_and_exports_every_match(self):
        bulk_claims(60, topic=self.release)

        rows = csv_rows(self.get(page=2))

        self.assertEqual(len(rows), 64)

    def test_it_neutralises_formulas_in_csv_but_not_in_json(self):
        formula = '=HYPERLINK("http://evil","x")'
        claim = self.claim(
            self.rubio, kind=Claim.Kind.POSITION, quote=formula, summary="@everyone -1"
        )

        row = next(r for r in csv_rows(self.get()) if r["id"] == str(claim.pk))
        item = next(r for r in json_rows(self.get("json")) if r["id"] == claim.pk)

        self.assertEqual(row["quote"], "'" + formula)
        self.assertEqual(row["summary"], "'@everyone -1")
        self.assertEqual(item["quote"], formula)

    def test_it_downloads_json_as_one_array_with_iso_dates_and_nulls(self):
        response = self.get("json")

        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn(".json", response["Content-Disposition"])
        items = json_rows(response)
        self.assertEqual(len(items), 4)
        some = next(i for i in items if i["id"] == self.some_released.pk)
        self.assertEqual(some["stated_on"], "2015-01-06")
        self.assertIsNone(some["as_of"])
        self.assertIsNone(some["detainee"])
        self.assertIs(some["current"], True)
        self.assertEqual(some["quantity_min"], 1)
        self.assertEqual(list(some), JSON_KEYS)

    def test_an_export_that_matches_nothing_is_still_valid(self):
        self.assertEqual(json_rows(self.get("json", q="zzzznotaword")), [])
        self.assertEqual(csv_rows(self.get(q="zzzznotaword")), [])

    def test_an_invalid_filter_is_ignored_as_on_the_page(self):
        rows = csv_rows(self.get(stance="maybe"))

        self.assertEqual(len(rows), 4)

    def test_an_unknown_format_is_not_found(self):
        response = self.client.get("/claims/export.xml")

        self.assertEqual(response.status_code, 404)

    def test_it_refuses_post(self):
        response = self.client.post(reverse("claims:claim_export", args=["csv"]))

        self.assertEqual(response.status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get()

        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])


class ExportQueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.topic = Topic.objects.create(title="Bulk topic", question="Is it?")

    def assertExportQueries(self, name: str, count: int, rows: int, **params) -> None:
        for fmt in ("csv", "json"):
            with self.assertNumQueries(count):
                response = self.client.get(reverse(name, args=[fmt]), params)
                text = body(response)
            self.assertEqual(text.count("\n"), rows + 1 if fmt == "csv" else rows + 2)

    def test_the_claims_export_runs_the_same_queries_for_10_and_200_claims(self):
        # 1. savepoint (the export's transaction), 2. the claims joined to
        # source, affiliation, topic, detainee and document, with their open
        # conflicts counted in subqueries, 3. release of the savepoint.
        bulk_claims(10, topic=self.topic)
        self.assertExportQueries("claims:claim_export", 3, rows=10)
        bulk_claims(190, topic=self.topic, start=10)
        self.assertExportQueries("claims:claim_export", 3, rows=200)

    def test_a_search_with_filters_runs_the_same_queries_for_10_and_200_claims(self):
        # As above, after validating the topic named by its slug; on
        # PostgreSQL a search is ranked as on the page, so the matches are
        # counted first (to rank at most RANK_LIMIT of them).
        queries = 4 + (connection.vendor == "postgresql")
        params = {"q": "bulk quote", "topic": self.topic.slug}
        bulk_claims(10, topic=self.topic)
        self.assertExportQueries("claims:claim_export", queries, rows=10, **params)
        bulk_claims(190, topic=self.topic, start=10)
        self.assertExportQueries("claims:claim_export", queries, rows=200, **params)

    def test_the_detainees_export_runs_the_same_queries_for_10_and_200_detainees(self):

        # 1. savepoint, 2. the detainees with their approved claims counted,
        # 3. their topics (one query a chunk of 2,000), 4. release.
        def detainees(start: int, count: int) -> None:
            made = Detainee.objects.bulk_create(
                Detainee(name=f"Prisoner {n:03}", aliases=[f"P{n}"]) for n in range(start, count)
            )
            self.topic.detainees.add(*made)
            publish_everything()

        detainees(0, 10)
        self.assertExportQueries("claims:detainee_export", 4, rows=10)
        detainees(10, 200)
        self.assertExportQueries("claims:detainee_export", 4, rows=200)


class ConflictExportTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        talks = Topic.objects.create(title="Talks", question="Will the talks go on?")
        cls.claim(cls.psaki, topic=talks, stance="affirms", quote="Yes", summary="Yes")
        cls.claim(cls.sanchez, topic=talks, stance="denies", quote="No", summary="No")
        cls.resolved = Conflict.objects.get(topic=talks)
        cls.resolved.resolve(by=None, outcome="unresolvable", rationale="Unclear")
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def get(self, fmt: str = "csv", **params):
        return self.client.get(reverse("claims:conflict_export", args=[fmt]), params)

    def test_it_exports_the_open_conflicts_unless_asked_otherwise(self):
        self.assertEqual([r["id"] for r in csv_rows(self.get())], [str(self.gap.pk)])

        every = csv_rows(self.get(status="any"))

        self.assertEqual([r["id"] for r in every], [str(self.resolved.pk), str(self.gap.pk)])

    def test_its_csv_has_one_row_a_conflict_with_both_claims_side_by_side(self):
        (row,) = csv_rows(self.get())

        self.assertEqual(row["kind"], "gap")
        self.assertEqual(row["permalink"], f"{settings.SITE_URL}/conflicts/{self.gap.pk}/")
        self.assertEqual(row["claim A source"], "Jen Psaki")
        self.assertEqual(row["claim A quantity max"], "53")
        self.assertEqual(row["claim B source"], "Elizardo Sanchez")
        self.assertEqual(row["claim B stance"], "no_information")
        self.assertEqual(row["claim B stated on"], "2015-01-06")

    def test_its_json_has_the_shape_of_export_conflicts(self):
        (item,) = json_rows(self.get("json"))

        self.assertEqual(
            list(item), ["id", "url", "topic", "detainee", "kind", "status", "claims", "witnesses"]
        )
        self.assertEqual(item["witnesses"], [], "a pair has no witnesses")
        self.assertEqual([c["source"] for c in item["claims"]], ["Jen Psaki", "Elizardo Sanchez"])
        self.assertEqual(
            list(item["claims"][0]),
            [
                "id",
                "source",
                "kind",
                "stance",
                "quantity_min",
                "quantity_max",
                "status",
                "summary",
                "stated_on",
                "as_of",
                "relays_source",
            ],
        )

    def test_it_applies_the_source_filter(self):
        rows = csv_rows(self.get(status="any", source=self.rubio.pk))

        self.assertEqual(rows, [])


class DetaineeExportTests(JanuaryCast, TestCase):
    def test_it_exports_the_detainees_found_by_name_with_aliases_and_topics(self):
        found = Detainee.objects.create(name="José Daniel Ferrer", aliases=["=evil", "Ferrer"])
        found.topics.add(self.release)
        Detainee.objects.create(name="Someone else")

        publish_everything()
        response = self.client.get(reverse("claims:detainee_export", args=["csv"]), {"q": "jose"})
        (row,) = csv_rows(response)

        self.assertEqual(row["name"], "José Daniel Ferrer")
        self.assertEqual(row["aliases"], "'=evil; Ferrer")
        self.assertEqual(row["topics"], "Release of the 53 prisoners")
        self.assertEqual(row["approved claims"], "0")
        (item,) = json_rows(
            self.client.get(reverse("claims:detainee_export", args=["json"]), {"q": "jose"})
        )
        self.assertEqual(item["aliases"], ["=evil", "Ferrer"])


class ListDownloadLinkTests(JanuaryCast, TestCase):
    def test_each_list_links_to_its_downloads_with_its_filters_but_not_its_page(self):
        for list_name, export_name in [
            ("claims:list", "claims:claim_export"),
            ("claims:conflicts", "claims:conflict_export"),
            ("claims:detainees", "claims:detainee_export"),
            ("sources:list", "sources:export"),
        ]:
            with self.subTest(list_name):
                response = self.client.get(reverse(list_name), {"kind": "fact", "page": "1"})
                for fmt in ("csv", "json"):
                    self.assertContains(
                        response, f'href="{reverse(export_name, args=[fmt])}?kind=fact"'
                    )

    def test_the_htmx_results_carry_the_links_so_they_follow_the_filters(self):
        response = self.client.get(
            reverse("claims:list"), {"stance": "denies"}, headers={"HX-Request": "true"}
        )

        self.assertContains(
            response, f'href="{reverse("claims:claim_export", args=["csv"])}?stance=denies"'
        )


class TopicCaseDownloadTests(JanuaryCast, TestCase):
    url_name = "claims:topic_case"

    def test_it_downloads_the_topics_case_file_with_the_claims_a_reader_may_see(self):
        Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="Pending",
            summary="Pending",
            stated_on=date(2015, 1, 9),
            state=Claim.State.PENDING,
        )
        self.demand.retract(by=None, reason="Misattributed")

        response = self.client.get(reverse(self.url_name, args=[self.release.slug]))

        self.assertEqual(response["Content-Type"], "application/json")
        today = timezone.localdate().isoformat()
        self.assertEqual(
            response["Content-Disposition"],
            f'attachment; filename="crosscheck-case-{self.release.slug}-{today}.json"',
        )
        case = json.loads(response.content)
        self.assertEqual(validate_case(case), [])
        self.assertEqual(
            sorted((c["summary"], c["state"]) for c in case["claims"]),
            [
                ("No information on any release", "approved"),
                ("Some of the 53 released", "approved"),
                ("Talks should wait until all are released", "retracted"),
                ("Unable to say whether any had been freed", "approved"),
            ],
        )

    def test_the_topic_page_links_to_it(self):
        response = self.client.get(self.release.get_absolute_url())

        self.assertContains(response, reverse(self.url_name, args=[self.release.slug]))

    def test_an_unknown_topic_is_not_found(self):
        response = self.client.get(reverse(self.url_name, args=["no-such-topic"]))

        self.assertEqual(response.status_code, 404)
