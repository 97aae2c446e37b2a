"""
Print PostgreSQL's plans for the claims browser's search and filters.

    createdb -h 127.0.0.1 -U postgres crosscheck_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crosscheck_bench \\
        .venv/bin/python bench/explain_search.py [--claims 50000]

Migrates the database, then adds synthetic approved claims (sources,
topics, detainees with accented names, some open conflicts) under topics
named "Bench: …", once: later runs reuse them. It ANALYZEs the tables and
prints EXPLAIN (ANALYZE, BUFFERS) of the queries the claims browser runs:
the page and the count of a search, and of the filters, exactly as
ClaimFilterSet builds them. Look for "Bitmap Index Scan on claim_search_gin".

The claims are written with bulk_create, so conflict detection does not run
on them; the conflicts are written directly. Point it at a scratch database.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crosscheck.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from claims.filters import ClaimFilterSet  # noqa: E402
from claims.models import Claim, Conflict, Detainee, Topic  # noqa: E402
from claims.views.common import source_notes  # noqa: E402
from sources.models import Source  # noqa: E402

WORDS = [
    "released",
    "freed",
    "prisoners",
    "prison",
    "detained",
    "house",
    "arrest",
    "parole",
    "exile",
    "talks",
    "government",
    "monitor",
    "commission",
    "names",
    "list",
    "information",
    "confirmed",
    "denied",
    "statement",
    "briefing",
    "havana",
    "washington",
    "spokeswoman",
    "department",
    "agreement",
    "political",
    "dissidents",
    "families",
    "lawyers",
    "court",
    "sentence",
    "charges",
    "trial",
    "visit",
    "embassy",
    "senator",
    "demand",
    "precondition",
]
NAMES = [
    "José Núñez",
    "Ana Pérez",
    "María Sánchez",
    "Jesús Gómez",
    "Iván Hernández",
    "Sonia Garín",
    "Ángel Martínez",
    "Raúl Rodríguez",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--claims", type=int, default=50_000, help="claims to create (once)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this script explains its plans.")

    call_command("migrate", verbosity=0)
    create_data(args.claims)
    with connection.cursor() as cursor:
        for table in ("claims_claim", "claims_conflict", "sources_source", "claims_detainee"):
            cursor.execute(f"ANALYZE {table}")

    print(f"{Claim.objects.count():,} claims, {Conflict.objects.count():,} conflicts\n")
    base = Claim.objects.public().for_display().prefetch_related(*source_notes())
    topic = Topic.objects.filter(title__startswith="Bench:").order_by("pk").first()
    body = Source.objects.filter(name__startswith="Bench ministry").order_by("pk").first()
    cases = [
        ("search one word, as a prefix: q=releas", {"q": "releas"}),
        ("search two words, accents folded: q=Nunez liberado", {"q": "Nunez liberado"}),
        ("search two common words: q=precondition embassy", {"q": "precondition embassy"}),
        ("search and filter: q=freed&stance=affirms", {"q": "freed", "stance": "affirms"}),
        ("no filter, newest first", {}),
        ("filter by topic", {"topic": topic.slug}),
        ("filter by source kind", {"source_kind": "monitor"}),
        ("filter by affiliation (body and its speakers)", {"affiliation": str(body.pk)}),
        ("filter by date range", {"stated_after": "2014-06-01", "stated_before": "2014-06-30"}),
        ("in an open conflict", {"in_open_conflict": "yes"}),
    ]
    for title, params in cases:
        filterset = ClaimFilterSet(params, queryset=base)
        assert filterset.is_valid(), filterset.errors
        queryset = filterset.qs
        explain_count(f"{title}: the count", queryset)
        # As claims.views.claims.claim_list: too many matches to rank, newest first.
        if filterset.ranks_by_relevance() and queryset.count() > ClaimFilterSet.RANK_LIMIT:
            title += f" (over {ClaimFilterSet.RANK_LIMIT} matches: newest first)"
            queryset = queryset.order_by(*ClaimFilterSet.SORTS["newest"])
        explain(f"{title}: the page", queryset[:50])


def explain(title: str, queryset) -> None:
    print(f"== {title}")
    print(queryset.explain(analyze=True, buffers=True))
    print()


def explain_count(title: str, queryset) -> None:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({sql}) AS page", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"== {title}")
    print(plan)
    print()


@transaction.atomic
def create_data(count: int) -> None:
    existing = Claim.objects.filter(topic__title__startswith="Bench:").count()
    if existing >= count:
        print(f"Reusing {existing:,} bench claims.")
        return
    rng = random.Random(2015)
    count -= existing
    print(f"Creating {count:,} bench claims…")
    ministries = [
        Source.objects.get_or_create(
            name=f"Bench ministry {n}", defaults={"kind": Source.Kind.GOVERNMENT}
        )[0]
        for n in range(10)
    ]
    start = Source.objects.filter(name__startswith="Bench source").count()
    sources = Source.objects.bulk_create(
        Source(
            name=f"Bench source {start + n}",
            kind=rng.choice(Source.Kind.values),
            affiliation=rng.choice(ministries) if n % 3 == 0 else None,
        )
        for n in range(300)
    )
    sources += ministries
    topics = [
        Topic.objects.get_or_create(title=f"Bench: question {n}", defaults={"question": "?"})[0]
        for n in range(20)
    ]
    start = Detainee.objects.filter(name__startswith="Bench").count()
    detainees = Detainee.objects.bulk_create(
        Detainee(name=f"Bench {rng.choice(NAMES)} {start + n}", aliases=[rng.choice(NAMES)])
        for n in range(2000)
    )
    claims = []
    for n in range(count):
        detainee = rng.choice(detainees) if n % 4 == 0 else None
        quote = " ".join(rng.choices(WORDS, k=rng.randint(8, 30)))
        if n % 50 == 4:  # approved, and about a detainee
            quote += " fue liberado"
        claim = Claim(
            source=rng.choice(sources),
            topic=rng.choice(topics),
            detainee=detainee,
            kind=Claim.Kind.FACT,
            stance=rng.choice(Claim.Stance.values),
            quote=quote,
            summary=" ".join(rng.choices(WORDS, k=5)),
            stated_on=date(2015, 1, 31) - timedelta(days=rng.randint(0, 730)),
            language="es" if n % 5 == 0 else "en",
            state=Claim.State.APPROVED if n % 10 else Claim.State.PENDING,
        )
        claim.search_text = claim.build_search_text()
        claims.append(claim)
    claims = Claim.objects.bulk_create(claims, batch_size=5000)
    approved = [c for c in claims if c.state == Claim.State.APPROVED]
    pairs = set()
    while len(pairs) < min(2000, len(approved) // 4):
        a, b = sorted(rng.sample(approved, 2), key=lambda c: c.pk)
        pairs.add((a, b))
    Conflict.objects.bulk_create(
        Conflict(claim_a=a, claim_b=b, topic=a.topic, kind=Conflict.Kind.GAP) for a, b in pairs
    )


if __name__ == "__main__":
    main()
