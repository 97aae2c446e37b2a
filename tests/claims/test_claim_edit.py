"""Editing a claim: whose claims, in which states, with which buttons; submitting, once."""

from django.db.models import Q
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.editors import EditorialCast


def edit_url(claim: Claim) -> str:
    return reverse("claims:claim_edit", args=[claim.pk])


def submit_url(claim: Claim) -> str:
    return reverse("claims:claim_submit", args=[claim.pk])


class AccessTests(EditorialCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.ednas = cls.draft(cls.edna)

    def test_it_sends_anonymous_visitors_to_log_in(self):
        url = edit_url(self.ednas)
        self.assertSendsToLogin(self.client.get(url), url)
        self.assertSendsToLogin(self.client.post(url, self.edit_data(self.ednas)), url)

    def test_it_refuses_a_reader(self):
        self.client.force_login(self.rita)

        self.assertEqual(self.client.get(edit_url(self.ednas)).status_code, 403)
        self.assertEqual(self.client.post(edit_url(self.ednas)).status_code, 403)

    def test_it_hides_another_editors_draft(self):
        self.client.force_login(self.eddie)

        self.assertEqual(self.client.get(edit_url(self.ednas)).status_code, 404)
        response = self.client.post(edit_url(self.ednas), self.edit_data(self.ednas, summary="x"))
        self.assertEqual(response.status_code, 404)
        self.ednas.refresh_from_db()
        self.assertEqual(self.ednas.summary, "Some freed")

    def test_it_hides_another_editors_pending_claim_from_an_editor(self):
        self.ednas.submit(by=self.edna)
        self.client.force_login(self.eddie)

        self.assertEqual(self.client.get(edit_url(self.ednas)).status_code, 404)

    def test_it_hides_drafts_from_moderators_too(self):
        self.client.force_login(self.mo)

        self.assertEqual(self.client.get(edit_url(self.ednas)).status_code, 404)

    def test_it_answers_404_for_a_claim_that_does_not_exist(self):
        self.client.force_login(self.edna)

        self.assertEqual(
            self.client.get(reverse("claims:claim_edit", args=[999999])).status_code, 404
        )

    def test_it_shows_the_editor_their_own_draft(self):
        self.client.force_login(self.edna)

        response = self.client.get(edit_url(self.ednas))

        self.assertContains(
            response, f"<title>Edit claim #{self.ednas.pk} · Crosscheck</title>", html=False
        )
        self.assertContains(response, 'name="version" value="1"', html=False)
        self.assertContains(response, "Save draft")
        self.assertContains(response, "Submit for review")


class EditingOwnClaimsTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.claim = self.draft(self.edna)
        self.client.force_login(self.edna)

    def test_it_saves_changes_to_a_draft_and_counts_the_version(self):
        response = self.client.post(
            edit_url(self.claim), self.edit_data(self.claim, summary="Some prisoners freed")
        )

        self.assertRedirects(response, edit_url(self.claim))
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "Some prisoners freed")
        self.assertEqual(self.claim.version, 2)
        self.assertEqual(self.claim.state, Claim.State.DRAFT)

    def test_it_changes_the_interval_through_the_phrasing(self):
        self.client.post(
            edit_url(self.claim),
            self.edit_data(self.claim, quantity="between", quantity_n="3", quantity_m="10"),
        )

        self.claim.refresh_from_db()
        self.assertEqual((self.claim.quantity_min, self.claim.quantity_max), (3, 10))

    def test_it_submits_a_draft_from_the_form(self):
        response = self.client.post(
            edit_url(self.claim), self.edit_data(self.claim, action="submit")
        )

        self.assertRedirects(response, reverse("claims:dashboard"))
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.PENDING)

    def test_it_takes_a_pending_claim_back_to_draft(self):
        self.claim.submit(by=self.edna)

        self.client.post(edit_url(self.claim), self.edit_data(self.claim, action="draft"))

        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.DRAFT)

    def test_it_lets_a_rejected_claim_be_reworked_and_submitted_again(self):
        self.claim.submit(by=self.edna)
        self.claim.reject(by=self.mo, reason="Which briefing? Cite the transcript.")

        page = self.client.get(edit_url(self.claim))
        self.assertContains(page, "Which briefing? Cite the transcript.")

        self.client.post(
            edit_url(self.claim),
            self.edit_data(self.claim, action="submit", citation_url="https://www.state.gov/t"),
        )

        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.PENDING)
        self.assertEqual(self.claim.citation_url, "https://www.state.gov/t")

    def test_it_refuses_to_let_an_editor_edit_their_approved_claim(self):
        self.claim.submit(by=self.edna)
        self.claim.approve(by=self.mo)

        self.assertEqual(self.client.get(edit_url(self.claim)).status_code, 409)

    def test_it_refuses_a_post_replayed_after_approval(self):
        data = self.edit_data(self.claim, summary="Replayed", action="submit")
        self.client.post(edit_url(self.claim), data)
        Claim.objects.get(pk=self.claim.pk).approve(by=self.mo)
        history = self.claim.history.count()

        response = self.client.post(edit_url(self.claim), data)

        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Your changes were not saved", status_code=409)
        self.assertContains(response, "was approved", status_code=409)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.APPROVED)
        self.assertEqual(self.claim.history.count(), history)

    def test_it_refuses_a_retracted_claim(self):
        self.claim.submit(by=self.edna)
        self.claim.approve(by=self.mo)
        self.claim.retract(by=self.mo, reason="Misattributed")

        response = self.client.get(edit_url(self.claim))

        self.assertContains(response, "Misattributed", status_code=409)

    def test_it_leaves_a_submitted_claim_pending_once_when_the_form_is_sent_twice(self):
        data = self.edit_data(self.claim, action="submit")

        first = self.client.post(edit_url(self.claim), data)
        second = self.client.post(edit_url(self.claim), data)

        self.assertEqual(first.status_code, 302)
        self.assertEqual(second.status_code, 409)
        pending = self.claim.history.filter(state=Claim.State.PENDING)
        self.assertEqual(pending.values("version").distinct().count(), 1)
        self.assertEqual(pending.count(), 1)


class ModeratorEditingTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.claim = self.draft(self.edna)
        self.claim.submit(by=self.edna)
        self.client.force_login(self.mo)

    def test_it_lets_a_moderator_edit_a_pending_claim_keeping_its_state(self):
        page = self.client.get(edit_url(self.claim))
        self.assertContains(page, "Save changes")
        self.assertNotContains(page, "Save draft")

        response = self.client.post(
            edit_url(self.claim), self.edit_data(self.claim, summary="Tidied", action="save")
        )

        self.assertRedirects(response, reverse("claims:dashboard"))
        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.state), ("Tidied", Claim.State.PENDING))
        self.assertEqual(self.claim.created_by, self.edna)

    def test_it_lets_a_moderator_edit_an_approved_claim_and_detection_follows(self):
        self.claim.approve(by=self.mo)
        self.assertEqual(self.open_conflicts(), 1)  # A gap with Sanchez's "no information".

        response = self.client.post(
            edit_url(self.claim),
            self.edit_data(self.claim, stated_on="2015-03-02", action="save"),
        )

        self.assertRedirects(response, self.claim.get_absolute_url())
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.APPROVED)
        self.assertEqual(self.open_conflicts(), 0)  # Now weeks apart: outside the window.

    def open_conflicts(self) -> int:
        return Conflict.objects.open().filter(Q(claim_a=self.claim) | Q(claim_b=self.claim)).count()

    def test_it_does_not_let_a_moderator_save_a_draft_of_someone_elses_claim(self):
        response = self.client.post(
            edit_url(self.claim), self.edit_data(self.claim, action="draft")
        )

        self.assertEqual(response.status_code, 200)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.PENDING)


class SubmitTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.claim = self.draft(self.edna)

    def test_it_sends_anonymous_visitors_to_log_in(self):
        url = submit_url(self.claim)
        self.assertSendsToLogin(self.client.post(url), url)

    def test_it_refuses_get(self):
        self.client.force_login(self.edna)

        self.assertEqual(self.client.get(submit_url(self.claim)).status_code, 405)

    def test_it_refuses_a_reader(self):
        self.client.force_login(self.rita)

        self.assertEqual(self.client.post(submit_url(self.claim)).status_code, 403)

    def test_it_hides_another_editors_draft(self):
        self.client.force_login(self.eddie)

        self.assertEqual(self.client.post(submit_url(self.claim)).status_code, 404)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.DRAFT)

    def test_it_submits_a_draft_once(self):
        self.client.force_login(self.edna)

        first = self.client.post(submit_url(self.claim))
        second = self.client.post(submit_url(self.claim), follow=True)

        self.assertRedirects(first, reverse("claims:dashboard"))
        self.assertContains(second, "already waiting for review")
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.PENDING)
        self.assertEqual(self.claim.history.filter(state=Claim.State.PENDING).count(), 1)

    def test_it_does_not_submit_an_approved_claim_again(self):
        self.claim.submit(by=self.edna)
        self.claim.approve(by=self.mo)
        self.client.force_login(self.edna)

        response = self.client.post(submit_url(self.claim))

        self.assertEqual(response.status_code, 409)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.APPROVED)
