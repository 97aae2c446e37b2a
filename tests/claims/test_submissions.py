"""One-time form tokens (claims/submissions.py): the same form sent at once writes once."""

from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.management import call_command
from django.test import LiveServerTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, FormSubmission, Topic
from claims.submissions import FIELD, new_token
from sources.models import Source
from tests.editors import EditorialCast
from tests.roles import restore_roles, user_in
from tests.test_sqlite import in_parallel, live_post


class TokenTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.claim = self.draft(self.edna)
        self.claim.submit(by=self.edna)
        self.client.force_login(self.mo)
        self.approve = reverse("claims:claim_approve", args=[self.claim.pk])
        self.reject = reverse("claims:claim_reject", args=[self.claim.pk])

    def test_it_puts_a_fresh_token_in_every_moderation_form(self):
        page = self.client.get(reverse("claims:moderation_queue")).content.decode()

        # The bulk form, and each claim's approve and reject forms.
        self.assertEqual(page.count(f'name="{FIELD}"'), 3)
        tokens = {part.split('"')[0] for part in page.split(f'name="{FIELD}" value="')[1:]}
        self.assertEqual(len(tokens), 3)

    def test_it_sends_a_replay_to_what_the_first_did_and_records_it_once(self):
        data = {"reason": "", "next": "/moderation/", FIELD: new_token()}

        first = self.client.post(self.approve, data)
        second = self.client.post(self.approve, data, follow=True)

        self.assertRedirects(first, "/moderation/", fetch_redirect_response=False)
        self.assertRedirects(second, "/moderation/")
        self.assertContains(second, "This form was already sent: it was done once")
        self.assertEqual(self.claim.history.filter(state=Claim.State.APPROVED).count(), 1)
        self.assertEqual(FormSubmission.objects.get().result_url, "/moderation/")

    def test_it_frees_the_token_of_a_form_drawn_again_with_errors(self):
        token = new_token()

        refused = self.client.post(self.reject, {"reason": "", FIELD: token})
        corrected = self.client.post(self.reject, {"reason": "No link", FIELD: token})

        self.assertEqual(refused.status_code, 400)
        self.assertEqual(corrected.status_code, 302)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.REJECTED)

    def test_it_refuses_a_malformed_token_and_does_nothing(self):
        response = self.client.post(self.approve, {"reason": "", FIELD: "not-a-token"})

        self.assertEqual(response.status_code, 400)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.state, Claim.State.PENDING)

    def test_it_refuses_a_token_used_by_someone_else(self):
        token = new_token()
        self.client.post(self.approve, {"reason": "", FIELD: token})
        self.client.force_login(user_in("mo2", "Moderator"))

        response = self.client.post(self.approve, {"reason": "", FIELD: token})

        self.assertEqual(response.status_code, 400)


class PurgeTests(EditorialCast, TestCase):
    """clean_imports purges the tokens past FORM_SUBMISSION_KEEP_DAYS, and only those."""

    def sent(self, days_ago: float) -> FormSubmission:
        record = FormSubmission.objects.create(token=new_token(), user=self.mo, path="/x/")
        when = timezone.now() - timedelta(days=days_ago)
        FormSubmission.objects.filter(pk=record.pk).update(created_at=when)
        return record

    @override_settings(FORM_SUBMISSION_KEEP_DAYS=7)
    def test_clean_imports_purges_the_tokens_older_than_the_setting(self):
        old, older = self.sent(8), self.sent(400)
        recent, today = self.sent(6.9), self.sent(0)
        out = io.StringIO()

        call_command("clean_imports", stdout=out)

        self.assertIn("Purged 2 one-time form token(s)", out.getvalue())
        left = set(FormSubmission.objects.values_list("pk", flat=True))
        self.assertEqual(left, {recent.pk, today.pk})
        self.assertFalse(left & {old.pk, older.pk})

    @override_settings(FORM_SUBMISSION_KEEP_DAYS=1)
    def test_a_purged_token_no_longer_stops_a_second_sending(self):
        claim = self.draft(self.edna)
        claim.submit(by=self.edna)
        self.client.force_login(self.mo)
        token = new_token()
        approve = reverse("claims:claim_approve", args=[claim.pk])
        self.client.post(approve, {"reason": "", FIELD: token})
        FormSubmission.objects.update(created_at=timezone.now() - timedelta(days=2))

        call_command("clean_imports", stdout=io.StringIO())

        self.assertFalse(FormSubmission.objects.filter(token=token).exists())
        # The state check still refuses approving an approved claim: nothing twice.
        again = self.client.post(approve, {"reason": "", FIELD: token})
        self.assertNotEqual(again.status_code, 500)
        self.assertEqual(claim.history.filter(state=Claim.State.APPROVED).count(), 1)


