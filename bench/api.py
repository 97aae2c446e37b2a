"""
In-process timings of the API's reads, logged in (never cached), on PostgreSQL.

For each endpoint: the queries, the SQL time, the CPU time of this process
and the wall time of a request through Django's whole stack (the test
client, so no network and no gunicorn), median and worst of --repeat runs
after one warm-up (which also fills the remembered count, kept until the
next write: api.conventions.RememberedCountPaginator), and the size of the
answer. Production settings (DEBUG off).

    .venv/bin/python bench/api.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_x

Reads only, as a superuser created for it (`bench-api`, the only write).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import DEFAULT_DATABASE_URL, print_header, setup_django


def endpoints() -> list[str]:
    from django.db.models import Count

    from claims.models import Claim, Conflict, Source, Topic

    hot = Topic.objects.annotate(n=Count("claims")).order_by("-n").values_list("slug", flat=True)[0]
    claim = Claim.objects.public().order_by("-pk").values_list("pk", flat=True)[0]
    conflict = Conflict.objects.open().order_by("-pk").values_list("pk", flat=True)[0]
    source = Source.objects.order_by("pk").values_list("pk", flat=True)[0]
    return [
        "/api/claims/",
        "/api/claims/?page=3",
        f"/api/claims/?topic={hot}",
        "/api/claims/?stance=denies",
        "/api/claims/?in_open_conflict=yes",
        "/api/claims/?sort=oldest",
        "/api/claims/?sort=source",
        "/api/claims/?q=released",
        "/api/claims/?q=havana+d",
        f"/api/claims/{claim}/",
        "/api/conflicts/",
        "/api/conflicts/?status=resolved",
        f"/api/conflicts/?topic={hot}",
        f"/api/conflicts/{conflict}/",
        "/api/sources/",
        f"/api/sources/{source}/",
        "/api/topics/",
        "/api/detainees/",
        "/api/documents/",
        "/api/notes/",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", action="append", default=[], help="Measure only these paths.")
    parser.add_argument("--cache-url", default="", help="CACHE_URL (the remembered counts).")
    parser.add_argument(
        "--serializers",
        action="store_true",
        help="Time serializing 200 claims and 200 conflicts, DRF's generic loop against "
        "api.serializers.Planned, instead.",
    )
    args = parser.parse_args()
    # Production settings: DEBUG off (no query log), the remembered counts on.
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    if args.cache_url:
        os.environ["CACHE_URL"] = args.cache_url
    print_header("API reads, logged in, in process")
    setup_django(args.database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if args.serializers:
        serializers(args.repeat)
        return
    user, _ = get_user_model().objects.get_or_create(
        username="bench-api", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    print("| path | status | bytes | queries | SQL ms | CPU ms | wall ms median | wall ms max |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.only or endpoints():
        client.get(path)  # warm-up
        walls, cpus, sqls = [], [], []
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                cpu, wall = time.process_time(), time.perf_counter()
                response = client.get(path)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            sqls.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        print(
            f"| `{path}` | {response.status_code} | {len(response.content):,} "
            f"| {len(queries.captured_queries)} | {statistics.median(sqls):.1f} "
            f"| {statistics.median(cpus):.1f} | {statistics.median(walls):.1f} "
            f"| {max(walls):.1f} |",
            flush=True,
        )


def serializers(repeat: int) -> None:
    """Print the CPU time of serializing 200 rows, DRF's generic loop and the plan."""
    from api.serializers import ClaimSerializer, ConflictSerializer, Planned
    from api.views import ConflictViewSet
    from claims.models import Claim

    claims = list(Claim.objects.public().for_display().order_by("-stated_on", "-pk")[:200])
    conflicts = list(ConflictViewSet().get_queryset()[:200])
    print("| rows | DRF's loop, CPU ms | Planned, CPU ms |")
    print("|---|---|---|")
    for label, serializer, rows in (
        ("200 claims", ClaimSerializer, claims),
        ("200 conflicts", ConflictSerializer, conflicts),
    ):
        figures = []
        for enabled in (False, True):
            Planned.enabled = enabled
            _ = serializer(rows, many=True).data
            cpu = time.process_time()
            for _ in range(repeat):
                _ = serializer(rows, many=True).data
            figures.append((time.process_time() - cpu) / repeat * 1000)
        print(f"| {label} | {figures[0]:.1f} | {figures[1]:.1f} |")
    Planned.enabled = True


if __name__ == "__main__":
    main()
