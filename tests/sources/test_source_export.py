"""
The sources list as a download (sources.exports): the list's filters and
sort, every source with the record the page shows, CSV neutralised against
formulas, and a constant number of queries whatever the number of sources.
"""

from __future__ import annotations

from django.conf import settings
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from claims.models import Conflict
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything
from tests.claims.test_exports import body, csv_rows, json_rows


class SourceExportTests(JanuaryCast, TestCase):
    def get(self, fmt: str = "csv", **params):
        return self.client.get(reverse("sources:export", args=[fmt]), params)

    def test_it_downloads_every_source_by_name_with_its_record(self):
        response = self.get()

        today = timezone.localdate().isoformat()
        self.assertEqual(
            response["Content-Disposition"],
            f'attachment; filename="crosscheck-sources-{today}.csv"',
        )
        rows = csv_rows(response)
        self.assertEqual(
            [r["name"] for r in rows],
            [
                "Cuban Commission for Human Rights and National Reconciliation",
                "Elizardo Sanchez",
                "Jen Psaki",
                "Marco Rubio",
                "U.S. Department of State",
            ],
        )
        psaki = rows[2]
        self.assertEqual(
            psaki,
            {
                "id": str(self.psaki.pk),
                "permalink": f"{settings.SITE_URL}/sources/{self.psaki.pk}/",
                "name": "Jen Psaki",
                "kind": "official",
                "affiliation": "U.S. Department of State",
                "country": "",
                "URL": "",
                "description": "",
                "approved claims": "2",
                "confirmed": "0",
                "refuted": "0",
                # No topic of this cast records a party: all of it as independent.
                "claims as party": "0",
                "confirmed as party": "0",
                "refuted as party": "0",
                "open conflicts": "1",
                "reliability": "0.5",
            },
        )

    def test_its_record_follows_a_resolution(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        gap.resolve(by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="The Jan 12 list")

        (psaki,) = json_rows(self.get("json", q="psaki"))

        self.assertEqual(psaki["confirmed_count"], 1)
        self.assertEqual(psaki["open_conflict_count"], 0)
        self.assertEqual(psaki["reliability"], 0.667)

    def test_it_applies_the_kind_filter_and_the_sort(self):
        rows = csv_rows(self.get(kind="monitor", sort="claims"))

        self.assertEqual(
            [r["name"] for r in rows],
            ["Elizardo Sanchez", "Cuban Commission for Human Rights and National Reconciliation"],
        )

    def test_it_neutralises_a_name_a_spreadsheet_would_run(self):
        Source.objects.create(name="@Havana desk", kind=Source.Kind.MEDIA)
        publish_everything()

        (row,) = csv_rows(self.get(q="havana"))
        (item,) = json_rows(self.get("json", q="havana"))

        self.assertEqual(row["name"], "'@Havana desk")
        self.assertEqual(item["name"], "@Havana desk")

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post(reverse("sources:export", args=["csv"])).status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get()

        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])


class SourceExportQueryCountTests(TestCase):
    def make(self, start: int, stop: int) -> None:
        """Create sources start..stop-1: a ministry and the officials who speak for it."""
        parent = Source.objects.create(name=f"Ministry {start}", kind=Source.Kind.GOVERNMENT)
        Source.objects.bulk_create(
            Source(name=f"Source {n:03}", kind=Source.Kind.OFFICIAL, affiliation=parent)
            for n in range(start + 1, stop)
        )
        publish_everything()

    def assertExportQueries(self, count: int, rows: int) -> None:
        for fmt in ("csv", "json"):
            with self.assertNumQueries(count):
                text = body(self.client.get(reverse("sources:export", args=[fmt])))
            self.assertEqual(text.count("\n"), rows + 1 if fmt == "csv" else rows + 2)

    def test_it_runs_the_same_queries_for_10_and_200_sources(self):
        # 1. savepoint (the export's transaction), 2. the sources joined to
        # their affiliation, with their record's counters, 3. their claims as
        # a party, counted by source and verdict (once per chunk of 2,000
        # sources), 4. release of the savepoint.
        self.make(0, 10)
        self.assertExportQueries(4, rows=10)
        self.make(10, 200)
        self.assertExportQueries(4, rows=200)
