"""Claim.in_open_conflict: the mark the claims list's "in an open conflict" filter reads.

The mark is derived from the conflicts and kept by the database (migration
0005's triggers), so every test here writes through an ordinary path (an
approval, a retraction, a moderator's resolution, the admin's save, a bulk
insert, the full recompute) and then checks the stored mark against the
conflicts themselves, on SQLite and PostgreSQL alike.
"""

from datetime import date

from django.db import connection
from django.db.models import Q

from claims import detection
from claims.filters import ClaimFilterSet
from claims.models import Claim, Conflict
from tests.claims.test_detection import TUE, DetectionTestCase


class OpenConflictMarkTestCase(DetectionTestCase):
    def marked(self) -> set[int]:
        return set(Claim.objects.filter(in_open_conflict=True).values_list("pk", flat=True))

    def in_open_conflicts(self) -> set[int]:
        pairs = Conflict.objects.open().values_list("claim_a_id", "claim_b_id")
        return {pk for pair in pairs for pk in pair}

    def assert_marks(self, *claims: Claim) -> None:
        """Assert that exactly these claims are marked, and that the mark matches the conflicts."""
        self.assertEqual(self.marked(), {claim.pk for claim in claims})
        self.assertEqual(self.marked(), self.in_open_conflicts())

    def listed_in_open_conflict(self) -> set[int]:
        filterset = ClaimFilterSet({"in_open_conflict": "yes"}, queryset=Claim.objects.public())
        return {claim.pk for claim in filterset.qs}


class DetectionKeepsTheMarkTests(OpenConflictMarkTestCase):
    def test_approving_the_second_claim_of_a_conflict_marks_both(self):
        some = self.claim(self.psaki, lo=1, hi=10)
        self.assert_marks()

        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.assert_marks(some, none)
        self.assertEqual(self.listed_in_open_conflict(), {some.pk, none.pk})

    def test_a_claim_not_yet_approved_is_not_marked(self):
        some = self.claim(self.psaki, lo=1, hi=10)
        self.claim(self.ccdhrn, Claim.Stance.DENIES, approve=False)

        self.assert_marks()
        self.assertFalse(Claim.objects.get(pk=some.pk).in_open_conflict)

    def test_retracting_a_claim_lapses_its_conflict_and_clears_both_marks(self):
        some = self.claim(self.psaki, lo=1, hi=10)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        none.retract(by=self.mona, reason="Misattributed quote.")

        self.assertEqual(self.only_conflict().status, Conflict.Status.LAPSED)
        self.assert_marks()
        self.assertEqual(self.listed_in_open_conflict(), set())

        none.restore(by=self.mona)

        self.assert_marks(some, none)

    def test_a_later_statement_that_supersedes_clears_the_mark_and_its_retraction_restores_it(
        self,
    ):
        some = self.claim(self.psaki, lo=1, hi=10)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        # The monitor's later word agrees with the State Department's.
        later = self.claim(self.ccdhrn, lo=1, hi=10, stated_on=date(2015, 1, 8))

        self.assertEqual(Claim.objects.get(pk=none.pk).superseded_by_id, later.pk)
        self.assertEqual(self.only_conflict().status, Conflict.Status.SUPERSEDED)
        self.assert_marks()

        later.retract(by=self.mona, reason="Withdrawn by the monitor.")

        self.assertEqual(self.only_conflict().status, Conflict.Status.OPEN)
        self.assert_marks(some, none)

    def test_an_edit_that_makes_the_claims_agree_clears_the_marks(self):
        some = self.claim(self.psaki, lo=1, hi=10)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.move(none, stance=Claim.Stance.AFFIRMS, quantity_min=1, quantity_max=10)

        self.assert_marks()
        self.assertFalse(Claim.objects.get(pk=some.pk).in_open_conflict)

    def test_a_claim_stays_marked_while_one_of_its_conflicts_is_open(self):
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        some = self.claim(self.psaki, lo=1, hi=10)
        more = self.claim(self.state, lo=20, hi=30)
        self.assert_marks(none, some, more)  # none–some, none–more, and some–more

        self.resolve(Conflict.objects.get(claim_a=none, claim_b=some))

        self.assert_marks(none, some, more)

        self.resolve(Conflict.objects.get(claim_a=none, claim_b=more))
        self.resolve(Conflict.objects.get(claim_a=some, claim_b=more))

        self.assert_marks()

    def test_a_deferred_block_marks_when_it_ends(self):
        with detection.deferred():
            some = self.claim(self.psaki, lo=1, hi=10)
            none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.assert_marks(some, none)


class ModerationKeepsTheMarkTests(OpenConflictMarkTestCase):
    def setUp(self):
        self.some = self.claim(self.psaki, lo=1, hi=10)
        self.none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

    def test_resolving_clears_the_marks_and_reopening_restores_them(self):
        self.resolve(self.only_conflict())

        self.assert_marks()

        conflict = self.only_conflict()
        conflict.reopen(by=self.mona, reason="New evidence from the family.")

        self.assert_marks(self.some, self.none)

    def test_dismissing_clears_the_marks(self):
        self.dismiss(self.only_conflict())

        self.assert_marks()
        self.assertEqual(self.listed_in_open_conflict(), set())

    def test_a_status_saved_without_the_models_methods_still_moves_the_mark(self):
        # What the admin's change form does: set the field, save().
        conflict = self.only_conflict()
        conflict.status = Conflict.Status.DISMISSED
        conflict.save()

        self.assert_marks()

        conflict.status = Conflict.Status.OPEN
        conflict.save()

        self.assert_marks(self.some, self.none)

    def test_a_stale_instance_saved_in_full_does_not_store_its_old_mark(self):
        stale = Claim.objects.get(pk=self.some.pk)  # Marked when read...
        self.dismiss(self.only_conflict())  # ...not any more.
        self.assertTrue(stale.in_open_conflict)

        stale.summary = "Some released, says the spokeswoman"
        stale.save()  # Every field, the old mark among them.

        self.assert_marks()

    def test_a_direct_write_of_the_mark_is_put_back(self):
        Claim.objects.filter(pk=self.some.pk).update(in_open_conflict=False)
        Claim.objects.exclude(pk__in=[self.some.pk, self.none.pk]).update(in_open_conflict=True)

        self.assert_marks(self.some, self.none)


