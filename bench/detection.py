"""
Detection benchmark: the time to approve one claim as the claims on its
variable grow, and the full recompute.

    .venv/bin/python bench/detection.py --database-url postgres://.../crosscheck_volume
    .venv/bin/python bench/detection.py --recompute          # also the full recompute

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
import random
import statistics
import time
from datetime import date, timedelta

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


def time_approvals(n: int, repeat: int, rng: random.Random) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from claims.models import Claim, Conflict

    timings, queries = [], []
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
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    claim.approve(by=None)
                    timings.append(time.perf_counter() - started)
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
        "queries": statistics.median(queries),
    }


def time_recompute() -> list[tuple[str, float, str]]:
    from django.db import connection, transaction

    from claims import detection
    from claims.models import Claim, Conflict

    rows = []
    try:
        with transaction.atomic():
            started = time.perf_counter()
            result = detection.recompute_all()
            rows.append(
                (
                    "full recompute, nothing to change (steady state)",
                    time.perf_counter() - started,
                    f"{result.variables:,} variables, changes: {dict(result.changes) or 'none'}",
                )
            )
            with connection.cursor() as cursor:
                for model in (Conflict.history.model, Conflict):
                    cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
                cursor.execute(
                    f'UPDATE "{Claim._meta.db_table}" SET superseded_by_id = NULL '
                    "WHERE superseded_by_id IS NOT NULL"
                )
            started = time.perf_counter()
            result = detection.recompute_all()
            rows.append(
                (
                    "full recompute from nothing (no conflicts, no supersessions stored)",
                    time.perf_counter() - started,
                    f"{result.variables:,} variables, changes: {dict(result.changes)}",
                )
            )
            raise Rollback
    except Rollback:
        pass
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=30, help="Approvals timed per size.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recompute", action="store_true", help="Also time recompute_all.")
    parser.add_argument("--no-approvals", action="store_true")
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
            "| claims on the variable | median ms | p95 ms | min ms | queries | conflicts on it |"
        )
        print("|---|---|---|---|---|---|")
        for n in (int(x) for x in args.sizes.split(",")):
            r = time_approvals(n, args.repeat, rng)
            print(
                f"| {r['claims on the variable']:,} | {r['median ms']:.1f} | {r['p95 ms']:.1f} "
                f"| {r['min ms']:.1f} | {r['queries']:.0f} | {r['conflicts on it']:,} |",
                flush=True,
            )
        print(f"({args.repeat} approvals timed per size; each adds one claim to the variable)")
        print()
    if args.recompute:
        for name, seconds, detail in time_recompute():
            print(f"{name}: {seconds:.1f} s ({detail})", flush=True)


if __name__ == "__main__":
    main()
