"""
Races on one topic: approve ∥ retract ∥ edit ∥ bulk approve, 60 trials, under gunicorn
on a throwaway PostgreSQL.

Every action on a topic takes the topic's lock before any claim row
(claims/locks.py). Before that order, an approval against a concurrent
retraction or edit deadlocked (1 of 40 trials here, in each of two runs; 12
of 40 in issue 12's report), and the user got the 503 page. Deadlocks are
counted from PostgreSQL's own log, so that a deadlock hidden by a retry
still counts.

Run with `CROSSCHECK_OPS=1 .venv/bin/pytest -m ops tests/ops/test_races.py`.
"""

from __future__ import annotations

import json
import secrets
import threading

import psycopg
import pytest

from tests.ops.servers import Gunicorn, ThrowawayPostgres, manage, request

pytestmark = pytest.mark.ops

TRIALS = 60

# One topic; per trial, on days of its own (30 days apart: trials do not
# conflict with each other, but share the topic's lock), three approved
# claims that agree ("some released": no conflict, no mark), of which one is
# retracted and one edited to "none released", and three pending ones, "none"
# approved alone and "none" and "some" approved in bulk. Each approval or
# edit opens conflicts with claims that another action of the trial holds,
# so that the open-conflict marks are written on rows held by others.

SETUP_SCRIPT = """
import json, datetime
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from claims.models import Claim, Topic
from sources.models import Source
from claims.detection import recompute_all

user = get_user_model().objects.create_superuser("race-moderator", "", None)
# The claims are an editor's: the moderator may approve them (four eyes).
author = get_user_model().objects.create_user("race-editor")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
topic = Topic.objects.create(
    title="Race topic", question="How many were released?", quantity_label="released",
    quantity_min=0, quantity_max=53,
)
sources = [Source.objects.create(name=f"Race source {n}", kind="official") for n in range(6)]
start = datetime.date(2015, 1, 1)

def claim(trial, speaker, some, state):
    return Claim.objects.create(
        source=sources[speaker], topic=topic, kind="fact", stance="affirms",
        quantity_min=1 if some else 0, quantity_max=53 if some else 0,
        quote=f"Trial {trial}, speaker {speaker}", summary=f"Trial {trial}, speaker {speaker}",
        stated_on=start + datetime.timedelta(days=30 * trial + speaker % 3),
        citation_url="https://example.org/", state=state, created_by=author,
    )

# The topic's history: 2,000 earlier statements of one more source, each
# updating the one before, as a long-running topic has. Detection reads
# them on every change, which is what makes a real topic's transactions
# long enough to meet.
history = Source.objects.create(name="Race archive", kind="monitor")
Claim.objects.bulk_create(
    Claim(
        source=history, topic=topic, kind="fact", stance="affirms", quantity_min=1,
        quantity_max=53, quote=f"Earlier {n}", summary=f"Earlier {n}",
        stated_on=datetime.date(2009, 1, 1) + datetime.timedelta(days=n),
        citation_url="https://example.org/", state="approved", created_by=author,
    )
    for n in range(2000)
)

plan = {"session": session.session_key, "trials": []}
for t in range(TRIALS):
    plan["trials"].append({
        "retract": claim(t, 0, True, "approved").pk,
        "edit": claim(t, 1, True, "approved").pk,
        "kept": claim(t, 2, True, "approved").pk,
        "approve": claim(t, 3, False, "pending").pk,
        "bulk": [claim(t, 4, False, "pending").pk, claim(t, 5, True, "pending").pk],
    })
recompute_all()
print(json.dumps(plan))
""".replace("TRIALS", str(TRIALS))


