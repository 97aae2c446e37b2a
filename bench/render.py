"""
Rendering benchmark: CPU time of each reading page, in-process, logged in and anonymous.

Each page is requested with Django's test client in this process (no server,
no network), --repeat times after one warm-up, as an anonymous reader and as
a moderator (logged in: never the page cache; anonymous readers are measured
uncached too, PAGE_CACHE_SECONDS=0). It prints, per page and viewer, the
median CPU time of the whole request (`time.process_time()`: this process's
CPU only, so the neighbours' load matters less than for wall-clock time), the
part of it spent rendering templates (Template.render, outermost call), the
queries and the page's size.

    .venv/bin/python bench/render.py --database-url postgres://…/crosscheck_x_1m
    .venv/bin/python bench/render.py --profile "/claims/"   # cProfile of one page, logged in

Writes one user (bench-moderator, in the Moderator group) to the database if
it is not there: run it on a copy, never on a shared database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

from common import DEFAULT_DATABASE_URL, parse_pages, print_header, setup_django


def pages() -> list[tuple[str, str]]:
    """The reading pages with lists of cards, chosen from the data as bench/common.py does."""
    from django.db.models import Count

    from claims.models import Claim, Conflict, Detainee, Topic
    from sources.models import Source

    hot = (
        Topic.objects.annotate(n=Count("claims")).order_by("-n").values_list("slug", flat=True)
    ).first()
    counts = list(
        Claim.objects.public()
        .values("source")
        .annotate(n=Count("pk"))
        .order_by("n")
        .values_list("source", flat=True)
    )
    median_source = counts[len(counts) // 2] if counts else Source.objects.first().pk
    detainee = (
        Detainee.objects.annotate(n=Count("claims"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    claim = Conflict.objects.open().order_by("pk").values_list("claim_a", flat=True).first()
    return [
        ("home page", "/"),
        ("claims list", "/claims/"),
        ("conflicts list", "/conflicts/"),
        ("conflicts of the hottest topic (clusters)", f"/conflicts/?topic={hot}"),
        ("topic page (hottest topic)", f"/topics/{hot}/"),
        ("source page (median source)", f"/sources/{median_source}/"),
        ("detainee page (most claims)", f"/detainees/{detainee}/"),
        ("status board (hottest topic)", f"/detainees/board/?topic={hot}"),
        ("claim page", f"/claims/{claim}/"),
    ]


class RenderClock:
    """Add up the CPU time of outermost template renders while installed."""

    def __init__(self) -> None:
        self.total = 0.0
        self.keys = 0.0  # Building the cards' keys (claims/rendering.py), within the above.
        self.depth = 0

    def install(self) -> None:
        from django.template.backends.django import Template

        original = Template.render
        clock = self

        def render(template, context=None, request=None):
            clock.depth += 1
            start = time.process_time()
            try:
                return original(template, context, request)
            finally:
                clock.depth -= 1
                if clock.depth == 0:
                    clock.total += time.process_time() - start

        Template.render = render

        try:
            from claims import rendering
        except ImportError:  # Before {% card %}: the same script measures the older code.
            return
        key = rendering._key

        def timed_key(*args):
            start = time.process_time()
            try:
                return key(*args)
            finally:
                clock.keys += time.process_time() - start

        rendering._key = timed_key


def moderator():
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench-moderator")
    user.groups.add(Group.objects.get(name="Moderator"))
    return user


def measure(client, path: str, repeat: int, clock: RenderClock) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path, secure=True)  # Warm-up: template loading, first queries.
    assert response.status_code == 200, (path, response.status_code)
    cpu, render, keys = [], [], []
    for _ in range(repeat):
        clock.total = clock.keys = 0.0
        with CaptureQueriesContext(connection) as queries:
            start = time.process_time()
            response = client.get(path, secure=True)
            cpu.append(time.process_time() - start)
        render.append(clock.total)
        keys.append(clock.keys)
    return {
        "cpu": statistics.median(cpu) * 1000,
        "render": statistics.median(render) * 1000,
        "keys": statistics.median(keys) * 1000,
        "queries": len(queries),
        "kb": len(response.content) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--page", action="append", default=[], help="NAME=PATH; repeat.")
    parser.add_argument("--profile", help="A path to profile logged in (cProfile, top 40).")
    args = parser.parse_args()
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django(args.database_url)
    from django.conf import settings
    from django.test import Client

    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    clock = RenderClock()
    clock.install()
    staff = Client()
    staff.force_login(moderator())
    if args.profile:
        staff.get(args.profile, secure=True)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            staff.get(args.profile, secure=True)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    print_header("Rendering benchmark (Django test client in-process, CPU time)")
    from claims.models import Claim

    print(f"claims in the database: {Claim.objects.count():,}; load average {os.getloadavg()}")
    print(
        f"median of {args.repeat} requests after a warm-up; DEBUG={settings.DEBUG}; "
        f"RENDER_CACHE_MB={getattr(settings, 'RENDER_CACHE_MB', None)}"
    )
    print()
    columns = ("CPU ms", 8), ("render ms", 10), ("keys ms", 8), ("queries", 8), ("KB", 7)
    print(f"{'page':<44} {'viewer':<10} " + " ".join(f"{c:>{w}}" for c, w in columns))
    for name, path in pages() + parse_pages(args.page):
        for viewer, client in (("anonymous", Client()), ("moderator", staff)):
            r = measure(client, path, args.repeat, clock)
            print(
                f"{name:<44} {viewer:<10} {r['cpu']:>8.1f} {r['render']:>10.1f} {r['keys']:>8.1f} "
                f"{r['queries']:>8} {r['kb']:>7.1f}",
                flush=True,
            )
    try:
        from claims import rendering
    except ImportError:
        rendering = None
    store = rendering.cards() if rendering else None
    if store is not None:
        print(
            f"\ncards kept: {len(store.entries)}, {store.bytes / 2**20:.1f} MB counted; "
            f"hits {store.hits}, misses {store.misses}; refused: {len(rendering._refused)}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
