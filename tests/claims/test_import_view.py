"""
The spreadsheet import page (/claims/import/): upload, dry run, confirm.

Specified here: checking a file shows every row's outcome and every error
with its row and column and writes nothing; confirming imports exactly the
file checked (the token binds file, user and choice); a moderator may
approve on import, an editor may not; an upload over the cap is refused
before its body is read; readers get 403 and anonymous visitors the login.
"""

from __future__ import annotations

import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast

URL = reverse("claims:claim_import")


class ImportViewTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.enterContext(override_settings(CLAIMS_IMPORT_DIR=folder.name))

    def upload(self, data: bytes, name: str = "claims.csv", **fields):
        return self.client.post(URL, {"file": SimpleUploadedFile(name, data), **fields})

    def test_the_page_offers_the_upload_and_the_column_list(self):
        self.client.force_login(self.editor)

        response = self.client.get(URL)

        self.assertContains(response, 'type="file"')
        self.assertContains(response, "Stated on")
        self.assertNotContains(response, "Approve on import")

    def test_checking_a_file_shows_each_row_and_error_and_writes_nothing(self):
        self.client.force_login(self.editor)
        before = Claim.objects.count()

        response = self.upload(csv_file(row(), row(Stance="maybe", Quote="Other")))

        self.assertEqual(Claim.objects.count(), before)
        rows = [(r.number, r.outcome) for r in response.context["rows"]]
        self.assertEqual(rows, [(2, "add"), (3, "error")])
        self.assertContains(response, "<strong>Stance</strong>: “maybe” is not one of")
        self.assertNotContains(response, 'name="confirm"')

    def test_confirming_imports_the_checked_file_as_pending_claims_of_the_user(self):
        self.client.force_login(self.editor)
        checked = self.upload(csv_file(row()))
        token = checked.context["token"]
        self.assertContains(checked, 'name="confirm"')

        response = self.client.post(URL, {"confirm": "1", "token": token})

        self.assertRedirects(response, reverse("claims:dashboard"), fetch_redirect_response=False)
        claim = Claim.objects.get(quote="We still have no names")
        self.assertEqual((claim.state, claim.created_by), (Claim.State.PENDING, self.editor))
        self.assertEqual(claim.history.get().history_user, self.editor)

    def test_a_token_is_good_for_its_user_only_and_cannot_be_forged(self):
        self.client.force_login(self.editor)
        token = self.upload(csv_file(row())).context["token"]
        before = Claim.objects.count()

        self.client.force_login(self.other_editor)
        stolen = self.client.post(URL, {"confirm": "1", "token": token})
        forged = self.client.post(URL, {"confirm": "1", "token": token[:-2] + "xx"})

        self.assertEqual((stolen.status_code, forged.status_code), (403, 400))
        self.assertEqual(Claim.objects.count(), before)

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom.
    def test_a_moderator_may_approve_on_import_and_the_gap_opens(self):
        self.client.force_login(self.moderator)
        checked = self.upload(csv_file(row()), approve="on")
        self.assertContains(checked, "Approve on import")

        self.client.post(URL, {"confirm": "1", "token": checked.context["token"]})

        claim = Claim.objects.get(quote="We still have no names")
        self.assertEqual(claim.state, Claim.State.APPROVED)
        self.assertTrue(
            Conflict.objects.open().filter(claim_a=self.some_released, claim_b=claim).exists()
        )

    def test_an_editor_cannot_approve_on_import(self):
        self.client.force_login(self.editor)
        before = Claim.objects.count()

        response = self.upload(csv_file(row()), approve="on")

        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "Only a moderator", status_code=403)
        self.assertEqual(Claim.objects.count(), before)

    def test_an_upload_over_the_default_cap_is_refused_before_its_body_is_read(self):
        self.client.force_login(self.editor)
        # The body is tiny; only its announced length is 50 MB. Had the view
        # read the body, it would have found no file; it answers from the length.
        response = self.client.post(
            URL, {"file": SimpleUploadedFile("big.csv", b"x")}, CONTENT_LENGTH=str(50 * 2**20)
        )

        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "The file is 50.0 MB; the limit is 20 MB", status_code=413)

    @override_settings(CLAIMS_IMPORT_MAX_BYTES=1000)
    def test_an_upload_over_the_cap_stops_at_the_cap(self):
        self.client.force_login(self.editor)

        response = self.upload(csv_file(row()) + b" " * 5000)

        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "the limit is 0 MB", status_code=413)

    def test_readers_are_refused_and_visitors_sent_to_log_in(self):
        self.client.force_login(self.reader)
        self.assertEqual(self.upload(csv_file(row())).status_code, 403)

        self.client.logout()
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