class RaceStack:
    def __init__(self) -> None:
        self.pg = ThrowawayPostgres()
        self.pg.create()
        manage(self.pg.url, "migrate", "--noinput", "-v0")
        out = manage(self.pg.url, "shell", "-c", SETUP_SCRIPT)
        self.plan = json.loads(out.strip().splitlines()[-1])
        csrf = secrets.token_hex(16)
        self.cookie = f"sessionid={self.plan['session']}; csrftoken={csrf}"
        self.form = {
            "Cookie": self.cookie,
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.json = {**self.form, "Content-Type": "application/json"}
        # 4 workers of 2 threads: the four actions of a trial run at once.
        self.server = Gunicorn(self.pg.url, workers=4)
        self.server.start()
        self.port = self.server.port

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.pg.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def post(self, path: str, body: bytes, headers: dict) -> int:
        return request(self.port, "POST", path, body=body, headers=headers).status

    def deadlocks_logged(self) -> int:
        return (self.pg.root / "postgres.log").read_text().count("deadlock detected")

    def open_pairs(self) -> set[tuple[int, int]]:
        rows = self.sql("SELECT claim_a_id, claim_b_id FROM claims_conflict WHERE status = 'open'")
        return set(rows)

    def close(self) -> None:
        self.server.stop()
        self.pg.destroy()


@pytest.fixture(scope="module")
def races():
    stack = RaceStack()
    try:
        yield stack
    finally:
        stack.close()


def test_approve_retract_edit_and_bulk_approve_on_one_topic_never_deadlock(races):
    statuses: list[tuple[int, str, int]] = []
    lock = threading.Lock()
    before = races.deadlocks_logged()

    for number, trial in enumerate(races.plan["trials"]):
        actions = {
            "approve": (
                f"/moderation/claims/{trial['approve']}/approve/",
                b"reason=",
                races.form,
            ),
            "retract": (
                f"/moderation/claims/{trial['retract']}/retract/",
                b"reason=Race+trial",
                races.form,
            ),
            "edit": (
                f"/api/claims/{trial['edit']}/",
                json.dumps({"version": 1, "quantity": "none"}).encode(),
                races.json,
            ),
            "bulk": (
                "/moderation/approve/",
                "&".join(f"claims={pk}" for pk in trial["bulk"]).encode() + b"&reason=",
                races.form,
            ),
        }
        start = threading.Barrier(len(actions))

        def act(name, path, body, headers, start=start, number=number):
            start.wait(10)
            if name == "edit":
                status = request(
                    races.port, "PATCH", path, body=body, headers=headers
                ).status  # fmt: skip
            else:
                status = races.post(path, body, headers)
            with lock:
                statuses.append((number, name, status))

        threads = [threading.Thread(target=act, args=(n, *a)) for n, a in actions.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    deadlocks = races.deadlocks_logged() - before
    failed = [s for s in statuses if s[2] not in {200, 302}]
    print(f"\n{TRIALS} trials: {deadlocks} deadlocks, {len(failed)} failed of {len(statuses)}")
    assert len(statuses) == 4 * TRIALS
    assert deadlocks == 0, (deadlocks, failed[:10])
    assert not failed, failed[:10]

    # Every action was done, once.
    trials = races.plan["trials"]
    approved = [t["approve"] for t in trials] + [pk for t in trials for pk in t["bulk"]]
    states = dict(races.sql("SELECT id, state FROM claims_claim WHERE id = ANY(%s)", [approved]))
    assert set(states.values()) == {"approved"}
    retracted = [t["retract"] for t in trials]
    states = dict(races.sql("SELECT id, state FROM claims_claim WHERE id = ANY(%s)", [retracted]))
    assert set(states.values()) == {"retracted"}
    edited = [t["edit"] for t in trials]
    rows = races.sql("SELECT version, quantity_max FROM claims_claim WHERE id = ANY(%s)", [edited])
    assert set(rows) == {(2, 0)}

    # The incremental detection left what a full recompute gives.
    incremental = races.open_pairs()
    assert incremental
    changes = manage(races.pg.url, "recompute_conflicts")
    assert changes.startswith("No changes."), changes
    assert races.open_pairs() == incremental
    # And the marks the triggers keep agree with the open conflicts.
    marked = {pk for (pk,) in races.sql("SELECT id FROM claims_claim WHERE in_open_conflict")}
    assert marked == {pk for pair in incremental for pk in pair}
