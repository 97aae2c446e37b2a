"""Many writers at once, against a live server, on the database `make run` uses.

On SQLite the test database is a file (crosscheck/settings.py, TEST NAME), so
the live server gives each request thread a connection of its own, as
`make run` does: the 20 approvals below really race for the write lock. The
same test holds on PostgreSQL.
"""

from __future__ import annotations

import http.client
import secrets
import threading
from datetime import date
from urllib.parse import urlsplit

from django.db import connection
from django.test import LiveServerTestCase
from django.urls import reverse

from claims.detection import recompute_all
from claims.models import Claim, Topic
from sources.models import Source
from tests.roles import restore_roles, user_in

PARALLEL = 20


def live_post(base_url: str, path: str, body: str, cookies: dict) -> int:
    """POST a form as a browser would, with the session and CSRF cookies; return the status."""
    csrf = secrets.token_hex(16)
    cookie = "; ".join(f"{k}={v}" for k, v in {**cookies, "csrftoken": csrf}.items())
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(
            "POST",
            path,
            body=body.encode(),
            headers={
                "Cookie": cookie,
                "X-CSRFToken": csrf,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return conn.getresponse().status
    finally:
        conn.close()


def in_parallel(calls) -> list:
    """Run the calls in threads released at the same moment; return their results."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        start.wait(10)
        try:
            results[index] = call()
        except Exception as error:  # Reported, not raised in a thread.
            results[index] = repr(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


class ParallelApprovalsTests(LiveServerTestCase):
    def setUp(self) -> None:
        restore_roles()  # The last TransactionTestCase's flush removed them.
        topic = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53 prisoners, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
        )
        # Twenty sources, half "some released", half "none": every approval
        # opens conflicts with the others, so every one of them writes.
        self.claims = [
            Claim.objects.create(
                source=Source.objects.create(name=f"Source {n}", kind=Source.Kind.OFFICIAL),
                topic=topic,
                stance=Claim.Stance.AFFIRMS,
                quantity_min=1 if n % 2 else 0,
                quantity_max=53 if n % 2 else 0,
                quote=f"Statement {n}",
                summary=f"Statement {n}",
                stated_on=date(2015, 1, 6),
                citation_url="https://example.org/",
                state=Claim.State.PENDING,
            )
            for n in range(PARALLEL)
        ]
        self.client.force_login(user_in("mo", "Moderator"))
        self.session = {"sessionid": self.client.cookies["sessionid"].value}

    def test_it_approves_20_claims_sent_at_once_with_no_error(self):
        def approve(claim: Claim):
            path = reverse("claims:claim_approve", args=[claim.pk])
            return lambda: live_post(self.live_server_url, path, "reason=", self.session)

        statuses = in_parallel([approve(claim) for claim in self.claims])

        self.assertEqual(statuses, [302] * PARALLEL, connection.vendor)
        approved = Claim.objects.filter(state=Claim.State.APPROVED).count()
        self.assertEqual(approved, PARALLEL)
        # Each once in history, and detection as a full recompute would leave it.
        history = Claim.history.filter(state=Claim.State.APPROVED, history_type="~")
        self.assertEqual(history.count(), PARALLEL)
        self.assertEqual(sum(recompute_all().changes.values()), 0)
