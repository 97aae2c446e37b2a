from datetime import date, timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast

TO_DECIDE = reverse("claims:moderation_conflicts")
EVIDENCE = "https://www.state.gov/briefing-2015-01-12"


class ReconciliationTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # The gap: Psaki "some released" (A) against Sanchez "no information" (B).
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def post(self, name: str, conflict=None, **data):
        return self.client.post(reverse(name, args=[(conflict or self.gap).pk]), data)

    def resolve(self, conflict=None, **data):
        data.setdefault("outcome", Conflict.Outcome.A_RIGHT)
        data.setdefault("rationale", "The Jan 12 list names 53 released.")
        data.setdefault("evidence_url", EVIDENCE)
        return self.post("claims:conflict_resolve", conflict, **data)

    def record(self, source: Source) -> Source:
        return Source.objects.with_record().get(pk=source.pk)

    def test_it_lists_open_conflicts_oldest_first_side_by_side_with_both_records(self):
        other_topic = Topic.objects.create(title="Talks", question="Will talks go ahead?")
        self.claim(self.psaki, topic=other_topic, stance="affirms", quote="yes", summary="Yes")
        self.claim(self.sanchez, topic=other_topic, stance="denies", quote="no", summary="No")
        newer = Conflict.objects.get(topic=other_topic)
        Conflict.objects.filter(pk=newer.pk).update(opened_at=timezone.now() + timedelta(1))

        response = self.client.get(TO_DECIDE)

        items = response.context["items"]
        self.assertEqual([i["conflict"] for i in items], [self.gap, newer])
        self.assertEqual(items[0]["record_a"], self.psaki)
        self.assertEqual(items[0]["record_b"], self.sanchez)
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "We don&#x27;t have any information up to now")
        self.assertContains(response, "Reliability = (confirmed + 1) ÷ (confirmed + refuted + 2)")
        self.assertContains(response, "A is right: Jen Psaki, “Some of the 53 released”")

    def test_it_leaves_out_conflicts_already_decided(self):
        self.resolve()

        response = self.client.get(TO_DECIDE)

        self.assertEqual(response.context["items"], [])
        self.assertContains(response, "No open conflicts need a decision.")

    def test_resolving_records_outcome_rationale_evidence_and_who(self):
        response = self.resolve()

        self.assertRedirects(response, self.gap.get_absolute_url(), fetch_redirect_response=False)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.RESOLVED)
        self.assertEqual(self.gap.outcome, Conflict.Outcome.A_RIGHT)
        self.assertEqual(self.gap.status_reason, "The Jan 12 list names 53 released.")
        self.assertEqual(self.gap.evidence_url, EVIDENCE)
        self.assertEqual(self.gap.status_changed_by, self.moderator)
        self.assertEqual(self.gap.history.first().history_user, self.moderator)

    def test_a_right_confirms_a_and_leaves_no_information_unverified(self):
        self.resolve(outcome=Conflict.Outcome.A_RIGHT)

        self.some_released.refresh_from_db()
        self.no_information.refresh_from_db()
        self.assertEqual(self.some_released.verdict, Claim.Verdict.CONFIRMED)
        self.assertEqual(self.no_information.verdict, Claim.Verdict.UNVERIFIED)

    def test_the_outcome_changes_the_sources_record(self):
        before = self.record(self.psaki)
        self.assertEqual((before.confirmed_count, before.open_conflict_count), (0, 1))

        self.resolve(outcome=Conflict.Outcome.A_RIGHT)

        after = self.record(self.psaki)
        self.assertEqual((after.confirmed_count, after.open_conflict_count), (1, 0))
        self.assertGreater(after.reliability, before.reliability)

    def test_b_right_refutes_a_claim_that_asserted_something(self):
        none_released = self.claim(
            self.ccdhrn,
            stance=Claim.Stance.DENIES,
            quantity_min=1,
            quantity_max=53,
            quote="Nobody was freed",
            summary="None released",
        )
        contradiction = Conflict.objects.get(claim_a=self.some_released, claim_b=none_released)

        self.resolve(contradiction, outcome=Conflict.Outcome.B_RIGHT)

        self.some_released.refresh_from_db()
        none_released.refresh_from_db()
        self.assertEqual(self.some_released.verdict, Claim.Verdict.REFUTED)
        self.assertEqual(none_released.verdict, Claim.Verdict.CONFIRMED)
        self.assertEqual(self.record(self.psaki).refuted_count, 1)

    def test_both_partly_right_and_cannot_be_resolved_leave_both_unverified(self):
        self.resolve(outcome=Conflict.Outcome.UNRESOLVABLE, evidence_url="")

        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.RESOLVED)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.verdict, Claim.Verdict.UNVERIFIED)

    def test_it_needs_an_outcome_and_a_rationale(self):
        response = self.resolve(outcome="", rationale="  ")

        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.context["resolve_form"].errors), {"outcome", "rationale"})
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)

    def test_it_needs_evidence_for_an_outcome_that_gives_verdicts(self):
        response = self.resolve(outcome=Conflict.Outcome.BOTH_PARTLY, evidence_url="")

        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Link the evidence for this outcome", status_code=400)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)

    def test_it_accepts_only_http_evidence_links(self):
        for url in ["javascript:alert(1)", "ftp://example.org/file", "file:///etc/passwd"]:
            with self.subTest(url):
                response = self.resolve(evidence_url=url)

                self.assertEqual(response.status_code, 400)
                self.assertIn("evidence_url", response.context["resolve_form"].errors)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)

    def test_a_replayed_resolution_has_no_double_effect(self):
        self.resolve()
        records = self.gap.history.count()

        response = self.resolve(outcome=Conflict.Outcome.B_RIGHT)

        self.assertRedirects(
            response,
            reverse("claims:conflict_decide", args=[self.gap.pk]),
            fetch_redirect_response=False,
        )
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.outcome, Conflict.Outcome.A_RIGHT)
        self.assertEqual(self.gap.history.count(), records)

    def test_dismissing_needs_a_reason_and_gives_no_verdicts(self):
        response = self.post("claims:conflict_dismiss", reason="")
        self.assertEqual(response.status_code, 400)

        self.post("claims:conflict_dismiss", reason="Different periods: not a real conflict")

        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.DISMISSED)
        self.assertEqual(self.gap.status_reason, "Different periods: not a real conflict")
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.verdict, "")

    def test_reopening_is_explicit_recorded_and_clears_the_verdicts(self):
        self.resolve()

        response = self.post("claims:conflict_reopen", reason="New list contradicts it")

        self.assertRedirects(
            response,
            reverse("claims:conflict_decide", args=[self.gap.pk]),
            fetch_redirect_response=False,
        )
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)
        self.assertEqual(self.gap.status_reason, "New list contradicts it")
        self.assertEqual(self.gap.status_changed_by, self.moderator)
        self.assertEqual(
            self.gap.history.first().history_change_reason, "Open: New list contradicts it"
        )
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.verdict, "")

    def test_reopening_needs_a_reason(self):
        self.resolve()

        response = self.post("claims:conflict_reopen", reason="")

        self.assertEqual(response.status_code, 400)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.RESOLVED)

    def test_an_open_conflict_cannot_be_reopened(self):
        response = self.post("claims:conflict_reopen", reason="Why not")

        self.assertEqual(response.status_code, 302)
        message = list(response.wsgi_request._messages)[-1]
        self.assertIn("cannot be reopened now, and nothing was changed", str(message))

    def test_the_decision_page_offers_what_the_state_allows(self):
        page = reverse("claims:conflict_decide", args=[self.gap.pk])
        self.assertContains(self.client.get(page), "Resolve</legend>")

        self.resolve()

        response = self.client.get(page)
        self.assertNotContains(response, "Resolve</legend>")
        self.assertContains(response, "Reopen</legend>")

    def test_its_actions_refuse_get(self):
        for name in [
            "claims:conflict_resolve",
            "claims:conflict_dismiss",
            "claims:conflict_reopen",
        ]:
            with self.subTest(name):
                response = self.client.get(reverse(name, args=[self.gap.pk]))
                self.assertEqual(response.status_code, 405)

    def test_an_editor_cannot_resolve(self):
        self.client.force_login(self.editor)

        self.assertEqual(self.resolve().status_code, 403)
        self.assertEqual(self.client.get(TO_DECIDE).status_code, 403)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)


