"""
List pages count their rows only up to settings.LIST_COUNT_LIMIT.

Counting every match was the slowest part of a list at a million claims. Past
the limit a list says "more than" and its pages stop at the limit; at or under
it, nothing changes.
"""

from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim
from crosscheck.lists import BoundedPaginator
from tests.cast import JanuaryCast


class BoundedCountTests(JanuaryCast, TestCase):
    def approved(self) -> int:
        return Claim.objects.approved().count()

    def test_under_the_limit_a_list_gives_the_exact_count(self):
        with override_settings(LIST_COUNT_LIMIT=self.approved()):
            response = self.client.get(reverse("claims:list"))

        self.assertFalse(response.context["page"].paginator.is_capped)
        self.assertContains(response, f"{self.approved()} claims")
        self.assertNotContains(response, "More than")

    def test_past_the_limit_a_list_says_more_than_and_pages_stop_there(self):
        limit = self.approved() - 1
        with override_settings(LIST_COUNT_LIMIT=limit):
            response = self.client.get(reverse("claims:list"))

        page = response.context["page"]
        self.assertTrue(page.paginator.is_capped)
        self.assertEqual(len(page.object_list), limit)
        self.assertContains(response, f"More than {limit} claims")

    def test_it_counts_no_further_than_one_row_past_the_limit(self):
        with self.assertNumQueries(1) as queries:
            counted = BoundedPaginator(Claim.objects.order_by("stated_on"), 50, limit=2).counted

        self.assertEqual(counted, 3)
        sql = queries.captured_queries[0]["sql"]
        self.assertIn("LIMIT 3", sql)
        self.assertNotIn("ORDER BY", sql)

    def test_it_bounds_every_reading_list(self):
        for name in ("claims:list", "claims:conflicts", "claims:detainees", "sources:list"):
            with self.subTest(name), override_settings(LIST_COUNT_LIMIT=1):
                response = self.client.get(reverse(name))
                self.assertIsInstance(response.context["page"].paginator, BoundedPaginator)
