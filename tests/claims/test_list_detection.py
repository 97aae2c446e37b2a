"""
Lists against persons in the database (claims.conflicts, "Lists against
persons"): approving, retracting and superseding per-person claims opens and
closes list conflicts on the topic's own variable, with their witnesses, and
a full recompute agrees.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.test import TestCase

from claims import detection
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source

JAN = {day: date(2015, 1, day) for day in range(1, 32)}


class ListDetectionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.granma = Source.objects.create(name="Granma", kind=Source.Kind.MEDIA)
        cls.ccdhrn = Source.objects.create(name="CCDHRN", kind=Source.Kind.MONITOR)
        cls.release = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
            counts_status="released",
        )
        cls.persons = []
        for name in ("Sonia Garro", "Ramón Muñoz", "Marcelino Abreu"):
            detainee = Detainee.objects.create(name=name)
            detainee.topics.add(cls.release)
            cls.persons.append(detainee)

    def claim(
        self,
        source,
        *,
        detainee=None,
        stance="affirms",
        status="",
        lo=None,
        hi=None,
        day=12,
        stated_on=None,
    ):
        claim = Claim(
            source=source,
            topic=self.release,
            detainee=detainee,
            kind=Claim.Kind.FACT,
            stance=stance,
            status=status,
            quantity_min=lo,
            quantity_max=hi,
            quote="…",
            summary="A claim",
            stated_on=stated_on or JAN[day],
            as_of=JAN[day],
            state=Claim.State.PENDING,
        )
        claim.full_clean()
        claim.save()
        claim.approve(by=None)
        return claim

    def list_conflicts(self):
        return list(
            Conflict.objects.filter(kind=Conflict.Kind.LIST_CONTRADICTION).prefetch_related(
                "witnesses"
            )
        )

    def test_named_releases_open_a_list_contradiction_with_none_released(self):
        none_released = self.claim(self.granma, stance="denies", day=12)
        first = self.claim(self.ccdhrn, detainee=self.persons[0], status="released", day=8)

        (conflict,) = self.list_conflicts()
        self.assertEqual(conflict.status, Conflict.Status.OPEN)
        self.assertEqual({conflict.claim_a_id, conflict.claim_b_id}, {none_released.pk, first.pk})
        self.assertEqual((conflict.topic_id, conflict.detainee_id), (self.release.pk, None))

        second = self.claim(self.ccdhrn, detainee=self.persons[1], status="exiled", day=9)
        (conflict,) = self.list_conflicts()
        # The pair stays with the first witness; the second joins the witnesses.
        self.assertEqual({conflict.claim_a_id, conflict.claim_b_id}, {none_released.pk, first.pk})
        self.assertEqual({c.pk for c in conflict.witnesses.all()}, {first.pk, second.pk})
        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_a_retracted_witness_lapses_the_conflict_and_a_recompute_agrees(self):
        self.claim(self.granma, stance="affirms", hi=0, day=12)
        only = self.claim(self.ccdhrn, detainee=self.persons[0], status="released", day=8)
        self.assertEqual(len(self.list_conflicts()), 1)

        only.retract(by=None, reason="Misidentified.")

        (conflict,) = self.list_conflicts()
        self.assertEqual(conflict.status, Conflict.Status.LAPSED)
        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_a_later_word_on_the_person_takes_the_release_back(self):
        self.claim(self.granma, stance="denies", day=12)
        self.claim(self.ccdhrn, detainee=self.persons[0], status="released", day=8)
        self.claim(
            self.ccdhrn, detainee=self.persons[0], status="imprisoned", day=9, stated_on=JAN[9]
        )
        self.assertEqual(Conflict.objects.open().count(), 0)

    def test_no_information_facing_named_releases_is_a_gap_with_witnesses(self):
        silent = self.claim(self.granma, stance="no_information", day=12)
        named = self.claim(self.ccdhrn, detainee=self.persons[2], status="released", day=10)
        (conflict,) = Conflict.objects.open()
        self.assertEqual(conflict.kind, Conflict.Kind.GAP)
        self.assertEqual({conflict.claim_a_id, conflict.claim_b_id}, {silent.pk, named.pk})
        self.assertEqual([c.pk for c in conflict.witnesses.all()], [named.pk])

    def test_a_recompute_finds_what_deferred_detection_found(self):
        with detection.deferred():
            self.claim(self.granma, stance="denies", day=12)
            for detainee in self.persons:
                self.claim(self.ccdhrn, detainee=detainee, status="released", day=8)
        (conflict,) = self.list_conflicts()
        self.assertEqual(conflict.witnesses.count(), 3)
        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_turning_the_count_off_lapses_the_list_conflicts(self):
        self.claim(self.granma, stance="denies", day=12)
        self.claim(self.ccdhrn, detainee=self.persons[0], status="released", day=8)
        topic = Topic.objects.get(pk=self.release.pk)
        topic.counts_status = ""
        topic.save()
        (conflict,) = self.list_conflicts()
        self.assertEqual(conflict.status, Conflict.Status.LAPSED)

    def test_a_closed_list_conflict_reopens_into_the_state_the_rules_give(self):
        self.claim(self.granma, stance="denies", day=12)
        self.claim(self.ccdhrn, detainee=self.persons[0], status="released", day=8)
        (conflict,) = self.list_conflicts()
        conflict.dismiss(by=None, reason="Checking.")
        self.assertEqual(conflict.reopen_refusal(), "")
        conflict.reopen(by=None, reason="New evidence.")
        conflict.refresh_from_db()
        self.assertEqual(
            (conflict.status, conflict.kind),
            (Conflict.Status.OPEN, Conflict.Kind.LIST_CONTRADICTION),
        )
