"""A topic's conflicts, grouped by the claim they share (issue 15: 721 rows for one claim)."""

from datetime import date

from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import conflicts as rules
from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything
from tests.roles import RoleCast

EVIDENCE = "https://example.org/census"


def test_a_claim_against_many_forms_one_cluster():
    # Claim 1 against claims 2..6, newest conflict first.
    star = [(15, 1, 6), (14, 1, 5), (13, 1, 4), (12, 1, 3), (11, 1, 2)]
    assert rules.clusters(star) == [(1, [15, 14, 13, 12, 11])]


def test_conflicts_sharing_no_claim_are_clusters_of_one_in_list_order():
    assert rules.clusters([(9, 1, 2), (8, 3, 4)]) == [(1, [9]), (3, [8])]


def test_a_conflict_joins_the_cluster_of_its_busier_claim_and_clusters_come_largest_first():
    # 7 is in three conflicts, 1 in two: the conflict (1, 7) joins 7's cluster.
    conflicts = [(20, 1, 2), (21, 1, 7), (22, 7, 8), (23, 7, 9)]
    assert rules.clusters(conflicts) == [(7, [21, 22, 23]), (1, [20])]


def test_every_conflict_is_in_exactly_one_cluster():
    conflicts = [(i, i % 5, 5 + i % 7) for i in range(40)]
    grouped = rules.clusters(conflicts)
    assert sorted(pk for _, ids in grouped for pk in ids) == list(range(40))


class ClusterPageTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.census = Topic.objects.create(
            title="Population of Springfield",
            question="How many people live in Springfield?",
            quantity_label="inhabitants",
            quantity_min=0,
        )
        cls.outlier = cls.claim(
            cls.rubio,
            topic=cls.census,
            stance="affirms",
            quantity_min=99,
            quantity_max=99,
            quote="Ninety-nine people",
            summary="99 inhabitants",
        )
        cls.others = [cls.add_other(i) for i in range(4)]
        publish_everything()

    @classmethod
    def add_other(cls, i: int) -> Claim:
        source = Source.objects.create(name=f"Editor {i}", kind=Source.Kind.MEDIA)
        return cls.claim(
            source,
            topic=cls.census,
            stance="affirms",
            quantity_min=4183,
            quantity_max=4183,
            quote=f"4,183 people ({i})",
            summary="4,183 inhabitants",
            stated_on=date(2015, 1, 6),
        )

    def get(self, **params):
        return self.client.get(reverse("claims:conflicts"), {"topic": self.census.slug, **params})

    def test_the_topics_conflicts_show_as_one_cluster_for_the_claim_they_share(self):
        response = self.get()

        self.assertEqual(Conflict.objects.filter(topic=self.census).count(), 4)
        [cluster] = response.context["clusters"]
        self.assertEqual((cluster.claim_id, cluster.size), (self.outlier.pk, 4))
        self.assertContains(response, f"Claim #{self.outlier.pk}</a> by Marco Rubio")
        self.assertContains(response, "contradicts 4 claims")
        self.assertContains(response, "1 cluster")
        # Expanding it: the list filtered to the shared claim, one row per conflict.
        expand = f"claim={self.outlier.pk}"
        self.assertContains(response, expand)
        rows = self.client.get(reverse("claims:conflicts"), {"claim": self.outlier.pk})
        self.assertEqual(len(rows.context["page"].object_list), 4)

    def test_group_none_lists_the_conflicts_one_by_one(self):
        response = self.get(group="none")

        self.assertFalse(response.context["grouped"])
        self.assertEqual(len(response.context["page"].object_list), 4)

    def test_the_page_runs_the_same_queries_whatever_the_cluster_size(self):
        self.client.force_login(self.moderator)
        with CaptureQueriesContext(connection) as small:
            self.get()
        for i in range(4, 30):
            self.add_other(i)
        publish_everything()
        # 1. the topic filter's choice, 2. the ids of every matching
        # conflict, 3. the first conflicts of each cluster shown, joined to
        # both claims, 4.-5. their sources' and affiliations' visible notes,
        # 6. session, 7. user, 8.-9. the moderator's permissions (user and
        # groups), 10.-12. the filter form's topics, sources and detainees,
        # 13. the header's unread notifications (watching).
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.get()
        self.assertEqual(response.context["clusters"][0].size, 30)
        self.assertEqual(len(small.captured_queries), 13)

    def test_past_the_list_limit_only_the_newest_conflicts_are_grouped_and_the_page_says_so(self):
        newest = list(Conflict.objects.filter(topic=self.census).order_by("-opened_at", "-pk")[:3])
        with override_settings(LIST_COUNT_LIMIT=3), CaptureQueriesContext(connection) as read:
            response = self.get()

        [cluster] = response.context["clusters"]
        self.assertEqual(cluster.ids, [c.pk for c in newest])
        self.assertTrue(response.context["conflicts_capped"])
        self.assertContains(
            response, "More than 3 conflicts on this topic: the newest 3 are grouped"
        )
        # The ids are read one past the limit, no further.
        [ids] = [q["sql"] for q in read.captured_queries if "LIMIT 4" in q["sql"]]
        self.assertIn('FROM "claims_conflict"', ids)
        self.assertNotIn("JOIN", ids)

    def test_under_the_list_limit_every_conflict_is_grouped(self):
        with override_settings(LIST_COUNT_LIMIT=4):
            response = self.get()

        self.assertFalse(response.context["conflicts_capped"])
        self.assertContains(response, "4 conflicts on this topic, grouped by the claim they share")

    def test_a_moderator_resolves_the_whole_cluster_with_the_value_found_true(self):
        self.client.force_login(self.moderator)
        [cluster] = self.get().context["clusters"]
        self.assertContains(self.get(), "Decide the 4 conflicts at once")

        response = self.client.post(
            reverse("claims:conflicts_bulk_decide"),
            {
                "conflicts": cluster.ids,
                "decision": "resolve",
                "rationale": "The census counts 4,183.",
                "evidence_url": EVIDENCE,
                "true_quantity": "4183",
                "next": reverse("claims:conflicts") + f"?topic={self.census.slug}",
            },
        )

        self.assertEqual(response.status_code, 302)
        resolved = Conflict.objects.filter(topic=self.census, status="resolved")
        self.assertEqual(resolved.count(), 4)
        # The outlier is claim A of some pairs and B of others: each gets its own outcome.
        for conflict in resolved:
            right = "b_right" if conflict.claim_a_id == self.outlier.pk else "a_right"
            self.assertEqual(conflict.outcome, right)
        self.assertEqual(Claim.objects.get(pk=self.outlier.pk).verdict, "refuted")
        self.assertEqual(
            set(
                Claim.objects.filter(pk__in=[c.pk for c in self.others]).values_list(
                    "verdict", flat=True
                )
            ),
            {"confirmed"},
        )

    def test_a_reader_sees_no_decision_form(self):
        self.client.force_login(self.reader)

        self.assertNotContains(self.get(), "at once")

    def test_the_topic_page_shows_the_cluster_not_every_conflict(self):
        response = self.client.get(self.census.get_absolute_url())

        self.assertEqual(len(response.context["clusters"]), 1)
        self.assertContains(response, "contradicts 4 claims")
