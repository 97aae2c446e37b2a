"""
The spreadsheet import (claims.spreadsheet): a CSV or XLSX of claims is checked
row by row, every error naming its row and column, and written all or nothing.

Specified here: a good file lands as pending claims by the importing user,
with history; a bad row, an empty file, wrong columns, a non-UTF-8 file, an
oversized file and a formula cell each write nothing and say why; a dry run
writes nothing; XLSX reads like CSV; a moderator's approved import opens the
conflicts detection finds (the demo gap), an editor's cannot be approved.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from openpyxl import Workbook

from claims.detection import recompute_all
from claims.models import Claim, Conflict, Detainee, Document
from claims.spreadsheet import SpreadsheetError, check_file, import_file
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast, user_in

HEADER = [
    "Source", "Source kind", "Affiliation", "Topic", "Detainee", "Kind", "Stance",
    "Quantity min", "Quantity max", "Status", "Quote", "Summary", "Stated on", "As of",
    "Document title", "Document URL", "Citation URL", "Language",
]  # fmt: skip
RELEASE = "Release of the 53 prisoners"


def row(**cells) -> dict:
    """Return a valid row: CCDHRN says on Jan 7 it has no information."""
    data = {
        "Source": "Cuban Commission for Human Rights and National Reconciliation",
        "Topic": RELEASE,
        "Kind": "fact",
        "Stance": "no information",
        "Quote": "We still have no names",
        "Summary": "Still no information",
        "Stated on": "2015-01-07",
        "Citation URL": "https://example.org/ccdhrn",
    }
    data.update(cells)
    return data


def csv_file(*rows: dict, header=HEADER, delimiter=",", bom=False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for data in rows:
        writer.writerow([data.get(column, "") for column in header])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


class SpreadsheetImportTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.prisoner = Detainee.objects.create(name="Unidentified prisoner 1", aliases=["P-1"])
        cls.prisoner.topics.add(cls.release)

    def assertNothingWritten(self, before: int) -> None:
        self.assertEqual(Claim.objects.count(), before)
        self.assertFalse(Source.objects.filter(name="Comité de familias").exists())

    def test_it_imports_a_good_file_as_pending_claims_by_the_user_with_history(self):
        data = csv_file(
            row(),
            row(
                Source="Comité de familias",
                **{"Source kind": "Other", "Affiliation": "Elizardo Sanchez"},
                Stance="affirms",
                **{"Quantity min": "1", "Quantity max": "53"},
                Quote="Some have come home",
                Summary="Some came home",
                **{"Document title": "Families' letter", "Document URL": "https://ex.org/l"},
                **{"Citation URL": ""},
            ),
            row(
                Detainee="P-1",
                Stance="affirms",
                Status="Released: conditionally (parole)",
                Quote="He was paroled",
                Summary="Paroled",
            ),
        )

        report = import_file(data, "claims.csv", user=self.editor)

        self.assertEqual(report.claims_added, 3)
        claims = list(Claim.objects.filter(created_by=self.editor).order_by("pk"))
        self.assertEqual(len(claims), 3)
        for claim in claims:
            self.assertEqual(claim.state, Claim.State.PENDING)
            self.assertEqual(claim.state_changed_by, self.editor)
            self.assertEqual(claim.search_text, claim.build_search_text())
            [record] = claim.history.all()
            self.assertEqual(record.history_user, self.editor)
            self.assertEqual(record.history_change_reason, "Imported from a spreadsheet.")
        families = Source.objects.get(name="Comité de familias")
        self.assertEqual((families.kind, families.affiliation), ("other", self.sanchez))
        self.assertEqual(families.history.get().history_user, self.editor)
        letter = Document.objects.get(title="Families' letter")
        self.assertEqual(letter.url, "https://ex.org/l")
        self.assertEqual((claims[1].quantity_min, claims[1].quantity_max), (1, 53))
        self.assertEqual(claims[2].detainee, self.prisoner)
        self.assertEqual(claims[2].status, Claim.Status.CONDITIONAL_RELEASE)
        self.assertEqual(report.new_sources, ["Comité de familias"])

    def test_a_file_with_one_bad_row_writes_nothing_and_names_its_row_and_column(self):
        before = Claim.objects.count()
        data = csv_file(row(), row(Source="Comité de familias", **{"Source kind": "other"}),
                        row(Stance="maybe"))  # fmt: skip

        with self.assertRaises(SpreadsheetError) as caught:
            import_file(data, "claims.csv", user=self.editor)

        [error] = caught.exception.errors
        self.assertEqual((error.row, error.column), (4, "Stance"))
        self.assertIn("“maybe” is not one of", str(error))
        self.assertTrue(str(error).startswith("Row 4, Stance: "))
        self.assertNothingWritten(before)

    def test_the_models_own_messages_reach_the_row(self):
        report = check_file(
            csv_file(row(Kind="position"), row(**{"Quantity min": "60"}, Stance="affirms")),
            user=self.editor,
        )

        messages = {(e.row, e.column): e.message for e in report.errors}
        self.assertIn("takes no stance", messages[(2, "Stance")])
        self.assertIn("outside the topic's range", messages[(3, "Quantity min")])

    def test_a_dry_run_writes_nothing_and_reports_every_row(self):
        before = Claim.objects.count()

        report = check_file(
            csv_file(row(), row(Source="Comité de familias", **{"Source kind": "other"})),
            "claims.csv",
            user=self.editor,
        )

        self.assertTrue(report.ok)
        self.assertEqual([r.outcome for r in report.rows], ["add", "add"])
        self.assertIn("will add source “Comité de familias” (Other)", report.rows[1].actions)
        self.assertNothingWritten(before)

    def test_an_empty_file_is_refused(self):
        for data in (b"", b"  \n"):
            report = check_file(data, user=self.editor)
            self.assertEqual([str(e) for e in report.errors], ["The file is empty."])

    def test_a_header_without_rows_is_refused(self):
        report = check_file(csv_file(), user=self.editor)

        self.assertIn("no claims", str(report.errors[0]))

    def test_wrong_columns_get_one_message_listing_what_is_missing_and_unknown(self):
        header = ["Source", "Topic", "Kind", "Quote", "Summary", "Said on"]

        report = check_file(csv_file(row(), header=header), user=self.editor)

        [error] = report.errors
        self.assertIn("missing required column: Stated on", error.message)
        self.assertIn("unknown column: Said on", error.message)
        self.assertIn("The expected columns", error.message)
        self.assertEqual(report.rows, [])

    def test_headers_ignore_case_spaces_and_underscores(self):
        header = [h.upper().replace(" ", "_") for h in HEADER]
        data = csv_file(*[{k.upper().replace(" ", "_"): v for k, v in row().items()}],
                        header=header)  # fmt: skip

        self.assertTrue(check_file(data, user=self.editor).ok)

    def test_a_non_utf8_file_is_refused_with_the_byte_and_line(self):
        data = csv_file(row()).replace(b"We still", "Dónde".encode("latin-1"))

        [error] = check_file(data, user=self.editor).errors

        self.assertIn("not UTF-8", error.message)
        self.assertIn("(line 2)", error.message)
        self.assertIn("CSV UTF-8", error.message)

    def test_utf8_with_a_bom_and_semicolons_are_read(self):
        data = csv_file(row(Quote="Dónde están"), delimiter=";", bom=True)

        report = import_file(data, user=self.editor)

        self.assertEqual(Claim.objects.get(pk__in=[report.rows[0].claim_id]).quote, "Dónde están")

    @override_settings(CLAIMS_IMPORT_MAX_BYTES=200)
    def test_a_file_over_the_size_cap_is_refused_before_reading(self):
        data = csv_file(row(), row(Quote="Another"))

        [error] = check_file(data, user=self.editor).errors

        self.assertIn("the limit is 0 MB", error.message)
        self.assertIn("manage.py import_claims", error.message)

    def test_a_formula_cell_is_refused_and_says_how_to_enter_text(self):
        before = Claim.objects.count()
        data = csv_file(row(Quote='=HYPERLINK("http://evil.example","click")'))

        with self.assertRaises(SpreadsheetError) as caught:
            import_file(data, user=self.editor)

        [error] = caught.exception.errors
        self.assertEqual((error.row, error.column), (2, "Quote"))
        self.assertIn("run it as a formula", error.message)
        self.assertIn("apostrophe", error.message)
        self.assertNothingWritten(before)

    def test_formula_rule_spares_numbers_and_takes_apostrophed_text(self):
        for cell, refused in (("-5", False), ("+1", False), ("@SUM(A1)", True), ("-x", True),
                              ("+1+2", True), ("\t=1", True)):  # fmt: skip
            report = check_file(csv_file(row(Summary=cell.strip())), user=self.editor)
            self.assertEqual(any("formula" in e.message for e in report.errors), refused, cell)

        import_file(csv_file(row(Summary="'- no names given")), user=self.editor)

        self.assertTrue(Claim.objects.filter(summary="- no names given").exists())

    def test_an_xlsx_file_is_read_like_a_csv(self):
        book = Workbook()
        sheet = book.active
        sheet.append(HEADER)
        values = row(**{"Stated on": date(2015, 1, 7)}, Stance="affirms")
        values.update({"Quantity min": 1, "Quantity max": 53.0})
        sheet.append([values.get(column) for column in HEADER])
        buffer = io.BytesIO()
        book.save(buffer)

        report = import_file(buffer.getvalue(), "claims.xlsx", user=self.editor)

        claim = Claim.objects.get(pk=report.rows[0].claim_id)
        self.assertEqual((claim.stated_on, claim.quantity_min, claim.quantity_max),
                         (date(2015, 1, 7), 1, 53))  # fmt: skip

    def test_an_xlsx_formula_is_refused(self):
        book = Workbook()
        book.active.append(HEADER)
        values = row(Summary="=1+1")
        book.active.append([values.get(column) for column in HEADER])
        buffer = io.BytesIO()
        book.save(buffer)

        [error] = check_file(buffer.getvalue(), "x.xlsx", user=self.editor).errors

        self.assertEqual(error.column, "Summary")

    def test_unknown_names_are_errors_at_their_row_and_column(self):
        data = csv_file(
            row(Topic="Release of the 35"),
            row(Detainee="Unidentified prisoner 9", Stance="affirms", Status="released"),
            row(Source="Nobody known"),
        )

        errors = {(e.row, e.column): e.message for e in check_file(data, user=self.editor).errors}

        self.assertIn("No topic is titled “Release of the 35”", errors[(2, "Topic")])
        self.assertIn("No detainee is named “Unidentified prisoner 9”", errors[(3, "Detainee")])
        self.assertIn("give its source kind", errors[(4, "Source kind")])

    def test_one_new_source_with_two_kinds_is_an_error(self):
        data = csv_file(
            row(Source="Comité de familias", **{"Source kind": "other"}),
            row(Source="Comité de familias", **{"Source kind": "monitor"}, Quote="Other"),
        )

        [error] = check_file(data, user=self.editor).errors

        self.assertEqual((error.row, error.column), (3, "Source kind"))
        self.assertIn("Row 2 gives Comité de familias the kind Other", error.message)

    def test_a_citation_is_required(self):
        [error] = check_file(csv_file(row(**{"Citation URL": ""})), user=self.editor).errors

        self.assertEqual((error.row, error.column), (2, "Citation URL"))
        self.assertIn("Give a citation", error.message)

    def test_citation_urls_are_checked_in_the_claim_forms_words_once_valid_always_valid(self):
        # The import checks a valid URL once per file (claims.spreadsheet,
        # citation_is_valid); a refused one still gets every message the
        # model's field gives, on each row that gives it.
        field = Claim._meta.get_field("citation_url")
        bad = ["ftp://example.org/x", "not a link", "https://example.org/" + "a" * 1000]
        good = "https://example.org/ccdhrn?x=1"
        rows = [
            row(**{"Citation URL": url, "Stated on": f"2015-01-0{day}"})
            for day, url in enumerate([good, *bad, good, bad[0], "https://exa\x00mple.org"], 1)
        ]

        report = check_file(csv_file(*rows), user=self.editor)

        found = Counter((e.row, e.column, e.message) for e in report.errors)
        expected = Counter()
        for number, url in [(3, bad[0]), (4, bad[1]), (5, bad[2]), (7, bad[0])]:
            with self.assertRaises(ValidationError) as caught:
                field.clean(url, None)
            for message in caught.exception.messages:
                expected[(number, "Citation URL", message)] += 1
        self.assertEqual(
            {k: v for k, v in found.items() if k[0] != 8}, dict(expected), report.errors
        )
        [nul] = [e for e in report.errors if e.row == 8]
        self.assertEqual(nul.column, "Citation URL")
        self.assertIn("NUL character", nul.message)
        self.assertEqual(report.to_add, 2)

    def test_importing_the_same_file_twice_adds_nothing_the_second_time(self):
        data = csv_file(row())
        import_file(data, user=self.editor)
        count = Claim.objects.count()

        report = import_file(data, user=self.editor)

        self.assertEqual(Claim.objects.count(), count)
        self.assertEqual(report.rows[0].outcome, "skip")

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom.
    def test_a_moderators_approved_import_opens_the_gap_with_some_released(self):
        data = csv_file(row())

        report = import_file(data, user=self.moderator, approve=True)

        claim = Claim.objects.get(pk=report.rows[0].claim_id)
        self.assertEqual(claim.state, Claim.State.APPROVED)
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=claim)
        self.assertEqual((gap.kind, gap.status), (Conflict.Kind.GAP, Conflict.Status.OPEN))
        self.assertEqual(report.conflicts_opened, 1)
        # What the full recompute would find: nothing left to change.
        self.assertEqual(+recompute_all().changes, Counter())

    def test_a_moderator_cannot_approve_the_claims_they_import_and_is_told_who_can(self):
        other = user_in("otto", "Moderator", first_name="Otto", last_name="Second")
        before = Claim.objects.count()

        with self.assertRaises(SpreadsheetError) as caught:
            import_file(csv_file(row()), user=self.moderator, approve=True)

        message = str(caught.exception.errors[0])
        self.assertIn("another moderator must approve them", message)
        self.assertIn(other.get_full_name(), message)
        self.assertNothingWritten(before)

    def test_an_editor_cannot_import_as_approved(self):
        before = Claim.objects.count()

        with self.assertRaises(SpreadsheetError) as caught:
            import_file(csv_file(row()), user=self.editor, approve=True)

        self.assertIn("Only a moderator", str(caught.exception.errors[0]))
        self.assertNothingWritten(before)


class DownloadRoundTripTests(RoleCast, JanuaryCast, TestCase):
    """A claims download (crosscheck.exports) imports as it is: a newsroom edits it and loads it."""

    def download(self) -> str:
        response = self.client.get(reverse("claims:claim_export", args=["csv"]))
        return b"".join(response.streaming_content).decode("utf-8-sig")

    def test_it_reads_every_row_of_a_download_and_ignores_the_columns_only_a_download_has(self):
        text = self.download()
        ids = [int(r["id"]) for r in csv.DictReader(io.StringIO(text))]

        report = check_file(text.encode("utf-8"), "crosscheck-claims.csv", user=self.editor)

        self.assertTrue(report.ok, [str(e) for e in report.errors])
        self.assertEqual(
            report.ignored_columns,
            [
                "id",
                "permalink",
                "state",
                "verdict",
                "relays claim",
                "relays source",
                "current",
                "superseded by",
                "open conflicts",
            ],
        )
        # Each row is the stored claim it came from: nothing new to add.
        self.assertEqual([r.skipped_as for r in report.rows], ids)

    def test_a_download_edited_in_a_spreadsheet_imports_as_new_pending_claims(self):
        rows = list(csv.DictReader(io.StringIO(self.download())))
        for data in rows:
            data["quote"] += " (checked again)"
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        before = Claim.objects.count()

        report = import_file(out.getvalue().encode("utf-8"), "edited.csv", user=self.editor)

        self.assertEqual(report.claims_added, len(rows))
        added = Claim.objects.filter(quote__endswith="(checked again)")
        self.assertEqual(Claim.objects.count(), before + len(rows))
        self.assertEqual({c.state for c in added}, {Claim.State.PENDING})
        self.assertEqual(
            sorted((c.source_id, c.topic_id, c.stated_on) for c in added),
            sorted(
                Claim.objects.approved()
                .exclude(pk__in=added)
                .values_list("source_id", "topic_id", "stated_on")
            ),
        )
