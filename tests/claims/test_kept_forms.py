"""
A form sent after the session ended is kept, not lost: the login leads back to
the page the form was on, and that page shows the form as it was typed, once.

The editors' form pages (GET and POST at one URL) did so already; these are
the sources' forms and the moderators' decisions, whose reasons are often the
longest text typed in the app, posted from one page to another URL.
"""

from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from sources.models import Source
from tests.cast import JanuaryCast
from tests.editors import EditorialCast
from tests.roles import RoleCast

TYPED = "The list handed over in December names each of the fifty-three prisoners"


class DecisionsTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)

    def send_logged_out(self, name: str, pk: int, data: dict, page: str):
        response = self.client.post(reverse(name, args=[pk]), data)

        self.assertRedirects(
            response, f"{reverse('login')}?next={page}", fetch_redirect_response=False
        )
        return response

    def log_in_and_open(self, page: str) -> str:
        self.client.force_login(self.admin)  # The same session: login keeps its data.
        return self.client.get(page).content.decode()

    def test_a_resolution_sent_logged_out_changes_nothing_and_comes_back_as_typed(self):
        page = reverse("claims:conflict_decide", args=[self.gap.pk])
        self.send_logged_out(
            "claims:conflict_resolve",
            self.gap.pk,
            {"outcome": "a_right", "rationale": TYPED, "evidence_url": "https://example.org/l"},
            page,
        )
        self.assertEqual(Conflict.objects.get(pk=self.gap.pk).status, Conflict.Status.OPEN)

        html = self.log_in_and_open(page)

        self.assertIn(TYPED, html)
        self.assertIn("https://example.org/l", html)
        self.assertIn("as you typed it before your session ended", html)
        self.assertNotIn(TYPED, self.client.get(page).content.decode(), "shown once only")

    def test_a_dismissal_comes_back_in_the_dismissal_form_not_the_resolution(self):
        page = reverse("claims:conflict_decide", args=[self.gap.pk])
        self.send_logged_out("claims:conflict_dismiss", self.gap.pk, {"reason": TYPED}, page)

        html = self.log_in_and_open(page)

        textarea = html[html.index('id="id_dismiss_reason"') :]
        self.assertTrue(textarea.split("</textarea>")[0].endswith(TYPED), textarea[:300])

    def test_a_retraction_reason_comes_back_on_the_claims_moderation_page(self):
        page = reverse("claims:claim_moderate", args=[self.no_information.pk])
        self.send_logged_out(
            "claims:claim_retract", self.no_information.pk, {"reason": TYPED}, page
        )

        html = self.log_in_and_open(page)

        textarea = html[html.index('id="id_retract_reason"') :]
        self.assertTrue(textarea.split("</textarea>")[0].endswith(TYPED), textarea[:300])
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.state, Claim.State.APPROVED, "nothing was changed")

    def test_a_reason_to_hide_a_note_comes_back_beside_that_note(self):
        page = reverse("claims:source_notes", args=[self.psaki_note.source_id])
        self.send_logged_out("claims:note_hide", self.psaki_note.pk, {"reason": TYPED}, page)

        html = self.log_in_and_open(page)

        textarea = html[html.index(f'id="id_note{self.psaki_note.pk}_reason"') :]
        self.assertTrue(textarea.split("</textarea>")[0].endswith(TYPED), textarea[:300])
        self.psaki_note.refresh_from_db()
        self.assertFalse(self.psaki_note.hidden)

    def test_a_kept_form_is_not_shown_on_another_page(self):
        self.send_logged_out(
            "claims:conflict_dismiss",
            self.gap.pk,
            {"reason": TYPED},
            reverse("claims:conflict_decide", args=[self.gap.pk]),
        )
        self.client.force_login(self.admin)

        other = reverse("claims:claim_moderate", args=[self.some_released.pk])
        self.assertNotIn(TYPED, self.client.get(other).content.decode())


class SourceFormsTests(EditorialCast, TestCase):
    def test_a_source_edit_sent_logged_out_comes_back_as_typed(self):
        url = reverse("sources:source_edit", args=[self.psaki.pk])
        response = self.client.post(
            url, {"name": "Jen Psaki", "kind": "official", "description": TYPED}
        )
        self.assertSendsToLogin(response, url)
        self.assertFalse(Source.objects.filter(pk=self.psaki.pk, description=TYPED).exists())

        self.client.force_login(self.edna)
        html = self.client.get(url).content.decode()

        self.assertIn(TYPED, html)

    def test_a_credibility_note_sent_logged_out_comes_back_as_typed(self):
        url = reverse("sources:note_create", args=[self.psaki.pk])
        self.assertSendsToLogin(self.client.post(url, {"body": TYPED}), url)

        self.client.force_login(self.edna)

        self.assertIn(TYPED, self.client.get(url).content.decode())
