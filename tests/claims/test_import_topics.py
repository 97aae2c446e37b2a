"""
Topics a spreadsheet import creates (claims.import_topics).

Specified here: a moderator's import creates the topics its rows name and
define (Topic question, quantity label, bounds, window, tolerance), with
history (who, when, why) and published only as an approved claim publishes
what it uses; the dry run says how many would be created. An editor's row
naming an unknown topic is refused, saying who may create topics. A bad
definition in any row, two rows defining one new topic differently, a
changed stored topic or a title too close to a stored one write nothing and
name the cell.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal

from django.core.management import call_command
from django.test import TestCase, override_settings

from claims.detection import FLAGGED, recompute_all
from claims.import_topics import TOPIC_REASON
from claims.models import Claim, Conflict, Topic
from claims.spreadsheet import CHUNK_ROWS, SpreadsheetError, check_file, import_file
from sources.models import Source
from tests.cast import JanuaryCast
from tests.claims.test_import_view import ImportFolder
from tests.roles import RoleCast

HEADER = [
    "Source",
    "Source kind",
    "Topic",
    "Topic question",
    "Topic unit",
    "Topic quantity min",
    "Topic quantity max",
    "Topic window days",
    "Topic tolerance percent",
    "Kind",
    "Stance",
    "Quantity min",
    "Quantity max",
    "Quote",
    "Summary",
    "Stated on",
    "Citation URL",
]
LYON = "Population of Lyon, 2010"


def row(**cells) -> dict:
    """Return a valid row: an editor of Wikipedia gives Lyon 484,344 inhabitants in 2010."""
    data = {
        "Source": "Wikipedia editor 1",
        "Source kind": "other",
        "Topic": LYON,
        "Topic question": "How many people lived in Lyon in 2010?",
        "Topic unit": "inhabitants",
        "Topic window days": "3650",
        "Topic tolerance percent": "1",
        "Kind": "fact",
        "Stance": "affirms",
        "Quantity min": "484344",
        "Quantity max": "484344",
        "Quote": "Population: 484,344",
        "Summary": "484,344 inhabitants",
        "Stated on": "2012-03-01",
        "Citation URL": "https://en.wikipedia.org/w/index.php?oldid=1",
    }
    data.update(cells)
    return data


def csv_file(*rows: dict, header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for data in rows:
        writer.writerow([data.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


def errors_of(report) -> dict:
    return {(e.row, e.column): e.message for e in report.errors}


class ImportTopicsTests(RoleCast, JanuaryCast, TestCase):
    def refused(self, data: bytes, user) -> dict:
        """Import, expecting a refusal that writes nothing; return its errors by (row, column)."""
        counts = (Claim.objects.count(), Topic.objects.count(), Source.objects.count())
        with self.assertRaises(SpreadsheetError) as caught:
            import_file(data, user=user)
        self.assertEqual(
            (Claim.objects.count(), Topic.objects.count(), Source.objects.count()), counts
        )
        self.assertEqual(Topic.history.filter(history_change_reason=TOPIC_REASON).count(), 0)
        return {(e.row, e.column): e.message for e in caught.exception.errors}

    def test_a_moderators_import_creates_the_topics_it_defines_with_history(self):
        data = csv_file(
            row(),
            row(
                Source="Wikipedia editor 2",
                Quote="484,000",
                **{"Quantity min": "484000"},
                **{"Quantity max": "484000"},
            ),
            row(
                Topic="Population of Lyon, 2011",
                **{
                    "Topic question": "How many people lived in Lyon in 2011?",
                    "Topic quantity max": "2000000",
                },
            ),
        )

        dry = check_file(data, user=self.moderator)
        self.assertTrue(dry.ok, dry.errors)
        self.assertIn("2 topics would be created", dry.summary())
        self.assertFalse(Topic.objects.filter(title=LYON).exists())

        report = import_file(data, user=self.moderator)

        self.assertIn("2 topics created", report.summary())
        lyon = Topic.objects.get(title=LYON)
        self.assertEqual(
            (lyon.slug, lyon.question, lyon.quantity_label, lyon.quantity_min, lyon.quantity_max),
            (
                "population-of-lyon-2010",
                "How many people lived in Lyon in 2010?",
                "inhabitants",
                0,
                None,
            ),
        )
        self.assertEqual((lyon.window_days, lyon.tolerance_percent), (3650, Decimal("1.00")))
        self.assertEqual(Topic.objects.get(title="Population of Lyon, 2011").quantity_max, 2000000)
        self.assertEqual(lyon.claims.count(), 2)
        [record] = lyon.history.all()
        self.assertEqual(
            (record.history_type, record.history_user, record.history_change_reason),
            ("+", self.moderator, TOPIC_REASON),
        )
        self.assertIsNotNone(record.history_date)
        # Pending claims publish nothing: the new topics are research until approved.
        self.assertFalse(lyon.is_public)
        self.assertEqual(Topic.objects.public().filter(title__startswith="Population").count(), 0)

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom.
    def test_an_approved_import_publishes_its_topics_and_applies_their_tolerance(self):
        data = csv_file(
            row(),
            # 0.9% off: within the topic's 1%, no contradiction.
            row(
                Source="Wikipedia editor 2",
                Quote="480,000",
                **{"Quantity min": "480000", "Quantity max": "480000"},
            ),
            # 10% off: a contradiction with both.
            row(
                Source="Wikipedia editor 3",
                Quote="436,000",
                **{"Quantity min": "436000", "Quantity max": "436000"},
            ),
        )

        report = import_file(data, user=self.admin, approve=True)

        lyon = Topic.objects.get(title=LYON)
        self.assertTrue(lyon.is_public)
        # The new sources too, published as they were written.
        self.assertEqual(len(report.new_sources), 3)
        for name in report.new_sources:
            self.assertTrue(Source.objects.get(name=name).is_public, name)
        self.assertEqual(report.conflicts_opened, 2)
        self.assertEqual(
            Conflict.objects.filter(topic=lyon, kind=Conflict.Kind.CONTRADICTION).count(), 2
        )
        # Each new conflict has its history row (written by COPY on PostgreSQL).
        records = Conflict.history.filter(topic_id=lyon.pk)
        self.assertEqual(
            sorted(records.values_list("history_type", "history_change_reason", "status")),
            [("+", FLAGGED, Conflict.Status.OPEN)] * 2,
        )
        self.assertEqual(+recompute_all().changes, Counter())

    def test_an_editors_row_naming_an_unknown_topic_says_who_may_create_topics(self):
        stored = row(Topic=self.release.title, **{"Quantity min": "5", "Quantity max": "5"})
        for column in HEADER:
            if column.startswith("Topic "):
                stored[column] = ""
        errors = self.refused(csv_file(row(), stored), self.editor)

        self.assertEqual(list(errors), [(2, "Topic")])
        self.assertIn("No topic is titled “Population of Lyon, 2010”", errors[(2, "Topic")])
        self.assertIn(
            "Only a moderator or an administrator may create topics", errors[(2, "Topic")]
        )

    def test_a_bad_definition_in_any_row_writes_nothing_and_names_the_cell(self):
        data = csv_file(
            row(),
            row(
                Topic="Population of Lyon, 2011",
                **{
                    "Topic question": "How many in 2011?",
                    "Topic quantity min": "10",
                    "Topic quantity max": "5",
                },
            ),
            row(
                Topic="Population of Lyon, 2012",
                **{
                    "Topic question": "How many in 2012?",
                    "Topic window days": "a week",
                },
            ),
            row(
                Topic="Population of Lyon, 2013",
                **{
                    "Topic question": "How many in 2013?",
                    "Topic tolerance percent": "150",
                },
            ),
            row(Topic="Population of Lyon, 2012", Quote="Again"),
        )

        errors = self.refused(data, self.moderator)

        self.assertIn("below the lower bound", errors[(3, "Topic quantity max")])
        self.assertIn("“a week” is not a whole number", errors[(4, "Topic window days")])
        self.assertIn("less than or equal to 100", errors[(5, "Topic tolerance percent")])
        self.assertIn("defined with errors in an earlier row", errors[(6, "Topic")])
        self.assertNotIn((2, "Topic"), errors)

    def test_two_rows_defining_one_new_topic_differently_write_nothing(self):
        data = csv_file(
            row(),
            row(Source="Wikipedia editor 2", Quote="Other", **{"Topic window days": "365"}),
            row(Source="Wikipedia editor 3", Quote="Third", **{"Topic question": ""}),
        )

        errors = self.refused(data, self.moderator)

        self.assertEqual(list(errors), [(3, "Topic window days")])
        self.assertIn(
            "Row 2 gives the new topic “Population of Lyon, 2010” the window days "
            "“3650”: one topic has one definition",
            errors[(3, "Topic window days")],
        )

    def test_a_new_topic_needs_its_question_in_its_first_row(self):
        errors = self.refused(csv_file(row(**{"Topic question": ""})), self.moderator)

        self.assertIn("give its Topic question in this row", errors[(2, "Topic")])

    def test_a_stored_topic_may_be_repeated_but_not_changed(self):
        same = row(
            Topic=self.release.title,
            **{
                "Topic question": self.release.question,
                "Topic unit": "prisoners released",
                "Topic quantity max": "53",
                "Topic window days": "",
                "Topic tolerance percent": "",
                "Quantity min": "5",
                "Quantity max": "5",
            },
        )
        self.assertTrue(check_file(csv_file(same), user=self.editor).ok)

        changed = {**same, "Topic quantity max": "60", "Topic unit": "people"}
        errors = self.refused(csv_file(changed), self.moderator)

        self.assertIn(
            "stored with quantity max “53”; an import does not change a stored topic",
            errors[(2, "Topic quantity max")],
        )
        self.assertIn("stored with quantity label “prisoners released”", errors[(2, "Topic unit")])

    def test_a_title_too_close_to_a_stored_topics_is_refused(self):
        errors = self.refused(csv_file(row(Topic=self.release.title + "!")), self.moderator)

        self.assertIn(
            "Another topic already has a title this close: “Release of the 53 prisoners”",
            errors[(2, "Topic")],
        )

    def test_two_new_titles_with_one_slug_are_refused(self):
        data = csv_file(row(), row(Topic="Population of Lyon 2010", Quote="Again"))

        errors = self.refused(data, self.moderator)

        self.assertIn(
            "Another topic already has a title this close: “Population of Lyon, 2010”",
            errors[(3, "Topic")],
        )

    def test_importing_the_file_again_creates_nothing(self):
        data = csv_file(row())
        import_file(data, user=self.moderator)

        report = import_file(data, user=self.moderator)

        self.assertEqual((report.skipped, report.new_topics), (1, []))
        self.assertEqual(Topic.objects.filter(title=LYON).count(), 1)

    def test_a_topic_defined_in_the_first_chunk_is_the_one_later_chunks_use(self):
        """The import streams the file in chunks (claims.spreadsheet.CHUNK_ROWS)."""
        later = [
            row(Quote=f"Population {n}", **{"Topic question": "", "Topic unit": ""})
            for n in range(CHUNK_ROWS + 5)
        ]
        data = csv_file(row(), *later)

        report = import_file(data, user=self.moderator)

        self.assertEqual((report.claims_added, report.new_topics), (CHUNK_ROWS + 6, [LYON]))
        lyon = Topic.objects.get(title=LYON)
        self.assertEqual(lyon.history.count(), 1)
        ids = [r.claim_id for r in report.rows]
        self.assertEqual(
            set(Claim.objects.filter(pk__in=ids).values_list("topic_id", flat=True)), {lyon.pk}
        )
        self.assertEqual(lyon.claims.count(), CHUNK_ROWS + 6)

    def test_a_new_topics_rows_repeated_or_redefined_in_a_later_chunk_are_errors(self):
        filler = [
            row(Topic=f"Population of Lyon, {10000 + n}", Quote=f"Filler {n}",
                **{"Topic question": f"How many in {10000 + n}?"})
            for n in range(CHUNK_ROWS)
        ]  # fmt: skip
        data = csv_file(
            row(),
            *filler,
            row(),  # Row 2 again, in the second chunk.
            row(Quote="Other quote", **{"Topic window days": "30"}),
        )

        errors = self.refused(data, self.moderator)

        repeat, redefined = CHUNK_ROWS + 3, CHUNK_ROWS + 4
        self.assertEqual(sorted(errors), [(repeat, ""), (redefined, "Topic window days")])
        self.assertIn("as row 2: one of them is a duplicate", errors[(repeat, "")])
        self.assertIn("Row 2 gives the new topic", errors[(redefined, "Topic window days")])

    def test_the_command_dry_run_says_how_many_topics_would_be_created(self):
        path = self.enterContext(_temp_csv(csv_file(row())))
        out = io.StringIO()

        call_command(
            "import_claims", path, "--user", self.moderator.username, "--dry-run", stdout=out
        )

        self.assertIn("1 topic would be created", out.getvalue())
        self.assertFalse(Topic.objects.filter(title=LYON).exists())


def _temp_csv(data: bytes):
    import tempfile
    from contextlib import contextmanager
    from pathlib import Path

    @contextmanager
    def made():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "claims.csv"
            path.write_bytes(data)
            yield str(path)

    return made()


class ImportTopicsPageTests(ImportFolder, RoleCast, JanuaryCast, TestCase):
    def test_the_checked_job_page_says_how_many_topics_would_be_created(self):
        self.client.force_login(self.moderator)
        second = row(
            Topic="Population of Lyon, 2011",
            **{"Topic question": "How many people lived in Lyon in 2011?"},
        )

        job = self.checked(csv_file(row(), second))

        self.assertEqual(job.state, "checked")
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "2 topics would be created.")
        self.assertContains(page, "will add topic “Population of Lyon, 2011”")
        self.assertFalse(Topic.objects.filter(title=LYON).exists())
