"""
Search and filter benchmark: the claims list's queries at full volume, timed
in-process (no HTTP, no template), with EXPLAIN ANALYZE of each query.

    .venv/bin/python bench/search.py                     # the default queries
    .venv/bin/python bench/search.py --query "q=ferrer&stance=denies" --explain

Each query string goes through the claims list's own ClaimFilterSet and
paginator (crosscheck.lists.BoundedPaginator, which counts up to 10,000,
from ClaimFilterSet.rows_to_count), as /claims/?<query> does: the count,
then the first page of 50.
"""

from __future__ import annotations

import argparse
import os
import time

from common import DEFAULT_DATABASE_URL, percentile, print_header, setup_django


def default_queries() -> list[str]:
    from django.db.models import Count

    from claims.models import Topic
    from sources.models import Source

    hot = Topic.objects.annotate(n=Count("claims")).order_by("-n").values_list("slug", flat=True)[0]
    small = (
        Topic.objects.annotate(n=Count("claims")).filter(n__gte=5).order_by("n", "pk")
    ).values_list("slug", flat=True)[0]
    source = Source.objects.order_by("pk").values_list("pk", flat=True)[0]
    return [
        "",
        "q=released",
        "q=ferrer",
        "q=camaguey",
        "q=havana+desk",
        "q=unidentified+prisoner",
        # A last word still being typed: every word starting with "d" matches.
        "q=havana+d",
        "q=havana+de",
        "q=d",
        "q=released+d",
        "q=zzzznotaword",
        f"topic={hot}",
        f"topic={small}",
        f"topic={hot}&stance=denies",
        f"topic={hot}&q=released",
        f"topic={hot}&q=havana+desk",
        f"topic={hot}&q=havana+d",
        f"topic={small}&q=released",
        "stance=denies&q=released",
        f"source={source}&q=released",
        "stance=no_information",
        "kind=position",
        f"source={source}",
        f"affiliation={source}",
        "in_open_conflict=yes",
        "in_open_conflict=no",
        "stated_after=2020-01-01&stated_before=2020-01-31",
        "q=released&sort=oldest",
    ]


def run_query(query: str):
    """Evaluate /claims/?query's data as the view does; return the SQL it ran."""
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from claims.filters import ClaimFilterSet
    from claims.models import Claim
    from claims.views.common import source_notes
    from crosscheck.lists import BoundedPaginator

    with CaptureQueriesContext(connection) as captured:
        filterset = ClaimFilterSet(
            QueryDict(query),
            queryset=Claim.objects.public().for_display().prefetch_related(*source_notes()),
        )
        claims = filterset.qs
        paginator = BoundedPaginator(
            claims, 50, limit=filterset.count_limit(), count_rows=filterset.rows_to_count()
        )
        count = paginator.counted
        if filterset.ranks_by_relevance() and count > ClaimFilterSet.RANK_LIMIT:
            paginator.object_list = claims.order_by(*ClaimFilterSet.SORTS["newest"])
        list(paginator.page(1).object_list)
    return count, [q["sql"] for q in captured.captured_queries]


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--query", action="append", default=[], help="Add a query string.")
    parser.add_argument("--only-extra", action="store_true")
    parser.add_argument("--explain", action="store_true", help="Print EXPLAIN ANALYZE plans.")
    args = parser.parse_args()

    print_header("Search and filter benchmark (ClaimFilterSet + BoundedPaginator, in-process)")
    # As in production (DEBUG off): the filter's language choices are kept in
    # the shared cache until a write (crosscheck.cache.remembered), not read
    # from every claim on each request.
    os.environ.setdefault("VALUE_CACHE_SECONDS", "600")
    setup_django(args.database_url)
    from claims.models import Claim

    print(f"claims in the database: {Claim.objects.count():,}")
    queries = ([] if args.only_extra else default_queries()) + args.query
    print(f"each query: 1 warm-up, then {args.repeat} timed runs of count + first page of 50")
    print()
    print("| query string | matches (counted) | queries | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    plans = []
    for query in queries:
        count, sqls = run_query(query)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run_query(query)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"| `{query or '(none)'}` | {count:,} | {len(sqls)} | "
            f"{percentile(timings, 50):.1f} | {percentile(timings, 95):.1f} | {max(timings):.1f} |",
            flush=True,
        )
        plans.append((query, sqls))
    if args.explain:
        for query, sqls in plans:
            print()
            print(f"## EXPLAIN ANALYZE: `{query or '(none)'}`")
            for sql in sqls:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                print()
                print("```")
                print(sql[:600] + (" …" if len(sql) > 600 else ""))
                print("--")
                print(explain(sql))
                print("```")


if __name__ == "__main__":
    main()
