"""
Four eyes: nobody approves, or resolves or dismisses a conflict about, a claim
they created or last edited (settings.REQUIRE_SECOND_PAIR_OF_EYES, on by
default), on the web, in bulk, in the API, on import and in the admin.
"""

import json
from datetime import date

from django.contrib.messages import get_messages
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim, Conflict, SecondPairOfEyesError
from tests.cast import JanuaryCast
from tests.roles import RoleCast, user_in


class FourEyesCase(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.second_moderator = user_in("otto", "Moderator", first_name="Otto", last_name="Second")
        cls.own = Claim.objects.create(
            source=cls.rubio,
            topic=cls.release,
            kind=Claim.Kind.POSITION,
            quote="Cancel the talks",
            summary="Talks should wait",
            stated_on=date(2015, 1, 7),
            created_by=cls.moderator,
            state=Claim.State.PENDING,
        )

    def approve_url(self, claim: Claim) -> str:
        return reverse("claims:claim_approve", args=[claim.pk])


class ApprovalTests(FourEyesCase):
    def test_a_moderator_cannot_approve_their_own_claim_and_is_told_who_can(self):
        self.client.force_login(self.moderator)

        response = self.client.post(self.approve_url(self.own), {"reason": "Mine"})

        self.assertContains(response, "You wrote or last edited claim", status_code=403)
        self.assertContains(response, "Otto Second", status_code=403)
        self.own.refresh_from_db()
        self.assertEqual(self.own.state, Claim.State.PENDING)

    def test_a_second_moderator_may_approve_it(self):
        self.client.force_login(self.second_moderator)

        response = self.client.post(self.approve_url(self.own), {"reason": "Checked"})

        self.assertEqual(response.status_code, 302)
        self.own.refresh_from_db()
        self.assertEqual(self.own.state, Claim.State.APPROVED)

    def test_the_moderator_who_last_edited_an_editors_claim_cannot_approve_it(self):
        claim = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="Wait",
            summary="Wait",
            stated_on=date(2015, 1, 7),
            created_by=self.editor,
            state=Claim.State.PENDING,
        )
        claim.summary = "Talks should wait until all are free"
        claim._history_user = self.second_moderator
        claim.save()

        with self.assertRaises(SecondPairOfEyesError):
            claim.approve(by=self.second_moderator)
        claim.approve(by=self.moderator)
        self.assertEqual(claim.state, Claim.State.APPROVED)

    def test_bulk_approval_leaves_the_moderators_own_claims_pending_and_says_why(self):
        self.client.force_login(self.moderator)

        response = self.client.post(
            reverse("claims:claims_bulk_approve"), {"claims": [self.own.pk]}
        )

        self.assertEqual(response.status_code, 302)
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertTrue(any("Otto Second" in t and "left pending" in t for t in texts), texts)
        self.own.refresh_from_db()
        self.assertEqual(self.own.state, Claim.State.PENDING)

    def test_the_api_refuses_with_403_naming_who_can(self):
        self.client.force_login(self.moderator)

        response = self.client.post(
            reverse("api:claim-approve", args=[self.own.pk]),
            json.dumps({}),
            content_type="application/json",
        )

        self.assertEqual(response.status_code, 403)
        self.assertIn("Otto Second", response.json()["detail"])

    def test_the_admin_action_refuses_it_and_never_approves_a_retracted_claim(self):
        self.client.force_login(self.admin)
        self.own.created_by = self.admin
        self.own.save()
        retracted = self.demand
        retracted.retract(by=self.moderator, reason="Misquoted")

        self.client.post(
            reverse("admin:claims_claim_changelist"),
            {"action": "approve_selected", "_selected_action": [self.own.pk, retracted.pk]},
        )

        self.own.refresh_from_db()
        retracted.refresh_from_db()
        self.assertEqual(self.own.state, Claim.State.PENDING)
        self.assertEqual(retracted.state, Claim.State.RETRACTED)

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)
    def test_a_one_person_newsroom_may_turn_it_off(self):
        self.client.force_login(self.moderator)

        response = self.client.post(self.approve_url(self.own), {"reason": "Alone here"})

        self.assertEqual(response.status_code, 302)
        self.own.refresh_from_db()
        self.assertEqual(self.own.state, Claim.State.APPROVED)


class ConflictTests(FourEyesCase):
    def setUp(self) -> None:
        # The moderator corrects the wording of one side of the gap.
        self.some_released.summary = "Some of the 53 have been released"
        self.some_released._history_user = self.moderator
        self.some_released.save()
        self.gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

    def test_a_moderator_cannot_resolve_or_dismiss_a_conflict_about_a_claim_they_edited(self):
        self.client.force_login(self.moderator)
        resolve = reverse("claims:conflict_resolve", args=[self.gap.pk])
        dismiss = reverse("claims:conflict_dismiss", args=[self.gap.pk])

        resolved = self.client.post(
            resolve, {"outcome": Conflict.Outcome.A_RIGHT, "rationale": "The list"}
        )
        dismissed = self.client.post(dismiss, {"reason": "Not real"})
        api = self.client.post(
            reverse("api:conflict-resolve", args=[self.gap.pk]),
            json.dumps({"outcome": Conflict.Outcome.A_RIGHT, "rationale": "The list"}),
            content_type="application/json",
        )

        self.assertEqual([resolved.status_code, dismissed.status_code, api.status_code], [403] * 3)
        self.assertContains(resolved, "Otto Second", status_code=403)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)

    def test_a_second_moderator_may_resolve_it(self):
        self.client.force_login(self.second_moderator)

        response = self.client.post(
            reverse("claims:conflict_resolve", args=[self.gap.pk]),
            {
                "outcome": Conflict.Outcome.A_RIGHT,
                "rationale": "The list",
                "evidence_url": "https://example.org/list",
            },
        )

        self.assertEqual(response.status_code, 302)
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.RESOLVED)


class VerdictHistoryTests(FourEyesCase):
    def test_a_resolution_giving_a_verdict_appears_in_the_claims_history(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

        gap.resolve(by=self.moderator, outcome=Conflict.Outcome.A_RIGHT, rationale="The list")

        record = self.some_released.history.latest()
        self.assertEqual(record.verdict, Claim.Verdict.CONFIRMED)
        self.assertEqual(record.history_user, self.moderator)
        self.assertIn(f"resolved conflict #{gap.pk}", record.history_change_reason)
        self.client.force_login(self.reader)
        page = self.client.get(reverse("history", args=["claim", self.some_released.pk]))
        self.assertContains(page, "Verdict: Confirmed")


class TopicRuleEditTests(FourEyesCase):
    def test_a_window_edit_records_who_closed_the_conflicts_it_closes_and_why(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        Claim.objects.filter(pk=self.no_information.pk).update(as_of=date(2014, 12, 20))
        self.client.force_login(self.editor)
        topic = self.release
        topic.window_days = 3
        topic._history_user = self.editor

        topic.save()

        gap.refresh_from_db()
        self.assertNotEqual(gap.status, Conflict.Status.OPEN)
        self.assertEqual(gap.status_changed_by, self.editor)
        self.assertEqual(
            topic.history.latest().history_change_reason,
            "Comparison rules changed: window days 7 → 3",
        )
