"""Imports tell watchers in bulk: the spreadsheet import and the case-file import."""

import json
import tempfile

from django.core.management import call_command
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from claims.models import Conflict
from claims.spreadsheet import import_file
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast, user_in
from tests.watching.test_events import watch
from watching.models import Event, Notification


@override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom approves its import.
class SpreadsheetImportTests(RoleCast, JanuaryCast, TestCase):
    def imported(self, n: int) -> list[str]:
        rows = [
            row(Quote=f"No names yet ({n}, {i})", Summary=f"Still nothing {i}") for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            import_file(csv_file(*rows), user=self.moderator, approve=True)
        return [q["sql"][:80] for q in ctx.captured_queries if "watching_watch" in q["sql"]]

    def test_an_approved_import_tells_the_watchers_in_a_constant_number_of_queries(self):
        watch(self.reader, self.ccdhrn)  # The organisation the rows' speaker is.
        watch(self.moderator, self.release)  # The importer: not told of their own import.
        few = self.imported(2)
        many = self.imported(30)

        approvals = Notification.objects.filter(user=self.reader, event=Event.CLAIM_APPROVED)
        self.assertEqual(approvals.count(), 32)
        # Each CCDHRN "no information" is a gap with the State Department's "some released".
        gaps = Notification.objects.filter(user=self.reader, event=Event.CONFLICT_OPENED)
        self.assertEqual(
            gaps.count(), Conflict.objects.filter(claim_a=self.some_released).count() - 1
        )
        self.assertFalse(Notification.objects.filter(user=self.moderator).exists())
        # One SELECT of the watches for the claims, one for the conflicts the batch opened.
        self.assertEqual(len(few), len(many), many)
        self.assertEqual(len(many), 2, many)

    def test_what_the_import_creates_is_not_looked_up_but_a_stored_organisation_still_hears(self):
        # A new source speaks for the watched CCDHRN: its watchers hear the new
        # source's claim and the conflicts it opens, though the import does not
        # look up the watchers of the source or conflicts it creates itself
        # (watching.events.creating).
        watch(self.reader, self.ccdhrn)
        topic_watcher = user_in("tess", "Reader")
        watch(topic_watcher, self.release)
        new = {"Source": "Comité de familias", "Source kind": "Other"}
        rows = [row(**new, Affiliation=self.ccdhrn.name, Quote=f"No names ({i})") for i in range(2)]

        with CaptureQueriesContext(connection) as ctx:
            import_file(csv_file(*rows), user=self.moderator, approve=True)

        opened = Conflict.objects.filter(claim_b__source__name="Comité de familias")
        self.assertGreater(opened.count(), 0)
        for user in (self.reader, topic_watcher):
            told = Notification.objects.filter(user=user)
            self.assertEqual(told.filter(event=Event.CLAIM_APPROVED).count(), 2)
            self.assertEqual(
                set(told.filter(event=Event.CONFLICT_OPENED).values_list("conflict", flat=True)),
                set(opened.values_list("pk", flat=True)),
            )
        watch_queries = [q["sql"] for q in ctx.captured_queries if "watching_watch" in q["sql"]]
        self.assertEqual(len(watch_queries), 2, watch_queries)
        for sql in watch_queries:
            self.assertNotIn('"watching_watch"."conflict_id" IN', sql)


class CaseFileImportTests(RoleCast, JanuaryCast, TestCase):
    def test_a_case_files_approved_claims_reach_the_watchers_once_each(self):
        watcher = user_in("wes", "Reader")
        watch(watcher, self.release)
        case = {
            "claims": [
                {
                    "source": "Marco Rubio",
                    "topic": "Release of the 53 prisoners",
                    "kind": "position",
                    "quote": f"Demand {i}",
                    "summary": f"Demand {i}",
                    "stated_on": "2015-01-08",
                    "citation_url": "https://example.org/rubio",
                    "state": "approved",
                }
                for i in range(3)
            ]
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(case, f)
            f.flush()
            call_command("import_case", f.name, verbosity=0)
            call_command("import_case", f.name, verbosity=0)  # Twice: nothing new.

        self.assertEqual(
            Notification.objects.filter(user=watcher, event=Event.CLAIM_APPROVED).count(), 3
        )
