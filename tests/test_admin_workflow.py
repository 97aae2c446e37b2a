"""The admin follows the workflow: versions checked, no direct state edits, no deleting."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class ClaimAdminTests(RoleCast, JanuaryCast, TestCase):
    def change_url(self, claim: Claim) -> str:
        return reverse("admin:claims_claim_change", args=[claim.pk])

    def form_data(self, claim: Claim, **changes) -> dict:
        data = {
            "source": claim.source_id,
            "topic": claim.topic_id,
            "detainee": "",
            "kind": claim.kind,
            "stance": claim.stance,
            "quantity_min": claim.quantity_min if claim.quantity_min is not None else "",
            "quantity_max": claim.quantity_max if claim.quantity_max is not None else "",
            "status": "",
            "quote": claim.quote,
            "summary": claim.summary,
            "stated_on": claim.stated_on.isoformat(),
            "as_of": "",
            "document": claim.document_id or "",
            "citation_url": "",
            "language": claim.language,
            "created_by": "",
            "expected_version": claim.version,
        }
        data.update(changes)
        return data

    def test_it_refuses_to_save_over_a_change_made_since_the_form_was_opened(self):
        self.client.force_login(self.admin)
        opened = self.form_data(self.some_released, summary="The admin's wording")
        self.some_released.summary = "A moderator's wording"
        self.some_released.save_checked(self.some_released.version)

        response = self.client.post(self.change_url(self.some_released), opened)

        self.assertContains(response, "Someone changed this claim since you opened it")
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.summary, "A moderator's wording")

    def test_it_saves_a_current_form_and_cannot_change_the_state(self):
        self.client.force_login(self.admin)
        data = self.form_data(self.some_released, summary="Corrected", state="retracted")

        response = self.client.post(self.change_url(self.some_released), data)

        self.assertEqual(response.status_code, 302)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.summary, "Corrected")
        self.assertEqual(self.some_released.state, Claim.State.APPROVED)

    def test_it_offers_no_delete_and_conflicts_are_read_only(self):
        self.client.force_login(self.admin)
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

        changelist = self.client.get(reverse("admin:claims_claim_changelist"))
        delete = self.client.post(
            reverse("admin:claims_claim_delete", args=[self.some_released.pk]), {"post": "yes"}
        )
        conflict = self.client.post(
            reverse("admin:claims_conflict_change", args=[gap.pk]), {"status": "dismissed"}
        )

        self.assertNotContains(changelist, "delete_selected")
        self.assertEqual(delete.status_code, 403)
        self.assertEqual(conflict.status_code, 403)
        gap.refresh_from_db()
        self.assertEqual(gap.status, Conflict.Status.OPEN)


class UserAdminTests(RoleCast, JanuaryCast, TestCase):
    def test_it_deactivates_users_instead_of_deleting_them(self):
        self.client.force_login(self.admin)

        self.client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "deactivate_selected", "_selected_action": [self.editor.pk]},
        )
        delete = self.client.post(
            reverse("admin:auth_user_delete", args=[self.editor.pk]), {"post": "yes"}
        )

        self.editor.refresh_from_db()
        self.assertFalse(self.editor.is_active)
        self.assertEqual(delete.status_code, 403)

    def test_deleting_a_user_with_history_is_refused_with_a_message(self):
        # Only history names her: no protected key would stop the deletion.
        self.rubio.description = "U.S. senator for Florida"
        self.rubio._history_user = self.other_editor
        self.rubio.save()

        with self.assertRaisesMessage(ProtectedError, "deactivate the user"), transaction.atomic():
            self.other_editor.delete()
        self.assertTrue(User.objects.filter(pk=self.other_editor.pk).exists())

    def test_a_user_without_history_may_still_be_deleted_by_code(self):
        stray = User.objects.create_user("stray")

        stray.delete()

        self.assertFalse(User.objects.filter(username="stray").exists())
