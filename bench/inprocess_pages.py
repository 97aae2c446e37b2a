"""
In-process page benchmark: each reading page through Django's test client,
logged in as a moderator (who never gets the page cache), on PostgreSQL.

For each page it prints the size of the HTML, the number of SQL queries,
their summed time, the process's CPU time (time.process_time, which the
neighbours on a shared machine do not inflate) and the wall time, median of
--repeat runs after one warm-up. Then, with --explain, the source page's
conflicts query under EXPLAIN (ANALYZE, BUFFERS) for the median source and
the largest.

    .venv/bin/python bench/inprocess_pages.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_lists_1m
    .venv/bin/python bench/inprocess_pages.py --database-url ... --explain

It creates a user `bench-moderator` in the Moderator group if there is none:
run it on a copy of the volume database, never on crosscheck_volume itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import DEFAULT_DATABASE_URL, in_process_settings, print_header, setup_django


def pages() -> list[tuple[str, str]]:
    """Return (name, path) for the pages measured, chosen from the data."""
    from django.db import connection
    from django.db.models import Count

    from claims.models import Conflict, Detainee, Topic
    from sources.models import Source

    hot = Topic.objects.annotate(n=Count("claims")).order_by("-n").values_list("slug", flat=True)[0]
    board_topic = (
        Topic.objects.annotate(n=Count("detainees")).order_by("-n").values_list("slug", flat=True)
    )[0]
    by_claims = list(
        Source.objects.annotate(n=Count("claims"))
        .filter(n__gt=0)
        .order_by("n", "pk")
        .values_list("pk", flat=True)
    )
    median_source, largest_source = by_claims[len(by_claims) // 2], by_claims[-1]
    detainee = (
        Detainee.objects.annotate(n=Count("claims")).order_by("-n").values_list("pk", flat=True)
    )[0]
    conflict = Conflict.objects.open().order_by("pk").values_list("pk", flat=True)[0]
    claim = Conflict.objects.open().order_by("pk").values_list("claim_a", flat=True)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c FROM (SELECT claim_a_id c FROM claims_conflict UNION ALL "
            "SELECT claim_b_id FROM claims_conflict) x GROUP BY c ORDER BY count(*) DESC LIMIT 1"
        )
        busiest_claim = cursor.fetchone()[0]
    return [
        ("source page, median source", f"/sources/{median_source}/"),
        (
            "source page, median source, conflicts page 2",
            f"/sources/{median_source}/?conflicts_page=2",
        ),
        ("source page, largest source", f"/sources/{largest_source}/"),
        ("source page, largest source, claims page 50", f"/sources/{largest_source}/?page=50"),
        ("status board, no topic", "/detainees/board/"),
        ("status board, no topic, page 100", "/detainees/board/?page=100"),
        ("status board, largest topic", f"/detainees/board/?topic={board_topic}"),
        ("topic page (hottest topic)", f"/topics/{hot}/"),
        ("detainee page (most claims)", f"/detainees/{detainee}/"),
        ("conflict page", f"/conflicts/{conflict}/"),
        ("claim page", f"/claims/{claim}/"),
        ("claim page, the claim in most conflicts", f"/claims/{busiest_claim}/"),
    ]


def moderator():
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username="bench-moderator")
    if created:
        user.groups.add(Group.objects.get(name="Moderator"))
    return user


def measure(client, path: str, repeat: int) -> dict:
    from django.db import connection, reset_queries

    client.get(path, secure=True)  # warm-up: the caches of PostgreSQL and of the templates
    runs = []
    for _ in range(repeat):
        reset_queries()
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path, secure=True)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sql = sum(float(q["time"]) for q in connection.queries)
        runs.append((cpu, wall, sql, len(connection.queries)))
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": runs[-1][3],
        "sql_ms": statistics.median(r[2] for r in runs) * 1000,
        "cpu_ms": statistics.median(r[0] for r in runs) * 1000,
        "wall_ms": statistics.median(r[1] for r in runs) * 1000,
    }


def explain_sources() -> None:
    """EXPLAIN (ANALYZE, BUFFERS) the source page's conflicts query, its first page."""
    from django.db import connection
    from django.db.models import Count, Q

    from claims.models import Conflict
    from sources import views
    from sources.models import Source

    by_claims = list(
        Source.objects.annotate(n=Count("claims"))
        .filter(n__gt=0)
        .order_by("n", "pk")
        .values_list("pk", "n")
    )
    for label, (pk, n) in (
        ("median", by_claims[len(by_claims) // 2]),
        ("largest", by_claims[-1]),
    ):
        source = Source.objects.get(pk=pk)
        union = views.source_conflicts(source)
        # The filter the union replaced, in the same order (issue 16).
        speakers = Source.objects.speaking_for(source).values("pk")
        old = Conflict.objects.filter(
            Q(claim_a__source__in=speakers) | Q(claim_b__source__in=speakers)
        ).order_by(*union.query.order_by)
        for name, rows in (("OR filter (before)", old), ("union (after)", union)):
            for what, query in (
                ("first page, joined", rows.for_display()[: views.SOURCE_CONFLICTS_PAGE]),
                ("first page, ids (the page reads these)", rows.values("pk")[:20]),
                ("bounded count", rows.order_by().values("pk")[:10_001]),
            ):
                sql, params = query.query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = [row[0] for row in cursor.fetchall()]
                top_buffers = next(line for line in plan if "Buffers" in line)
                print(f"--- {label} source #{pk} ({n:,} claims), {name}, {what}")
                print("    top node:", top_buffers.strip(), "|", plan[-1].strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="Measure only pages whose name contains this.")
    args = parser.parse_args()
    print_header("In-process pages (Django test client, logged in as a moderator)")
    setup_django(args.database_url)
    from django.db import connection
    from django.test import Client

    in_process_settings()
    connection.force_debug_cursor = True
    from claims.models import Claim

    print(f"claims in the database: {Claim.objects.count():,}")
    client = Client()
    client.force_login(moderator())
    print(
        f"{'page':48} {'status':>6} {'bytes':>9} {'queries':>7} "
        f"{'SQL ms':>8} {'CPU ms':>8} {'wall ms':>8}"
    )
    for name, path in pages():
        if args.only and args.only not in name:
            continue
        r = measure(client, path, args.repeat)
        print(
            f"{name:48} {r['status']:>6} {r['bytes']:>9,} {r['queries']:>7} "
            f"{r['sql_ms']:>8.1f} {r['cpu_ms']:>8.1f} {r['wall_ms']:>8.1f}   {path}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.explain:
        explain_sources()


if __name__ == "__main__":
    main()
