"""
The lock order: what every write on a topic's claims or conflicts locks, and when.

    1. The topic lock, FIRST, before any claim or conflict row is locked or
       written: on PostgreSQL a transaction-level advisory lock
       (pg_advisory_xact_lock) keyed by (TOPIC_LOCK_SPACE, topic id). When
       several topics are involved (an edit moving a claim to another topic,
       the full recompute, an import) they are locked in ascending key
       order, in one statement.
    2. Then the rows: the claim or conflict acted on (SELECT ... FOR UPDATE),
       then whatever the action and detection write, in any order, since
       nobody else can be writing that topic's rows meanwhile.
    3. Everything is released at COMMIT or ROLLBACK, never by hand.

Why: detection (claims.detection.refresh_variable) writes conflicts, and the
database's triggers (migration 0005) then write the open-conflict mark of
*other* claims of the topic. When the topic was locked after the claim row
(approve locked its claim, then waited for the topic; a retraction holding
the topic marked that claim), two moderators on one topic deadlocked (12 of
40 trials in issue 12's report; 1 of 40 in tests/ops/test_races.py, twice),
and one of them got the 503 page. With the topic
first, the second waits for the first to commit, and then acts on what it
left.

It is per topic, not per variable (topic, detainee): a claim moved between
detainees, a conflict moving with it and a change of the topic's rules
(window, bounds) touch several of a topic's variables at once.

Taking a lock the transaction already holds is free (advisory locks are
re-entrant, and `held_keys` knows them without a query), so every layer that
writes takes it: the moderation views and
the API before they lock their row, Claim.save and Claim.save_checked
before they write (edits, imports, the admin), Conflict.save, Topic.save and
the full recompute.

SQLite locks the whole database for a writer and every transaction there
begins IMMEDIATE (crosscheck/settings.py), so writers never interleave and
these functions do nothing there.

Where a deadlock or a serialization failure can still happen (a path that
writes before it locks, a lock on another table), `RetryMiddleware` runs the
whole request again, a few times with a short backoff, instead of losing it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

# The first key of every topic lock: "CCtp", so that no other advisory lock
# the database serves (another app, a tool) shares its keys.
TOPIC_LOCK_SPACE = 0x43437470

# PostgreSQL's SQLSTATEs for a transaction chosen to be rolled back so that
# others can go on: deadlock_detected, serialization_failure.
RETRYABLE = {"40P01", "40001"}
ATTEMPTS = 5
BACKOFF_SECONDS = 0.05


def topic_key(topic_id: int) -> int:
    """The second key of a topic's lock (advisory keys are 32-bit)."""
    return int(topic_id) & 0x7FFFFFFF


class _Held:
    """A no-op on_commit callback that remembers the keys locked by one lock_topics() call.

    Django drops on_commit callbacks when the transaction ends, and those
    registered inside a savepoint when it is rolled back; PostgreSQL releases
    the advisory locks taken there at the same moments. So the callbacks
    still queued tell which topics this transaction holds, without a query:
    a second lock of a held topic (Claim.save, then detection) costs nothing.
    """

    def __init__(self, keys: list[int]) -> None:
        self.keys = keys

    def __call__(self) -> None:
        pass


# Set by `alone()`: the caller's transaction is the only writer there is.
_ALONE: ContextVar[bool] = ContextVar("alone", default=False)


@contextmanager
def alone() -> Iterator[None]:
    """Take no topic locks inside: for a transaction nobody else can be writing beside.

    `generate_volume` fills a new, empty database in one transaction and
    recomputes every topic in it: a million claims are 33,000 topics, and
    advisory locks held to the end of one transaction are bounded for the
    whole server (max_locks_per_transaction x max_connections, 6,400 by
    default): it ran out of shared memory. Nothing can race it there, so
    it locks nothing. Not for anything that runs beside users.
    """
    token = _ALONE.set(True)
    try:
        yield
    finally:
        _ALONE.reset(token)


def held_keys() -> set[int]:
    """Return the topic keys this connection's transaction holds."""
    return {
        key
        for _, call, _ in connection.run_on_commit
        if isinstance(call, _Held)
        for key in call.keys
    }


def lock_topics(topic_ids: Iterable[int | None]) -> None:
    """Take the lock of each topic, in ascending key order, until the transaction ends."""
    if connection.vendor != "postgresql" or _ALONE.get():
        return
    keys = sorted({topic_key(t) for t in topic_ids if t is not None} - held_keys())
    if not keys:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("A topic lock lasts a transaction: take it inside atomic().")
    transaction.on_commit(_Held(keys))
    with connection.cursor() as cursor:
        # The ordered subquery hands the keys to the function one by one, in order.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM "
            "(SELECT unnest(%s::int[]) AS k ORDER BY 1) AS keys",
            [TOPIC_LOCK_SPACE, keys],
        )


def lock_claims(pks: Iterable[int]) -> None:
    """Lock the topics of these claims, before the caller locks the claims themselves.

    A claim's topic is read without a lock, so an edit moving it may commit
    between that read and the lock: read again once locked, and lock the
    topics that appeared (rare; out of order, so a deadlock is possible
    there and the request is retried).
    """
    _lock_topics_of("claims", "claim", pks)


def lock_conflicts(pks: Iterable[int]) -> None:
    """Lock the topics of these conflicts, before the caller locks the conflicts themselves."""
    _lock_topics_of("claims", "conflict", pks)


def _lock_topics_of(app_label: str, model_name: str, pks: Iterable[int]) -> None:
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    ids = [int(pk) for pk in pks if str(pk).isdigit() and 0 < int(pk) < 2**63]
    if not ids:
        return  # Nothing to lock: the caller answers 404.
    rows = apps.get_model(app_label, model_name).objects.filter(pk__in=ids)
    locked: set[int] = set()
    for _ in range(ATTEMPTS):
        topics = set(rows.order_by().values_list("topic_id", flat=True).distinct())
        if topics <= locked:
            return
        lock_topics(topics - locked)
        locked |= topics


# Retrying -------------------------------------------------------------------


def is_retryable(error: BaseException) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE


def retrying(call: Callable, *, request=None):
    """Call `call()`; when the database rolled it back for a deadlock, call it again.

    Only at the outermost level (never inside a transaction, where the
    rollback already undid the caller's work). Messages queued by a failed
    attempt are dropped, so that the user reads those of the one that ran.
    """
    if connection.in_atomic_block:
        return call()
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", None)
    mark = len(queued) if queued is not None else 0
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except OperationalError as error:
            if attempt == ATTEMPTS or not is_retryable(error):
                raise
            logger.warning("Retrying after %s (attempt %d of %d)", error, attempt, ATTEMPTS)
            if queued is not None:
                del queued[mark:]
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1) * (1 + random.random()))
    raise AssertionError("unreachable")


class RetryMiddleware:
    """Run a write (any method but GET, HEAD, OPTIONS) again when the database chose it to
    be rolled back to break a deadlock or a serialization failure.

    It calls the view itself from process_view, so it comes last in MIDDLEWARE:
    every other middleware has seen the request by then (CSRF, authentication).
    Views do not run inside ATOMIC_REQUESTS, so each attempt is a whole
    transaction of its own. A view's exception then skips the middlewares'
    process_exception; the only one there is, the 503 page for a database
    that went away (crosscheck.health), is called here in its place.
    """

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method in self.SAFE:
            return None
        from crosscheck.health import DatabaseUnavailableMiddleware

        try:
            return retrying(lambda: view(request, *args, **kwargs), request=request)
        except Exception as error:
            response = DatabaseUnavailableMiddleware(None).process_exception(request, error)
            if response is None:
                raise
            return response
