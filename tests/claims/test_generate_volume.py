"""
generate_volume: realistic bulk data for the benchmarks, deterministic per seed,
with supersessions and conflicts found by the engine's own recompute.
"""

from __future__ import annotations

import io
from collections import Counter
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.test import TestCase

from claims import detection
from claims.models import Claim, Conflict, Detainee, Document, Topic
from sources.models import CredibilityNote, Source

CLAIMS = 400


def generate(claims: int = CLAIMS, seed: int = 7) -> str:
    out = io.StringIO()
    call_command("generate_volume", claims=claims, seed=seed, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Return everything generated, with ids replaced by names or by rank (ids differ per run)."""
    claim_rank = {
        pk: i for i, pk in enumerate(Claim.objects.order_by("pk").values_list("pk", flat=True))
    }
    rank = lambda pk: None if pk is None else claim_rank[pk]  # noqa: E731
    claims = [
        (
            c.source.name,
            c.topic.title,
            c.detainee.name if c.detainee_id else None,
            c.kind,
            c.stance,
            c.quantity_min,
            c.quantity_max,
            c.status,
            c.quote,
            c.summary,
            c.stated_on,
            c.as_of,
            c.document.title if c.document_id else None,
            c.citation_url,
            c.state,
            c.search_text,
            rank(c.superseded_by_id),
        )
        for c in Claim.objects.select_related("source", "topic", "detainee", "document").order_by(
            "pk"
        )
    ]
    conflicts = sorted(
        (rank(a), rank(b), kind, status, reason)
        for a, b, kind, status, reason in Conflict.objects.values_list(
            "claim_a_id", "claim_b_id", "kind", "status", "status_reason"
        )
    )
    return {
        "sources": list(
            Source.objects.order_by("name").values_list("name", "kind", "affiliation__name")
        ),
        "notes": list(
            CredibilityNote.objects.order_by("source__name", "aspect", "body").values_list(
                "source__name", "aspect", "body", "written_on"
            )
        ),
        "topics": list(
            Topic.objects.order_by("title").values_list(
                "title", "slug", "quantity_label", "quantity_min", "quantity_max", "window_days"
            )
        ),
        "detainees": list(
            Detainee.objects.order_by("name").values_list("name", "aliases", "topics__title")
        ),
        "documents": list(Document.objects.order_by("title").values_list("title", "url")),
        "claims": claims,
        "conflicts": conflicts,
    }


class GenerateVolumeTests(TestCase):
    def test_it_writes_the_number_of_claims_asked_for_in_a_realistic_mix(self):
        generate()

        self.assertEqual(Claim.objects.count(), CLAIMS)
        states = Counter(Claim.objects.values_list("state", flat=True))
        self.assertGreater(states[Claim.State.APPROVED], CLAIMS * 0.85)
        for state in (Claim.State.PENDING, Claim.State.REJECTED, Claim.State.RETRACTED):
            self.assertGreater(states[state], 0, state)
        kinds = Counter(Claim.objects.values_list("kind", "stance"))
        self.assertEqual(
            {stance for kind, stance in kinds if kind == Claim.Kind.FACT},
            set(Claim.Stance.values),
        )
        self.assertGreater(kinds[(Claim.Kind.POSITION, "")], 0)
        self.assertTrue(Claim.objects.exclude(status="").exists())
        self.assertTrue(Claim.objects.filter(quantity_min__isnull=False).exists())
        self.assertTrue(Source.objects.filter(affiliation__isnull=False).exists())
        self.assertTrue(CredibilityNote.objects.exists())
        self.assertTrue(Topic.objects.exclude(quantity_label="").exists())

    def test_it_gives_topics_a_long_tail_of_claims(self):
        generate(claims=4000)

        counts = sorted(
            Claim.objects.values("topic").annotate(n=Count("pk")).values_list("n", flat=True)
        )
        median = counts[len(counts) // 2]
        self.assertLessEqual(median, 12, "most topics have a handful of claims")
        self.assertGreaterEqual(counts[-1], 40 * median, "a few topics are hot")

    def test_it_writes_valid_claims(self):
        generate()

        for claim in Claim.objects.select_related("topic", "detainee"):
            claim.full_clean(exclude=["search_text"])
            if claim.detainee_id:
                self.assertIn(claim.topic, claim.detainee.topics.all())

    def test_it_writes_the_search_text_the_model_would_write(self):
        generate()

        claims = Claim.objects.select_related("source__affiliation", "detainee")
        for claim in claims:
            self.assertEqual(claim.search_text, claim.build_search_text(), claim.pk)
        self.assertTrue(any(not c.search_text.isascii() for c in claims), "accents are folded")
        self.assertFalse(any("í" in c.search_text for c in claims))

    def test_it_finds_supersessions_and_conflicts_with_the_engine(self):
        output = generate()

        self.assertTrue(Claim.objects.filter(superseded_by__isnull=False).exists())
        self.assertTrue(Conflict.objects.open().filter(kind=Conflict.Kind.GAP).exists())
        self.assertTrue(Conflict.objects.open().filter(kind=Conflict.Kind.CONTRADICTION).exists())
        self.assertIn(f"recompute opened: {Conflict.objects.count():,}", output)
        # What incremental detection would find, variable by variable: nothing to change.
        variables = set(Claim.objects.values_list("topic_id", "detainee_id"))
        for topic_id, detainee_id in variables:
            self.assertEqual(detection.refresh_variable(topic_id, detainee_id), Counter())

    def test_it_gives_identical_data_for_the_same_seed(self):
        with transaction.atomic():
            generate(seed=3)
            first = snapshot()
            transaction.set_rollback(True)
        generate(seed=3)

        self.assertEqual(snapshot(), first)
        self.assertTrue(first["conflicts"])

    def test_it_gives_other_data_for_another_seed(self):
        with transaction.atomic():
            generate(seed=3)
            first = snapshot()
            transaction.set_rollback(True)
        generate(seed=4)

        self.assertNotEqual(snapshot()["claims"], first["claims"])

    def test_it_refuses_a_database_that_has_data(self):
        Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL)

        with self.assertRaisesMessage(CommandError, "fills an empty database"):
            generate()
        self.assertFalse(Claim.objects.exists())


class BatchedRecomputeTests(TestCase):
    """recompute_all reads whole topics and writes in bulk: same result as variable by variable."""

    @classmethod
    def setUpTestData(cls):
        generate(claims=1500, seed=11)
        # Disturb the generated state the ways a real database drifts.
        open_conflicts = list(Conflict.objects.open().order_by("pk"))
        open_conflicts[0].resolve(by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Checked.")
        open_conflicts[1].dismiss(by=None, reason="Not a real conflict.")
        Conflict.objects.filter(pk=open_conflicts[2].pk).update(status=Conflict.Status.LAPSED)
        # update() skips Claim.save, as a data fix in the shell would.
        Claim.objects.filter(pk=open_conflicts[3].claim_a_id).update(state=Claim.State.RETRACTED)
        Claim.objects.filter(superseded_by__isnull=False).filter(
            pk__in=Claim.objects.order_by("pk").values("pk")[:200]
        ).update(superseded_by=None)
        Conflict.objects.filter(pk__in=[c.pk for c in open_conflicts[4:30]]).delete()
        # Both claims of an open conflict moved to a detainee with no claims yet,
        # so that the pair is wanted on its new variable and its conflict must
        # follow it there: once to a variable sorted after the old one (same
        # topic), once to one sorted before it (a topic with a smaller id).
        on_detainees = Conflict.objects.open().filter(detainee__isnull=False).order_by("-pk")
        first = on_detainees[0]
        second = on_detainees.exclude(detainee=first.detainee_id)[0]
        earlier = Topic.objects.filter(pk__lt=second.topic_id, window_days__gte=30).order_by("pk")
        for conflict, topic in ((first, first.topic), (second, earlier[0])):
            newcomer = Detainee.objects.create(name=f"Moved prisoner {conflict.pk}")
            newcomer.topics.add(topic)
            Claim.objects.filter(pk__in=[conflict.claim_a_id, conflict.claim_b_id]).update(
                topic=topic, detainee=newcomer
            )
        cls.moved_pairs = [(c.claim_a_id, c.claim_b_id) for c in (first, second)]

    def state(self) -> tuple:
        return (
            sorted(Claim.objects.values_list("pk", "superseded_by_id")),
            sorted(
                Conflict.objects.values_list(
                    "claim_a_id",
                    "claim_b_id",
                    "topic_id",
                    "detainee_id",
                    "kind",
                    "status",
                    "status_reason",
                    "outcome",
                )
            ),
            sorted(
                Conflict.history.values_list(
                    "claim_a_id", "claim_b_id", "history_type", "history_change_reason", "status"
                )
            ),
        )

    def refresh_each_variable(self) -> tuple[Counter, int, tuple]:
        """Return what refresh_variable on every variable in turn changes, then roll it back."""
        with transaction.atomic():
            variables = set(Claim.objects.values_list("topic_id", "detainee_id"))
            variables |= set(Conflict.objects.values_list("topic_id", "detainee_id"))
            changes: Counter = Counter()
            for topic_id, detainee_id in sorted(variables, key=lambda v: (v[0], v[1] or 0)):
                changes.update(detection.refresh_variable(topic_id, detainee_id))
            state = self.state()
            transaction.set_rollback(True)
        return changes, len(variables), state

    def test_it_changes_what_refresh_variable_changes_on_each_variable(self):
        expected_changes, variables, expected = self.refresh_each_variable()

        result = detection.recompute_all()

        self.assertEqual(result.changes, expected_changes)
        self.assertEqual(result.variables, variables)
        self.assertEqual(self.state(), expected)
        self.assertGreater(expected_changes["opened"], 0)
        self.assertGreater(expected_changes["supersession changed"], 0)
        self.assertGreater(expected_changes["lapsed"], 0)
        # The moved pairs kept their conflicts, now on their new variables.
        for a, b in self.moved_pairs:
            conflict = Conflict.objects.get(claim_a=a, claim_b=b)
            self.assertEqual(conflict.status, Conflict.Status.OPEN)
            self.assertEqual(conflict.detainee.name, f"Moved prisoner {conflict.pk}")

    def test_it_changes_nothing_the_second_time(self):
        detection.recompute_all()

        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_it_gives_the_same_result_in_batches_of_any_size(self):
        expected_changes, _, expected = self.refresh_each_variable()

        for size in (1, 50, 400):
            with self.subTest(batch=size), transaction.atomic():
                with mock.patch.object(detection, "RECOMPUTE_BATCH_CLAIMS", size):
                    changes = detection.recompute_all().changes
                self.assertEqual((changes, self.state()), (expected_changes, expected))
                transaction.set_rollback(True)
        for topics in (1, 3):
            with self.subTest(topics=topics), transaction.atomic():
                with mock.patch.object(detection, "RECOMPUTE_BATCH_TOPICS", topics):
                    changes = detection.recompute_all().changes
                self.assertEqual((changes, self.state()), (expected_changes, expected))
                transaction.set_rollback(True)

    def test_a_batch_locks_no_more_topics_than_its_bound(self):
        # Each batch takes its topics' advisory locks in one transaction; a
        # server holds a few thousand locks in all, so a batch of thousands of
        # small topics ran PostgreSQL out of shared memory at a million claims.
        locked = []
        real = detection.locks.lock_topics

        def spy(topic_ids):
            topic_ids = list(topic_ids)
            locked.append(len(set(topic_ids)))
            real(topic_ids)

        with (
            mock.patch.object(detection, "RECOMPUTE_BATCH_TOPICS", 2),
            mock.patch.object(detection.locks, "lock_topics", spy),
        ):
            detection.recompute_all()

        self.assertGreater(len(locked), 1)
        self.assertLessEqual(max(locked), 2)
