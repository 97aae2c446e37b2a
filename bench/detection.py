"""
Detection benchmark: the time to approve one claim as the claims on its
variable grow, and the full recompute.

    .venv/bin/python bench/detection.py --database-url postgres://.../crosscheck_volume
    .venv/bin/python bench/detection.py --recompute          # also the full recompute
    .venv/bin/python bench/detection.py --recompute --commit --no-approvals \\
        --database-url postgres://.../a_throwaway_copy   # committed per batch: CHANGES it

For each size (10, 100, 1,000, 10,000 by default) it adds a topic with that
many approved claims on its topic-wide variable (40 sources whose estimates
overlap, dates spread so that each source's older statements are superseded,
as a long story's are), lets detection settle, then approves --repeat pending
claims one by one with `Claim.approve`, the moderators' path, and times each.
Each approval supersedes its source's previous statement and opens no
conflict, so every size writes the same rows: the timing is the cost of
reading and examining the variable. Everything it writes
is rolled back: the database is left as it was. Run it on a 10,000-claim and
on a 1,000,000-claim database to compare the cost as the database grows.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from common import DEFAULT_DATABASE_URL, percentile, print_header, setup_django


class Rollback(Exception):
    pass


def build_variable(n: int, rng: random.Random):
    """Create a topic with n approved claims on its topic-wide variable; return (topic, sources)."""
    from claims import detection
    from claims.models import Claim, Topic
    from sources.models import Source

    topic = Topic.objects.create(
        title=f"Benchmark variable of {n} claims {rng.randrange(10**9)}",
        question="How many were released?",
        quantity_label="prisoners released",
        quantity_min=0,
        quantity_max=500,
    )
    sources = list(Source.objects.order_by("pk")[:40])
    while len(sources) < 40:
        sources.append(
            Source.objects.create(
                name=f"Benchmark source {len(sources)} {rng.randrange(10**9)}",
                kind=Source.Kind.MONITOR,
            )
        )
    span = max(30, n // 5)
    first = date(2020, 1, 1)
    claims = []
    for _ in range(n):
        # Estimates that all overlap (each range holds 20): the sources agree,
        # so an approval writes the same few rows whatever the variable's size
        # and the timing shows the cost of reading and examining the variable.
        claims.append(
            Claim(
                source=rng.choice(sources),
                topic=topic,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.AFFIRMS,
                quantity_min=rng.randint(0, 20),
                quantity_max=rng.randint(20, 500),
                quote="Benchmark quote.",
                summary="Benchmark",
                stated_on=first + timedelta(days=rng.randrange(span)),
                state=Claim.State.APPROVED,
                search_text="benchmark quote.",
            )
        )
    Claim.objects.bulk_create(claims, batch_size=2000)
    detection.refresh_variable(topic.pk, None)
    return topic, sources, first + timedelta(days=span)


_backend: list[int] = []


def backend_cpu() -> float | None:
    """CPU seconds PostgreSQL's backend for this connection has used, if it runs on this machine.

    Read from /proc (clock ticks of 10 ms: summed over many approvals, not
    per approval). With this process's own CPU it is the work an approval
    costs, whatever the neighbours on a shared machine do.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    if not _backend:  # Asked once: a query per approval would be timed with it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend.append(cursor.fetchone()[0])
    try:
        stat = Path(f"/proc/{_backend[0]}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_approvals(n: int, repeat: int, rng: random.Random) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from claims.models import Claim, Conflict

    timings, cpu, queries = [], [], []
    server = 0.0
    try:
        with transaction.atomic():
            topic, sources, last_day = build_variable(n, rng)
            for i in range(repeat):
                claim = Claim.objects.create(
                    source=rng.choice(sources),
                    topic=topic,
                    kind=Claim.Kind.FACT,
                    stance=Claim.Stance.AFFIRMS,
                    quantity_min=rng.randint(10, 20),
                    quantity_max=rng.randint(20, 30),
                    quote="A new statement.",
                    summary="New",
                    stated_on=last_day + timedelta(days=i),
                    state=Claim.State.PENDING,
                )
                claim = Claim.objects.get(pk=claim.pk)
                before = backend_cpu()
                with CaptureQueriesContext(connection) as captured:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    claim.approve(by=None)
                    timings.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
                after = backend_cpu()
                if before is not None and after is not None:
                    server += after - before
                queries.append(len(captured))
            on_variable = Claim.objects.filter(topic=topic).count()
            conflicts = Conflict.objects.filter(topic=topic).count()
            raise Rollback
    except Rollback:
        pass
    ms = [t * 1000 for t in timings]
    return {
        "claims on the variable": on_variable,
        "conflicts on it": conflicts,
        "median ms": statistics.median(ms),
        "p95 ms": percentile(ms, 95),
        "min ms": min(ms),
        # This process's CPU alone: on a shared machine the wall clock waits for
        # the neighbours (and PostgreSQL's own work is not in it).
        "cpu ms": statistics.median(c * 1000 for c in cpu),
        "server cpu ms": server * 1000 / len(timings),
        "queries": statistics.median(queries),
    }


def time_recompute() -> list[tuple[str, float, str]]:
    from django.db import connection, transaction

    from claims import detection
    from claims.models import Claim, Conflict

    rows = []
    try:
        with transaction.atomic():
            started, cpu = time.perf_counter(), time.process_time()
            result = detection.recompute_all()
            rows.append(
                (
                    "full recompute, nothing to change (steady state)",
                    time.perf_counter() - started,
                    f"{result.variables:,} variables, changes: {dict(result.changes) or 'none'}; "
                    f"CPU of this process {time.process_time() - cpu:.1f} s",
                )
            )
            with connection.cursor() as cursor:
                for model in (Conflict.history.model, Conflict):
                    cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
                cursor.execute(
                    f'UPDATE "{Claim._meta.db_table}" SET superseded_by_id = NULL '
                    "WHERE superseded_by_id IS NOT NULL"
                )
            started, cpu = time.perf_counter(), time.process_time()
            result = detection.recompute_all()
            rows.append(
                (
                    "full recompute from nothing (no conflicts, no supersessions stored)",
                    time.perf_counter() - started,
                    f"{result.variables:,} variables, changes: {dict(result.changes)}; "
                    f"CPU of this process {time.process_time() - cpu:.1f} s",
                )
            )
            raise Rollback
    except Rollback:
        pass
    return rows


def time_recompute_committed() -> list[tuple[str, float, str]]:
    """The same two timings, each batch committed as `manage.py recompute_conflicts` does.

    For a throwaway copy of a large database (it CHANGES it: conflicts are
    emptied, with what refers to them, and rebuilt): inside one transaction
    the advisory lock of every topic is held to the end, and at a million
    claims (33,154 topics) PostgreSQL's shared lock table, shared with every
    other session of the server, runs out. Between the two, the emptied
    tables are vacuumed, as a database that never had conflicts would be.
    """
    from django.db import connection

    from claims import detection
    from claims.models import Claim, Conflict

    rows = []
    started, cpu = time.perf_counter(), time.process_time()
    result = detection.recompute_all()
    rows.append(
        (
            "full recompute, nothing to change (steady state, committed per batch)",
            time.perf_counter() - started,
            f"{result.variables:,} variables, changes: {dict(result.changes) or 'none'}; "
            f"CPU of this process {time.process_time() - cpu:.1f} s",
        )
    )
    claims = Claim._meta.db_table
    with connection.cursor() as cursor:
        tables = ", ".join(f'"{m._meta.db_table}"' for m in (Conflict.history.model, Conflict))
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        # TRUNCATE fires no row trigger: the marks are cleared by hand (the
        # claims' own trigger recomputes each from the now empty conflicts).
        cursor.execute(f'UPDATE "{claims}" SET in_open_conflict = false WHERE in_open_conflict')
        cursor.execute(
            f'UPDATE "{claims}" SET superseded_by_id = NULL WHERE superseded_by_id IS NOT NULL'
        )
        cursor.execute(f'VACUUM ANALYZE "{claims}"')
    started, cpu = time.perf_counter(), time.process_time()
    result = detection.recompute_all()
    rows.append(
        (
            "full recompute from nothing (committed per batch, after VACUUM)",
            time.perf_counter() - started,
            f"{result.variables:,} variables, changes: {dict(result.changes)}; "
            f"CPU of this process {time.process_time() - cpu:.1f} s",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=30, help="Approvals timed per size.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recompute", action="store_true", help="Also time recompute_all.")
    parser.add_argument("--no-approvals", action="store_true")
    parser.add_argument(
        "--commit",
        action="store_true",
        help="With --recompute: commit each batch (CHANGES the database: use a copy).",
    )
    args = parser.parse_args()

    print_header("Detection benchmark")
    setup_django(args.database_url)
    from claims.models import Claim, Conflict

    print(
        f"database: {Claim.objects.count():,} claims, {Conflict.objects.count():,} conflicts "
        f"({Conflict.objects.open().count():,} open)"
    )
    print()
    rng = random.Random(args.seed)
    if not args.no_approvals:
        print(
            "| claims on the variable | median ms | p95 ms | min ms | median CPU ms "
            "| PostgreSQL CPU ms (mean) | queries | conflicts on it |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for n in (int(x) for x in args.sizes.split(",")):
            r = time_approvals(n, args.repeat, rng)
            print(
                f"| {r['claims on the variable']:,} | {r['median ms']:.1f} | {r['p95 ms']:.1f} "
                f"| {r['min ms']:.1f} | {r['cpu ms']:.1f} | {r['server cpu ms']:.1f} "
                f"| {r['queries']:.0f} "
                f"| {r['conflicts on it']:,} |",
                flush=True,
            )
        print(f"({args.repeat} approvals timed per size; each adds one claim to the variable)")
        print()
    if args.recompute:
        for name, seconds, detail in (
            time_recompute_committed() if args.commit else time_recompute()
        ):
            print(f"{name}: {seconds:.1f} s ({detail})", flush=True)


if __name__ == "__main__":
    main()
