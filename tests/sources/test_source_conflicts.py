"""The source page's conflicts: a union of two indexed reads, the same set as the old OR filter."""

from datetime import date
from itertools import combinations

from django.db import connection
from django.db.models import Q
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Topic
from sources.models import Source
from sources.views import source_conflicts
from tests.cast import publish_everything


class SourceConflictsUnionTests(TestCase):
    """Every pair of claims of six sources in conflict, compared source by source."""

    @classmethod
    def setUpTestData(cls):
        cls.department = Source.objects.create(name="Department", kind=Source.Kind.GOVERNMENT)
        cls.office = Source.objects.create(
            name="Press office", kind=Source.Kind.GOVERNMENT, affiliation=cls.department
        )
        cls.spokeswoman = Source.objects.create(
            name="Spokeswoman", kind=Source.Kind.OFFICIAL, affiliation=cls.office
        )
        # Three levels below: past the roll-up, so its conflicts are its own only.
        cls.intern = Source.objects.create(
            name="Intern", kind=Source.Kind.OFFICIAL, affiliation=cls.spokeswoman
        )
        cls.monitor = Source.objects.create(name="Monitor", kind=Source.Kind.MONITOR)
        cls.silent = Source.objects.create(name="Silent", kind=Source.Kind.MEDIA)
        cls.sources = [
            cls.department,
            cls.office,
            cls.spokeswoman,
            cls.intern,
            cls.monitor,
            cls.silent,
        ]
        topic = Topic.objects.create(title="Prisoners", slug="prisoners", question="Freed?")
        claims = Claim.objects.bulk_create(
            Claim(
                source=source,
                topic=topic,
                kind=Claim.Kind.FACT,
                stance="affirms",
                quote=f"{source.name} {n}",
                summary=f"{source.name} {n}",
                stated_on=date(2015, 1, 1 + n),
                state=Claim.State.APPROVED,
            )
            for source in cls.sources[:-1]
            for n in range(2)
        )
        statuses = [Conflict.Status.OPEN, Conflict.Status.SUPERSEDED]
        # Every pair: a source against itself, against its organisation, against a stranger;
        # as claim_a and as claim_b; open and closed.
        Conflict.objects.bulk_create(
            Conflict(
                claim_a=a,
                claim_b=b,
                topic=topic,
                kind=Conflict.Kind.CONTRADICTION,
                status=statuses[i % 2],  # open or superseded: no outcome needed
            )
            for i, (a, b) in enumerate(combinations(sorted(claims, key=lambda c: c.pk), 2))
        )

    def old_filter(self, source):
        speakers = Source.objects.speaking_for(source).values("pk")
        return Conflict.objects.filter(
            Q(claim_a__source__in=speakers) | Q(claim_b__source__in=speakers)
        )

    def test_it_finds_exactly_the_conflicts_the_or_filter_found_for_every_source(self):
        for source in self.sources:
            with self.subTest(source=source.name):
                union = list(source_conflicts(source).values_list("pk", flat=True))
                self.assertEqual(len(union), len(set(union)), "no conflict twice")
                self.assertEqual(
                    set(union), set(self.old_filter(source).values_list("pk", flat=True))
                )

    def test_the_speakers_ids_are_those_speaking_for_finds_three_levels_down(self):
        for source in self.sources:
            with self.subTest(source=source.name):
                ids = Source.objects.speaker_ids(source)
                self.assertEqual(len(ids), len(set(ids)))
                self.assertEqual(
                    set(ids), set(Source.objects.speaking_for(source).values_list("pk", flat=True))
                )
        self.assertEqual(
            set(Source.objects.speaker_ids(self.department)),
            {self.department.pk, self.office.pk, self.spokeswoman.pk},
        )

    def test_the_table_of_pairs_covers_each_case(self):
        # 10 claims, 45 pairs. The department rolls up three sources' 6 claims:
        # every pair but the 6 among the intern's and the monitor's 4 claims.
        self.assertEqual(Conflict.objects.count(), 45)
        self.assertEqual(source_conflicts(self.department).count(), 45 - 6)
        # The monitor's 2 claims: against each other, and each against the 8 others.
        self.assertEqual(source_conflicts(self.monitor).count(), 1 + 2 * 8)
        self.assertEqual(source_conflicts(self.silent).count(), 0)

    def test_it_orders_open_conflicts_first_then_newest(self):
        rows = list(source_conflicts(self.department))
        keys = [(not c.is_open, -c.opened_at.timestamp(), -c.pk) for c in rows]

        self.assertEqual(keys, sorted(keys))

    def test_the_page_shows_the_first_page_of_the_union(self):
        publish_everything()
        response = self.client.get(reverse("sources:detail", args=[self.department.pk]))

        shown = list(response.context["conflicts_page"])
        self.assertEqual(shown, list(source_conflicts(self.department)[: len(shown)]))
        self.assertEqual(response.context["conflicts_page"].paginator.count, 39)

    if connection.vendor == "postgresql":

        def test_postgresql_reads_the_conflicts_through_their_claim_indexes(self):
            # Without the sequential scan a small table invites, the planner must
            # find a source's conflicts through claim_a's and claim_b's indexes:
            # the OR filter it replaced had no such plan.
            sql, params = source_conflicts(self.monitor).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            self.assertIn("claims_conflict_claim_a_id", plan)
            self.assertIn("claims_conflict_claim_b_id", plan)
