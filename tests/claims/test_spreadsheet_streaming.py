"""
The check and the import stream the file (claims.spreadsheet.SheetCheck,
docs/imports.md): rows are checked CHUNK_ROWS at a time and kept as compact
outcomes, so memory does not follow the rows; what crosses chunks (repeats
within the file, claims already stored) is still found; errors past
KEPT_ERROR_ROWS rows are counted, not kept; one bad row in the last chunk
still writes nothing.
"""

from __future__ import annotations

import tracemalloc
from unittest import mock

from django.test import TestCase

from claims import spreadsheet
from claims.models import Claim
from claims.spreadsheet import (
    CHUNK_ROWS,
    KEEP_CLAIMS_ROWS,
    KEPT_ERROR_ROWS,
    SpreadsheetError,
    check_file,
    import_file,
)
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast


def rows(count: int, **cells) -> list[dict]:
    return [row(Quote=f"Streamed quote {n}", **cells) for n in range(count)]


class StreamingTests(RoleCast, JanuaryCast, TestCase):
    def test_a_repeat_in_a_later_chunk_names_the_first_row(self):
        data = rows(CHUNK_ROWS + 10)
        data.append(row(Quote="Streamed quote 3"))  # Row 5 again (the header is row 1).

        report = check_file(csv_file(*data), "claims.csv")

        last = CHUNK_ROWS + 12
        self.assertEqual([(e.row, e.column) for e in report.errors], [(last, "")])
        self.assertIn("as row 5: one of them is a duplicate", report.errors[0].message)
        self.assertEqual(report.to_add, CHUNK_ROWS + 10)
        self.assertEqual(report.rows[-1].outcome, "error")

    def test_a_claim_stored_is_skipped_in_any_chunk(self):
        first = import_file(csv_file(row(Quote="Stored once")), "claims.csv", user=self.editor)
        stored = first.rows[0].claim_id
        data = [*rows(CHUNK_ROWS + 5), row(Quote="Stored once")]

        report = check_file(csv_file(*data), "claims.csv")

        self.assertTrue(report.ok, report.errors[:3])
        self.assertEqual((report.to_add, report.skipped), (CHUNK_ROWS + 5, 1))
        self.assertEqual(report.rows[-1].skipped_as, stored)
        self.assertEqual(report.rows[-1].actions, [f"already imported as claim #{stored}: skipped"])

    def test_errors_past_the_kept_rows_are_counted_and_the_rows_still_refused(self):
        bad = rows(KEPT_ERROR_ROWS + 3, **{"Stated on": "7/1/2015"})

        report = check_file(csv_file(*bad), "claims.csv")

        self.assertFalse(report.ok)
        self.assertEqual(report.error_count, KEPT_ERROR_ROWS + 3)
        self.assertEqual(len(report.errors), KEPT_ERROR_ROWS)
        self.assertEqual(report.error_rows, KEPT_ERROR_ROWS + 3)
        self.assertEqual({r.outcome for r in report.rows}, {"error"})
        self.assertEqual(report.rows[-1].errors, [])  # Not kept word for word...
        self.assertTrue(report.rows[-1].hidden_errors)  # ...but known to be wrong.
        self.assertIn(f"{KEPT_ERROR_ROWS + 3:,} rows with errors", report.summary())
        with self.assertRaises(SpreadsheetError) as raised:
            import_file(csv_file(*bad), "claims.csv", user=self.editor)
        self.assertEqual(raised.exception.count, KEPT_ERROR_ROWS + 3)
        self.assertIn(f"{KEPT_ERROR_ROWS + 3:,} errors in the file", str(raised.exception))

    def test_one_bad_row_in_the_last_chunk_writes_nothing(self):
        before = Claim.objects.count()
        data = [*rows(CHUNK_ROWS + 1), row(Quote="Bad date", **{"Stated on": "2015-13-01"})]

        with self.assertRaises(SpreadsheetError):
            import_file(csv_file(*data), "claims.csv", user=self.editor)

        self.assertEqual(Claim.objects.count(), before)

    def test_a_good_file_of_several_chunks_imports_every_row_with_its_claim(self):
        data = rows(CHUNK_ROWS + 7)

        report = import_file(csv_file(*data), "claims.csv", user=self.editor)

        self.assertEqual(report.claims_added, CHUNK_ROWS + 7)
        ids = [r.claim_id for r in report.rows]
        self.assertEqual(len(set(ids)), CHUNK_ROWS + 7)
        quotes = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "quote"))
        self.assertEqual([quotes[pk] for pk in ids], [d["Quote"] for d in data])

    def test_a_short_file_writes_the_claims_its_check_built_dated_when_written(self):
        """Up to KEEP_CLAIMS_ROWS rows the check's claims are kept, not built again."""
        self.assertGreater(KEEP_CLAIMS_ROWS, CHUNK_ROWS + 7)
        data = rows(CHUNK_ROWS + 7)

        report = import_file(csv_file(*data), "claims.csv", user=self.editor)

        self.assertEqual(report.claims_added, CHUNK_ROWS + 7)
        ids = [r.claim_id for r in report.rows]
        claims = Claim.objects.filter(pk__in=ids)
        quotes = dict(claims.values_list("pk", "quote"))
        self.assertEqual([quotes[pk] for pk in ids], [d["Quote"] for d in data])
        # The state change is the write's, as the history row says, not the check's.
        written = {r.history_date for r in Claim.history.filter(id__in=ids, history_type="+")}
        self.assertEqual(len(written), 1)
        self.assertEqual(set(claims.values_list("state_changed_at", flat=True)), written)

    def test_a_longer_file_is_streamed_again_to_write_the_same(self):
        """Past KEEP_CLAIMS_ROWS rows the third pass builds the claims again, chunk by chunk."""
        short = import_file(csv_file(*rows(CHUNK_ROWS + 3)), "claims.csv", user=self.editor)
        data = [row(Quote=f"Streamed again {n}") for n in range(CHUNK_ROWS + 3)]

        with mock.patch.object(spreadsheet, "KEEP_CLAIMS_ROWS", CHUNK_ROWS):
            report = import_file(csv_file(*data), "claims.csv", user=self.editor)

        self.assertEqual(report.claims_added, CHUNK_ROWS + 3)
        ids = [r.claim_id for r in report.rows]
        quotes = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "quote"))
        self.assertEqual([quotes[pk] for pk in ids], [d["Quote"] for d in data])
        # Every other value as the kept claims of the shorter file have them.
        fields = ["source_id", "topic_id", "kind", "stance", "state", "state_reason",
                  "created_by_id", "stated_on", "citation_url", "search_text"]  # fmt: skip
        kept = Claim.objects.filter(pk__in=[r.claim_id for r in short.rows])
        streamed = Claim.objects.filter(pk__in=ids)
        strip = lambda row: (*row[:-1], row[-1].replace("streamed again", "streamed quote"))  # noqa: E731
        self.assertEqual(
            sorted(map(strip, streamed.values_list(*fields))),
            sorted(kept.values_list(*fields)),
        )

    def test_memory_of_a_check_does_not_follow_the_rows(self):
        """Four times the rows: the traced peak grows by far less than the old 4 KB a row."""

        def peak(count: int) -> int:
            data = csv_file(*rows(count))
            tracemalloc.start()
            try:
                report = check_file(data, "claims.csv")
                _, top = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            self.assertTrue(report.ok, report.errors[:3])
            spreadsheet.read_date.cache_clear()
            return top - len(data)  # The file's own bytes are the test's, not the check's.

        small, large = peak(CHUNK_ROWS), peak(4 * CHUNK_ROWS)

        per_row = (large - small) / (3 * CHUNK_ROWS)
        self.assertLess(per_row, 600, f"{small=:,} {large=:,} bytes")
