"""
Reopening a conflict a person closed gives it the state the rules give it:
a pair whose claim was retracted or superseded since is refused, on the web
and in the API, and nothing changes; the full recompute then has nothing to do.
"""

import json
from collections import Counter
from datetime import date

from django.test import TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims import detection
from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class ReopenTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)
        cls.gap.resolve(
            by=cls.moderator,
            outcome=Conflict.Outcome.A_RIGHT,
            rationale="The list came out.",
            evidence_url="https://example.org/list",
        )

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def reopen_on_the_web(self):
        return self.client.post(
            reverse("claims:conflict_reopen", args=[self.gap.pk]),
            {"reason": "New evidence"},
            follow=True,
        )

    def reopen_through_the_api(self):
        token, _ = Token.objects.get_or_create(user=self.moderator)
        return self.client.post(
            reverse("api:conflict-reopen", args=[self.gap.pk]),
            json.dumps({"reason": "New evidence"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )

    def supersede_no_information(self) -> Claim:
        return self.claim(
            self.sanchez,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=1,
            quantity_max=53,
            quote="Some have been released, we now know",
            summary="Some released",
            stated_on=date(2015, 1, 8),
        )

    def assert_unchanged(self) -> None:
        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.RESOLVED)
        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_it_reopens_a_pair_that_still_conflicts(self):
        page = self.reopen_on_the_web()

        self.assertContains(page, "reopened: it needs a decision")
        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.OPEN)
        self.assertEqual(detection.recompute_all().changes, Counter())

    def test_the_web_refuses_to_reopen_a_pair_with_a_retracted_claim(self):
        self.no_information.retract(by=self.moderator, reason="Misquoted")

        page = self.reopen_on_the_web()

        self.assertContains(
            page,
            f"Conflict #{self.gap.pk} cannot be reopened: claim #{self.no_information.pk} "
            "is retracted. Nothing was changed.",
        )
        self.assert_unchanged()

    def test_the_api_refuses_to_reopen_a_pair_with_a_superseded_claim(self):
        update = self.supersede_no_information()

        response = self.reopen_through_the_api()

        self.assertEqual(response.status_code, 409)
        self.assertEqual(
            response.json()["detail"],
            f"Conflict #{self.gap.pk} cannot be reopened: claim #{self.no_information.pk} is "
            f"superseded by a later statement of its source (#{update.pk}). Nothing was changed.",
        )
        self.assert_unchanged()

    def test_the_api_refuses_to_reopen_a_pair_with_a_retracted_claim(self):
        self.some_released.retract(by=self.moderator, reason="Misquoted")

        response = self.reopen_through_the_api()

        self.assertEqual(response.status_code, 409)
        self.assertIn(f"claim #{self.some_released.pk} is retracted", response.json()["detail"])
        self.assert_unchanged()
