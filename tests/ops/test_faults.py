"""
Fault and load suite: the app under gunicorn on a throwaway PostgreSQL.

Run with `CROSSCHECK_OPS=1 .venv/bin/pytest -m ops tests/ops` (.ci/run does, once).
Every loop is bounded in time and count; every server listens on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import threading
import time
from urllib.parse import quote

import psycopg
import pytest

from claims.locks import TOPIC_LOCK_SPACE, topic_key
from tests.ops.servers import Gunicorn, Load, ThrowawayPostgres, manage, request

pytestmark = pytest.mark.ops

OK = {200, 302}
SESSION_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.create_superuser("ops-moderator", "", None)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


class Stack:
    """A throwaway PostgreSQL with 3,000 generated claims, and gunicorn serving the app on it."""

    def __init__(self) -> None:
        self.pg = ThrowawayPostgres()
        self.pg.create()
        manage(self.pg.url, "migrate", "--noinput", "-v0")
        manage(self.pg.url, "generate_volume", "--claims", "3000", "--seed", "5")
        session = manage(self.pg.url, "shell", "-c", SESSION_SCRIPT).strip().splitlines()[-1]
        csrf = secrets.token_hex(16)  # A 32-character CSRF secret, sent as cookie and header.
        self.moderator = {
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.server = Gunicorn(self.pg.url, workers=5)
        self.server.start()
        self.port = self.server.port

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.pg.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def reading_paths(self) -> list[str]:
        (slug,) = self.sql(
            "SELECT t.slug FROM claims_topic t JOIN claims_claim c ON c.topic_id = t.id "
            "GROUP BY t.slug HAVING count(*) BETWEEN 5 AND 40 ORDER BY t.slug LIMIT 1"
        )[0]
        (claim,) = self.sql("SELECT claim_a_id FROM claims_conflict ORDER BY id LIMIT 1")[0]
        return [
            "/",
            "/claims/",
            "/claims/?q=released",
            f"/claims/?topic={slug}&stance=denies",
            "/conflicts/",
            f"/topics/{slug}/",
            f"/claims/{claim}/",
            "/sources/",
            "/healthz",
        ]

    def pending_claims(self, limit: int) -> list[int]:
        rows = self.sql(
            "SELECT id FROM claims_claim WHERE state = 'pending' ORDER BY id LIMIT %s", [limit]
        )
        return [pk for (pk,) in rows]

    def approve(self, pk: int, connection=None):
        return request(
            self.port, "POST", f"/moderation/claims/{pk}/approve/",
            body=b"reason=", headers=self.moderator, connection=connection,
        )  # fmt: skip

    def recompute_changes(self) -> str:
        return manage(self.pg.url, "recompute_conflicts")

    def close(self) -> None:
        self.server.stop()
        self.pg.destroy()


@pytest.fixture(scope="module")
def stack():
    stack = Stack()
    try:
        yield stack
    finally:
        stack.close()


def summary(outcomes) -> dict:
    counts: dict = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return counts


def test_it_serves_sustained_load_for_60_seconds_without_an_error(stack):
    outcomes = Load(stack.port, stack.reading_paths(), connections=16, seconds=60).run()

    failures = [o for o in outcomes if o.status != 200]
    assert len(outcomes) > 100, summary(outcomes)
    assert not failures, (summary(outcomes), failures[:5])


def test_it_answers_503_while_postgres_restarts_then_recovers_with_every_write_whole(stack):
    # About 120 pending claims: keep 10 for the tests below, and pace the
    # approvals so that they span the whole 30 s of load.
    pending = stack.pending_claims(limit=1000)[:-10]
    approvals: list[tuple[float, int, int]] = []  # (started, claim, status)
    done = threading.Event()

    def approve_one_by_one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        for pk in pending:
            if done.is_set():
                break
            started = time.monotonic()
            try:
                status = stack.approve(pk, connection=conn).status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
            approvals.append((started, pk, status))
            time.sleep(0.25)
        conn.close()

    load = Load(stack.port, stack.reading_paths(), connections=8, seconds=30)
    reader = threading.Thread(target=load.run)
    writer = threading.Thread(target=approve_one_by_one)
    reader.start()
    writer.start()
    time.sleep(10)
    stack.pg.stop("immediate")  # As a crash: no goodbye to the clients.
    # Timed once pg_ctl says the server is gone (-w), not when asked to stop:
    # under CI's load the shutdown itself took over half a second, and pages
    # begun in it were served, as they should be, by a live server.
    down = time.monotonic()
    time.sleep(3)
    restarting = time.monotonic()  # Down until at least here, whenever start returns.
    stack.pg.start()
    up = time.monotonic()
    reader.join(timeout=120)
    done.set()
    writer.join(timeout=60)

    outcomes = load.outcomes
    statuses = [o.status for o in outcomes] + [status for _, _, status in approvals]
    # Nothing but success or the 503 page: no 500, no dropped connection.
    assert set(statuses) <= OK | {503}, summary(outcomes)
    during = [o for o in outcomes if down + 0.5 < o.started < restarting]
    # Which page answered while the database was down, and when, relative to the
    # stop and the start (it named a page twice when `down` was taken before the stop):
    served = [
        (o.path, round(o.started - down, 2), round(o.finished - down, 2), round(up - down, 2))
        for o in during
        if o.status != 503 and o.path != "/healthz"
    ]
    assert during and not served, (summary(during), served)
    assert any(o.status == 200 for o in during if o.path == "/healthz"), "the process stays up"
    # Recovers by itself within seconds, and nothing fails after that.
    after = [o for o in outcomes if o.started > up]
    first_success = min(o.started for o in after if o.status == 200 and o.path != "/healthz")
    assert first_success - up < 5, first_success - up
    late = [o for o in after if o.started > first_success]
    assert late and all(o.status == 200 for o in late), summary(late)
    late_writes = [a for a in approvals if a[0] > first_success]
    assert late_writes and all(status in OK for _, _, status in late_writes), late_writes[:5]

    # Every approval that was answered as done is there, with its history...
    answered = [pk for _, pk, status in approvals if status in OK]
    states = dict(stack.sql("SELECT id, state FROM claims_claim WHERE id = ANY(%s)", [answered]))
    assert all(states[pk] == "approved" for pk in answered)
    approved_history = {
        pk
        for (pk,) in stack.sql(
            "SELECT DISTINCT id FROM claims_historicalclaim WHERE state = 'approved' "
            "AND id = ANY(%s)",
            [[pk for _, pk, _ in approvals]],
        )
    }
    approved_now = {
        pk
        for (pk,) in stack.sql(
            "SELECT id FROM claims_claim WHERE state = 'approved' AND id = ANY(%s)",
            [[pk for _, pk, _ in approvals]],
        )
    }
    assert approved_now == approved_history, "a claim approved without its history row"
    # ...and with its conflicts: the full recompute finds nothing to add or close.
    assert stack.recompute_changes().startswith("No changes."), "half-applied detection"


def test_a_worker_killed_mid_write_leaves_no_partial_state(stack):
    pk, topic = stack.sql(
        "SELECT id, topic_id FROM claims_claim WHERE state = 'pending' AND kind = 'fact' "
        "ORDER BY id DESC LIMIT 1"
    )[0]
    before = stack.sql("SELECT count(*) FROM claims_conflict")[0][0]
    # Hold the topic's lock (claims/locks.py): the approval waits for it inside
    # its transaction, where the worker dies.
    holder = psycopg.connect(stack.pg.url)
    holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TOPIC_LOCK_SPACE, topic_key(topic)])
    answer: list = []
    thread = threading.Thread(
        target=lambda: answer.append(_try(lambda: stack.approve(pk).status)), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        waiting = stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = 'crosscheck_ops'"
        )[0][0]
        if waiting:
            break
        time.sleep(0.1)
    else:
        holder.close()
        pytest.fail("the approval never reached the lock")

    for worker in stack.server.worker_pids():
        os.kill(worker, signal.SIGKILL)
    holder.rollback()
    holder.close()
    thread.join(timeout=30)
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and stack.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'crosscheck_ops' "
            "AND state LIKE 'idle in transaction%%' OR wait_event_type = 'Lock'"
        )[0][0]
    ):
        time.sleep(0.2)

    assert answer and answer[0] not in OK, answer
    assert stack.sql("SELECT state FROM claims_claim WHERE id = %s", [pk])[0][0] == "pending"
    assert not stack.sql(
        "SELECT 1 FROM claims_historicalclaim WHERE id = %s AND state = 'approved'", [pk]
    )
    assert stack.sql("SELECT count(*) FROM claims_conflict")[0][0] == before
    assert stack.recompute_changes().startswith("No changes.")
    # The master replaced the workers: the same approval now goes through whole.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _try(lambda: request(stack.port, "GET", "/readyz").status) == 200:
            break
        time.sleep(0.3)
    assert stack.approve(pk).status == 302
    assert stack.sql("SELECT state FROM claims_claim WHERE id = %s", [pk])[0][0] == "approved"
    assert stack.recompute_changes().startswith("No changes.")


def _try(call):
    try:
        return call()
    except (OSError, http.client.HTTPException) as error:
        return repr(error)


HOSTILE = [
    "' OR '1'='1' --",
    "1; DROP TABLE claims_claim; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "a\x00b",
    "%FF%FE",  # Sent raw below: invalid UTF-8.
    "99999999999999999999999999",
    "-1",
    "1e308",
    "NaN",
    "2015-13-45",
    "0x7fffffff",
    "A" * 3000,
]
PARAMETERS = [
    "q", "source", "source_kind", "affiliation", "topic", "detainee", "kind", "stance",
    "language", "stated_after", "stated_before", "in_open_conflict", "sort", "page", "status",
    "name", "next",
]  # fmt: skip
LISTS = ["/claims/", "/conflicts/", "/detainees/", "/detainees/board/", "/sources/", "/"]


def hostile_query(name: str, value: str) -> str:
    if value == "%FF%FE":
        return f"{name}=%FF%FE%C0%AF"
    return f"{name}={quote(value, safe='')}"


def test_hostile_input_gets_no_500_and_stores_nothing(stack):
    counts = "SELECT (SELECT count(*) FROM claims_claim), (SELECT count(*) FROM sources_source)"
    before = stack.sql(counts)[0]
    failures = []

    def check(method: str, path: str, **kwargs) -> None:
        status = _try(lambda: request(stack.port, method, path, timeout=60, **kwargs).status)
        if not isinstance(status, int) or status >= 500:
            failures.append((method, path[:120], status))

    # Every parameter of every list at once, one hostile value at a time; then
    # each parameter alone on the claims list with the nastiest values.
    for page in LISTS:
        for value in HOSTILE:
            check("GET", f"{page}?" + "&".join(hostile_query(n, value) for n in PARAMETERS))
    for name in PARAMETERS:
        for value in ("\x00", "%FF%FE", "99999999999999999999999999", "A" * 3000):
            check("GET", f"/claims/?{hostile_query(name, value)}")
    for value in ("99999999999999999999999", "0", "-1"):
        for page in ("/claims/{}/", "/conflicts/{}/", "/detainees/{}/", "/sources/{}/"):
            check("GET", page.format(value))
    check("GET", "/topics/%00/")
    check("GET", "/topics/" + "a" * 3000 + "/")
    # Forms: the login form and a moderator's reason, with hostile and huge bodies.
    big = "x" * (1 << 20)
    for value in [*HOSTILE, big]:
        body = f"username={quote(value)}&password={quote(value)}".encode()
        check("POST", "/accounts/login/", body=body, headers=stack.moderator)
    pk = stack.pending_claims(limit=1)[0]
    for value in ["\x00", "a\x00b", big, "<script>alert(1)</script>"]:
        body = f"reason={quote(value)}".encode()
        check("POST", f"/moderation/claims/{pk}/reject/", body=body, headers=stack.moderator)
    check(
        "POST", "/accounts/login/", body=b"username=\xff\xfe&password=\xc0\xaf",
        headers=stack.moderator,
    )  # fmt: skip

    assert not failures, failures[:20]
    assert stack.sql(counts)[0] == before
    # The NUL-bearing reasons were refused: the claim is still pending.
    assert stack.sql("SELECT state FROM claims_claim WHERE id = %s", [pk])[0][0] in (
        "pending",
        "rejected",
    )
    # The server still serves.
    assert request(stack.port, "GET", "/claims/").status == 200
