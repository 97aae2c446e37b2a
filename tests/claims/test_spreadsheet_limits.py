"""
The hard limits of a spreadsheet check (claims.spreadsheet.Limits): every
file is streamed and refused at the first limit it passes, with one error
that names the limit, its setting and the value found, before the work the
limit guards (an XLSX's unpacked size before it is opened, its declared
dimension before a row is read).
"""

from __future__ import annotations

import io
import re
import zipfile

from django.test import TestCase, override_settings
from openpyxl import Workbook

from claims.models import Claim
from claims.spreadsheet import Limits, SpreadsheetError, check_file, import_file
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import HEADER, csv_file, row
from tests.roles import RoleCast


def xlsx_file(*rows: dict) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for values in rows:
        book.active.append([values.get(column) for column in HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """Return the workbook with its first sheet's XML passed through change(text)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(info.filename, content)
    return out.getvalue()


def declaring(data: bytes, ref: str) -> bytes:
    """Return the workbook with its sheet's <dimension ref> set to ref (no cell added)."""
    return rewrite_sheet(
        data, lambda xml: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml)
    )


def with_member(data: bytes, name: str, size: int) -> bytes:
    """Return the workbook with one more member of `size` zero bytes (it compresses to little)."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"\0" * size)
    return out.getvalue()


class SpreadsheetLimitTests(RoleCast, JanuaryCast, TestCase):
    def only_error(self, data: bytes, name: str = "claims.csv", **limits) -> str:
        report = check_file(data, name, user=self.editor, limits=Limits.from_settings(**limits))
        [error] = report.errors
        self.assertEqual(report.rows, [])
        return error.message

    def test_it_refuses_an_xlsx_declaring_the_whole_sheet_before_reading_a_row(self):
        data = declaring(xlsx_file(row()), "A1:XFD1048576")
        self.assertLess(len(data), 8 * 1024)

        message = self.only_error(data, "hostile.xlsx")

        self.assertIn("The sheet declares 1,048,576 rows (range A1:XFD1048576)", message)
        self.assertIn(
            "the limit is 200,000 rows below the header (CLAIMS_IMPORT_MAX_ROWS)", message
        )

    def test_it_refuses_an_xlsx_declaring_too_many_columns(self):
        data = declaring(xlsx_file(row()), "A1:ZZ2")

        message = self.only_error(data, "wide.xlsx")

        self.assertIn("The sheet declares 702 columns (range A1:ZZ2)", message)
        self.assertIn("CLAIMS_IMPORT_MAX_COLUMNS", message)

    def test_it_refuses_a_zip_bomb_from_its_declared_sizes_before_opening_it(self):
        data = with_member(xlsx_file(row()), "xl/media/padding.bin", 3 * 1024 * 1024)
        self.assertLess(len(data), 64 * 1024)

        message = self.only_error(data, "bomb.xlsx", max_unzipped_bytes=2 * 1024 * 1024)

        self.assertIn("The workbook unpacks to 3.0 MB; the limit is 2 MB unpacked", message)
        self.assertIn("CLAIMS_IMPORT_MAX_UNZIPPED_MB", message)

    def test_it_counts_the_real_rows_of_an_xlsx_whatever_it_declares(self):
        data = declaring(xlsx_file(row(), row(Quote="Two"), row(Quote="Three")), "A1:R2")

        message = self.only_error(data, "liar.xlsx", max_rows=2)

        self.assertIn("more than 2 rows below the header (row 4 is one too many)", message)

    def test_an_xlsx_within_the_limits_reads_as_before(self):
        report = check_file(xlsx_file(row()), "claims.xlsx", user=self.editor)

        self.assertTrue(report.ok, [str(e) for e in report.errors])

    def test_it_refuses_a_csv_with_too_many_rows_at_the_first_row_past_the_limit(self):
        data = csv_file(*[row(Quote=f"Quote {n}") for n in range(4)])

        message = self.only_error(data, max_rows=3)

        self.assertIn("The file has more than 3 rows below the header (row 5", message)
        self.assertIn("the limit is 3 rows (CLAIMS_IMPORT_MAX_ROWS)", message)

    def test_it_refuses_a_row_with_a_value_past_the_column_limit(self):
        data = csv_file(row()).replace(b"\r\n", b",,,,extra\r\n", 2)

        message = self.only_error(data, max_columns=20)

        self.assertIn("Row 1 has 22 cells; the limit is 20 columns", message)

    def test_empty_cells_past_the_column_limit_are_dropped_not_refused(self):
        data = csv_file(row()).replace(b"\r\n", b",,,,,\r\n")

        report = check_file(data, user=self.editor, limits=Limits.from_settings(max_columns=20))

        self.assertTrue(report.ok, [str(e) for e in report.errors])

    def test_it_refuses_a_cell_longer_than_the_limit(self):
        data = csv_file(row(Quote="x" * 101))

        message = self.only_error(data, max_cell_chars=100)

        self.assertIn("Row 2, column 11 holds 101 characters; the limit is 100 characters", message)
        self.assertIn("CLAIMS_IMPORT_MAX_CELL_CHARS", message)

    def test_it_refuses_a_file_with_more_cells_than_the_limit(self):
        data = csv_file(row(), row(Quote="Two"))

        message = self.only_error(data, max_cells=40)

        self.assertIn("more than 40 cells (reached at row 3)", message)

    def test_a_line_without_breaks_is_refused_before_it_is_decoded(self):
        data = b"Source," + b"x" * 5000

        message = self.only_error(data, max_columns=2, max_cell_chars=100)

        self.assertIn("Line 1 is longer than 808 bytes", message)

    @override_settings(CLAIMS_IMPORT_MAX_ROWS=1)
    def test_the_limits_come_from_the_settings(self):
        message = self.only_error(csv_file(row(), row(Quote="Two")))

        self.assertIn("the limit is 1 rows (CLAIMS_IMPORT_MAX_ROWS)", message)

    def test_a_spent_time_budget_stops_the_import_and_writes_nothing(self):
        before = Claim.objects.count()
        report = check_file(
            csv_file(row()), user=self.editor, limits=Limits.from_settings(seconds=1e-9)
        )

        [error] = report.errors
        self.assertIn("The work took more than 0 s", error.message)
        self.assertIn("CLAIMS_IMPORT_TIME_LIMIT", error.message)
        with self.assertRaises(SpreadsheetError):
            import_file(
                csv_file(row()), user=self.editor, limits=Limits.from_settings(seconds=1e-9)
            )
        self.assertEqual(Claim.objects.count(), before)