class DecisionListQueryCountTests(RoleCast, JanuaryCast, TestCase):
    def add_conflicts(self, n: int) -> None:
        claims = Claim.objects.bulk_create(
            Claim(
                source=self.psaki if i % 2 == 0 else self.sanchez,
                topic=self.release,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.AFFIRMS if i % 2 == 0 else Claim.Stance.NO_INFORMATION,
                quantity_min=1 if i % 2 == 0 else None,
                quantity_max=53 if i % 2 == 0 else None,
                quote=f"Claim {i}",
                summary=f"Claim {i}",
                stated_on=date(2015, 1, 6),
                state=Claim.State.APPROVED,
            )
            for i in range(2 * n)
        )
        Conflict.objects.bulk_create(
            Conflict(
                claim_a=claims[2 * i],
                claim_b=claims[2 * i + 1],
                topic=self.release,
                kind=Conflict.Kind.GAP,
            )
            for i in range(n)
        )

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_conflicts(self):
        # 1. session, 2. user, 3.-4. the user's and the groups' permissions,
        # 5. count of open conflicts, 6. a page of them joined to both
        # claims, their sources, affiliations, topics, detainees and
        # documents, 7.-10. the visible notes of the A and B sources and of
        # their affiliations, 11. the track record of every source on the page,
        # 12. the header's unread notifications (watching/).
        self.client.force_login(self.moderator)
        self.add_conflicts(9)
        with self.assertNumQueries(12):
            self.client.get(TO_DECIDE)

        self.add_conflicts(190)
        with self.assertNumQueries(12):
            response = self.client.get(TO_DECIDE)
        self.assertEqual(len(response.context["items"]), 25)


