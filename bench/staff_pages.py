"""
Logged-in staff pages, in-process: the moderation queue, the moderators'
conflicts and "My claims" of an editor with 10,000 claims, through Django's
test client (no HTTP server), logged in, with the queries, bytes and the
process's own CPU time of each request.

    .venv/bin/python bench/staff_pages.py --database-url postgres://…/crosscheck_search_1m --prepare

`--prepare` (once, on a copy: it writes) creates the users `bench-editor`
(group Editor) and `bench-moderator` (group Moderator) and makes
`bench-editor` the author of 10,000 claims: every claim in the works
(draft, pending or rejected) as far as they go, then approved ones. Never
point it at a database others read.
"""

from __future__ import annotations

import argparse
import os
import time

from common import DEFAULT_DATABASE_URL, percentile, print_header, setup_django

EDITOR, MODERATOR, OWN_CLAIMS = "bench-editor", "bench-moderator", 10_000


def prepare() -> None:
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from claims.models import Claim

    with transaction.atomic():
        editor, _ = User.objects.get_or_create(username=EDITOR)
        editor.groups.add(Group.objects.get(name="Editor"))
        moderator, _ = User.objects.get_or_create(username=MODERATOR)
        moderator.groups.add(Group.objects.get(name="Moderator"))
        own = list(
            Claim.objects.exclude(state=Claim.State.APPROVED)
            .exclude(state=Claim.State.RETRACTED)
            .order_by("pk")
            .values_list("pk", flat=True)[:OWN_CLAIMS]
        )
        more = OWN_CLAIMS - len(own)
        if more > 0:
            own += list(
                Claim.objects.filter(state=Claim.State.APPROVED)
                .order_by("pk")
                .values_list("pk", flat=True)[:more]
            )
        Claim.objects.filter(pk__in=own).update(created_by=editor)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    print(f"{EDITOR} is the author of {len(own):,} claims")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--prepare", action="store_true", help="Create the users (writes).")
    parser.add_argument("--page", action="append", default=[], help="user=url, e.g. editor=/me/")
    parser.add_argument("--only", action="store_true", help="Only the --page pages.")
    args = parser.parse_args()

    print_header("Logged-in staff pages (Django test client, in-process)")
    os.environ.setdefault("VALUE_CACHE_SECONDS", "600")
    setup_django(args.database_url)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from claims.models import Claim

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.prepare:
        prepare()
    editor = User.objects.get(username=EDITOR)
    by_state = dict(
        Claim.objects.filter(created_by=editor)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    print(f"{EDITOR}'s claims by state: {by_state}")
    print(f"pending claims in all: {Claim.objects.filter(state=Claim.State.PENDING).count():,}")
    print()
    pages = (
        []
        if args.only
        else [
            ("editor", "/me/"),
            ("editor", "/me/?pending=5"),
            ("moderator", "/moderation/"),
            ("moderator", "/moderation/?page=40"),
            ("moderator", "/moderation/conflicts/"),
            ("moderator", "/claims/"),
            ("moderator", "/conflicts/"),
        ]
    )
    pages += [tuple(p.split("=", 1)) for p in args.page]
    clients = {}
    for role, username in (("editor", EDITOR), ("moderator", MODERATOR)):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[role] = client
    print(
        "| user | page | status | bytes | queries | SQL ms (p50) | CPU ms (p50) | p50 ms | p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for role, url in pages:
        client = clients[role]
        client.get(url)  # warm-up
        walls, cpus, sqls = [], [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                cpu, wall = time.process_time(), time.perf_counter()
                response = client.get(url)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        print(
            f"| {role} | `{url}` | {response.status_code} | {len(response.content):,} | "
            f"{len(captured.captured_queries)} | {percentile(sqls, 50):.1f} | "
            f"{percentile(cpus, 50):.1f} | {percentile(walls, 50):.1f} | "
            f"{percentile(walls, 95):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
