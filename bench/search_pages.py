"""
Issue 16's searches as a moderator reads them: /claims/?q=… through Django's
test client, in-process, on PostgreSQL, and EXPLAIN (ANALYZE, BUFFERS) of
each search query the page ran.

    .venv/bin/python bench/search_pages.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_search_1m
    .venv/bin/python bench/search_pages.py --database-url ... --explain [--plans]

For each page (logged in as a moderator: no page cache) it prints the
claims counted, the queries, their summed time, this process's CPU time
(time.process_time), the PostgreSQL backend's CPU time (from /proc, in
10 ms ticks; parallel workers, if any, are not in it) and the wall time,
medians of --repeat runs after one warm-up; the load average beside them.

With --explain, each query of the page that searches (its SQL holds `@@`
or `ts_match_vq`) is run again under EXPLAIN (ANALYZE, BUFFERS): its
execution time and the shared buffers its top node read (hit + read),
--plans prints the whole plan. Load does not change the buffers; it does
change the milliseconds (compare rows of one run).

It creates a user `bench-moderator` in the Moderator group if there is none:
run it on a copy of the volume database, never on crosscheck_volume itself.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

from common import DEFAULT_DATABASE_URL, in_process_settings, print_header, setup_django
from inprocess_pages import moderator

SEARCHES = [
    "q=released",
    "q=camaguey+desk",
    "q=havana+d",
    "topic=talks-in-minsk-1&q=released",
    # Beside them: the other shapes the same code serves.
    "q=havana+desk",
    "q=d",
    "q=released+d",
    "topic={hot}&q=released",
    "topic=talks-in-minsk-1&q=havana+d",
    "q=zzzznotaword",
    "q=released&sort=oldest",
    'q="some+released"+-obama',
]


def backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client, path: str, repeat: int) -> dict:
    from django.db import connection, reset_queries

    response = client.get(path, secure=True)  # warm-up
    runs = []
    for _ in range(repeat):
        reset_queries()
        backend = backend_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path, secure=True)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        backend = backend_cpu() - backend
        sql = sum(float(q["time"]) for q in connection.queries)
        runs.append((cpu, wall, sql, backend, [q["sql"] for q in connection.queries]))
    page = response.context["page"]
    counted = page.paginator.counted if hasattr(page.paginator, "counted") else page.paginator.count
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "counted": counted,
        "ranked": not response.context.get("too_many_to_rank")
        and response.context["filterset"].ranks_by_relevance(),
        "queries": runs[-1][4],
        "sql_ms": statistics.median(r[2] for r in runs) * 1000,
        "cpu_ms": statistics.median(r[0] for r in runs) * 1000,
        "backend_ms": statistics.median(r[3] for r in runs) * 1000,
        "wall_ms": statistics.median(r[1] for r in runs) * 1000,
    }


def explain(sql: str, runs: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) the query; then run it `runs` times for its CPU and fastest time.

    The backend's CPU over the runs, divided by them, is what one run costs
    PostgreSQL whatever the load (10 ms ticks: hence many runs). The fastest
    of the runs' execution times (EXPLAIN ANALYZE with TIMING OFF) is the
    wall time least inflated by the neighbours.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        first = re.search(r"Buffers: shared ([^\n]*)", plan)
        buffers = 0
        if first:
            buffers = sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", first.group(1)))
        times = []
        before = backend_cpu()
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)
            timed = "\n".join(row[0] for row in cursor.fetchall())
            times.append(float(re.search(r"Execution Time: ([\d.]+) ms", timed).group(1)))
        cpu = (backend_cpu() - before) / runs * 1000
    return {
        "ms": float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)),
        "fastest_ms": min(times),
        "cpu_ms": cpu,
        "buffers": buffers,
        "parallel": "Workers Launched" in plan,
        "plan": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--query", action="append", default=[], help="Another query string.")
    parser.add_argument("--only-extra", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--plans", action="store_true", help="With --explain: the whole plans.")
    parser.add_argument("--runs", type=int, default=10, help="With --explain: runs of each query.")
    args = parser.parse_args()
    print_header("Search pages in-process (Django test client, logged in as a moderator)")
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client

    in_process_settings()
    connection.force_debug_cursor = True
    from claims.models import Topic

    hot = Topic.objects.order_by("-claim_count", "pk").values_list("slug", flat=True)[0]
    client = Client()
    client.force_login(moderator())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(
        "| page | counted | ranked | queries | bytes | SQL ms | CPU ms (ours) "
        "| backend CPU ms | wall ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    measured = []
    for query in ([] if args.only_extra else SEARCHES) + args.query:
        path = "/claims/?" + query.format(hot=hot)
        r = measure(client, path, args.repeat)
        assert r["status"] == 200, (path, r["status"])
        print(
            f"| `{path}` | {r['counted']:,} | {'yes' if r['ranked'] else 'no'} "
            f"| {len(r['queries'])} | {r['bytes']:,} | {r['sql_ms']:.1f} | {r['cpu_ms']:.1f} "
            f"| {r['backend_ms']:.0f} | {r['wall_ms']:.1f} |",
            flush=True,
        )
        measured.append((path, r))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.explain:
        return
    print()
    print(
        f"| page | query | shared buffers (hit + read) | EXPLAIN ANALYZE ms "
        f"| fastest of {args.runs} ms | backend CPU ms a run | parallel |"
    )
    print("|---|---|---|---|---|---|---|")
    for path, r in measured:
        searching = [sql for sql in r["queries"] if "@@" in sql or "ts_match_vq" in sql]
        for n, sql in enumerate(searching, 1):
            what = "count" if sql.lstrip().upper().startswith("SELECT COUNT") else "page"
            e = explain(sql, args.runs)
            parallel = "yes" if e["parallel"] else "no"
            print(
                f"| `{path}` | {n}: {what} | {e['buffers']:,} | {e['ms']:.1f} "
                f"| {e['fastest_ms']:.1f} | {e['cpu_ms']:.1f} | {parallel} |",
                flush=True,
            )
            if args.plans:
                print()
                print("```")
                print(sql[:800] + (" …" if len(sql) > 800 else ""))
                print("--")
                print(e["plan"])
                print("```")
                print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
