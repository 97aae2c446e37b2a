"""
`manage.py import_claims FILE`: the spreadsheet import from the shell.

Specified here: it imports as the named user and prints a summary with
rows per second; on any error it lists every error (at most 50, then how
many more) on standard error, writes nothing and exits non-zero; a real
import needs --user; --approve needs a moderator; a file over the size cap
is refused from its size alone.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings

from claims.models import Claim
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast


class ImportClaimsCommandTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def file(self, data: bytes, name: str = "claims.csv") -> str:
        path = self.folder / name
        path.write_bytes(data)
        return str(path)

    def run_command(self, *args: str) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_claims", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_it_imports_as_the_user_and_prints_rows_per_second(self):
        path = self.file(csv_file(row(), row(Quote="Nothing new", Summary="Nothing new")))

        out, _ = self.run_command(path, "--user", self.editor.username)

        self.assertEqual(Claim.objects.filter(created_by=self.editor).count(), 2)
        self.assertIn("2 rows, 2 claims added (pending), 0 new sources", out)
        self.assertRegex(out, r"2 rows in [\d.]+ s: [\d,]+ rows/s\.")

    def test_an_invalid_file_lists_every_error_writes_nothing_and_fails(self):
        before = Claim.objects.count()
        rows = [row(Quote=f"Quote {n}", Stance="maybe") for n in range(60)]
        path = self.file(csv_file(*rows))

        err = io.StringIO()
        with self.assertRaises(CommandError) as caught:
            call_command("import_claims", path, "--user", self.editor.username, stderr=err)

        self.assertIn("60 errors in the file; nothing was imported.", str(caught.exception))
        lines = err.getvalue().splitlines()
        self.assertEqual(lines[0], "Row 2, Stance: “maybe” is not one of: Affirms, Denies, "
                         "No information, Declines to say.")  # fmt: skip
        self.assertEqual(len(lines), 51)
        self.assertEqual(lines[-1], "… and 10 more.")
        self.assertEqual(Claim.objects.count(), before)

    def test_a_dry_run_writes_nothing_and_needs_no_user(self):
        before = Claim.objects.count()

        out, _ = self.run_command(self.file(csv_file(row())), "--dry-run")

        self.assertIn("Dry run, nothing written: 1 rows, 1 claims to add (pending)", out)
        self.assertEqual(Claim.objects.count(), before)

    def test_a_real_import_needs_a_user(self):
        with self.assertRaisesMessage(CommandError, "--user USERNAME"):
            self.run_command(self.file(csv_file(row())))

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom.
    def test_approving_needs_a_moderator(self):
        path = self.file(csv_file(row()))
        with self.assertRaisesMessage(CommandError, "may not approve"):
            self.run_command(path, "--user", self.editor.username, "--approve")

        out, _ = self.run_command(path, "--user", self.moderator.username, "--approve")

        self.assertIn("1 claims added (approved)", out)
        self.assertIn("Open conflicts on the new claims: 1.", out)

    def test_a_file_over_the_cap_is_refused_from_its_size(self):
        path = self.file(csv_file(row()) + b" " * 2_000_000)

        with self.assertRaisesMessage(CommandError, "the limit is 1 MB"):
            self.run_command(path, "--user", self.editor.username, "--max-mb", "1")
