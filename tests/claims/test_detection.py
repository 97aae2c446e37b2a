"""
Conflict detection against the database: DESIGN.md "The life of a conflict".

Every claim goes through `Claim.save` and `approve`/`retract`, the path the
views and the import take, so these tests watch detection as it runs.
"""

from __future__ import annotations

from datetime import date
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from claims import detection
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source

MON, TUE, WED = date(2015, 1, 5), date(2015, 1, 6), date(2015, 1, 7)


class DetectionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.mona = get_user_model().objects.create_user("mona")  # A moderator.
        cls.psaki = Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL)
        cls.ccdhrn = Source.objects.create(name="CCDHRN", kind=Source.Kind.MONITOR)
        cls.state = Source.objects.create(
            name="U.S. Department of State", kind=Source.Kind.GOVERNMENT
        )
        cls.rubio = Source.objects.create(name="Marco Rubio", kind=Source.Kind.LEGISLATOR)
        cls.release = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
        )
        cls.talks = Topic.objects.create(
            title="Talks in Havana", question="Do the talks go ahead this month?"
        )
        cls.ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        cls.unnamed = Detainee.objects.create(name="Unidentified prisoner 12")
        cls.ferrer.topics.add(cls.release)
        cls.unnamed.topics.add(cls.release)

    def claim(
        self,
        source: Source,
        stance: str = Claim.Stance.AFFIRMS,
        *,
        topic: Topic | None = None,
        detainee: Detainee | None = None,
        lo: int | None = None,
        hi: int | None = None,
        status: str = "",
        kind: str = Claim.Kind.FACT,
        stated_on: date = TUE,
        as_of: date | None = None,
        approve: bool = True,
    ) -> Claim:
        """Write a valid claim as an editor would, and approve it as a moderator would."""
        claim = Claim(
            source=source,
            topic=topic or self.release,
            detainee=detainee,
            kind=kind,
            stance=stance,
            quantity_min=lo,
            quantity_max=hi,
            status=status,
            quote="…",
            summary=f"{source} {stance or 'position'} {status}".strip(),
            stated_on=stated_on,
            as_of=as_of,
            state=Claim.State.PENDING,
        )
        claim.full_clean()
        claim.save()
        if approve:
            claim.approve(by=self.mona, reason="Checked against the transcript.")
        return claim

    def move(self, claim: Claim, **fields) -> Claim:
        """Edit a stored claim as the edit form would: load, change, clean, save."""
        claim = Claim.objects.get(pk=claim.pk)
        for name, value in fields.items():
            setattr(claim, name, value)
        claim.full_clean()
        claim.save()
        return claim

    def resolve(self, conflict: Conflict) -> None:
        conflict.refresh_from_db()
        conflict.resolve(
            by=self.mona, outcome=Conflict.Outcome.A_RIGHT, rationale="Checked with both sources."
        )

    def dismiss(self, conflict: Conflict) -> None:
        conflict.refresh_from_db()
        conflict.dismiss(by=self.mona, reason="Checked with both sources.")

    def only_conflict(self) -> Conflict:
        return Conflict.objects.get()


