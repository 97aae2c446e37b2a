"""
Every query of the source page and of the sources list, one by one, under
EXPLAIN (ANALYZE, BUFFERS), logged in as a moderator, on PostgreSQL.

For each page (the median source, the largest, /sources/) it loads the page
once to warm the caches, once more capturing its queries, then prints for
each SELECT its time as the page ran it, and its EXPLAIN's execution time and
top node's buffers (shared hit + read): what the load of a shared machine does
not change.

    .venv/bin/python bench/source_queries.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_source_1m

It creates a user `bench-moderator` in the Moderator group if there is none:
run it on a copy of the volume database, never on crosscheck_volume itself.
"""

from __future__ import annotations

import argparse
import re

from common import DEFAULT_DATABASE_URL, in_process_settings, print_header, setup_django


def sources() -> list[tuple[str, str]]:
    from django.db.models import Count

    from sources.models import Source

    by_claims = list(
        Source.objects.annotate(n=Count("claims"))
        .filter(n__gt=0)
        .order_by("n", "pk")
        .values_list("pk", flat=True)
    )
    median, largest = by_claims[len(by_claims) // 2], by_claims[-1]
    return [
        ("source page, median source", f"/sources/{median}/"),
        ("source page, largest source", f"/sources/{largest}/"),
        ("sources list", "/sources/"),
        ("sources list, most reliable first", "/sources/?sort=reliability"),
    ]


def explain(sql: str) -> tuple[float, int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    ms = float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
    top = next((line for line in plan if "Buffers:" in line), "")
    buffers = sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top.split("I/O")[0]))
    return ms, buffers, plan[0].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--plans", action="store_true", help="Print each query's top plan node.")
    args = parser.parse_args()
    print_header("The source page's and sources list's queries, one by one")
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from inprocess_pages import moderator

    in_process_settings()
    client = Client()
    client.force_login(moderator())
    for name, path in sources():
        client.get(path, secure=True)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, secure=True)
        total_ms = total_buffers = 0
        print(f"--- {name} {path}: status {response.status_code}, {len(queries)} queries")
        for i, query in enumerate(queries.captured_queries, 1):
            sql = query["sql"]
            if not sql.lstrip("( ").upper().startswith("SELECT"):
                print(f"  {i:2} {float(query['time']) * 1000:7.2f} ms (not a SELECT) {sql[:70]}")
                continue
            ms, buffers, top = explain(sql)
            total_ms += ms
            total_buffers += buffers
            print(
                f"  {i:2} ran {float(query['time']) * 1000:7.2f} ms | EXPLAIN {ms:7.2f} ms "
                f"{buffers:7,} buffers | {sql[:90]}"
            )
            if args.plans:
                print(f"       {top}")
        print(f"  total: EXPLAIN {total_ms:.2f} ms, {total_buffers:,} buffers")


if __name__ == "__main__":
    main()
