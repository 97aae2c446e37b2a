"""
Reasons of REASON_MAX_LENGTH characters are kept whole, in the record and in
its history, on SQLite and on PostgreSQL (whose history column was 100
characters: a longer reason answered 500), through the web and the API; one
character more is refused with the limit named.
"""

import json

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.models import Claim, Conflict
from crosscheck.text import REASON_MAX_LENGTH
from tests.cast import JanuaryCast
from tests.roles import RoleCast

LONG = ("The list published by the State Department names each prisoner. " * 100)[
    :REASON_MAX_LENGTH
]


class LongReasonTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def api_post(self, name: str, pk: int, body: dict):
        token, _ = Token.objects.get_or_create(user=self.moderator)
        return self.client.post(
            reverse(f"api:{name}", args=[pk]),
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )

    def resolve(self) -> None:
        self.client.post(
            reverse("claims:conflict_resolve", args=[self.gap.pk]),
            {"outcome": "a_right", "rationale": LONG, "evidence_url": "https://example.org/l"},
        )

    def assert_kept(self, record, field: str) -> None:
        record.refresh_from_db()
        self.assertEqual(getattr(record, field), LONG)
        self.assertTrue(record.history.first().history_change_reason.endswith(LONG))

    def test_the_limit_is_at_least_five_thousand_characters(self):
        self.assertGreaterEqual(REASON_MAX_LENGTH, 5000)
        self.assertEqual(len(LONG), REASON_MAX_LENGTH)

    def test_it_resolves_with_a_rationale_of_the_longest_length(self):
        self.resolve()

        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.RESOLVED)
        self.assert_kept(self.gap, "status_reason")

    def test_it_dismisses_with_the_longest_reason(self):
        self.client.post(reverse("claims:conflict_dismiss", args=[self.gap.pk]), {"reason": LONG})

        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.DISMISSED)
        self.assert_kept(self.gap, "status_reason")

    def test_it_reopens_with_the_longest_reason(self):
        self.resolve()
        self.client.post(reverse("claims:conflict_reopen", args=[self.gap.pk]), {"reason": LONG})

        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.OPEN)
        self.assert_kept(self.gap, "status_reason")

    def test_it_retracts_with_the_longest_reason(self):
        self.client.post(
            reverse("claims:claim_retract", args=[self.no_information.pk]), {"reason": LONG}
        )

        self.assertEqual(Claim.objects.get(pk=self.no_information.pk).state, Claim.State.RETRACTED)
        self.assert_kept(self.no_information, "state_reason")

    def test_it_hides_a_note_with_the_longest_reason(self):
        self.client.post(reverse("claims:note_hide", args=[self.psaki_note.pk]), {"reason": LONG})

        self.assert_kept(self.psaki_note, "hidden_reason")

    def test_the_api_resolves_dismisses_and_reopens_with_the_longest_reasons(self):
        resolved = self.api_post(
            "conflict-resolve",
            self.gap.pk,
            {"outcome": "a_right", "rationale": LONG, "evidence_url": "https://example.org/l"},
        )
        reopened = self.api_post("conflict-reopen", self.gap.pk, {"reason": LONG})
        dismissed = self.api_post("conflict-dismiss", self.gap.pk, {"reason": LONG})

        self.assertEqual(
            [resolved.status_code, reopened.status_code, dismissed.status_code], [200, 200, 200]
        )
        self.assert_kept(self.gap, "status_reason")

    def test_the_api_retracts_and_hides_with_the_longest_reasons(self):
        retracted = self.api_post("claim-retract", self.no_information.pk, {"reason": LONG})
        hidden = self.api_post("note-hide", self.psaki_note.pk, {"reason": LONG})

        self.assertEqual([retracted.status_code, hidden.status_code], [200, 200])
        self.assert_kept(self.no_information, "state_reason")
        self.assert_kept(self.psaki_note, "hidden_reason")

    def test_one_character_more_is_refused_naming_the_limit(self):
        response = self.api_post("conflict-dismiss", self.gap.pk, {"reason": LONG + "."})
        page = self.client.post(
            reverse("claims:conflict_dismiss", args=[self.gap.pk]), {"reason": LONG + "."}
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("5000", response.json()["reason"][0])
        self.assertContains(page, "at most 5000 characters", status_code=page.status_code)
        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.OPEN)

    def test_the_model_refuses_a_longer_reason_too(self):
        with self.assertRaises(ValidationError) as refused:
            self.no_information.retract(by=self.moderator, reason=LONG + ".")

        self.assertIn("state_reason", refused.exception.message_dict)
        self.assertEqual(Claim.objects.get(pk=self.no_information.pk).state, Claim.State.APPROVED)
