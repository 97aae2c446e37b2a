from datetime import date, timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast

QUEUE = reverse("claims:moderation_queue")


class QueueTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # CCDHRN on Jan 7: "none released", against Psaki's "some released".
        cls.none_released = cls.pending(
            cls.ccdhrn,
            stance=Claim.Stance.DENIES,
            quantity_min=1,
            quantity_max=53,
            quote="No prisoner has been released",
            summary="None of the 53 released",
            stated_on=date(2015, 1, 7),
            submitted=timezone.now() - timedelta(hours=1),
        )
        cls.rubio_update = cls.pending(
            cls.rubio,
            kind=Claim.Kind.POSITION,
            quote="Talks must stop",
            summary="Stop the talks",
            submitted=timezone.now() - timedelta(hours=3),
        )

    @classmethod
    def pending(cls, source, *, submitted=None, by=None, **fields) -> Claim:
        """Create a claim as an editor submits it: validated, then pending."""
        fields.setdefault("stated_on", date(2015, 1, 6))
        fields.setdefault("kind", Claim.Kind.FACT)
        claim = Claim(source=source, topic=cls.release, created_by=by or cls.editor, **fields)
        claim.full_clean()
        claim.save()
        claim.submit(by=by or cls.editor)
        if submitted:
            Claim.objects.filter(pk=claim.pk).update(state_changed_at=submitted)
        return claim

    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def approve(self, claim, **data):
        return self.client.post(reverse("claims:claim_approve", args=[claim.pk]), data)

    def reject(self, claim, **data):
        return self.client.post(reverse("claims:claim_reject", args=[claim.pk]), data)

    def test_it_lists_pending_claims_oldest_submission_first(self):
        response = self.client.get(QUEUE)

        claims = [claim for claim, _ in response.context["items"]]
        self.assertEqual(claims, [self.rubio_update, self.none_released])

    def test_it_shows_what_a_pending_claim_would_conflict_with_if_approved(self):
        response = self.client.get(QUEUE)

        previews = dict(response.context["items"])
        self.assertEqual(
            set(previews[self.none_released]),
            {
                (self.some_released, Conflict.Kind.CONTRADICTION),
                (self.no_information, Conflict.Kind.GAP),
            },
        )
        self.assertEqual(previews[self.rubio_update], [])
        self.assertContains(response, "It would raise no conflict with the approved claims.")
        self.assertContains(response, "Contradiction</span> with")

    def test_it_leaves_out_drafts_and_claims_already_decided(self):
        draft = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A draft",
            summary="Still a draft",
            stated_on=date(2015, 1, 6),
        )

        response = self.client.get(QUEUE)

        self.assertNotContains(response, draft.summary)
        self.assertNotContains(response, self.some_released.quote)

    def test_it_says_what_to_do_when_nothing_is_pending(self):
        Claim.objects.filter(state=Claim.State.PENDING).update(state=Claim.State.REJECTED)

        response = self.client.get(QUEUE)

        self.assertContains(response, "No claims are waiting for review.")

    def test_it_escapes_what_editors_typed(self):
        self.pending(
            self.rubio, kind=Claim.Kind.POSITION, quote="<script>alert(1)</script>", summary="x"
        )

        response = self.client.get(QUEUE)

        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_it_approves_a_claim_and_runs_detection_on_its_variable(self):
        response = self.approve(self.none_released, reason="Checked against the transcript")

        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)
        self.none_released.refresh_from_db()
        self.assertEqual(self.none_released.state, Claim.State.APPROVED)
        self.assertEqual(self.none_released.state_changed_by, self.moderator)
        self.assertEqual(self.none_released.state_reason, "Checked against the transcript")
        self.assertTrue(
            Conflict.objects.open()
            .filter(claim_a=self.some_released, claim_b=self.none_released)
            .exists()
        )
        messages = [str(m) for m in response.wsgi_request._messages]
        self.assertEqual(messages, ["Approved: “None of the 53 released”. It is now public."])

    def test_it_approves_without_a_note(self):
        self.approve(self.rubio_update)

        self.rubio_update.refresh_from_db()
        self.assertEqual(self.rubio_update.state, Claim.State.APPROVED)

    def test_a_replayed_approval_has_no_double_effect(self):
        self.approve(self.none_released)
        self.none_released.refresh_from_db()
        approved_at = self.none_released.state_changed_at
        records = self.none_released.history.count()
        conflicts = Conflict.objects.count()

        response = self.approve(self.none_released)

        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)
        self.none_released.refresh_from_db()
        self.assertEqual(self.none_released.state_changed_at, approved_at)
        self.assertEqual(self.none_released.history.count(), records)
        self.assertEqual(Conflict.objects.count(), conflicts)
        message = list(response.wsgi_request._messages)[-1]
        self.assertIn("is approved, not pending: it was not approved again", str(message))

    def test_it_rejects_with_a_reason_the_editor_will_see(self):
        response = self.reject(self.none_released, reason="No source for “none”")

        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)
        self.none_released.refresh_from_db()
        self.assertEqual(self.none_released.state, Claim.State.REJECTED)
        self.assertEqual(self.none_released.state_reason, "No source for “none”")
        self.assertFalse(Conflict.objects.filter(claim_b=self.none_released).exists())

    def test_it_refuses_to_reject_without_a_reason_and_changes_nothing(self):
        response = self.reject(self.none_released, reason="   ")

        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "This field is required.", status_code=400)
        self.none_released.refresh_from_db()
        self.assertEqual(self.none_released.state, Claim.State.PENDING)

    def test_it_refuses_to_reject_an_approved_claim(self):
        response = self.reject(self.some_released, reason="Too late")

        self.assertEqual(response.status_code, 302)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.state, Claim.State.APPROVED)

    def test_it_answers_404_for_a_draft(self):
        draft = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A draft",
            summary="Still a draft",
            stated_on=date(2015, 1, 6),
        )

        self.assertEqual(self.approve(draft).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("claims:claim_moderate", args=[draft.pk])).status_code, 404
        )

    def test_it_goes_back_to_the_page_it_came_from_but_never_off_site(self):
        response = self.approve(self.rubio_update, next=f"{QUEUE}?page=1")
        self.assertRedirects(response, f"{QUEUE}?page=1", fetch_redirect_response=False)

        response = self.reject(self.none_released, reason="x", next="https://evil.example/")
        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)

    def test_it_bulk_approves_the_ticked_claims_running_detection_for_each(self):
        response = self.client.post(
            reverse("claims:claims_bulk_approve"),
            {"claims": [self.none_released.pk, self.rubio_update.pk], "reason": "Batch"},
        )

        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)
        self.assertEqual(
            set(Claim.objects.filter(state=Claim.State.PENDING)),
            set(),
        )
        self.assertEqual(
            Claim.objects.get(pk=self.none_released.pk).state_changed_by, self.moderator
        )
        self.assertTrue(Conflict.objects.open().filter(claim_b=self.none_released).exists())
        self.assertIn("Approved 2 claims.", [str(m) for m in response.wsgi_request._messages])

    def test_bulk_approval_leaves_claims_no_longer_pending_as_they_were(self):
        self.reject(self.rubio_update, reason="Duplicate")

        response = self.client.post(
            reverse("claims:claims_bulk_approve"),
            {"claims": [self.none_released.pk, self.rubio_update.pk, self.some_released.pk]},
        )

        self.assertEqual(Claim.objects.get(pk=self.rubio_update.pk).state, Claim.State.REJECTED)
        self.assertEqual(Claim.objects.get(pk=self.none_released.pk).state, Claim.State.APPROVED)
        messages = [str(m) for m in response.wsgi_request._messages]
        self.assertIn("Approved 1 claim.", messages)
        self.assertIn(
            "2 of the ticked claims were no longer pending and left as they were.", messages
        )

    def test_bulk_approval_asks_for_at_least_one_claim(self):
        response = self.client.post(reverse("claims:claims_bulk_approve"), {})

        self.assertIn(
            "Tick at least one claim to approve.",
            [str(m) for m in response.wsgi_request._messages],
        )
        self.assertEqual(Claim.objects.filter(state=Claim.State.PENDING).count(), 2)

    def test_its_actions_refuse_get(self):
        for name, args in [
            ("claims:claim_approve", [self.none_released.pk]),
            ("claims:claim_reject", [self.none_released.pk]),
            ("claims:claims_bulk_approve", []),
        ]:
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(name, args=args)).status_code, 405)

    def test_it_refuses_an_editor(self):
        self.client.force_login(self.editor)

        self.assertEqual(self.client.get(QUEUE).status_code, 403)
        self.assertEqual(self.approve(self.none_released).status_code, 403)
        self.assertEqual(Claim.objects.get(pk=self.none_released.pk).state, Claim.State.PENDING)

    def test_it_sends_anonymous_visitors_to_log_in(self):
        self.client.logout()

        response = self.client.get(QUEUE)

        self.assertRedirects(
            response, f"{reverse('login')}?next={QUEUE}", fetch_redirect_response=False
        )


class QueueQueryCountTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def add_pending(self, n: int) -> None:
        Claim.objects.bulk_create(
            Claim(
                source=self.sanchez,
                topic=self.release,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.DENIES,
                quantity_min=1,
                quantity_max=53,
                quote=f"Pending {i}",
                summary=f"Pending {i}",
                stated_on=date(2015, 1, 6),
                state=Claim.State.PENDING,
                state_changed_at=timezone.now(),
                created_by=self.editor,
            )
            for i in range(n)
        )

    def count_queries(self) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(QUEUE)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_it_runs_a_constant_number_of_queries_previews_included(self):
        # 1. session, 2. user, 3.-4. the user's and the groups' permissions,
        # 5. count of pending claims, 6. a page of them joined to source,
        # affiliation, topic, detainee, document, update, creator and last
        # mover, 7. the stored claims on the same sources, topics and days
        # (near-duplicates), 8. the live approved claims the page's claims
        # can touch (detection.preview_approvals), 9. the whole chain of
        # Sanchez on the topic, since the pending claims are not later than
        # his latest word there, 10. the header's unread notifications.
        self.add_pending(10)
        with self.assertNumQueries(10):
            self.client.get(QUEUE)

        self.add_pending(190)
        with self.assertNumQueries(10):
            self.client.get(QUEUE)

    def test_the_previews_are_bounded_by_the_page_size(self):
        # The previews are read for the page at once, and a page shows at
        # most 25 claims: a full page costs the same with 30 pending claims as with 200.
        self.add_pending(30)
        full_page = self.count_queries()

        self.add_pending(170)

        self.assertEqual(self.count_queries(), full_page)


class NearDuplicateMarkTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def pending(self, quote: str, **fields) -> Claim:
        fields.setdefault("stated_on", date(2015, 1, 6))
        return Claim.objects.create(
            source=self.psaki,
            topic=self.release,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS,
            quote=quote,
            summary=quote[:50],
            state=Claim.State.PENDING,
            created_by=self.editor,
            **fields,
        )

    def test_it_marks_a_pending_claim_that_repeats_a_stored_one(self):
        again = self.pending("  They have ALREADY released some of the prisoners. ")
        longer = self.pending("They have already released some of the prisoners, we hope all")
        other_day = self.pending(
            "They have already released some of the prisoners", stated_on=date(2015, 1, 7)
        )

        response = self.client.get(QUEUE)

        marked = {c.pk: c.near_duplicates for c, _ in response.context["items"]}
        self.assertIn(self.some_released, marked[again.pk])
        self.assertIn(self.some_released, marked[longer.pk])
        self.assertEqual(marked[other_day.pk], [])
        self.assertContains(response, "Possible duplicate:")
        self.assertContains(
            response, f'<a href="/moderation/claims/{self.some_released.pk}/">claim #'
        )
