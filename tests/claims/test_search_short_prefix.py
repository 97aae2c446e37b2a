"""A search whose last word is a short prefix, half typed ("havana d"): the same matches, read
another way on PostgreSQL, and counted only as far as the list ranks (issue 16)."""

from datetime import date
from unittest.mock import patch

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.filters import ClaimFilterSet
from claims.models import Claim
from claims.search import (
    SEARCH_INDEX_NAME,
    SearchTextVector,
    is_short_prefix,
    search_claims,
    search_terms,
    tsquery,
)
from tests.cast import JanuaryCast


def through_the_index(terms: list[str]) -> set[Claim]:
    """The claims the full-text query matches, every word read from the GIN index (PostgreSQL)."""
    query = SearchQuery(tsquery(terms), config="simple", search_type="raw")
    return set(
        Claim.objects.public().alias(vector=SearchTextVector(F("search_text"))).filter(vector=query)
    )


class ShortPrefixTests(JanuaryCast, TestCase):
    def test_a_last_word_of_one_or_two_letters_is_a_short_prefix(self):
        self.assertTrue(is_short_prefix(["havana", "d"]))
        self.assertTrue(is_short_prefix(["de"]))
        self.assertFalse(is_short_prefix(["havana", "des"]))
        self.assertFalse(is_short_prefix(["d", "havana"]))
        self.assertFalse(is_short_prefix([]))
        # Not a plain word: the parser may cut it otherwise; searched as before.
        self.assertFalse(is_short_prefix(["havana", "é"]))

    def test_it_finds_what_the_index_finds(self):
        for query in ["prisoners u", "prisoners r", "r", "the 5", "53 f", "prisoners zz"]:
            with self.subTest(query=query):
                terms = search_terms(query)
                found = set(search_claims(Claim.objects.public(), terms))
                if connection.vendor == "postgresql":
                    self.assertEqual(found, through_the_index(terms))
                else:
                    # SQLite: every word anywhere in the folded text.
                    expected = {
                        c
                        for c in Claim.objects.public()
                        if all(term in c.search_text for term in terms)
                    }
                    self.assertEqual(found, expected)
        self.assertIn(self.demand, set(search_claims(Claim.objects.public(), ["prisoners", "u"])))
        self.assertEqual(set(search_claims(Claim.objects.public(), ["prisoners", "zz"])), set())

    def test_it_is_counted_as_far_as_the_list_ranks_on_postgresql(self):
        def limit(q: str) -> int:
            filterset = ClaimFilterSet({"q": q}, queryset=Claim.objects.public())
            return filterset.count_limit()

        short = ClaimFilterSet.RANK_LIMIT if connection.vendor == "postgresql" else 10_000
        self.assertEqual(limit("havana d"), short)
        self.assertEqual(limit("d"), short)
        self.assertEqual(limit("havana de"), short)
        self.assertEqual(limit("havana des"), 10_000)
        self.assertEqual(limit('"havana" d'), short)  # a quoted word alone is still plain
        self.assertEqual(limit("havana -d"), 10_000)  # no prefix in the web-search grammar
        self.assertEqual(limit(""), 10_000)

    def test_the_list_says_more_than_the_rank_limit_and_shows_them_newest_first(self):
        with patch.object(ClaimFilterSet, "RANK_LIMIT", 1):
            response = self.client.get(reverse("claims:list"), {"q": "prisoners r"})

        page = response.context["page"]
        if connection.vendor == "postgresql":
            # Newest first, and the pages stop at the limit, as any capped list's.
            self.assertEqual(list(page), [self.demand])
            self.assertTrue(page.paginator.is_capped)
            self.assertEqual(page.paginator.count, 1)
            self.assertContains(response, "More than 1 claims")
            self.assertTrue(response.context["too_many_to_rank"])
        else:
            self.assertEqual(list(page), [self.demand, self.some_released])
            self.assertFalse(page.paginator.is_capped)
            self.assertContains(response, "2 claims")

    def test_a_longer_last_word_is_counted_to_the_list_limit(self):
        with patch.object(ClaimFilterSet, "RANK_LIMIT", 1):
            response = self.client.get(reverse("claims:list"), {"q": "prisoners rel"})

        page = response.context["page"]
        self.assertFalse(page.paginator.is_capped)
        self.assertEqual(page.paginator.count, 2)
        self.assertContains(response, "2 claims")


if connection.vendor == "postgresql":

    class ShortPrefixPlanTests(JanuaryCast, TestCase):
        """The short prefix is never looked up in the GIN index; the other words are."""

        @classmethod
        def setUpTestData(cls):
            super().setUpTestData()
            others = [
                Claim(
                    source=cls.rubio,
                    topic=cls.release,
                    kind=Claim.Kind.POSITION,
                    quote=f"Statement number {n} on the talks, read during a debate",
                    summary=f"Statement {n}",
                    stated_on=date(2015, 1, 7),
                    state=Claim.State.APPROVED,
                )
                for n in range(2000)
            ]
            for claim in others:
                claim.search_text = claim.build_search_text()
            Claim.objects.bulk_create(others)

        def plan(self, terms: list[str]) -> str:
            with connection.cursor() as cursor:
                # Merge the new rows out of the GIN index's pending list, as a
                # vacuum does (tests/claims/test_search.py, SearchIndexTests).
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX_NAME])
                cursor.execute(f"ANALYZE {Claim._meta.db_table}")
                cursor.execute("SET enable_seqscan = off")
                try:
                    return search_claims(Claim.objects.public(), terms).explain()
                finally:
                    cursor.execute("RESET enable_seqscan")

        def test_the_other_words_are_read_from_the_index_and_the_prefix_tested_on_the_rows(self):
            plan = self.plan(["prisoners", "d"])

            self.assertIn(SEARCH_INDEX_NAME, plan)
            self.assertIn("ts_match_vq", plan)
            conditions = [line for line in plan.splitlines() if "Index Cond" in line]
            self.assertTrue(any("prisoners''" in line for line in conditions), plan)
            self.assertFalse(any(":*" in line for line in conditions), plan)

        def test_a_longer_prefix_is_read_from_the_index(self):
            plan = self.plan(["prisoners", "deb"])

            conditions = [line for line in plan.splitlines() if "Index Cond" in line]
            self.assertTrue(any("deb'':*" in line for line in conditions), plan)


class ShortPrefixQueryCountTests(TestCase):
    def test_the_list_runs_as_many_queries_whatever_the_number_of_matches(self):
        from claims.models import Topic
        from tests.cast import publish_everything
        from tests.claims.test_claim_list import bulk_claims

        topic = Topic.objects.create(title="Bulk topic", question="Is it?")
        url = reverse("claims:list")
        bulk_claims(10, topic=topic)
        publish_everything()
        with CaptureQueriesContext(connection) as few:
            self.client.get(url, {"q": "bulk q"})
        bulk_claims(190, topic=topic, start=10)
        publish_everything()
        with self.assertNumQueries(len(few.captured_queries)):
            response = self.client.get(url, {"q": "bulk q"})
        self.assertEqual(len(response.context["page"]), 50)
        self.assertEqual(response.context["page"].paginator.count, 200)
