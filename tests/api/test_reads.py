"""
The API's reads: the same rows as the HTML lists for the same query string
(one FilterSet, two front ends), in a stable order, page by page, in a fixed
number of queries; and nothing the HTML would not show.
"""

import json
from datetime import date
from unittest.mock import patch

from django.test import TestCase, override_settings
from django.urls import reverse

from api.serializers import Planned
from claims.models import Claim, Conflict, Detainee
from sources.models import CredibilityNote
from tests.cast import publish_everything
from tests.claims.test_claim_list import bulk_claims
from tests.claims.test_conflict_list import bulk_conflicts
from tests.editors import EditorialCast


class ApiReadCase(EditorialCast, TestCase):
    def api(self, name: str, *args, **params):
        return self.client.get(reverse(f"api:{name}", args=args), params)

    def ids(self, response) -> list[int]:
        self.assertEqual(response.status_code, 200, response.content)
        return [row["id"] for row in response.json()["results"]]


class SameRowsAsTheHtmlListsTests(ApiReadCase):
    """For each query string, the API lists the ids the HTML page lists, in its order."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.detainee = Detainee.objects.create(name="José Núñez", aliases=["Pepe"])
        cls.detainee.topics.add(cls.release)
        Detainee.objects.create(name="Unidentified prisoner 1")

    def assertSameRows(self, html_name: str, api_name: str, **params) -> None:
        # The page groups one topic's conflicts into clusters; the API lists rows.
        shown = {**params, "group": "none"} if html_name == "claims:conflicts" else params
        html = self.client.get(reverse(html_name), shown).context["page"].object_list
        with self.subTest(**params):
            self.assertEqual(self.ids(self.api(api_name, **params)), [row.pk for row in html])

    def test_claims_with_each_filter_and_sort(self):
        queries = [
            {},
            {"q": "released"},
            {"source": self.psaki.pk},
            {"source_kind": "monitor"},
            {"affiliation": self.state_dept.pk},
            {"topic": self.release.slug},
            {"kind": "position"},
            {"stance": "no_information"},
            {"language": "en"},
            {"stated_after": "2015-01-06", "stated_before": "2015-01-06"},
            {"in_open_conflict": "yes"},
            {"in_open_conflict": "no"},
            {"sort": "oldest"},
            {"sort": "source"},
            {"sort": "topic"},
        ]
        for params in queries:
            self.assertSameRows("claims:list", "claim-list", **params)

    def test_conflicts_with_each_filter(self):
        for params in [
            {},
            {"status": "any"},
            {"status": "resolved"},
            {"kind": "gap"},
            {"topic": self.release.slug},
            {"source": self.sanchez.pk},
            {"claim": self.some_released.pk},
            # No claim has an id past 64 bits: none found, where SQLite raised OverflowError.
            {"claim": "241887745819393163264"},
        ]:
            self.assertSameRows("claims:conflicts", "conflict-list", **params)

    def test_detainees_with_each_filter(self):
        for params in [{}, {"q": "nunez"}, {"q": "pepe"}, {"topic": self.release.slug}]:
            self.assertSameRows("claims:detainees", "detainee-list", **params)

    def test_sources_with_each_filter_and_sort(self):
        for params in [
            {},
            {"q": "sanchez"},
            {"kind": "monitor"},
            {"country": "US"},
            {"sort": "reliability"},
            {"sort": "least_reliable"},
            {"sort": "claims"},
        ]:
            self.assertSameRows("sources:list", "source-list", **params)

    def test_a_refused_filter_answers_400_naming_it(self):
        response = self.api("claim-list", stance="maybe", stated_after="yesterday")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"stance", "stated_after"})
        self.assertIn("Select a valid choice", response.json()["stance"][0])

    def test_a_search_made_only_of_operators_gets_the_html_message(self):
        response = self.api("claim-list", q="& |")

        self.assertEqual(response.status_code, 400)
        self.assertIn("Type a word to look for", response.json()["q"][0])


class PagesTests(ApiReadCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        bulk_claims(60, topic=cls.release)

    def test_it_pages_by_50_as_the_html_list_does_and_says_how_many(self):
        first = self.api("claim-list").json()
        second = self.api("claim-list", page=2).json()

        self.assertEqual(first["count"], 64)
        self.assertFalse(first["count_is_capped"])
        self.assertEqual(len(first["results"]), 50)
        self.assertEqual(len(second["results"]), 14)
        self.assertIsNone(second["next"])
        html_second = self.client.get(reverse("claims:list"), {"page": 2}).context["page"]
        self.assertEqual([c["id"] for c in second["results"]], [c.pk for c in html_second])

    def test_it_counts_as_far_as_the_html_list_does_and_says_when_there_are_more(self):
        with override_settings(LIST_COUNT_LIMIT=60):
            body = self.api("claim-list", page=2).json()

        self.assertEqual(body["count"], 60)
        self.assertTrue(body["count_is_capped"])
        self.assertEqual(len(body["results"]), 10)
        self.assertIsNone(body["next"])

    def test_page_size_is_capped_at_200(self):
        bulk_claims(150, topic=self.release, start=100)

        response = self.api("claim-list", page_size=1000)

        self.assertEqual(len(response.json()["results"]), 200)

    def test_rows_with_equal_sort_keys_keep_one_order_ending_with_the_id(self):
        # Every claim of the same day: only the id tells them apart.
        Claim.objects.update(stated_on=date(2015, 1, 6))

        pages = [self.ids(self.api("claim-list", page=n, page_size=7)) for n in range(1, 11)]
        again = [self.ids(self.api("claim-list", page=n, page_size=7)) for n in range(1, 11)]

        listed = [pk for page in pages for pk in page]
        self.assertEqual(pages, again)
        self.assertEqual(listed, sorted(listed, reverse=True))
        self.assertEqual(len(set(listed)), 64)

    def test_a_page_that_does_not_exist_answers_404(self):
        self.assertEqual(self.api("claim-list", page=9).status_code, 404)


class QueryCountTests(ApiReadCase):
    """Each list costs the same number of queries at 10 rows as at 200."""

    def assertConstant(self, name: str, grow, expected: int, **params) -> None:
        grow(10)
        with self.assertNumQueries(expected):
            small = self.api(name, page_size=200, **params)
        grow(190)
        with self.assertNumQueries(expected):
            large = self.api(name, page_size=200, **params)
        self.assertLess(len(small.json()["results"]), len(large.json()["results"]))
        self.assertGreaterEqual(len(large.json()["results"]), 200)

    def test_claims(self):
        # The count, the page with its joins (a filter's choices are read only when it is used).
        starts = iter(range(0, 10_000, 1000))
        self.assertConstant(
            "claim-list", lambda n: bulk_claims(n, topic=self.release, start=next(starts)), 2
        )

    def test_conflicts(self):
        # The count, the page with both claims joined, the witnesses (one prefetch).
        starts = iter(range(0, 10_000, 1000))
        self.assertConstant(
            "conflict-list",
            lambda n: bulk_conflicts(n, topic=self.release, start=next(starts)),
            3,
        )

    def test_sources(self):
        # The count, the page with its track records, the page's claims as a party.
        starts = iter(range(0, 10_000, 1000))
        self.assertConstant(
            "source-list", lambda n: bulk_claims(n, topic=self.release, start=next(starts)), 3
        )

    def test_detainees(self):

        # The count, the page, the topics.
        def grow(n: int) -> None:
            start = Detainee.objects.count()
            made = Detainee.objects.bulk_create(
                Detainee(name=f"Prisoner {start + i}") for i in range(n)
            )
            for detainee in made:
                detainee.topics.add(self.release)
            publish_everything()

        self.assertConstant("detainee-list", grow, 3)

    def test_notes(self):
        # The count, the page with sources and authors.
        def grow(n: int) -> None:
            CredibilityNote.objects.bulk_create(
                CredibilityNote(source=self.psaki, body=f"Note {i}", created_by=self.edna)
                for i in range(n)
            )

        self.assertConstant("note-list", grow, 2)


class PlannedRowsTests(ApiReadCase):
    """The rows read by api.serializers.Planned are DRF's own, byte for byte."""

    def answers(self, *urls: str) -> list[bytes]:
        return [self.client.get(url).content for url in urls]

    def test_claims_and_conflicts_read_as_drf_reads_them(self):
        first = Claim.objects.public().order_by("pk").first()
        second = Claim.objects.public().exclude(source=first.source).order_by("pk").first()
        Claim.objects.filter(pk=second.pk).update(relays=first, relays_source=first.source)
        conflict = Conflict.objects.order_by("pk").first()
        urls = [
            reverse("api:claim-list") + "?page_size=200",
            reverse("api:claim-detail", args=[second.pk]),
            reverse("api:conflict-list") + "?status=any&page_size=200",
            reverse("api:conflict-detail", args=[conflict.pk]),
        ]
        planned = self.answers(*urls)
        with patch.object(Planned, "enabled", False):
            generic = self.answers(*urls)

        self.assertEqual(planned, generic)
        self.assertIn(f'"relays":{first.pk}'.encode(), planned[1])
        self.assertIn(b'"relays_source":{"id"', planned[1])
        self.assertGreater(len(json.loads(planned[0])["results"]), 1)
        self.assertGreater(len(json.loads(planned[2])["results"]), 0)


