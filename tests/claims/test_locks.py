"""The lock order (claims/locks.py): a topic's lock first, then rows; a deadlock is retried."""

from __future__ import annotations

import threading
import time
from datetime import date

import psycopg
from django.db import OperationalError, connection, transaction
from django.test import Client, SimpleTestCase, TransactionTestCase
from django.urls import reverse

from claims import locks
from claims.models import Claim, Topic
from sources.models import Source
from tests.roles import restore_roles, user_in


def deadlock() -> OperationalError:
    """The error Django raises when PostgreSQL rolled the transaction back to break a deadlock."""
    try:
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected(
            "deadlock detected"
        )
    except OperationalError as error:
        return error


class RetryingTests(SimpleTestCase):
    def test_it_runs_an_action_again_after_a_deadlock(self):
        calls = []

        def action() -> str:
            calls.append(1)
            if len(calls) == 1:
                raise deadlock()
            return "done"

        self.assertEqual(locks.retrying(action), "done")
        self.assertEqual(len(calls), 2)

    def test_it_gives_up_after_a_bounded_number_of_attempts(self):
        calls = []

        def action() -> None:
            calls.append(1)
            raise deadlock()

        with self.assertRaises(OperationalError):
            locks.retrying(action)
        self.assertEqual(len(calls), locks.ATTEMPTS)

    def test_it_does_not_run_again_after_another_database_error(self):
        calls = []

        def action() -> None:
            calls.append(1)
            raise OperationalError("server closed the connection unexpectedly")

        with self.assertRaises(OperationalError):
            locks.retrying(action)
        self.assertEqual(len(calls), 1)


# Locks held by other connections need real commits and a second connection:
# PostgreSQL only (SQLite takes no topic lock: its writers never interleave).
if connection.vendor == "postgresql":

    class LockOrderTests(TransactionTestCase):
        def setUp(self) -> None:
            restore_roles()  # The last TransactionTestCase's flush removed them.
            self.topic = Topic.objects.create(
                title="Release of the 53 prisoners",
                question="Has Cuba released the 53 prisoners, and how many?",
                quantity_label="prisoners released",
                quantity_min=0,
                quantity_max=53,
            )
            self.claim = Claim.objects.create(
                source=Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL),
                topic=self.topic,
                stance=Claim.Stance.AFFIRMS,
                quote="They have already released some of the prisoners",
                summary="Some freed",
                stated_on=date(2015, 1, 6),
                citation_url="https://www.state.gov/",
                state=Claim.State.PENDING,
            )
            self.mo = user_in("mo", "Moderator")
            self.other = psycopg.connect(
                dbname=connection.settings_dict["NAME"],
                user=connection.settings_dict["USER"],
                host=connection.settings_dict["HOST"] or None,
                port=connection.settings_dict["PORT"] or None,
            )

        def tearDown(self) -> None:
            self.other.close()

        def waiting_for_a_topic(self) -> bool:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                    )
                    (waiting,) = cursor.fetchone()
                if waiting:
                    return True
                time.sleep(0.05)
            return False

        def test_an_approval_waits_for_its_topic_before_it_locks_its_claim(self):
            self.other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [locks.TOPIC_LOCK_SPACE, locks.topic_key(self.topic.pk)],
            )
            answers = []

            def approve() -> None:
                try:
                    client = Client()
                    client.force_login(self.mo)
                    url = reverse("claims:claim_approve", args=[self.claim.pk])
                    answers.append(client.post(url, {"reason": ""}).status_code)
                finally:
                    connection.close()

            thread = threading.Thread(target=approve)
            thread.start()
            try:
                self.assertTrue(self.waiting_for_a_topic())
                # While it waits, it holds no claim row: another transaction of the
                # topic (this one) can still lock and write that claim.
                row = self.other.execute(
                    "SELECT state FROM claims_claim WHERE id = %s FOR UPDATE NOWAIT",
                    [self.claim.pk],
                ).fetchone()
                self.assertEqual(row, ("pending",))
            finally:
                self.other.rollback()  # Lets the approval go on.
                thread.join(10)

            self.assertEqual(answers, [302])
            self.claim.refresh_from_db()
            self.assertEqual(self.claim.state, Claim.State.APPROVED)

        def test_it_runs_again_the_side_the_database_chose_to_break_a_deadlock(self):
            both_locked_one = threading.Barrier(2)
            attempts: list[str] = []
            done: list[str] = []

            def take(name: str, first: int, second: int) -> None:
                def attempt() -> None:
                    attempts.append(name)
                    with transaction.atomic():
                        locks.lock_topics([first])
                        if len(attempts) <= 2:
                            both_locked_one.wait(5)
                        locks.lock_topics([second])
                    done.append(name)

                try:
                    locks.retrying(attempt)
                finally:
                    connection.close()

            threads = [
                threading.Thread(target=take, args=("one", 1, 2)),
                threading.Thread(target=take, args=("two", 2, 1)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)

            # Opposite orders: PostgreSQL rolled one back; it ran again and finished.
            self.assertEqual(sorted(done), ["one", "two"])
            self.assertEqual(len(attempts), 3)

    class AloneTests(TransactionTestCase):
        """`generate_volume` recomputes a new database's 33,000 topics in one transaction."""

        def advisory_locks(self) -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                    "pg_backend_pid()"
                )
                return cursor.fetchone()[0]

        def test_a_transaction_alone_takes_no_topic_lock(self):
            with transaction.atomic(), locks.alone():
                locks.lock_topics(range(1, 101))
                self.assertEqual(self.advisory_locks(), 0)

        def test_outside_it_every_topic_is_locked_to_the_end_of_the_transaction(self):
            with transaction.atomic():
                with locks.alone():
                    pass
                locks.lock_topics(range(1, 101))
                self.assertEqual(self.advisory_locks(), 100)
            self.assertEqual(self.advisory_locks(), 0)