class BulkPathsKeepTheMarkTests(OpenConflictMarkTestCase):
    def approved(self, source, stance=Claim.Stance.AFFIRMS, **values) -> Claim:
        """An approved claim written straight to the table: no detection runs."""
        return Claim.objects.bulk_create(
            [
                Claim(
                    source=source,
                    topic=self.release,
                    stance=stance,
                    quote="…",
                    summary=f"{source} {stance}",
                    stated_on=TUE,
                    state=Claim.State.APPROVED,
                    **values,
                )
            ]
        )[0]

    def test_the_full_recompute_marks_what_a_bulk_load_left_unexamined(self):
        # As generate_volume loads claims, then recomputes (conflicts by bulk insert).
        some = self.approved(self.psaki, quantity_min=1, quantity_max=10)
        none = self.approved(self.ccdhrn, Claim.Stance.DENIES)
        self.assert_marks()

        result = detection.recompute_all()

        self.assertEqual(result.changes["opened"], 1)
        self.assert_marks(some, none)

    def test_conflicts_inserted_updated_and_deleted_in_bulk_move_the_marks(self):
        claims = [self.approved(self.psaki) for _ in range(4)]
        Conflict.objects.bulk_create(
            Conflict(claim_a=a, claim_b=b, topic=self.release, kind=Conflict.Kind.GAP)
            for a, b in (claims[0:2], claims[2:4])
        )
        self.assert_marks(*claims)

        Conflict.objects.filter(claim_a=claims[0]).update(status=Conflict.Status.LAPSED)

        self.assert_marks(*claims[2:])

        Conflict.objects.filter(claim_a=claims[2]).delete()

        self.assert_marks()

    def test_an_approved_import_marks_the_claims_of_the_conflicts_it_opens(self):
        # The spreadsheet import's detection: the batched path over the touched variables.
        some = self.approved(self.psaki, quantity_min=1, quantity_max=10)
        none = self.approved(self.ccdhrn, Claim.Stance.DENIES)

        from claims.spreadsheet import detect

        detect({(self.release.pk, None)})

        self.assert_marks(some, none)


class OpenConflictIndexTests(OpenConflictMarkTestCase):
    def test_the_filter_reads_the_partial_index_of_marked_approved_claims(self):
        self.claim(self.psaki, lo=1, hi=10)
        self.claim(self.ccdhrn, Claim.Stance.DENIES)
        # Enough approved claims in no conflict that the index is worth reading.
        Claim.objects.bulk_create(
            Claim(
                source=self.rubio,
                topic=self.talks,
                kind=Claim.Kind.POSITION,
                quote=f"Statement {n}",
                summary=f"Statement {n}",
                stated_on=TUE,
                state=Claim.State.APPROVED,
            )
            for n in range(300)
        )
        filterset = ClaimFilterSet({"in_open_conflict": "yes"}, queryset=Claim.objects.public())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Claim._meta.db_table}")
                # With a handful of rows a sequential scan is cheaper; forbidding
                # it shows whether the query's condition matches the index's.
                cursor.execute("SET enable_seqscan = off")
                try:
                    plan = filterset.qs.explain()
                finally:
                    cursor.execute("RESET enable_seqscan")
            self.assertIn("claim_open_conflict_idx", plan)
        else:
            # SQLite's planner prefers the state index at any size; the index is there.
            with connection.cursor() as cursor:
                indexes = connection.introspection.get_constraints(cursor, Claim._meta.db_table)
            self.assertEqual(indexes["claim_open_conflict_idx"]["columns"], ["stated_on", "id"])
        self.assertEqual(len(filterset.qs), 2)

    def test_the_marks_match_the_open_conflicts_in_a_busy_history(self):
        claims = [
            self.claim(self.psaki, lo=1, hi=10),
            self.claim(self.ccdhrn, Claim.Stance.DENIES),
            self.claim(self.state, lo=20, hi=30),
            self.claim(self.rubio, Claim.Stance.NO_INFORMATION),
            self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED),
            self.claim(self.ccdhrn, detainee=self.ferrer, status=Claim.Status.IMPRISONED),
        ]
        claims[2].retract(by=self.mona, reason="Wrong figure.")
        self.dismiss(Conflict.objects.open().filter(Q(claim_a=claims[3]) | Q(claim_b=claims[3]))[0])
        self.move(claims[5], detainee=self.unnamed)
        claims[2].restore(by=self.mona)

        self.assertTrue(self.marked())
        self.assertEqual(self.marked(), self.in_open_conflicts())
        self.assertEqual(detection.recompute_all().changes, {})
        self.assertEqual(self.marked(), self.in_open_conflicts())
