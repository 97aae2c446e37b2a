from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast, user_in


class RetractionTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def retract(self, claim=None, reason="Misattributed: the quote is a paraphrase"):
        claim = claim or self.no_information
        return self.client.post(
            reverse("claims:claim_retract", args=[claim.pk]), {"reason": reason}
        )

    def restore(self, claim=None, **data):
        claim = claim or self.no_information
        return self.client.post(reverse("claims:claim_restore", args=[claim.pk]), data)

    def test_it_retracts_an_approved_claim_with_a_reason(self):
        response = self.retract()

        self.assertRedirects(
            response,
            reverse("claims:claim_moderate", args=[self.no_information.pk]),
            fetch_redirect_response=False,
        )
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.RETRACTED)
        self.assertEqual(
            self.no_information.state_reason, "Misattributed: the quote is a paraphrase"
        )
        self.assertEqual(self.no_information.state_changed_by, self.moderator)

    def test_retracting_re_runs_detection_and_the_conflict_lapses(self):
        self.retract()

        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.LAPSED)
        home = self.client.get(reverse("claims:home"))
        self.assertNotContains(home, "We don&#x27;t have any information up to now")

    def test_the_permalink_shows_the_retraction_and_why(self):
        self.retract()

        response = self.client.get(self.no_information.get_absolute_url())

        self.assertContains(response, "Retracted")
        self.assertContains(response, "Misattributed: the quote is a paraphrase")

    def test_it_needs_a_reason(self):
        response = self.retract(reason="")

        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "This field is required.", status_code=400)
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.APPROVED)

    def test_only_an_approved_claim_can_be_retracted(self):
        self.retract()
        records = self.no_information.history.count()

        response = self.retract(reason="Again")

        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.no_information.history.count(), records)
        message = list(response.wsgi_request._messages)[-1]
        self.assertIn("only an approved claim can be retracted", str(message))

    def test_a_moderator_cannot_restore(self):
        self.retract()

        response = self.restore()

        self.assertEqual(response.status_code, 403)
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.RETRACTED)

    def test_an_admin_restores_it_and_the_conflict_comes_back(self):
        self.retract()
        self.client.force_login(self.admin)

        response = self.restore(reason="The attribution was right after all")

        self.assertEqual(response.status_code, 302)
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.APPROVED)
        self.assertEqual(self.no_information.state_reason, "The attribution was right after all")
        self.gap.refresh_from_db()
        self.assertEqual(self.gap.status, Conflict.Status.OPEN)

    def test_a_member_of_the_admin_group_may_restore_without_being_a_superuser(self):
        self.retract()
        self.client.force_login(user_in("grace", "Admin"))

        self.restore()

        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.APPROVED)

    def test_restoring_a_claim_that_is_not_retracted_changes_nothing(self):
        self.client.force_login(self.admin)
        records = self.no_information.history.count()

        response = self.restore()

        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.no_information.history.count(), records)

    def test_the_claim_page_offers_restore_to_admins_only(self):
        self.retract()
        page = reverse("claims:claim_moderate", args=[self.no_information.pk])

        self.assertContains(self.client.get(page), "Only an admin can restore")
        self.client.force_login(self.admin)
        self.assertContains(self.client.get(page), "Restore this claim")

    def test_the_public_claim_page_links_moderators_to_the_retract_form(self):
        response = self.client.get(self.no_information.get_absolute_url())

        self.assertContains(
            response, reverse("claims:claim_moderate", args=[self.no_information.pk])
        )
        self.client.force_login(self.reader)
        response = self.client.get(self.no_information.get_absolute_url())
        self.assertNotContains(
            response, reverse("claims:claim_moderate", args=[self.no_information.pk])
        )

    def test_an_editor_cannot_retract(self):
        self.client.force_login(self.editor)

        self.assertEqual(self.retract().status_code, 403)
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.APPROVED)
