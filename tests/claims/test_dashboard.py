"""The editor's dashboard: drafts, pending and rejected claims, with the moderator's reason."""

from datetime import timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from claims.views.editing import DASHBOARD_SECTION
from tests.editors import EditorialCast

URL = reverse("claims:dashboard")


class DashboardTests(EditorialCast, TestCase):
    def test_it_sends_anonymous_visitors_to_log_in(self):
        self.assertSendsToLogin(self.client.get(URL), URL)

    def test_it_refuses_a_reader(self):
        self.client.force_login(self.rita)

        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_it_refuses_post(self):
        self.client.force_login(self.edna)

        self.assertEqual(self.client.post(URL).status_code, 405)

    def test_it_says_what_to_do_when_there_is_nothing_yet(self):
        self.client.force_login(self.edna)

        response = self.client.get(URL)

        self.assertContains(response, "<title>My claims · Crosscheck</title>", html=False)
        self.assertContains(response, "No drafts.")
        self.assertContains(response, reverse("claims:claim_create"))

    def test_it_lists_the_editors_drafts_pending_and_rejected_claims(self):
        draft = self.draft(self.edna, summary="A draft")
        pending = self.draft(self.edna, summary="Waiting")
        pending.submit(by=self.edna)
        rejected = self.draft(self.edna, summary="Turned down")
        rejected.submit(by=self.edna)
        rejected.reject(by=self.mo, reason="No link to the <b>transcript</b>")
        approved = self.draft(self.edna, summary="Already public")
        approved.submit(by=self.edna)
        approved.approve(by=self.mo)
        self.draft(self.eddie, summary="Someone else's")
        self.client.force_login(self.edna)

        response = self.client.get(URL)

        self.assertEqual(response.context["drafts"], [draft])
        self.assertEqual(response.context["pending"], [pending])
        self.assertEqual(response.context["rejected"], [rejected])
        self.assertContains(response, "No link to the &lt;b&gt;transcript&lt;/b&gt;")
        self.assertContains(response, "Rejected by mo")
        self.assertNotContains(response, "Already public")
        self.assertNotContains(response, "Someone else")

    def test_it_lists_newest_first(self):
        old = self.draft(self.edna, summary="Old")
        new = self.draft(self.edna, summary="New")
        Claim.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        self.client.force_login(self.edna)

        response = self.client.get(URL)

        self.assertEqual(response.context["drafts"], [new, old])

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. the session, 2. the user, 3.-4. the user's and their groups'
        # permissions (for the view's check and the page's links), 5. the
        # editor's claims counted by state, 6. one page of each state joined
        # to source, affiliation, topic, detainee, document and the moderator
        # who changed their state, 7. the header's unread notifications (watching/).
        self.client.force_login(self.edna)
        self.make_claims(10)
        with self.assertNumQueries(7):
            self.client.get(URL)

        self.make_claims(190)
        with self.assertNumQueries(7):
            response = self.client.get(URL)
        shown = response.context
        self.assertEqual(len(shown["drafts"]) + len(shown["pending"]) + len(shown["rejected"]), 150)

    def test_each_state_is_paged_newest_first(self):
        self.make_claims(3 * DASHBOARD_SECTION + 6)  # 52 in each state
        self.client.force_login(self.edna)
        pending = list(
            Claim.objects.filter(created_by=self.edna, state=Claim.State.PENDING).order_by(
                "-created_at", "-pk"
            )
        )

        first = self.client.get(URL)
        second = self.client.get(URL, {"pending": "2", "drafts": "1"})
        past_the_end = self.client.get(URL, {"pending": "9", "rejected": "x"})

        self.assertEqual(first.context["pending"], pending[:DASHBOARD_SECTION])
        self.assertEqual(len(first.context["drafts"]), DASHBOARD_SECTION)
        self.assertContains(first, f"1–{DASHBOARD_SECTION} of 52, newest first.")
        self.assertContains(first, '<a href="?pending=2" rel="next">Older</a>', html=True)
        self.assertEqual(second.context["pending"], pending[DASHBOARD_SECTION:])
        self.assertEqual(len(second.context["drafts"]), DASHBOARD_SECTION)
        self.assertContains(second, f"{DASHBOARD_SECTION + 1}–52 of 52, newest first.")
        self.assertContains(
            second, '<a href="?pending=1&amp;drafts=1" rel="prev">Newer</a>', html=True
        )
        # A page past the last is the last; a page that is no number, the first.
        self.assertEqual(past_the_end.context["pending"], pending[DASHBOARD_SECTION:])
        self.assertEqual(len(past_the_end.context["rejected"]), DASHBOARD_SECTION)

    def make_claims(self, n: int) -> None:
        for i in range(n):
            claim = self.draft(self.edna, summary=f"Claim {i}")
            if i % 3 == 1:
                claim.submit(by=self.edna)
            elif i % 3 == 2:
                claim.submit(by=self.edna)
                claim.reject(by=self.mo, reason=f"Reason {i}")
