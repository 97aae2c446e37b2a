"""
CPU per page, ours and PostgreSQL's: what the load of a shared machine does not change.

bench/inprocess_pages.py's pages (or some of them, --only), each fetched
--repeat times after a warm-up through Django's test client as a moderator.
Per request: the process's CPU (time.process_time, median and least), the CPU of the
PostgreSQL backend serving our connection (read from /proc, in clock ticks
of 10 ms: the total over the runs divided by their number), the queries,
and the planning and execution time PostgreSQL reports for each query under
EXPLAIN (ANALYZE, BUFFERS) (best of three, summed over the page's queries),
with the shared buffers they touched.

    .venv/bin/python bench/page_cpu.py --database-url postgres://…/crosscheck_NAME_1m --only claim

Run it on a copy of the volume database (it creates `bench-moderator`), on
the same machine as PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

from common import DEFAULT_DATABASE_URL, in_process_settings, print_header, setup_django

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def explained(queries: list[dict]) -> tuple[float, float, int]:
    """Sum planning and execution ms (best of three each) and shared buffers over the queries."""
    from django.db import connection

    planning = execution = buffers = 0
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        best = None
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            times = {
                m.group(1): float(m.group(2))
                for line in plan
                if (m := re.match(r"(Planning|Execution) Time: ([\d.]+) ms", line))
            }
            run = (times.get("Planning", 0.0), times.get("Execution", 0.0))
            best = run if best is None or sum(run) < sum(best) else best
        planning += best[0]
        execution += best[1]
        top = next((line for line in plan if "Buffers: shared" in line), "")
        buffers += sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))
    return planning, execution, buffers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="Measure only pages whose name contains this.")
    parser.add_argument("--path", action="append", default=[], help="Also measure this path.")
    args = parser.parse_args()
    print_header("CPU per page, ours and PostgreSQL's (Django test client, as a moderator)")
    setup_django(args.database_url)
    from django.db import connection, reset_queries
    from django.test import Client
    from inprocess_pages import moderator, pages

    in_process_settings()
    client = Client()
    client.force_login(moderator())
    chosen = [(n, p) for n, p in pages() if args.only in n] + [(p, p) for p in args.path]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    print(
        f"{'page':42} {'bytes':>8} {'queries':>7} {'CPU ms':>7} {'min':>7} {'PG CPU ms':>9} "
        f"{'plan ms':>7} {'exec ms':>7} {'buffers':>7}"
    )
    for name, path in chosen:
        client.get(path, secure=True)  # warm-up: PostgreSQL's caches, the templates, the cards
        cpus = []
        backend = backend_cpu(pid)
        for _ in range(args.repeat):
            cpu = time.process_time()
            response = client.get(path, secure=True)
            cpus.append(time.process_time() - cpu)
        backend = (backend_cpu(pid) - backend) / args.repeat
        connection.force_debug_cursor = True
        reset_queries()
        client.get(path, secure=True)
        queries = list(connection.queries)
        connection.force_debug_cursor = False
        planning, execution, buffers = explained(queries)
        print(
            f"{name[:42]:42} {len(response.content):>8,} {len(queries):>7} "
            f"{statistics.median(cpus) * 1000:>7.1f} {min(cpus) * 1000:>7.1f} "
            f"{backend * 1000:>9.1f} "
            f"{planning:>7.1f} {execution:>7.1f} {buffers:>7}   {path}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
