"""
Two simultaneous confirmations of one import job write once: threads send
them together to a live server, the real worker runs what they queued, and
the claims, the queued import tasks and both answers are counted.

The job's id is the one-time token: ImportJob.confirm is a conditional
UPDATE (checked → importing) that the database lets one request win; the
other is redirected to the same job page, which shows the one import.

On PostgreSQL and on SQLite alike: there the test database is a file
(crosscheck/settings.py), so the live server's threads each have their own
connection, and every transaction begins IMMEDIATE with a busy timeout (WAL
mode), so the four UPDATEs queue for the one write lock instead of failing
with "database is locked".
"""

from __future__ import annotations

import http.client
import re
import tempfile
import threading
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import LiveServerTestCase, override_settings
from django.urls import reverse

from claims.jobs import ImportJob
from claims.models import Claim
from tests.cast import JanuaryCast
from tests.claims.jobs import run_worker, tasks_named
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast, restore_roles

TRIES = 3
SENDERS = 4


class SimultaneousConfirmationTests(RoleCast, JanuaryCast, LiveServerTestCase):
    def setUp(self) -> None:
        restore_roles()  # The last TransactionTestCase's flush removed them.
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.enterContext(override_settings(CLAIMS_IMPORT_DIR=folder.name))
        type(self).setUpTestData()

    def checked_job(self, data: bytes) -> ImportJob:
        self.client.force_login(self.editor)
        self.client.post(
            reverse("claims:claim_import"), {"file": SimpleUploadedFile("claims.csv", data)}
        )
        run_worker()
        job = ImportJob.objects.latest("created_at")
        self.assertEqual(job.state, "checked", job.result)
        return job

    def post(self, path: str, cookies: str, token: str) -> http.client.HTTPResponse:
        address = urlsplit(self.live_server_url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        body = f"csrfmiddlewaretoken={token}"
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Cookie": cookies,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.live_server_url + path,
            },
        )
        return connection.getresponse()

    def confirm_together(self, path: str, cookies: str, token: str) -> list[tuple[int, str]]:
        """Send SENDERS confirmations at once (one barrier); return their answers."""
        barrier = threading.Barrier(SENDERS)
        answers: list[tuple[int, str]] = []

        def send() -> None:
            barrier.wait()
            response = self.post(path, cookies, token)
            answers.append((response.status, response.getheader("Location", "")))

        threads = [threading.Thread(target=send) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return answers

    def test_simultaneous_confirmations_import_once_and_all_see_the_one_result(self):
        for attempt in range(TRIES):
            quote = f"Simultaneous {attempt}"
            job = self.checked_job(csv_file(row(Quote=quote), row(Quote=quote + " b")))
            page = self.client.get(job.get_absolute_url())
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
            cookies = "; ".join(
                f"{name}={morsel.value}" for name, morsel in self.client.cookies.items()
            )
            path = reverse("claims:import_job_confirm", args=[job.pk])
            answers = self.confirm_together(path, cookies, token)
            run_worker()

            self.assertEqual(answers, [(302, job.get_absolute_url())] * SENDERS)
            self.assertEqual(Claim.objects.filter(quote__startswith=quote).count(), 2)
            self.assertEqual(
                tasks_named("run_import").filter(args_kwargs__args=[str(job.pk)]).count(), 1
            )
            job.refresh_from_db()
            self.assertEqual((job.state, job.result["claims_added"]), ("imported", 2))
            shown = self.client.get(job.get_absolute_url())
            self.assertContains(shown, "2 claims added (pending)")
