"""
Import a spreadsheet (CSV or XLSX) of claims: all of it, or nothing (claims.spreadsheet).

    python manage.py import_claims FILE --user USERNAME [--approve] [--dry-run] [--max-mb N]

`--user` is required for a real import: the history says who imported each
claim, and the claims land as that user's pending claims (`--approve`, for a
user with claims.moderate_claim: approved, and detection runs). A dry run
needs no user. The file-size cap is the web upload's
(settings.CLAIMS_IMPORT_MAX_BYTES) unless `--max-mb` says otherwise (0: none):
the shell is where files too large for the web page go. The file is
streamed under the other limits of the web import (rows, columns, cells,
an XLSX's unpacked size and declared dimension, seconds: the
CLAIMS_IMPORT_* settings), in this process rather than the worker.

On a terminal a progress bar (tqdm) shows the checking and the writing; in a
pipe or a log it is left out. The summary line gives rows, claims added,
sources and documents created, seconds and rows per second. On any error
every error is listed on standard error (the first 50, then how many more),
nothing is written, and the command exits with status 1.
"""

from __future__ import annotations

import os
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.spreadsheet import (
    ImportReport,
    SpreadsheetError,
    can_approve,
    check_file,
    import_file,
    max_bytes,
    size_message,
)

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file of claims, one row per claim. On any error nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path to the .csv or .xlsx file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; write nothing."
        )
        parser.add_argument(
            "--approve",
            action="store_true",
            help="Import the claims as approved (the user must be a moderator).",
        )
        parser.add_argument(
            "--user", help="Username recorded in history as the importer (required to import)."
        )
        parser.add_argument(
            "--max-mb",
            type=float,
            help="Refuse larger files, in MB (default: the web upload's limit; 0: none).",
        )

    def handle(self, *args, **options) -> None:
        user = self.find_user(options["user"], options["dry_run"])
        if options["approve"] and user is not None and not can_approve(user):
            raise CommandError(
                f"{user.get_username()} may not approve claims (claims.moderate_claim): "
                "import without --approve, as pending claims."
            )
        limit = max_bytes()
        if options["max_mb"] is not None:
            limit = int(options["max_mb"] * 1024 * 1024) if options["max_mb"] > 0 else 2**40
        path = options["file"]
        source = self.read(path, limit)
        progress = Progress(enabled=sys.stderr.isatty())
        started = time.monotonic()
        try:
            if options["dry_run"]:
                report = check_file(
                    source,
                    path,
                    user=user,
                    approve=options["approve"],
                    progress=progress,
                    limit=limit,
                )
                if not report.ok:
                    raise SpreadsheetError(report.errors, report)
            else:
                report = import_file(
                    source,
                    path,
                    user=user,
                    approve=options["approve"],
                    progress=progress,
                    limit=limit,
                )
        except SpreadsheetError as exc:
            progress.close()
            self.fail(exc)
        progress.close()
        self.summarise(report, time.monotonic() - started, dry_run=options["dry_run"])

    def find_user(self, username: str | None, dry_run: bool):
        if not username:
            if dry_run:
                return None
            raise CommandError(
                "Say who imports the claims: --user USERNAME (the history records it)."
            )
        User = get_user_model()
        try:
            return User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def read(self, path: str, limit: int) -> str:
        """Return the path once it is known readable and within the size cap.

        The file itself is streamed by claims.spreadsheet, as the worker
        streams an upload, under the same limits (settings.CLAIMS_IMPORT_*).
        """
        try:
            with open(path, "rb") as f:
                # Refused from its size alone, before a byte of it is read.
                size = os.fstat(f.fileno()).st_size
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        if size > limit:
            raise CommandError(size_message(size, limit))
        return path

    def summarise(self, report: ImportReport, seconds: float, *, dry_run: bool) -> None:
        rate = len(report.rows) / seconds if seconds else 0.0
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {report.summary()}.")
        else:
            self.stdout.write(f"Imported {report.filename}: {report.summary()}.")
            if report.conflicts_opened:
                self.stdout.write(f"Open conflicts on the new claims: {report.conflicts_opened:,}.")
        if report.ignored_columns:
            self.stdout.write(
                "Ignored (a download's own columns): " + ", ".join(report.ignored_columns)
            )
        self.stdout.write(f"{len(report.rows):,} rows in {seconds:.1f} s: {rate:,.0f} rows/s.")

    def fail(self, exc: SpreadsheetError) -> None:
        for error in exc.errors[:SHOWN_ERRORS]:
            self.stderr.write(str(error))
        if exc.count > SHOWN_ERRORS:
            self.stderr.write(f"… and {exc.count - SHOWN_ERRORS:,} more.")
        raise CommandError(str(exc))


class Progress:
    """One tqdm bar per phase ("checking", "writing"), on a terminal only."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled, self.bar, self.phase = enabled, None, ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if phase != self.phase:
            self.close()
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=phase, unit="row", unit_scale=True, file=sys.stderr)
            self.phase = phase
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
