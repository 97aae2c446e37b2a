"""The suite runs on the database CI asked for, not on a silent fallback to SQLite."""

import os

from django.db import connection
from django.test import TestCase


class DatabaseTests(TestCase):
    def test_it_runs_on_the_database_ci_asked_for(self):
        # .ci/run sets CROSSCHECK_EXPECT_DB for each of its runs; a developer's
        # plain `make test` leaves it unset and may use either database.
        expected = os.environ.get("CROSSCHECK_EXPECT_DB")
        if expected:
            self.assertEqual(connection.vendor, expected)
        else:
            self.assertIn(connection.vendor, {"sqlite", "postgresql"})

    def test_it_runs_on_a_test_database(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            self.assertEqual(cursor.fetchone(), (1,))
        if connection.vendor == "postgresql":
            # Django creates test_<name> and drops it afterwards: the
            # database named in DATABASE_URL is never written to.
            self.assertTrue(connection.settings_dict["NAME"].startswith("test_"))
