"""
An import takes the lock of every topic its rows touch, up front, in the one
order of claims/locks.py (ascending keys, one statement), before it writes a
single row: so it never holds a claim row while waiting for a topic, and an
import cannot deadlock with a moderator on the same topics (it waits).

Seen from outside, on PostgreSQL: another session holds the lock of the
file's highest topic; the import, in a thread, must then be waiting for that
lock while it already holds the lower topics' locks and has written nothing
(no RowExclusiveLock on any table, which every INSERT, COPY or UPDATE takes).
Once the other session commits, the import goes on and writes every row.

SQLite has one writer at a time (every transaction begins IMMEDIATE), so
claims/locks.py takes no topic lock there and this test does not apply.
"""

from __future__ import annotations

import tempfile
import threading
import time

from django.db import connection, connections
from django.test import TransactionTestCase, override_settings

from claims.locks import TOPIC_LOCK_SPACE, topic_key
from claims.models import Claim, Topic
from claims.spreadsheet import import_file
from tests.cast import JanuaryCast
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast, restore_roles

WAIT_SECONDS = 30


# Locks held by another connection need real commits and a second connection:
# PostgreSQL only (SQLite takes no topic lock: one writer at a time). Defined only
# there, so that the SQLite run skips nothing (.ci/run counts a skip as a failure).
if connection.vendor == "postgresql":

    class ImportLockOrderTests(RoleCast, JanuaryCast, TransactionTestCase):
        def setUp(self) -> None:
            restore_roles()  # The last TransactionTestCase's flush removed them.
            folder = tempfile.TemporaryDirectory()
            self.addCleanup(folder.cleanup)
            self.enterContext(override_settings(CLAIMS_IMPORT_DIR=folder.name))
            type(self).setUpTestData()
            self.topics = [self.release] + [
                Topic.objects.create(title=f"Talks round {n}", question="Do the talks go on?")
                for n in (1, 2)
            ]

        def locks_of(self, cursor, pid: int) -> list[tuple]:
            cursor.execute(
                "SELECT locktype, classid, objid, mode, granted, relation::regclass::text "
                "FROM pg_locks WHERE pid = %s",
                [pid],
            )
            return cursor.fetchall()

        def test_it_locks_every_topic_in_order_before_writing_any_row(self):
            data = csv_file(
                *[
                    row(Topic=topic.title, Quote=f"Locked {n}", Summary=f"Locked {n}")
                    for n, topic in enumerate(reversed(self.topics))  # Not in key order.
                ]
            )
            keys = sorted(topic_key(t.pk) for t in self.topics)
            outcome: dict = {}
            started = threading.Event()

            def run() -> None:
                try:
                    with connections["default"].cursor() as cursor:
                        cursor.execute("SELECT pg_backend_pid()")
                        outcome["pid"] = cursor.fetchone()[0]
                    started.set()
                    outcome["report"] = import_file(data, "claims.csv", user=self.editor)
                except BaseException as error:  # Shown by the assertion below.
                    outcome["error"] = error
                    started.set()
                finally:
                    connections["default"].close()

            # Another session holds the highest topic's lock (a moderator at work).
            other = connections.create_connection("default")
            other.set_autocommit(False)
            thread = threading.Thread(target=run)
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", [TOPIC_LOCK_SPACE, keys[-1]]
                    )
                thread.start()
                self.assertTrue(started.wait(WAIT_SECONDS))
                self.assertNotIn("error", outcome)
                deadline = time.monotonic() + WAIT_SECONDS
                with other.cursor() as cursor:
                    while True:
                        held = self.locks_of(cursor, outcome["pid"])
                        waiting = [lock for lock in held if lock[0] == "advisory" and not lock[4]]
                        if waiting or time.monotonic() > deadline:
                            break
                        time.sleep(0.05)
                self.assertNotIn("error", outcome)
                self.assertEqual(
                    [(lock[1], lock[2]) for lock in waiting], [(TOPIC_LOCK_SPACE, keys[-1])], held
                )
                granted = sorted(
                    lock[2]
                    for lock in held
                    if lock[0] == "advisory" and lock[1] == TOPIC_LOCK_SPACE and lock[4]
                )
                self.assertEqual(granted, keys[:-1])
                written = [lock[5] for lock in held if lock[3] == "RowExclusiveLock"]
                self.assertEqual(written, [], "a row was written before every topic was locked")
                self.assertTrue(thread.is_alive())
                self.assertEqual(Claim.objects.filter(quote__startswith="Locked").count(), 0)
            finally:
                other.rollback()  # Releases the lock: the import goes on.
                other.close()
                thread.join(WAIT_SECONDS)

            self.assertNotIn("error", outcome)
            self.assertEqual(outcome["report"].claims_added, 3)
            self.assertEqual(Claim.objects.filter(quote__startswith="Locked").count(), 3)