class ApprovalTests(DetectionTestCase):
    def test_it_opens_a_conflict_when_the_second_claim_is_approved(self):
        some = self.claim(self.psaki, lo=1, hi=53)
        self.assertFalse(Conflict.objects.exists())

        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        conflict = self.only_conflict()
        self.assertEqual((conflict.claim_a, conflict.claim_b), (some, none))
        self.assertEqual(conflict.kind, Conflict.Kind.CONTRADICTION)
        self.assertEqual(conflict.status, Conflict.Status.OPEN)
        self.assertEqual((conflict.topic, conflict.detainee), (self.release, None))

    def test_it_opens_the_conflict_inside_the_approving_transaction(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES, approve=False)

        with self.assertRaisesMessage(RuntimeError, "roll back"), transaction.atomic():
            none.approve(by=self.mona)
            self.assertEqual(Conflict.objects.open().count(), 1)
            raise RuntimeError("roll back")

        # The conflict went with the approval it came from.
        self.assertFalse(Conflict.objects.exists())
        self.assertEqual(Claim.objects.get(pk=none.pk).state, Claim.State.PENDING)

    def test_it_ignores_claims_until_they_are_approved(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES, approve=False)
        none.stance = Claim.Stance.NO_INFORMATION
        none.save()

        self.assertFalse(Conflict.objects.exists())

    def test_it_flags_a_gap_between_some_released_and_no_information(self):
        psaki_monday = self.claim(self.psaki, Claim.Stance.NO_INFORMATION, stated_on=MON)
        psaki_tuesday = self.claim(self.psaki, lo=1, hi=53)
        ccdhrn = self.claim(self.ccdhrn, Claim.Stance.NO_INFORMATION)
        self.claim(self.rubio, "", kind=Claim.Kind.POSITION)

        conflict = self.only_conflict()
        self.assertEqual((conflict.claim_a, conflict.claim_b), (psaki_tuesday, ccdhrn))
        self.assertEqual(conflict.kind, Conflict.Kind.GAP)
        psaki_monday.refresh_from_db()
        self.assertEqual(psaki_monday.superseded_by, psaki_tuesday)

    def test_it_changes_the_kind_of_an_open_conflict_in_place(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        conflict = self.only_conflict()

        self.move(none, stance=Claim.Stance.NO_INFORMATION)

        self.assertEqual(self.only_conflict().pk, conflict.pk)
        self.assertEqual(self.only_conflict().kind, Conflict.Kind.GAP)

    def test_it_refreshes_a_deferred_block_once_at_its_end(self):
        with detection.deferred():
            self.claim(self.psaki, lo=1, hi=53)
            self.claim(self.ccdhrn, Claim.Stance.DENIES)
            self.assertFalse(Conflict.objects.exists())

        self.assertEqual(Conflict.objects.open().count(), 1)


class LapseTests(DetectionTestCase):
    def test_it_lapses_a_conflict_when_a_claim_is_retracted(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        none.retract(by=self.mona, reason="Misquoted.")

        conflict = self.only_conflict()
        self.assertEqual(conflict.status, Conflict.Status.LAPSED)

    def test_it_lapses_a_conflict_when_a_claim_is_rejected(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        none.reject(by=self.mona, reason="No source document.")

        self.assertEqual(self.only_conflict().status, Conflict.Status.LAPSED)

    def test_it_reopens_the_same_row_when_a_retracted_claim_is_approved_again(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        first = self.only_conflict()
        none.retract(by=self.mona, reason="Misquoted.")

        none.state = Claim.State.APPROVED
        none.save()

        conflict = self.only_conflict()  # Still one row: no duplicate.
        self.assertEqual(conflict.pk, first.pk)
        self.assertEqual(conflict.status, Conflict.Status.OPEN)
        self.assertEqual(conflict.opened_at, first.opened_at)

    def test_it_lapses_a_conflict_when_an_edit_makes_the_claims_agree(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.move(none, stance=Claim.Stance.AFFIRMS, quantity_min=36, quantity_max=36)

        self.assertEqual(self.only_conflict().status, Conflict.Status.LAPSED)

    def test_it_lapses_a_conflict_when_an_edit_moves_a_claim_out_of_the_window(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.move(none, as_of=date(2014, 12, 1))

        self.assertEqual(self.only_conflict().status, Conflict.Status.LAPSED)


class SupersessionTests(DetectionTestCase):
    def test_it_closes_a_conflict_as_superseded_by_a_later_statement(self):
        psaki_monday = self.claim(self.psaki, Claim.Stance.DENIES, stated_on=MON)
        self.claim(self.ccdhrn, lo=1, hi=53, stated_on=MON)
        self.assertEqual(self.only_conflict().status, Conflict.Status.OPEN)

        psaki_tuesday = self.claim(self.psaki, lo=1, hi=53)

        conflict = self.only_conflict()
        self.assertEqual(conflict.status, Conflict.Status.SUPERSEDED)
        self.assertEqual(
            conflict.status_reason, "A later statement of the same source updates one claim."
        )
        psaki_monday.refresh_from_db()
        self.assertEqual(psaki_monday.superseded_by, psaki_tuesday)

    def test_it_reopens_a_superseded_conflict_when_the_later_statement_is_retracted(self):
        psaki_monday = self.claim(self.psaki, Claim.Stance.DENIES, stated_on=MON)
        self.claim(self.ccdhrn, lo=1, hi=53, stated_on=MON)
        first = self.only_conflict()
        psaki_tuesday = self.claim(self.psaki, lo=1, hi=53)

        psaki_tuesday.retract(by=self.mona, reason="Not what she said.")

        conflict = self.only_conflict()
        self.assertEqual(conflict.pk, first.pk)
        self.assertEqual(conflict.status, Conflict.Status.OPEN)
        psaki_monday.refresh_from_db()
        self.assertIsNone(psaki_monday.superseded_by)

    def test_it_flags_the_later_statement_in_its_turn(self):
        self.claim(self.psaki, lo=1, hi=53, stated_on=MON)
        some = self.claim(self.ccdhrn, lo=1, hi=53, stated_on=MON)

        psaki_tuesday = self.claim(self.psaki, Claim.Stance.DENIES)

        conflict = Conflict.objects.open().get()
        self.assertEqual((conflict.claim_a, conflict.claim_b), (some, psaki_tuesday))

    def test_it_lets_a_position_supersede_nothing(self):
        monday = self.claim(self.psaki, Claim.Stance.DENIES, stated_on=MON)
        self.claim(self.ccdhrn, lo=1, hi=53, stated_on=MON)

        self.claim(self.psaki, "", kind=Claim.Kind.POSITION)

        monday.refresh_from_db()
        self.assertIsNone(monday.superseded_by)
        self.assertEqual(self.only_conflict().status, Conflict.Status.OPEN)


class HumanClosedTests(DetectionTestCase):
    def setUp(self):
        self.some = self.claim(self.psaki, lo=1, hi=53)
        self.none = self.claim(self.ccdhrn, Claim.Stance.DENIES)

    def churn(self):
        """Retract, approve again, edit and recompute: everything that could reopen."""
        self.none.retract(by=self.mona, reason="Misquoted.")
        self.none.restore(by=self.mona)
        self.none = self.move(self.none, stance=Claim.Stance.NO_INFORMATION)
        self.none = self.move(self.none, stance=Claim.Stance.DENIES)
        detection.recompute_all()

    def test_it_never_reopens_a_resolved_conflict(self):
        self.resolve(self.only_conflict())

        self.churn()

        conflict = self.only_conflict()
        self.assertEqual(conflict.status, Conflict.Status.RESOLVED)
        self.assertEqual(conflict.kind, Conflict.Kind.CONTRADICTION)
        self.assertEqual(conflict.outcome, Conflict.Outcome.A_RIGHT)

    def test_it_never_reopens_a_dismissed_conflict(self):
        self.dismiss(self.only_conflict())

        self.churn()

        self.assertEqual(self.only_conflict().status, Conflict.Status.DISMISSED)

    def test_it_never_marks_a_resolved_conflict_superseded(self):
        self.resolve(self.only_conflict())

        self.claim(self.ccdhrn, lo=1, hi=53, stated_on=WED)

        self.assertEqual(self.only_conflict().status, Conflict.Status.RESOLVED)


class MoveTests(DetectionTestCase):
    def test_it_follows_a_claim_moved_to_another_detainee(self):
        self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)
        ccdhrn = self.claim(self.ccdhrn, detainee=self.ferrer, status=Claim.Status.IMPRISONED)
        state = self.claim(self.state, detainee=self.unnamed, status=Claim.Status.EXILED)
        on_ferrer = self.only_conflict()

        self.move(ccdhrn, detainee=self.unnamed)

        on_ferrer.refresh_from_db()
        self.assertEqual(on_ferrer.status, Conflict.Status.LAPSED)
        on_unnamed = Conflict.objects.open().get()
        self.assertEqual((on_unnamed.claim_a, on_unnamed.claim_b), (ccdhrn, state))
        self.assertEqual(on_unnamed.detainee, self.unnamed)
        self.assertEqual(Conflict.objects.count(), 2)

    def test_it_reopens_the_old_row_when_a_claim_moves_back(self):
        self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)
        ccdhrn = self.claim(self.ccdhrn, detainee=self.ferrer, status=Claim.Status.IMPRISONED)
        self.claim(self.state, detainee=self.unnamed, status=Claim.Status.EXILED)
        on_ferrer = self.only_conflict()
        self.move(ccdhrn, detainee=self.unnamed)

        self.move(ccdhrn, detainee=self.ferrer)

        self.assertEqual(Conflict.objects.open().get().pk, on_ferrer.pk)
        self.assertEqual(Conflict.objects.count(), 2)

    def test_it_follows_a_claim_moved_to_another_topic(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        talks_go_ahead = self.claim(self.state, topic=self.talks)
        on_release = self.only_conflict()

        self.move(none, topic=self.talks)

        on_release.refresh_from_db()
        self.assertEqual(on_release.status, Conflict.Status.LAPSED)
        on_talks = Conflict.objects.open().get()
        self.assertEqual((on_talks.claim_a, on_talks.claim_b), (none, talks_go_ahead))
        self.assertEqual((on_talks.topic, on_talks.detainee), (self.talks, None))

    def test_it_moves_the_same_row_when_both_claims_of_a_pair_move(self):
        psaki = self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)
        ccdhrn = self.claim(self.ccdhrn, detainee=self.ferrer, status=Claim.Status.IMPRISONED)
        first = self.only_conflict()

        self.move(psaki, detainee=self.unnamed)
        self.move(ccdhrn, detainee=self.unnamed)

        conflict = self.only_conflict()
        self.assertEqual(conflict.pk, first.pk)
        self.assertEqual(conflict.status, Conflict.Status.OPEN)
        self.assertEqual(conflict.detainee, self.unnamed)

    def test_it_clears_the_supersession_of_a_claim_moved_away(self):
        monday = self.claim(self.psaki, detainee=self.ferrer, status="imprisoned", stated_on=MON)
        tuesday = self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)
        monday.refresh_from_db()
        self.assertEqual(monday.superseded_by, tuesday)

        self.move(tuesday, detainee=self.unnamed)

        monday.refresh_from_db()
        self.assertIsNone(monday.superseded_by)


class StaleInstanceTests(DetectionTestCase):
    def test_a_refreshed_instance_re_examines_the_variable_the_claim_moved_to_meanwhile(self):
        moving = self.claim(
            self.psaki, Claim.Stance.AFFIRMS, detainee=self.ferrer, status=Claim.Status.RELEASED
        )
        self.claim(
            self.ccdhrn, Claim.Stance.AFFIRMS, detainee=self.unnamed, status=Claim.Status.IMPRISONED
        )
        mine = Claim.objects.get(pk=moving.pk)
        # Someone else moves the claim onto the unnamed prisoner: a contradiction.
        self.move(moving, detainee=self.unnamed)
        self.assertEqual(Conflict.objects.open().count(), 1)

        mine.refresh_from_db()
        mine.detainee = self.ferrer
        mine.save()

        self.assertEqual(Conflict.objects.open().count(), 0)


# An approval's queries when it opens nothing (QueryTests): publication is one
# statement on PostgreSQL (Claim._publish_in_one_statement), four elsewhere.
APPROVAL_QUERIES = 9 if connection.vendor == "postgresql" else 12


class QueryTests(DetectionTestCase):
    def agreeing_claims(self, detainee: Detainee, n: int) -> None:
        """Store n approved claims from n sources that all say the detainee was released."""
        sources = Source.objects.bulk_create(
            Source(name=f"Witness {detainee.pk}-{i}", kind=Source.Kind.OTHER) for i in range(n)
        )
        # Straight to the table: agreeing claims need no detection to be consistent.
        Claim.objects.bulk_create(
            Claim(
                source=source,
                topic=self.release,
                detainee=detainee,
                stance=Claim.Stance.AFFIRMS,
                status=Claim.Status.RELEASED,
                quote="…",
                summary="Released",
                stated_on=TUE,
                state=Claim.State.APPROVED,
            )
            for source in sources
        )

    def approve_queries(self, claim: Claim) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            claim.approve(by=None)
        return [query["sql"] for query in ctx.captured_queries]

    def test_it_issues_as_many_queries_for_30_claims_on_a_variable_as_for_3(self):
        self.agreeing_claims(self.ferrer, 3)
        self.agreeing_claims(self.unnamed, 30)
        on_ferrer = self.claim(
            self.psaki, detainee=self.ferrer, status=Claim.Status.EXILED, approve=False
        )
        on_unnamed = self.claim(
            self.psaki, detainee=self.unnamed, status=Claim.Status.EXILED, approve=False
        )

        few, many = self.approve_queries(on_ferrer), self.approve_queries(on_unnamed)

        self.assertEqual(len(few), len(many), "\n".join(many))
        # SAVEPOINT (Claim.save), UPDATE claim (its state only), INSERT claim
        # history, UPDATE topic, detainee and source to published (the rows
        # not yet published: docs/publication.md) and SELECT the source's
        # affiliation (on PostgreSQL all four in one statement), SELECT topic,
        # SELECT claims of its source and inside its window on the variable,
        # SELECT their conflicts, SELECT the active watches of its topic,
        # detainee and speaker (watching.events; nobody watches here, so
        # nothing more), RELEASE SAVEPOINT.
        self.assertEqual(len(many), APPROVAL_QUERIES, "\n".join(many))

    def test_it_writes_two_rows_for_each_new_conflict(self):
        self.agreeing_claims(self.ferrer, 3)
        imprisoned = self.claim(
            self.psaki, detainee=self.ferrer, status=Claim.Status.IMPRISONED, approve=False
        )

        queries = self.approve_queries(imprisoned)

        # The approval's queries above and per conflict an INSERT of the row and one of its
        # history (a pair that moved in from another variable was read with
        # the claim's conflicts). The conflicts' watchers are looked up with
        # the approval's, in the same SELECT.
        self.assertEqual(len(queries), APPROVAL_QUERIES + 2 * 3, "\n".join(queries))
        self.assertEqual(Conflict.objects.count(), 3)

    def test_it_never_reads_claims_on_other_variables(self):
        self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)
        self.claim(self.ccdhrn, topic=self.talks)
        some = self.claim(self.ccdhrn, lo=1, hi=53)
        none = self.claim(self.psaki, Claim.Stance.DENIES, approve=False)

        queries = self.approve_queries(none)

        self.assertEqual(
            list(Conflict.objects.open().values_list("claim_a", "claim_b")),
            [tuple(sorted((some.pk, none.pk)))],
        )
        reads = {"claims_claim": [], "claims_conflict": []}
        for sql in queries:
            for table, wheres in reads.items():
                if sql.startswith("SELECT") and f'FROM "{table}"' in sql:
                    wheres.append(sql.partition(" WHERE ")[2])

        def on_release(table: str) -> str:
            """The WHERE clause's start: the variable, before any further condition."""
            return f'("{table}"."detainee_id" IS NULL AND "{table}"."topic_id" = {self.release.pk}'

        # One read of the claims, filtered on the variable: the approved
        # claims of its source there and the current ones inside its window
        # (detection.claim_added: an approval compares the one claim).
        (on_claims,) = reads["claims_claim"]
        self.assertTrue(on_claims.startswith(on_release("claims_claim")), on_claims)
        self.assertIn('"claims_claim"."superseded_by_id" IS NULL', on_claims)
        self.assertIn(f'"claims_claim"."source_id" = {none.source_id}', on_claims)
        # One read of conflicts: those of the approved claim, wherever they
        # lie (a pair that moved in from another variable), looked up by
        # claim, and the variable's resolutions that record a true value.
        (by_claim,) = reads["claims_conflict"]
        self.assertTrue(
            by_claim.startswith(f'("claims_conflict"."claim_a_id" IN ({none.pk})'), by_claim
        )
        self.assertIn(f'"claims_conflict"."topic_id" = {self.release.pk}', by_claim)
        self.assertIn('"claims_conflict"."status" = \'resolved\'', by_claim)


class HistoryTests(DetectionTestCase):
    def test_it_records_each_transition_of_a_conflict_with_its_reason(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        none.retract(by=self.mona, reason="Misquoted.")
        none.restore(by=self.mona)
        self.claim(self.ccdhrn, lo=1, hi=53, stated_on=WED)

        history = self.only_conflict().history.order_by("history_date", "history_id")
        self.assertEqual(
            [(h.status, h.history_change_reason) for h in history],
            [
                ("open", "Flagged by detection."),
                (
                    "lapsed",
                    "The claims no longer conflict: one was retracted, rejected or changed.",
                ),
                ("open", "The claims conflict again."),
                ("superseded", "A later statement of the same source updates one claim."),
            ],
        )

    def test_it_records_who_closed_a_conflict_and_why(self):
        self.claim(self.psaki, lo=1, hi=53)
        self.claim(self.ccdhrn, Claim.Stance.DENIES)

        self.dismiss(self.only_conflict())

        latest = self.only_conflict().history.latest()
        self.assertEqual(latest.status, Conflict.Status.DISMISSED)
        self.assertEqual(latest.history_change_reason, "Dismissed: Checked with both sources.")
        self.assertEqual(latest.status_changed_by, self.mona)

    def test_it_records_who_approved_a_claim_and_why(self):
        claim = self.claim(self.psaki, lo=1, hi=53)

        latest = claim.history.latest()
        self.assertEqual(latest.state, Claim.State.APPROVED)
        self.assertEqual(latest.history_change_reason, "Approved: Checked against the transcript.")
        self.assertEqual(latest.history_user, self.mona)


class RecomputeCommandTests(DetectionTestCase):
    def recompute(self) -> str:
        out = StringIO()
        call_command("recompute_conflicts", stdout=out)
        return out.getvalue()

    def test_it_reports_no_changes_when_detection_kept_up(self):
        self.claim(self.psaki, lo=1, hi=53)
        self.claim(self.ccdhrn, Claim.Stance.DENIES)
        self.claim(self.psaki, detainee=self.ferrer, status=Claim.Status.RELEASED)

        self.assertEqual(self.recompute(), "No changes.\nExamined 2 variables.\n")

    def test_it_reports_no_changes_on_an_empty_database(self):
        self.assertEqual(self.recompute(), "No changes.\nExamined 0 variables.\n")

    def test_it_flags_what_a_bulk_load_left_unexamined(self):
        def approved(source: Source, stance: str, stated_on: date) -> Claim:
            return Claim(
                source=source,
                topic=self.release,
                stance=stance,
                quote="…",
                summary=stance,
                stated_on=stated_on,
                state=Claim.State.APPROVED,
            )

        # bulk_create skips Claim.save, so detection never saw these.
        Claim.objects.bulk_create(
            [
                approved(self.psaki, Claim.Stance.NO_INFORMATION, MON),
                approved(self.psaki, Claim.Stance.AFFIRMS, TUE),
                approved(self.ccdhrn, Claim.Stance.NO_INFORMATION, TUE),
                approved(self.state, Claim.Stance.DENIES, TUE),
            ]
        )

        # Nor kept who speaks on the topic (claims/speakers.py): three sources' rows.
        self.assertEqual(
            self.recompute(),
            "opened: 3\nsupersession changed: 1\nspeakers changed: 3\nExamined 1 variable.\n",
        )
        self.assertEqual(Conflict.objects.open().count(), 3)
        self.assertEqual(self.recompute(), "No changes.\nExamined 1 variable.\n")

    def test_it_closes_what_a_bulk_edit_left_open(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        # update() skips Claim.save, as a data fix in the shell would.
        Claim.objects.filter(pk=none.pk).update(state=Claim.State.RETRACTED)

        # The retracted claim's source no longer speaks on the topic: its row goes.
        self.assertEqual(self.recompute(), "lapsed: 1\nspeakers changed: 1\nExamined 1 variable.\n")
        self.assertEqual(self.only_conflict().status, Conflict.Status.LAPSED)
        self.assertEqual(self.recompute(), "No changes.\nExamined 1 variable.\n")

    def test_it_returns_the_changes_and_the_variables_examined(self):
        self.claim(self.psaki, lo=1, hi=53)
        none = self.claim(self.ccdhrn, Claim.Stance.DENIES)
        Conflict.objects.filter(claim_b=none).update(status=Conflict.Status.LAPSED)

        result = detection.recompute_all()

        self.assertEqual(dict(result.changes), {"reopened": 1})
        self.assertEqual(result.variables, 1)