class WhatReadersSeeTests(ApiReadCase):
    def test_drafts_and_pending_claims_are_not_listed(self):
        draft = self.draft(self.edna)
        pending = self.draft(self.edna, summary="Pending")
        pending.submit(by=self.edna)

        listed = self.ids(self.api("claim-list"))

        self.assertNotIn(draft.pk, listed)
        self.assertNotIn(pending.pk, listed)

    def test_a_draft_is_its_editors_alone_and_a_pending_claim_also_the_moderators(self):
        draft = self.draft(self.edna)
        pending = self.draft(self.edna, summary="Pending")
        pending.submit(by=self.edna)
        cases = [
            (None, draft, 404),
            (self.rita, draft, 404),
            (self.eddie, draft, 404),
            (self.mo, draft, 404),
            (self.edna, draft, 200),
            (None, pending, 404),
            (self.eddie, pending, 404),
            (self.mo, pending, 200),
            (self.edna, pending, 200),
        ]
        for user, claim, expected in cases:
            with self.subTest(user=user and user.username, state=claim.state):
                self.client.logout()
                if user:
                    self.client.force_login(user)
                self.assertEqual(self.api("claim-detail", claim.pk).status_code, expected)

    def test_a_retracted_claim_keeps_its_address_with_the_reason(self):
        self.some_released.retract(by=self.mo, reason="Misquoted")

        body = self.api("claim-detail", self.some_released.pk).json()

        self.assertEqual((body["state"], body["state_reason"]), ("retracted", "Misquoted"))
        self.assertNotIn(self.some_released.pk, self.ids(self.api("claim-list")))

    def test_hidden_notes_are_listed_only_for_those_who_may_hide_them(self):
        self.psaki_note.hide(by=self.mo, reason="Wrong source")

        anonymous = self.ids(self.api("note-list"))
        self.client.force_login(self.edna)
        editor = self.ids(self.api("note-list"))
        hidden_for_editor = self.api("note-detail", self.psaki_note.pk).status_code
        self.client.force_login(self.mo)
        moderator = self.ids(self.api("note-list"))

        self.assertNotIn(self.psaki_note.pk, anonymous)
        self.assertNotIn(self.psaki_note.pk, editor)
        self.assertEqual(hidden_for_editor, 404)
        self.assertIn(self.psaki_note.pk, moderator)

    def test_notes_filter_by_source(self):
        listed = self.ids(self.api("note-list", source=self.sanchez.pk))

        self.assertEqual(listed, [self.sanchez_note.pk])

    def test_a_conflict_is_read_by_id_whatever_its_status(self):
        gap = Conflict.objects.get()
        gap.dismiss(by=self.mo, reason="Not real")

        body = self.api("conflict-detail", gap.pk).json()

        self.assertEqual(body["status"], "dismissed")
        self.assertEqual(
            {body["claim_a"]["id"], body["claim_b"]["id"]},
            {self.some_released.pk, self.no_information.pk},
        )

    def test_a_source_shows_its_track_record(self):
        body = self.api("source-detail", self.psaki.pk).json()

        self.assertEqual(body["claim_count"], 2)
        self.assertEqual(body["open_conflict_count"], 1)
        self.assertEqual(body["reliability"], 0.5)
        self.assertEqual(body["affiliation"]["name"], "U.S. Department of State")

    def test_an_id_that_is_no_number_answers_404(self):
        self.assertEqual(self.client.get("/api/claims/abc/").status_code, 404)
        self.assertEqual(self.client.get("/api/sources/99999999999999999999/").status_code, 404)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_when_reading_requires_a_login_an_anonymous_read_answers_401(self):
        for name in ["claim-list", "conflict-list", "source-list", "note-list", "topic-list"]:
            with self.subTest(name):
                self.assertEqual(self.api(name).status_code, 401)
        self.client.force_login(self.rita)
        self.assertEqual(self.api("claim-list").status_code, 200)
