"""
The spreadsheet import pages: upload (/claims/import/), the job's page
(/claims/import/<job>/) and its confirmation, with the real worker
(tests/claims/jobs.py runs django_tasks_db's worker loop on the test database).

Specified here: an upload is stored and queued, never checked in the
request; the worker's check shows every row's outcome and every error with
its row and column and writes nothing; confirming imports exactly the file
checked, once; the job's page is its owner's only; a moderator may approve
on import, an editor may not; an upload over the cap is refused before its
body is read, one over the quota or the disk before it is stored;
readers get 403 and anonymous visitors the login.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.jobs import ImportJob
from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.claims.jobs import run_worker, tasks_named
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast

URL = reverse("claims:claim_import")


def confirm_url(job: ImportJob) -> str:
    return reverse("claims:import_job_confirm", args=[job.pk])


class ImportFolder:
    """Mixin: each test's staged files in a folder of its own."""

    def setUp(self) -> None:
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.enterContext(override_settings(CLAIMS_IMPORT_DIR=folder.name))

    def upload(self, data: bytes, name: str = "claims.csv", **fields):
        return self.client.post(URL, {"file": SimpleUploadedFile(name, data), **fields})

    def checked(self, data: bytes, **fields) -> ImportJob:
        """Upload a file, let the worker check it; return its job."""
        response = self.upload(data, **fields)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        run_worker()
        return ImportJob.objects.get(
            user=response.wsgi_request.user, pk=response["Location"].split("/")[-2]
        )


