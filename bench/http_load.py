"""
HTTP benchmark: gunicorn on PostgreSQL, loaded by wrk on loopback.

Each page is loaded for --duration seconds at --connections connections, in
the same run as the floor (/healthz: a constant Django view behind the whole
middleware stack), and quoted as a ratio of the floor's requests per second.

    .venv/bin/python bench/http_load.py                       # the default pages
    .venv/bin/python bench/http_load.py --page "sources list=/sources/"   # add pages
    .venv/bin/python bench/http_load.py --only-extra --page "/detainees/"
    .venv/bin/python bench/http_load.py --cache              # the page cache (below)

The pages are measured uncached (PAGE_CACHE_SECONDS=0). With --cache, the
same run measures the floor and each page twice: on a server with the page
cache off, then on one with it on (crosscheck/cache.py), where wrk's repeated
anonymous reads are served from the cache; it prints each page's ratio to the
floor both ways. --cache-url passes CACHE_URL to the server (default: the
database cache).

Needs wrk (Debian: apt-get install -y wrk) and a database filled by
`manage.py generate_volume`.
"""

from __future__ import annotations

import argparse
import os
import urllib.request

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
    parser.add_argument(
        "--cache", action="store_true", help="Measure each page uncached, then cached."
    )
    parser.add_argument("--cache-url", default="", help="CACHE_URL for the server (--cache).")
    args = parser.parse_args()
    if args.cache:
        cache_run(args)
        return

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
        f"gunicorn: {args.workers} workers of 2 threads (gunicorn.conf.py, access log off); "
        f"wrk: {args.threads} threads, {args.connections} connections, {args.duration} s a page"
    )
    print()

    results = measure(args, pages, page_cache_seconds=0)
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


def measure(
    args, pages: list[tuple[str, str]], *, page_cache_seconds: int, interleave: bool = False, **env
) -> list[dict]:
    """Start gunicorn with the page cache set so; load each page with wrk; return the figures.

    With interleave, the floor (pages[0]) is loaded again after every page,
    and each page's "floor" is the mean of the floors just before and after
    it: on a machine shared with other work the floor drifts within a run.
    """
    extra_env = {"PAGE_CACHE_SECONDS": str(page_cache_seconds), **env}
    results = []
    server = gunicorn(args.database_url, port=args.port, workers=args.workers, extra_env=extra_env)
    with server as (base, _):
        floors = []
        for index, (name, path) in enumerate(pages):
            figures = load(args, base, name, path, page_cache_seconds)
            results.append(figures)
            if interleave and index:
                floors.append(load(args, base, *pages[0], page_cache_seconds))
                figures["floor_rps"] = (floors[-2]["rps"] + floors[-1]["rps"]) / 2
            elif interleave:
                floors.append(figures)
                figures["floor_rps"] = figures["rps"]
    return results


def load(args, base: str, name: str, path: str, page_cache_seconds: int) -> dict:
    # One request first: the status, the size, and a cold time (it also fills
    # the page cache when it is on).
    status, size, seconds = fetch(base + path)
    cache_status = page_cache_status(base + path)
    figures = wrk(
        base + path, connections=args.connections, duration=args.duration, threads=args.threads
    )
    figures.update(
        name=name, path=path, status=status, size=size, cold_ms=seconds * 1000, cache=cache_status
    )
    print(
        f"{name} (page cache {'on' if page_cache_seconds else 'off'}, second request: "
        f"{cache_status}): {figures['rps']:.1f} req/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
        f"errors {figures['errors']} (status {status}, {size:,} bytes)",
        flush=True,
    )
    return figures


def page_cache_status(url: str) -> str:
    """Return the X-Page-Cache header of one more GET: hit, miss, or - (not a cached page)."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.headers.get("X-Page-Cache", "-")
    except OSError as error:
        return f"error ({error})"


def cache_pages() -> list[tuple[str, str]]:
    """The floor and the pages the cache run measures: lists, a claim, the home page."""
    pages = dict(default_pages())
    wanted = (
        "floor: /healthz (constant view)",
        "claims list, unfiltered",
        "claims list, search q=released",
        "conflicts list",
        "claim page",
        "home page",
    )
    return [(name, pages[name]) for name in wanted]


def cache_run(args) -> None:
    """Measure the floor and each page with the page cache off, then on; print the ratios."""
    print_header("HTTP benchmark of the page cache (gunicorn + PostgreSQL, wrk on loopback)")
    setup_django(args.database_url)
    from claims.models import Claim

    print(f"claims in the database: {Claim.objects.count():,}")
    pages = cache_pages() + parse_pages(args.page)
    print(
        f"gunicorn: {args.workers} workers of 2 threads (gunicorn.conf.py, access log off); "
        f"wrk: {args.threads} threads, {args.connections} connections, {args.duration} s a page; "
        f"CACHE_URL={args.cache_url or '(default: the database cache)'}"
    )
    print()
    env = {"CACHE_URL": args.cache_url} if args.cache_url else {}
    off = measure(args, pages, page_cache_seconds=0, interleave=True, **env)
    on = measure(args, pages, page_cache_seconds=600, interleave=True, **env)

    print()
    print(f"wrk command, per page: {on[0]['command'].rsplit(' ', 1)[0]} <url>")
    print("floor: the mean of the floor's req/s just before and just after the page")
    print()
    print(
        "| page | path | bytes | uncached req/s (floor) | uncached / floor "
        "| cached req/s (floor) | cached / floor | cached p50 / p95 ms | second request "
        "| errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for u, c in zip(off, on, strict=True):
        print(
            f"| {c['name']} | `{c['path']}` | {c['size']:,} "
            f"| {u['rps']:.1f} ({u['floor_rps']:.1f}) | {u['rps'] / u['floor_rps']:.1%} "
            f"| {c['rps']:.1f} ({c['floor_rps']:.1f}) | **{c['rps'] / c['floor_rps']:.1%}** "
            f"| {c['p50_ms']:.1f} / {c['p95_ms']:.1f} | {c['cache']} "
            f"| {u['errors']} / {c['errors']} |"
        )


if __name__ == "__main__":
    main()