class BulkDecisionTests(RoleCast, JanuaryCast, TestCase):
    """One new claim opens a conflict with each other source: decide them together."""

    url = reverse("claims:conflicts_bulk_decide")

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.cubaminrex = Source.objects.create(name="Cuban Foreign Ministry", kind="government")
        cls.granma = Source.objects.create(name="Granma", kind="media")
        # "None released" from two more sources: each contradicts Psaki's "some released".
        for source in (cls.cubaminrex, cls.granma):
            cls.claim(source, stance="denies", quote=f"{source.name}: none", summary="None")
        cls.conflicts = list(Conflict.objects.filter(claim_a=cls.some_released).order_by("pk"))

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def decide(self, ticked, **data):
        data.setdefault("conflicts", [c.pk for c in ticked])
        return self.client.post(self.url, data)

    def test_it_resolves_the_ticked_conflicts_alike_each_in_its_own_history(self):
        self.assertEqual(len(self.conflicts), 3)
        ticked, left = self.conflicts[:2], self.conflicts[2]

        response = self.decide(
            ticked,
            decision="resolve",
            outcome=Conflict.Outcome.A_RIGHT,
            rationale="The Jan 12 list names 53 released.",
            evidence_url=EVIDENCE,
        )

        self.assertRedirects(response, TO_DECIDE, fetch_redirect_response=False)
        for conflict in ticked:
            conflict.refresh_from_db()
            self.assertEqual(conflict.status, Conflict.Status.RESOLVED)
            self.assertEqual(conflict.outcome, Conflict.Outcome.A_RIGHT)
            self.assertEqual(conflict.status_reason, "The Jan 12 list names 53 released.")
            latest = conflict.history.first()
            self.assertEqual(
                (latest.status, latest.history_user), (Conflict.Status.RESOLVED, self.moderator)
            )
            self.assertEqual(conflict.history.count(), 2)  # opened, then resolved
        left.refresh_from_db()
        self.assertEqual(left.status, Conflict.Status.OPEN)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.verdict, Claim.Verdict.CONFIRMED)

    def test_it_dismisses_the_ticked_conflicts_with_one_reason(self):
        self.decide(self.conflicts, decision="dismiss", rationale="Different questions.")

        ticked = Conflict.objects.filter(pk__in=[c.pk for c in self.conflicts])
        self.assertEqual(
            set(ticked.values_list("status", "status_reason")),
            {(Conflict.Status.DISMISSED, "Different questions.")},
        )

    def test_it_changes_nothing_without_an_outcome_evidence_or_reason(self):
        for data in (
            {"decision": "resolve", "rationale": "Because."},
            {"decision": "resolve", "outcome": Conflict.Outcome.A_RIGHT, "rationale": "Because."},
            {"decision": "dismiss", "rationale": ""},
            {"decision": "resolve", "outcome": "both_partly", "rationale": "x", "conflicts": []},
        ):
            with self.subTest(data=data):
                self.decide(self.conflicts, **data)
                self.assertFalse(Conflict.objects.exclude(status=Conflict.Status.OPEN).exists())

    def test_it_leaves_a_conflict_already_decided_as_it_was(self):
        first = self.conflicts[0]
        first.dismiss(by=self.moderator, reason="Not real.")

        response = self.decide(
            self.conflicts,
            decision="resolve",
            outcome=Conflict.Outcome.UNRESOLVABLE,
            rationale="Too early to say.",
        )

        first.refresh_from_db()
        self.assertEqual(first.status, Conflict.Status.DISMISSED)
        self.assertEqual(Conflict.objects.filter(status=Conflict.Status.RESOLVED).count(), 2)
        shown = [str(m) for m in response.wsgi_request._messages]
        self.assertIn("1 of the ticked conflicts was no longer open and left as they were.", shown)

    def test_the_conflicts_page_offers_the_bulk_form_and_a_tick_per_conflict(self):
        response = self.client.get(TO_DECIDE)

        self.assertContains(response, 'id="bulk-decide"')
        for conflict in self.conflicts:
            self.assertContains(response, f'id="tick-conflict-{conflict.pk}" form="bulk-decide"')

    def test_only_a_moderator_may_decide_in_bulk(self):
        self.client.force_login(self.editor)
        response = self.decide(self.conflicts, decision="dismiss", rationale="x")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Conflict.objects.exclude(status=Conflict.Status.OPEN).exists())

    def test_it_leaves_open_for_another_moderator_a_conflict_on_a_claim_they_wrote(self):
        mine, *others = self.conflicts
        Claim.objects.filter(pk=mine.claim_b_id).update(created_by=self.moderator)

        response = self.decide(self.conflicts, decision="dismiss", rationale="Not real.")

        mine.refresh_from_db()
        self.assertEqual(mine.status, Conflict.Status.OPEN)
        self.assertEqual(
            Conflict.objects.filter(
                pk__in=[c.pk for c in others], status=Conflict.Status.DISMISSED
            ).count(),
            len(others),
        )
        shown = [str(m) for m in response.wsgi_request._messages]
        self.assertTrue(
            any(
                m.startswith(f"Left open: You wrote or last edited claim #{mine.claim_b_id}")
                for m in shown
            ),
            shown,
        )

    def test_a_tick_that_is_no_id_is_refused_and_nothing_changes(self):
        for bad in ("²", "١", "-1", "1.5"):
            with self.subTest(bad=bad):
                response = self.decide(
                    [], conflicts=[self.conflicts[0].pk, bad], decision="dismiss", rationale="x"
                )
                self.assertEqual(response.status_code, 400)
                self.assertFalse(Conflict.objects.exclude(status=Conflict.Status.OPEN).exists())