class ImportViewTests(ImportFolder, RoleCast, JanuaryCast, TestCase):
    def test_the_page_offers_the_upload_and_the_column_list(self):
        self.client.force_login(self.editor)

        response = self.client.get(URL)

        self.assertContains(response, 'type="file"')
        self.assertContains(response, "Stated on")
        self.assertNotContains(response, "Approve on import")

    def test_an_upload_is_stored_and_queued_and_not_checked_in_the_request(self):
        self.client.force_login(self.editor)

        response = self.upload(csv_file(row(Stance="maybe")))

        job = ImportJob.objects.get()
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual((job.state, job.user, job.filename), ("queued", self.editor, "claims.csv"))
        self.assertEqual(job.path.read_bytes(), csv_file(row(Stance="maybe")))
        self.assertEqual(tasks_named("check_import").count(), 1)
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "Waiting for the worker")
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, '<meta http-equiv="refresh" content="2">')

    def test_the_worker_checks_the_file_and_the_page_shows_each_row_and_error(self):
        self.client.force_login(self.editor)
        before = Claim.objects.count()

        job = self.checked(csv_file(row(), row(Stance="maybe", Quote="Other")))

        self.assertEqual(Claim.objects.count(), before)
        self.assertEqual((job.state, job.rows_done, job.rows_total), ("refused", 2, 2))
        response = self.client.get(job.get_absolute_url())
        rows = [(r["number"], r["outcome"]) for r in response.context["result"]["rows"]]
        self.assertEqual(rows, [(2, "add"), (3, "error")])
        self.assertContains(response, "<strong>Stance</strong>: “maybe” is not one of")
        self.assertNotContains(response, 'name="confirm"')
        self.assertNotContains(response, "hx-trigger")
        self.assertFalse(job.path.exists())  # Nothing can be imported from it.

    def test_htmx_polls_get_the_status_fragment_only(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))

        response = self.client.get(job.get_absolute_url(), headers={"HX-Request": "true"})

        self.assertContains(response, 'id="import-job-status"')
        self.assertNotContains(response, "<html")
        self.assertContains(response, "Import 1 claim")

    def test_a_file_over_a_limit_gets_one_error_on_its_page(self):
        self.client.force_login(self.editor)

        with override_settings(CLAIMS_IMPORT_MAX_ROWS=1):
            job = self.checked(csv_file(row(), row(Quote="Two")))

        self.assertEqual(job.state, "refused")
        self.assertEqual(len(job.result["file_errors"]), 1)
        self.assertContains(self.client.get(job.get_absolute_url()), "CLAIMS_IMPORT_MAX_ROWS")

    def test_confirming_imports_the_checked_file_as_pending_claims_of_the_user(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))
        self.assertContains(self.client.get(job.get_absolute_url()), 'name="confirm"')

        response = self.client.post(confirm_url(job))
        run_worker()

        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        claim = Claim.objects.get(quote="We still have no names")
        self.assertEqual((claim.state, claim.created_by), (Claim.State.PENDING, self.editor))
        self.assertEqual(claim.history.get().history_user, self.editor)
        job.refresh_from_db()
        self.assertEqual(job.state, "imported")
        self.assertIsNotNone(job.file_deleted_at)
        self.assertFalse(job.path.exists())
        self.assertContains(self.client.get(job.get_absolute_url()), "1 claims added (pending)")

    def test_a_second_confirmation_imports_nothing_more_and_shows_the_first_result(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))
        self.client.post(confirm_url(job))
        run_worker()
        count = Claim.objects.count()

        again = self.client.post(confirm_url(job), follow=True)
        run_worker()

        self.assertEqual(Claim.objects.count(), count)
        self.assertEqual(tasks_named("run_import").count(), 1)
        self.assertContains(again, "already confirmed: here is its result")
        self.assertContains(again, "1 claims added (pending)")

    def test_a_job_is_its_owners_only(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))
        before = Claim.objects.count()

        self.client.force_login(self.other_editor)
        page = self.client.get(job.get_absolute_url())
        stolen = self.client.post(confirm_url(job))

        self.assertEqual((page.status_code, stolen.status_code), (404, 404))
        job.refresh_from_db()
        self.assertEqual(job.state, "checked")
        self.assertEqual(Claim.objects.count(), before)

    def test_the_confirmation_takes_post_only(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))

        self.assertEqual(self.client.get(confirm_url(job)).status_code, 405)
        job.refresh_from_db()
        self.assertEqual(job.state, "checked")

    def test_a_file_changed_on_disk_after_the_check_is_not_imported(self):
        self.client.force_login(self.editor)
        job = self.checked(csv_file(row()))
        job.path.write_bytes(csv_file(row(Quote="Swapped")))
        before = Claim.objects.count()

        self.client.post(confirm_url(job))
        run_worker()

        job.refresh_from_db()
        self.assertEqual(job.state, "failed")
        self.assertIn("changed since it was checked", job.result["file_errors"][0])
        self.assertEqual(Claim.objects.count(), before)

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom.
    def test_a_moderator_may_approve_on_import_and_the_gap_opens(self):
        self.client.force_login(self.moderator)
        self.assertContains(self.client.get(URL), "Approve on import")
        job = self.checked(csv_file(row()), approve="on")

        self.client.post(confirm_url(job))
        run_worker()

        claim = Claim.objects.get(quote="We still have no names")
        self.assertEqual(claim.state, Claim.State.APPROVED)
        self.assertTrue(
            Conflict.objects.open().filter(claim_a=self.some_released, claim_b=claim).exists()
        )
        self.assertContains(self.client.get(job.get_absolute_url()), "1 open conflict involve")

    def test_an_editor_cannot_approve_on_import(self):
        self.client.force_login(self.editor)
        before = Claim.objects.count()

        response = self.upload(csv_file(row()), approve="on")

        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "Only a moderator", status_code=403)
        self.assertEqual(Claim.objects.count(), before)
        self.assertFalse(ImportJob.objects.exists())

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
        self.assertFalse(ImportJob.objects.exists())

    def test_readers_are_refused_and_visitors_sent_to_log_in(self):
        self.client.force_login(self.reader)
        self.assertEqual(self.upload(csv_file(row())).status_code, 403)

        self.client.logout()
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])


