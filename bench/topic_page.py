"""
The topic page query by query: each SQL statement of one request, its time,
and with --explain its plan's execution and planning times and buffers
(EXPLAIN (ANALYZE, BUFFERS), run after the request, each statement once).

Logged in as a moderator (bench/inprocess_pages.py's `bench-moderator`),
through Django's test client, on PostgreSQL. The topics measured: the one
with the most claims (the hottest), one with the median number of claims,
and the status board of the hottest topic. For each page: bytes, queries,
SQL ms, our CPU ms (time.process_time) and the PostgreSQL backend's CPU ms
(from /proc, 10 ms ticks, summed over --repeat runs), medians of --repeat
runs after one warm-up.

    .venv/bin/python bench/topic_page.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_topic_1m
    .venv/bin/python bench/topic_page.py --database-url ... --explain --repeat 5
    .venv/bin/python bench/topic_page.py --database-url ... --profile   # cProfile, top 40

Run it on a copy of the volume database, never on crosscheck_volume itself
(it creates the moderator).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

from common import DEFAULT_DATABASE_URL, in_process_settings, print_header, setup_django

_backend: list[int] = []


def backend_cpu() -> float | None:
    """CPU seconds this connection's PostgreSQL backend has used (utime + stime), or None."""
    from django.db import connection

    if not _backend:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend.append(cursor.fetchone()[0])
    try:
        stat = Path(f"/proc/{_backend[0]}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pages() -> list[tuple[str, str]]:
    from django.db.models import Count

    from claims.models import Topic

    by_claims = list(
        Topic.objects.annotate(n=Count("claims"))
        .filter(n__gt=0)
        .order_by("n", "pk")
        .values_list("slug", "n")
    )
    hot, hot_n = by_claims[-1]
    median, median_n = by_claims[len(by_claims) // 2]
    return [
        (f"topic page, hottest ({hot_n:,} claims)", f"/topics/{hot}/"),
        (f"topic page, median ({median_n:,} claims)", f"/topics/{median}/"),
        ("status board, hottest topic", f"/detainees/board/?topic={hot}"),
    ]


def measure(client, path: str, repeat: int) -> dict:
    from django.db import connection, reset_queries

    client.get(path, secure=True)
    runs = []
    for _ in range(repeat):
        reset_queries()
        backend = backend_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path, secure=True)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        backend = (backend_cpu() - backend) if backend is not None else float("nan")
        sql = sum(float(q["time"]) for q in connection.queries)
        runs.append((cpu, wall, sql, backend, list(connection.queries)))
    assert response.status_code == 200, (path, response.status_code)
    return {
        "bytes": len(response.content),
        "queries": runs[-1][4],
        "sql_ms": statistics.median(r[2] for r in runs) * 1000,
        "cpu_ms": statistics.median(r[0] for r in runs) * 1000,
        "wall_ms": statistics.median(r[1] for r in runs) * 1000,
        "backend_ms": sum(r[3] for r in runs) / len(runs) * 1000,
    }


def explain(sql: str, show: bool = False) -> tuple[float, float, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    if show:
        print(sql, *plan, sep="\n")
    execution = planning = 0.0
    for line in plan:
        if m := re.match(r"\s*Execution Time: ([\d.]+)", line):
            execution = float(m.group(1))
        if m := re.match(r"\s*Planning Time: ([\d.]+)", line):
            planning = float(m.group(1))
    buffers = next((line.strip() for line in plan if "Buffers" in line), "")
    return execution, planning, buffers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", default="", help="Measure only pages whose name contains this.")
    parser.add_argument(
        "--plan", type=int, action="append", default=[], help="Print query N whole, and its plan."
    )
    args = parser.parse_args()
    print_header("The topic page, query by query (logged in as a moderator)")
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client

    in_process_settings()
    connection.force_debug_cursor = True
    from inprocess_pages import moderator

    client = Client()
    client.force_login(moderator())
    for name, path in pages():
        if args.only and args.only not in name:
            continue
        r = measure(client, path, args.repeat)
        print(
            f"\n{name}: {path}\n  {r['bytes']:,} bytes, {len(r['queries'])} queries, "
            f"SQL {r['sql_ms']:.1f} ms, our CPU {r['cpu_ms']:.1f} ms, "
            f"backend CPU {r['backend_ms']:.1f} ms (mean, 10 ms ticks), wall {r['wall_ms']:.1f} ms"
        )
        for i, query in enumerate(r["queries"], 1):
            sql = query["sql"]
            line = f"  {i:>2} {float(query['time']) * 1000:7.1f} ms  {sql[:150]}"
            if (args.explain or i in args.plan) and sql.lstrip("( ").upper().startswith("SELECT"):
                execution, planning, buffers = explain(sql, show=i in args.plan)
                line += f"\n       exec {execution:.2f} ms, plan {planning:.2f} ms; {buffers}"
            print(line)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                client.get(path, secure=True)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
