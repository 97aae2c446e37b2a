"""
HTTP benchmark: gunicorn on PostgreSQL, loaded by wrk on loopback.

Each page is loaded for --duration seconds at --connections connections, in
the same run as the floor (/healthz: a constant Django view behind the whole
middleware stack), and quoted as a ratio of the floor's requests per second.

    .venv/bin/python bench/http_load.py                       # the default pages
    .venv/bin/python bench/http_load.py --page "sources list=/sources/"   # add pages
    .venv/bin/python bench/http_load.py --only-extra --page "/detainees/"

Needs wrk (Debian: apt-get install -y wrk) and a database filled by
`manage.py generate_volume`.
"""

from __future__ import annotations

import argparse
import os

from common import (
    DEFAULT_DATABASE_URL,
    default_pages,
    fetch,
    gunicorn,
    parse_pages,
    print_header,
    setup_django,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="Seconds per page.")
    parser.add_argument(
        "--page", action="append", default=[], help="NAME=PATH or PATH; repeat to add pages."
    )
    parser.add_argument("--only-extra", action="store_true", help="Measure only --page pages.")
    args = parser.parse_args()

    print_header("HTTP benchmark (gunicorn + PostgreSQL, wrk on loopback)")
    setup_django(args.database_url)
    from claims.models import Claim

    print(f"claims in the database: {Claim.objects.count():,}")
    pages = [] if args.only_extra else default_pages()
    extra = parse_pages(args.page)
    if args.only_extra:
        pages = [default_pages()[0], *extra]
    else:
        pages += extra
    print(
        f"gunicorn: {args.workers} sync workers (gunicorn.conf.py, access log off); "
        f"wrk: {args.threads} threads, {args.connections} connections, {args.duration} s a page"
    )
    print()

    results = []
    with gunicorn(args.database_url, port=args.port, workers=args.workers) as (base, _):
        for name, path in pages:
            # One request first: the status, the size, and a cold time.
            status, size, seconds = fetch(base + path)
            figures = wrk(
                base + path,
                connections=args.connections,
                duration=args.duration,
                threads=args.threads,
            )
            figures.update(name=name, path=path, status=status, size=size, cold_ms=seconds * 1000)
            results.append(figures)
            print(
                f"{name}: {figures['rps']:.1f} req/s, p50 {figures['p50_ms']:.1f} ms, "
                f"p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                f"errors {figures['errors']} (status {status}, {size:,} bytes)",
                flush=True,
            )

    floor = results[0]["rps"] or float("nan")
    print()
    print(f"wrk command, per page: {results[0]['command'].rsplit(' ', 1)[0]} <url>")
    print()
    print(
        "| page | path | status | bytes | req/s | ratio to floor | p50 ms | p95 ms | p99 ms "
        "| errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | `{r['path']}` | {r['status']} | {r['size']:,} | {r['rps']:.1f} "
            f"| {r['rps'] / floor:.1%} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['errors']} |"
        )


if __name__ == "__main__":
    main()
