"""The staff lists read their rows from the partial indexes of migration 0017 (issue 16)."""

from datetime import date, timedelta

from django.db import connection
from django.db.models import Count
from django.test import TestCase
from django.utils import timezone

from claims.filters import approved_languages
from claims.models import Claim
from claims.views.moderation import pending_claims
from tests.cast import JanuaryCast
from tests.editors import EditorialCast


def bulk(author, state: str, count: int, *, source, topic) -> None:
    now = timezone.now()
    claims = [
        Claim(
            source=source,
            topic=topic,
            kind=Claim.Kind.POSITION,
            quote=f"Bulk statement {n}",
            summary=f"Bulk {n}",
            stated_on=date(2015, 1, 7),
            state=state,
            created_by=author,
            state_changed_at=now - timedelta(minutes=n) if n % 7 else None,
        )
        for n in range(count)
    ]
    for claim in claims:
        claim.search_text = claim.build_search_text()
    Claim.objects.bulk_create(claims)


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Claim._meta.db_table}")
    return queryset.explain()


class QueueIndexTests(JanuaryCast, TestCase):
    def test_the_queue_order_is_the_index_order(self):
        # The index holds what the queue sorts by, nulls first on both databases.
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, Claim._meta.db_table)
        self.assertEqual(
            indexes["claim_pending_queue_idx"]["columns"], ["state_changed_at", "created_at", "id"]
        )
        self.assertEqual(
            indexes["claim_own_idx"]["columns"], ["created_by_id", "state", "created_at", "id"]
        )


class ApprovedLanguagesTests(EditorialCast, TestCase):
    def test_it_lists_each_language_of_the_approved_claims_once_in_order(self):
        bulk(self.eddie, Claim.State.APPROVED, 3, source=self.psaki, topic=self.release)
        Claim.objects.filter(pk=Claim.objects.order_by("pk").last().pk).update(language="es")
        bulk(self.eddie, Claim.State.PENDING, 2, source=self.psaki, topic=self.release)
        Claim.objects.filter(state=Claim.State.PENDING).update(language="fr")

        expected = sorted(
            set(Claim.objects.approved().values_list("language", flat=True).distinct())
        )
        self.assertEqual(approved_languages(), expected)
        self.assertIn("es", expected)
        self.assertNotIn("fr", expected)

    def test_it_is_empty_without_approved_claims(self):
        Claim.objects.filter(state=Claim.State.APPROVED).update(state=Claim.State.REJECTED)

        self.assertEqual(approved_languages(), [])


if connection.vendor == "postgresql":

    class StaffListPlanTests(EditorialCast, TestCase):
        @classmethod
        def setUpTestData(cls):
            super().setUpTestData()
            # Enough other rows that reading the whole table costs more than the index.
            bulk(cls.eddie, Claim.State.APPROVED, 3000, source=cls.psaki, topic=cls.release)
            bulk(cls.eddie, Claim.State.PENDING, 300, source=cls.psaki, topic=cls.release)
            bulk(cls.edna, Claim.State.DRAFT, 40, source=cls.psaki, topic=cls.release)
            bulk(cls.edna, Claim.State.REJECTED, 40, source=cls.psaki, topic=cls.release)

        def test_the_queue_reads_its_page_from_the_pending_index_without_sorting(self):
            found = plan(pending_claims()[:25])

            self.assertIn("claim_pending_queue_idx", found)
            self.assertNotIn("Sort Key", found)

        def test_my_claims_are_counted_from_the_index_of_claims_in_the_works(self):
            own = Claim.objects.filter(
                created_by=self.edna,
                state__in=[Claim.State.DRAFT, Claim.State.PENDING, Claim.State.REJECTED],
            )
            counted = own.order_by().values("state").annotate(n=Count("pk"))

            self.assertIn("claim_own_idx", plan(counted))
            self.assertEqual(
                {row["state"]: row["n"] for row in counted}, {"draft": 40, "rejected": 40}
            )