class SimultaneousSubmissionsTests(LiveServerTestCase):
    """Identical POSTs sent at the same moment to a live server, one thread each.

    On SQLite the test database is a file (crosscheck/settings.py), so each
    request has its own connection, as on PostgreSQL: they really race.
    """

    def setUp(self) -> None:
        restore_roles()  # The last TransactionTestCase's flush removed them.
        self.topic = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53 prisoners, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
        )
        self.psaki = Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL)

    def session_of(self, user) -> dict:
        self.client.force_login(user)
        return {"sessionid": self.client.cookies["sessionid"].value}

    def send_at_once(self, times: int, path: str, data: dict, session: dict) -> list:
        body = urlencode(data)
        return in_parallel([lambda: live_post(self.live_server_url, path, body, session)] * times)

    def test_five_identical_new_claim_forms_sent_at_once_write_one_claim(self):
        edna = user_in("edna", "Editor")
        data = {
            "source": "Jen Psaki",
            "topic": self.topic.title,
            "kind": "fact",
            "stance": "affirms",
            "quantity": "some",
            "quote": "They have already released some of the prisoners",
            "summary": "Some of the 53 released",
            "stated_on": "2015-01-06",
            "citation_url": "https://www.state.gov/",
            "language": "en",
            "action": "submit",
            "form_token": new_token(),
        }

        statuses = self.send_at_once(5, reverse("claims:claim_create"), data, self.session_of(edna))

        self.assertEqual(statuses, [302] * 5)
        claims = Claim.objects.filter(summary="Some of the 53 released")
        self.assertEqual(claims.count(), 1)
        self.assertEqual(claims.get().history.filter(state=Claim.State.PENDING).count(), 1)

    def test_simultaneous_identical_moderation_actions_are_recorded_once(self):
        mo = user_in("mo", "Moderator")
        claims = [
            Claim.objects.create(
                source=self.psaki,
                topic=self.topic,
                stance=Claim.Stance.AFFIRMS,
                quote=f"Statement {n}",
                summary=f"Statement {n}",
                stated_on=date(2015, 1, 6 - n),
                citation_url="https://www.state.gov/",
                state=Claim.State.PENDING,
            )
            for n in range(3)
        ]
        session = self.session_of(mo)
        approve = reverse("claims:claim_approve", args=[claims[0].pk])
        bulk = reverse("claims:claims_bulk_approve")

        one = self.send_at_once(4, approve, {"reason": "", FIELD: new_token()}, session)
        ticked = [("claims", c.pk) for c in claims[1:]] + [("reason", ""), (FIELD, new_token())]
        many = in_parallel(
            [lambda: live_post(self.live_server_url, bulk, urlencode(ticked), session)] * 4
        )

        self.assertEqual(one + many, [302] * 8)
        for claim in claims:
            approvals = claim.history.filter(state=Claim.State.APPROVED)
            self.assertEqual(approvals.count(), 1, claim)
        self.assertEqual(FormSubmission.objects.count(), 2)

    def test_three_identical_credibility_notes_sent_at_once_write_one_note(self):
        edna = user_in("edna", "Editor")
        data = {
            "aspect": "general",
            "body": "Party to the Dec. 17 agreement; has given no names or numbers.",
            "signed_by": "Desk",
            "written_on": "2015-01-07",
            FIELD: new_token(),
        }
        path = reverse("sources:note_create", args=[self.psaki.pk])

        statuses = self.send_at_once(3, path, data, self.session_of(edna))

        self.assertEqual(statuses, [302] * 3)
        self.assertEqual(self.psaki.notes.count(), 1)
