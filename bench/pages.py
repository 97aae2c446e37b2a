"""
Every reading page, logged in and anonymous, uncached and cached: one command.

    .venv/bin/python bench/pages.py --database-url postgres://…/crosscheck_bench_1m
    .venv/bin/python bench/pages.py --duration 5 --rounds 2 --json pages.json
    .venv/bin/python bench/pages.py --only home --only claim --duration 2 --rounds 1

For each page of issue 16's table it prints requests a second, the ratio to
the floor, p50 and p95 latency (wrk --latency) and the response's size, in
three ways:

- **logged in**: a moderator's session (the editor's for "my claims"), on a
  server in production settings (PAGE_CACHE_SECONDS=600): staff never get the
  page cache, whatever else the server keeps;
- **anonymous, uncached**: a server with PAGE_CACHE_SECONDS=0;
- **anonymous, cached**: the production server again, its page cache filled
  by the check request below.

The floor is a bare Django project (bench/floor_app.py: one view, no
middleware, no database) under the same gunicorn.conf.py and worker count,
served by its own gunicorn beside the app's. It is loaded before the first
page and after every page, and each page's ratio is to the mean of the floor
just before and just after it: on a shared machine the floor drifts within a
run. Each round does every page once this way; the table gives the median of
the rounds (the middle one, or the mean of the two middle ones).

Before loading a page the script GETs it once (no redirect followed) and
checks it answers 200 with the page's marker (its <title>, "results" for the
API), and the session's user named in the header when logged in (absent when
anonymous). A page that fails the check, or any wrk request answering an
error, a timeout or a socket error, is marked failed and no figure is quoted
for it. Pages over 200,000 bytes are flagged.

The targets (the hottest topic, the median source, a claim in an open
conflict, …) are chosen by query at start and printed. The names --only
takes: home, claims, search, search-two, search-half, topic-search,
conflicts, board, topic-hot, topic-median, claim, conflict, source-median,
source-largest, detainee, sources, api-claims, api-conflicts, moderation,
my-claims, healthz.

A load of a slow page leaves up to --connections requests running in the
server when wrk stops; before the floor and the next page the script waits
until the server's /healthz answers in under 50 ms (at most 120 s).

**The script writes to its database**: a moderator `bench-moderator` and an
editor `bench-editor` (made if missing, with unusable passwords), their
sessions, and, for "my claims", --editor-claims pending or rejected claims
given to the editor as their author (created_by), the issue's "user with
10,000 claims". Run it on a copy (createdb -T crosscheck_volume
crosscheck_bench_1m), never on crosscheck_volume itself: it refuses.

Needs wrk (apt-get install -y wrk) and a database filled by
`manage.py generate_volume`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from common import SECRET_KEY, gunicorn, print_header, setup_django, wrk

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crosscheck_bench_1m"
SIZE_LIMIT = 200_000  # bytes: issue 16's "every page's size < 200 KB"
MODERATOR = "bench-moderator"
EDITOR = "bench-editor"
# Who loads the page; a page lists the ones it is measured as.
LOGGED_IN, ANONYMOUS, CACHED = "logged in", "anonymous, uncached", "anonymous, cached"
READERS = (LOGGED_IN, ANONYMOUS, CACHED)


@dataclass
class Page:
    key: str  # --only takes it
    name: str
    path: str
    marker: str  # in the body of the right page
    readers: tuple[str, ...] = READERS
    user: str = MODERATOR  # who is logged in for LOGGED_IN
    note: str = ""  # printed: which target the data chose


@dataclass
class Figures:
    rps: float = 0.0
    floor_rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    size: int = 0
    failed: str = ""
    slow: str = ""  # no request answered within the load: slower than --duration
    extra: dict = field(default_factory=dict)


# The pages --------------------------------------------------------------------


def choose_pages(editor_claims: int) -> list[Page]:
    """Find each page's target in the data; return the pages in the issue's order."""
    from django.db.models import Count

    from claims.models import Claim, Conflict, Detainee, Topic
    from sources.models import Source

    def by_claims(queryset):
        return queryset.annotate(n=Count("claims")).filter(n__gt=0).order_by("n", "pk")

    topics = by_claims(Topic.objects.all())
    hot = topics.order_by("-n", "pk").values("slug", "title", "n").first()
    median_topic = topics.values("slug", "title", "n")[topics.count() // 2]
    sources = by_claims(Source.objects.all())
    largest = sources.order_by("-n", "pk").values("pk", "name", "n").first()
    median_source = sources.values("pk", "name", "n")[sources.count() // 2]
    conflict = Conflict.objects.open().order_by("pk").values("pk", "claim_a").first()
    claim = conflict["claim_a"]
    detainee = by_claims(Detainee.objects.all()).order_by("-n", "pk").values("pk", "n").first()

    def topic_note(t):
        return f"{t['slug']}, {t['n']:,} claims"

    def source_note(s):
        return f"#{s['pk']} {s['name']}, {s['n']:,} claims"

    q = urllib.parse.quote_plus
    title = "<title>{} · Crosscheck</title>".format
    claims_matching = "<title>Claims matching “{}”".format
    moderation_only = (LOGGED_IN,)
    return [
        Page("home", "home", "/", title("Where sources disagree")),
        Page("claims", "/claims/", "/claims/", title("Claims")),
        Page("search", "search, one word", "/claims/?q=released", claims_matching("released")),
        Page(
            "search-two",
            "search, two words",
            "/claims/?q=camaguey+desk",
            claims_matching("camaguey desk"),
        ),
        Page(
            "search-half",
            "search, half-typed",
            "/claims/?q=havana+d",
            claims_matching("havana d"),
        ),
        Page(
            "topic-search",
            "topic + search",
            f"/claims/?topic={q(hot['slug'])}&q=released",
            claims_matching("released"),
            note=f"the hottest topic, {topic_note(hot)}",
        ),
        Page("conflicts", "/conflicts/", "/conflicts/", title("Conflicts")),
        Page("board", "/detainees/board/", "/detainees/board/", title("Status boards")),
        Page(
            "topic-hot",
            "hottest topic",
            f"/topics/{hot['slug']}/",
            "· Topic · Crosscheck</title>",
            note=topic_note(hot),
        ),
        Page(
            "topic-median",
            "median topic",
            f"/topics/{median_topic['slug']}/",
            "· Topic · Crosscheck</title>",
            note=topic_note(median_topic),
        ),
        Page(
            "claim",
            "claim page",
            f"/claims/{claim}/",
            f"<title>Claim #{claim}:",
            note=f"#{claim}, in open conflict #{conflict['pk']}",
        ),
        Page(
            "conflict",
            "conflict page",
            f"/conflicts/{conflict['pk']}/",
            f"<title>Conflict #{conflict['pk']} on",
            note=f"#{conflict['pk']}, the first open one",
        ),
        Page(
            "source-median",
            "source page, median source",
            f"/sources/{median_source['pk']}/",
            "· Source · Crosscheck</title>",
            note=source_note(median_source),
        ),
        Page(
            "source-largest",
            "source page, largest source",
            f"/sources/{largest['pk']}/",
            "· Source · Crosscheck</title>",
            note=source_note(largest),
        ),
        Page(
            "detainee",
            "detainee page (most claims)",
            f"/detainees/{detainee['pk']}/",
            "· Detainee · Crosscheck</title>",
            note=f"#{detainee['pk']}, {detainee['n']:,} claims",
        ),
        Page("sources", "/sources/", "/sources/", title("Sources")),
        Page("api-claims", "/api/claims/", "/api/claims/", '"results":'),
        Page("api-conflicts", "/api/conflicts/", "/api/conflicts/", '"results":'),
        Page(
            "moderation",
            "moderation queue (moderator)",
            "/moderation/",
            title("Moderation: claims to review"),
            readers=moderation_only,
            note=f"{Claim.objects.filter(state=Claim.State.PENDING).count():,} pending claims",
        ),
        Page(
            "my-claims",
            "my claims (editor)",
            "/me/",
            title("My claims"),
            readers=moderation_only,
            user=EDITOR,
            note=f"{EDITOR}, {editor_claims:,} claims of their own in the works",
        ),
        Page("healthz", "/healthz (the app's floor view)", "/healthz", "ok"),
    ]


# The users ---------------------------------------------------------------------


def make_users(editor_claims: int) -> tuple[dict[str, str], int]:
    """Make or reuse the bench moderator and editor; return their session cookies.

    Gives the editor --editor-claims pending or rejected claims as author if
    they have fewer; returns how many they own in the works.
    """
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from claims.models import Claim
    from claims.views.editing import OWN_STATES
    from crosscheck.cache import data_changed

    cookies = {}
    for username, group in ((MODERATOR, "Moderator"), (EDITOR, "Editor")):
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=group))
        client = Client()
        client.force_login(user)
        cookies[username] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    editor = User.objects.get(username=EDITOR)
    owned = Claim.objects.filter(created_by=editor, state__in=OWN_STATES)
    missing = editor_claims - owned.count()
    if missing > 0:
        # The newest pending or rejected claims nobody wrote: as if the editor had.
        # One UPDATE, not Claim.save(): authorship changes nothing a page counts.
        ids = list(
            Claim.objects.filter(
                created_by=None, state__in=(Claim.State.PENDING, Claim.State.REJECTED)
            )
            .order_by("-pk")
            .values_list("pk", flat=True)[:missing]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Claim._meta.db_table} SET created_by_id = %s WHERE id = ANY(%s)",
                [editor.pk, ids],
            )
        data_changed()
    return cookies, owned.count()


# Loading ------------------------------------------------------------------------


def check(base: str, page: Page, reader: str, cookie: str) -> tuple[int, str, dict]:
    """GET the page once, following no redirect; return (bytes, failure or "", headers)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    try:
        conn.request("GET", page.path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, f"no answer ({error})", {}
    finally:
        conn.close()
    got = {k.lower(): v for k, v in response.getheaders()}
    if response.status != 200:
        return len(body.encode()), f"status {response.status}", got
    if page.marker not in body:
        return len(body.encode()), f"marker {page.marker!r} missing", got
    if page.path.startswith(("/api/", "/healthz")):
        return len(body.encode()), "", got
    if reader == LOGGED_IN and f"Log out {page.user}" not in body:
        return len(body.encode()), f"not logged in as {page.user}", got
    if reader != LOGGED_IN and "Log out " in body:
        return len(body.encode()), "logged in, not anonymous", got
    return len(body.encode()), "", got


def load(args, base: str, floor_base: str, page: Page, reader: str, cookie: str, floors: list):
    """Check the page, load it with wrk, then the floor; return its Figures."""
    size, failed, headers = check(base, page, reader, cookie)
    figures = Figures(size=size, failed=failed)
    if not failed:
        result = wrk(
            base + page.path,
            connections=args.connections,
            duration=args.duration,
            headers={"Cookie": cookie} if cookie else None,
        )
        figures.rps, figures.p50_ms, figures.p95_ms = (
            result["rps"],
            result["p50_ms"],
            result["p95_ms"],
        )
        figures.extra = {**result, "x_page_cache": headers.get("x-page-cache", "-")}
        if result["requests"] == 0:
            # Not an error: every request outlasted the load. Quoted as such.
            figures.slow = f"no response in {args.duration} s"
        elif result["errors"]:
            figures.failed = (
                f"{result['errors']} errors of {result['requests']} "
                f"(non-2xx {result['non_2xx_3xx']}, timeouts {result['timeouts']})"
            )
        drain(base)
    floors.append(load_floor(args, floor_base))
    figures.floor_rps = (floors[-2] + floors[-1]) / 2
    print(
        f"  {page.key} [{reader}]: "
        + (f"FAILED: {figures.failed}" if figures.failed else figures.slow if figures.slow else
           f"{figures.rps:.1f} req/s, {figures.rps / figures.floor_rps:.2%} of floor "
           f"{figures.floor_rps:.0f}, p50 {figures.p50_ms:.1f} ms, p95 {figures.p95_ms:.1f} ms")
        + f", {size:,} bytes",
        flush=True,
    )  # fmt: skip
    return figures


def drain(base: str, timeout: float = 120) -> None:
    """Wait until the server has answered what wrk left in flight.

    wrk stops at its deadline with up to --connections requests still queued
    in the workers; on a page taking seconds they would run into the next
    load. The server is drained when its /healthz answers in under 50 ms.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=timeout).read()
        except OSError:
            time.sleep(0.5)
            continue
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(0.2)


def load_floor(args, floor_base: str) -> float:
    result = wrk(floor_base + "/", connections=args.connections, duration=args.duration)
    if result["errors"] or not result["requests"]:
        raise RuntimeError(f"the floor failed: {result}")
    return result["rps"]


def run_round(args, pages: list[Page], cookies: dict[str, str]) -> dict:
    """Measure every page once each way; return {(key, reader): Figures}."""
    figures = {}
    servers = (
        ({"PAGE_CACHE_SECONDS": "0"}, (ANONYMOUS,), args.port),
        ({"PAGE_CACHE_SECONDS": "600"}, (LOGGED_IN, CACHED), args.port + 1),
    )
    floor = gunicorn(
        args.database_url,
        port=args.port + 2,
        workers=args.workers,
        app="floor_app:application",
        pythonpath="bench",
        ready_path="/",
    )
    with floor as (floor_base, _):
        for env, readers, port in servers:
            with gunicorn(args.database_url, port=port, workers=args.workers, extra_env=env) as (
                base,
                _,
            ):
                print(f" server: PAGE_CACHE_SECONDS={env['PAGE_CACHE_SECONDS']}", flush=True)
                floors = [load_floor(args, floor_base)]
                for page in pages:
                    for reader in readers:
                        if reader not in page.readers:
                            continue
                        cookie = cookies[page.user] if reader == LOGGED_IN else ""
                        figures[page.key, reader] = load(
                            args, base, floor_base, page, reader, cookie, floors
                        )
    return figures


# Reporting ----------------------------------------------------------------------


def median_of(runs: list[Figures]) -> Figures:
    """The median of each figure over the rounds; failed if any round failed."""
    failed = next((r.failed for r in runs if r.failed), "")
    slow = next((r.slow for r in runs if r.slow), "")
    out = Figures(size=max(r.size for r in runs), failed=failed, slow=slow)
    out.floor_rps = statistics.median(r.floor_rps for r in runs)
    if not failed and not slow:
        out.rps = statistics.median(r.rps for r in runs)
        out.p50_ms = statistics.median(r.p50_ms for r in runs)
        out.p95_ms = statistics.median(r.p95_ms for r in runs)
        out.extra = {"ratio": statistics.median(r.rps / r.floor_rps for r in runs)}
    return out


def size_cell(size: int) -> str:
    text = f"{size / 1000:,.1f} KB" if size >= 1000 else f"{size} B"
    return f"**{text} (over 200 KB)**" if size > SIZE_LIMIT else text


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def cells(f: Figures | None) -> str:
    if f is None:
        return "– | – | –"
    if f.failed:
        return f"failed: {f.failed} | – | –"
    if f.slow:  # Every request took longer than the load: p50 and p95 too.
        seconds = f.slow.split()[-2]
        return f"0 ({f.slow}) | 0 | > {seconds} s / > {seconds} s"
    return f"{f.extra['ratio']:.2%} | {f.rps:,.1f} | {ms(f.p50_ms)} / {ms(f.p95_ms)}"


def print_table(pages: list[Page], summary: dict) -> None:
    print(
        "| page | size, logged in / anonymous "
        "| logged in, % of floor | req/s | p50 / p95 ms "
        "| anonymous uncached, % of floor | req/s | p50 / p95 ms "
        "| anonymous cached, % of floor | req/s | p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for page in pages:
        got = {reader: summary.get((page.key, reader)) for reader in READERS}
        # An error page's size is no page's size.
        sizes = [
            "–" if got[r].failed else size_cell(got[r].size)
            for r in (LOGGED_IN, ANONYMOUS)
            if got[r]
        ]
        print(
            f"| {page.name} (`{page.path}`) | {' / '.join(sizes)} "
            f"| {cells(got[LOGGED_IN])} | {cells(got[ANONYMOUS])} | {cells(got[CACHED])} |"
        )
    floors = [f.floor_rps for f in summary.values() if f.floor_rps]
    if floors:
        print()
        print(
            f"floor (bench/floor_app.py, bare Django): {min(floors):,.0f}–{max(floors):,.0f} req/s "
            "(the median per page over the rounds of the floors just before and after it)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--duration", type=int, default=10, help="Seconds of wrk per load.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=5, help="gthread workers (2 threads).")
    parser.add_argument("--port", type=int, default=8810, help="This port and the next two.")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="Measure only this page."
    )
    parser.add_argument(
        "--editor-claims", type=int, default=10_000, help="Claims the editor owns in the works."
    )
    parser.add_argument("--json", metavar="OUT", help="Write every figure to this file.")
    args = parser.parse_args()
    if args.database_url.rstrip("/").rsplit("/", 1)[-1] == "crosscheck_volume":
        sys.exit("pages.py writes its users to the database: run it on a copy of crosscheck_volume")

    print_header("Every page, logged in and anonymous (gunicorn + PostgreSQL, wrk on loopback)")
    # The sessions are signed with the servers' key.
    os.environ["SECRET_KEY"] = SECRET_KEY
    setup_django(args.database_url)
    from claims.models import Claim

    started = time.monotonic()
    print(f"claims in the database: {Claim.objects.count():,}")
    cookies, owned = make_users(args.editor_claims)
    pages = choose_pages(owned)
    if args.only:
        unknown = set(args.only) - {p.key for p in pages}
        if unknown:
            sys.exit(f"unknown page(s) {sorted(unknown)}; pages: {[p.key for p in pages]}")
        pages = [p for p in pages if p.key in args.only]
    print(
        f"gunicorn: {args.workers} gthread workers of 2 threads (gunicorn.conf.py, access log "
        f"off); wrk: 2 threads, {args.connections} connections, {args.duration} s a load, "
        f"{args.rounds} rounds; pages chosen in {time.monotonic() - started:.1f} s:"
    )
    for page in pages:
        print(f"  {page.key}: {page.path}" + (f" ({page.note})" if page.note else ""))
    print()

    rounds = []
    for number in range(args.rounds):
        print(f"round {number + 1} of {args.rounds}", flush=True)
        rounds.append(run_round(args, pages, cookies))
        summary = {key: median_of([r[key] for r in rounds]) for key in rounds[0]}
        if args.json:  # After each round: an interrupted run keeps what it measured.
            write_json(args.json, pages, rounds, summary)

    print()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"wall clock: {time.monotonic() - started:.0f} s")
    print()
    print_table(pages, summary)


def write_json(path: str, pages: list[Page], rounds: list[dict], summary: dict) -> None:
    with open(path, "w") as out:
        json.dump(
            {
                "command": sys.argv,
                "pages": [page.__dict__ for page in pages],
                "rounds": [
                    {f"{k} [{r}]": f.__dict__ for (k, r), f in one.items()} for one in rounds
                ],
                "median": {f"{k} [{r}]": f.__dict__ for (k, r), f in summary.items()},
            },
            out,
            indent=1,
            default=str,
        )


if __name__ == "__main__":
    main()
