"""
What one page-cache hit costs, in process: CPU time, queries and bytes sent.

Django's test client (no network, no gunicorn), production settings, the
page cache on; for each path, one anonymous request fills the cache, then
--repeat hits are timed: this worker's own copy (the usual hit), then with
the worker's copies off (every hit reads the page from the shared cache),
each plain and with `Accept-Encoding: gzip`. /healthz, a constant view behind
the same middleware, is the floor. Run it once per backend:

    .venv/bin/python bench/cache_hits.py --database-url postgres://…/crosscheck_x
    .venv/bin/python bench/cache_hits.py --database-url postgres://…/crosscheck_x \
        --cache-url redis://127.0.0.1:6379/7
"""

from __future__ import annotations

import argparse
import os
import time

from common import DEFAULT_DATABASE_URL, print_header, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--cache-url", default="")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="localhost",
        SECURE_SSL_REDIRECT="0",
        PAGE_CACHE_SECONDS="600",
        CACHE_URL=args.cache_url,
        LOG_LEVEL="WARNING",
    )
    print_header("Page cache hits, in process")
    setup_django(args.database_url)
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from crosscheck import cache

    print(f"CACHE_URL={args.cache_url or '(the database cache)'}; {args.repeat} hits each")
    client = Client(HTTP_HOST="localhost")
    paths = args.paths or ["/healthz", "/api/claims/", "/api/conflicts/", "/claims/"]
    print()
    print("| path | copies | encoding | status | bytes sent | queries | CPU ms a hit | wall ms |")
    print("|---|---|---|---|---|---|---|---|")
    for path in paths:
        for local_mb in (settings.PAGE_CACHE_LOCAL_MB, 0):
            for encoding in ("", "gzip"):
                with override_settings(PAGE_CACHE_LOCAL_MB=local_mb):
                    cache.LOCAL.clear()
                    headers = {"HTTP_ACCEPT_ENCODING": encoding} if encoding else {}
                    client.get(path, **headers)
                    response = client.get(path, **headers)
                    reset_queries()
                    with CaptureQueriesContext(connection) as queries:
                        response = client.get(path, **headers)
                    cpu, wall = time.process_time(), time.perf_counter()
                    for _ in range(args.repeat):
                        client.get(path, **headers)
                    cpu = (time.process_time() - cpu) / args.repeat * 1000
                    wall = (time.perf_counter() - wall) / args.repeat * 1000
                print(
                    f"| `{path}` | {'own' if local_mb else 'shared only'} | {encoding or 'plain'} "
                    f"| {response.status_code} {response.get('X-Page-Cache', '-')} "
                    f"| {len(response.content):,} | {len(queries.captured_queries)} "
                    f"| {cpu:.2f} | {wall:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
