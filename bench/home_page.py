"""
The home page for a logged-in moderator, in-process: time, queries, the SQL's plan.

    .venv/bin/python bench/home_page.py --database-url postgres://.../crosscheck_volume

Logs in a temporary moderator with Django's test client (the newsroom is
always logged in, so never the page cache), warms one request, then times
--repeat GETs of the home page: wall time and this process's CPU time
(`time.process_time()`, the app's Python), and the SQL time and count from
the queries Django ran. Then EXPLAIN (ANALYZE, BUFFERS) of the topics page
query, the one that grew with the number of topics. Everything it writes
(the user and its session) is rolled back. Works on the code before the
counters too (run it from that checkout), to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import DEFAULT_DATABASE_URL, percentile, setup_django


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        with transaction.atomic(), override_settings(ALLOWED_HOSTS=["*"]):
            user = User.objects.create_user("bench-home-moderator", password="x")
            user.groups.add(Group.objects.get(name="Moderator"))
            client = Client()
            client.force_login(user)
            client.get("/")
            walls, cpus, sqls, counts, size = [], [], [], [], 0
            for _ in range(args.repeat):
                with CaptureQueriesContext(connection) as queries:
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = client.get("/")
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                assert response.status_code == 200, response.status_code
                size = len(response.content)
                counts.append(len(queries))
                sqls.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
            # The topics' page: the query from the topics table with a LIMIT.
            sql = next(
                q["sql"]
                for q in queries.captured_queries
                if q["sql"].startswith('SELECT "claims_topic"."id"') and "LIMIT" in q["sql"]
            )
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}")
                plan = [row for (row,) in cursor.fetchall()]
            raise Rollback
    except Rollback:
        pass
    print(f"home page, logged in as a moderator, {args.repeat} requests, {size:,} bytes")
    print(
        f"  wall ms median {statistics.median(walls):.1f} p95 {percentile(walls, 95):.1f}; "
        f"process CPU ms median {statistics.median(cpus):.1f}; "
        f"SQL ms median {statistics.median(sqls):.1f}; queries {counts[0]}"
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("slowest queries of the last request:")
    for q in slowest:
        print(f"  {float(q['time']) * 1000:.1f} ms  {q['sql'][:150]}")
    print("EXPLAIN (ANALYZE, BUFFERS) of the topics' page:")
    for line in plan:
        print("  " + line)


if __name__ == "__main__":
    main()