class StagingTests(ImportFolder, RoleCast, JanuaryCast, TestCase):
    """The staged files' quota, expiry and cleanup, and a full disk."""

    def test_an_upload_past_the_users_quota_is_refused_and_stores_nothing(self):
        self.client.force_login(self.editor)
        data = csv_file(row())
        self.upload(data)

        with override_settings(CLAIMS_IMPORT_USER_QUOTA_BYTES=len(data) * 2 - 1):
            response = self.upload(data)

        self.assertEqual(response.status_code, 413)
        self.assertContains(response, "CLAIMS_IMPORT_USER_QUOTA_MB", status_code=413)
        self.assertEqual(ImportJob.objects.count(), 1)
        self.assertEqual(len(list(self.folder.iterdir())), 1)

    def test_an_upload_past_the_servers_quota_is_refused(self):
        self.client.force_login(self.editor)
        data = csv_file(row())
        self.upload(data)
        self.client.force_login(self.other_editor)

        with override_settings(CLAIMS_IMPORT_TOTAL_QUOTA_BYTES=len(data) * 2 - 1):
            response = self.upload(data)

        self.assertEqual(response.status_code, 507)
        self.assertContains(response, "CLAIMS_IMPORT_TOTAL_QUOTA_MB", status_code=507)

    def test_expired_files_are_deleted_at_the_next_upload_and_their_jobs_kept(self):
        self.client.force_login(self.editor)
        old = self.checked(csv_file(row()))
        ImportJob.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2020))

        self.upload(csv_file(row(Quote="New")))

        old.refresh_from_db()
        self.assertEqual(old.state, "expired")
        self.assertIsNotNone(old.file_deleted_at)
        self.assertFalse(old.path.exists())
        self.assertEqual(ImportJob.objects.count(), 2)
        page = self.client.get(old.get_absolute_url())
        self.assertContains(page, "Expired")
        self.assertEqual(self.client.post(confirm_url(old)).status_code, 302)
        self.assertFalse(Claim.objects.filter(quote="We still have no names").exists())

    def test_a_full_disk_gives_a_clear_error_and_leaves_no_file(self):
        self.client.force_login(self.editor)
        data = csv_file(*[row(Quote=f"Quote {n}") for n in range(40)])
        self.assertGreater(len(data), 4096)
        # The operating system's own refusal, as on a full disk: files this
        # process writes may not grow past 4 KB (the upload itself stays in
        # memory, below FILE_UPLOAD_MAX_MEMORY_SIZE).
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
        try:
            response = self.upload(data)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)

        self.assertEqual(response.status_code, 507)
        self.assertContains(response, "disk is full. Nothing was stored", status_code=507)
        self.assertEqual(list(self.folder.iterdir()), [])
        self.assertFalse(ImportJob.objects.exists())


class CleanImportsCommandTests(ImportFolder, RoleCast, JanuaryCast, TestCase):
    def test_it_expires_old_files_and_removes_stray_ones(self):
        self.client.force_login(self.editor)
        old = self.checked(csv_file(row()))
        fresh = self.checked(csv_file(row(Quote="Fresh")))
        ImportJob.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2020))
        stray = self.folder / "0123.upload"
        stray.write_bytes(b"left by an older version")
        os.utime(stray, (0, 0))
        out = io.StringIO()

        call_command("clean_imports", stdout=out)

        self.assertIn("Expired 1 import job(s); removed 1 stray file(s).", out.getvalue())
        self.assertFalse(old.path.exists() or stray.exists())
        self.assertTrue(fresh.path.exists())
        self.assertEqual(ImportJob.objects.get(pk=old.pk).state, "expired")

    def test_a_job_whose_worker_died_long_ago_expires_too(self):
        self.client.force_login(self.editor)
        self.upload(csv_file(row()))
        job = ImportJob.objects.get()
        long_ago = job.created_at.replace(year=2020)
        ImportJob.objects.filter(pk=job.pk).update(
            state="checking", created_at=long_ago, started_at=long_ago
        )

        call_command("clean_imports", stdout=io.StringIO())

        job.refresh_from_db()
        self.assertEqual(job.state, "expired")
        self.assertFalse(job.path.exists())
