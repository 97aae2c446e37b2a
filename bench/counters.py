"""
What the counters' triggers (claims/counters.py) cost: per approval, and in a full recompute.

    .venv/bin/python bench/counters.py --database-url postgres://.../crosscheck_x
    .venv/bin/python bench/counters.py --recompute      # also a recompute from nothing

PostgreSQL times each trigger function when `track_functions` is 'pl'; this
sets it for its session and reads `pg_stat_xact_user_functions` (this
transaction's calls) before and after the approvals of bench/detection.py
(the moderators' path, on a variable of --size claims), and around a full
recompute from nothing (every conflict and supersession deleted first, as
bench/detection.py --recompute does). It prints the time spent in the
counters' functions beside the time of the whole write, and the
open-conflict marks' functions (migration 0005) for comparison. Everything is
rolled back; after --recompute, VACUUM the copy (dead rows).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import timedelta

from common import DEFAULT_DATABASE_URL, setup_django
from detection import Rollback, build_variable


def function_times(cursor) -> dict[str, tuple[int, float]]:
    cursor.execute(
        "SELECT funcname, calls, total_time FROM pg_stat_xact_user_functions "
        "WHERE funcname LIKE 'claims_%'"
    )
    return {name: (calls, ms) for name, calls, ms in cursor.fetchall()}


def spent(before: dict, after: dict) -> dict[str, tuple[int, float]]:
    return {
        name: (calls - before.get(name, (0, 0.0))[0], ms - before.get(name, (0, 0.0))[1])
        for name, (calls, ms) in after.items()
        if calls != before.get(name, (0, 0.0))[0]
    }


def show(label: str, wall_ms: float, used: dict, per: int = 1) -> None:
    counters = sum(ms for name, (_, ms) in used.items() if "counters" in name)
    print(f"{label}: {wall_ms / per:.2f} ms each; counters' triggers {counters / per:.3f} ms")
    for name, (calls, ms) in sorted(used.items()):
        print(f"    {name}: {calls / per:.1f} calls, {ms / per:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--recompute", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection, transaction

    from claims import detection
    from claims.models import Claim, Conflict

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rng = random.Random(1)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL track_functions = 'pl'")
            topic, sources, last_day = build_variable(args.size, rng)
            pending = [
                Claim.objects.create(
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
                for i in range(args.repeat)
            ]
            walls = []
            before = function_times(cursor)
            for claim in pending:
                claim = Claim.objects.get(pk=claim.pk)
                started = time.perf_counter()
                claim.approve(by=None)
                walls.append((time.perf_counter() - started) * 1000)
            used = spent(before, function_times(cursor))
            show(
                f"approval on a {args.size + args.repeat:,}-claim variable "
                f"(median {statistics.median(walls):.2f} ms)",
                sum(walls),
                used,
                per=args.repeat,
            )
            if args.recompute:
                for model in (Conflict.history.model, Conflict):
                    cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
                cursor.execute(
                    f'UPDATE "{Claim._meta.db_table}" SET superseded_by_id = NULL '
                    "WHERE superseded_by_id IS NOT NULL"
                )
                before = function_times(cursor)
                started = time.perf_counter()
                result = detection.recompute_all()
                wall = (time.perf_counter() - started) * 1000
                show(
                    f"recompute from nothing ({result.variables:,} variables)",
                    wall,
                    spent(before, function_times(cursor)),
                )
            raise Rollback
    except Rollback:
        pass
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
