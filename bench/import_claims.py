"""
Spreadsheet import benchmark: `manage.py import_claims` on a 100,000-row CSV.

    .venv/bin/python bench/import_claims.py                       # pending import
    .venv/bin/python bench/import_claims.py --approve             # and an approved one
    .venv/bin/python bench/import_claims.py --rows 20000 --database-url postgres://...

It (re)creates a scratch PostgreSQL database (default crosscheck_bench_import:
DROPPED and created afresh on each run, for each import), migrates it, adds
the world the file refers to (topics, detainees listed under them, a few
stored sources and documents, an editor and a moderator), writes a CSV of
--rows claims from a seeded generator, and runs the real command in a
subprocess, timing it from outside as well as reading its own summary:

- several hundred speakers, a third of them new (the file creates them with
  their kind and affiliation), on 300 topics (two in five count something)
  and 1,500 detainees;
- 88% facts (60% affirm, 20% deny, 20% no information), 12% positions; a
  third of the facts on topics with detainees are about one detainee and
  report a status; quantities within the topic's bounds;
- 60% cite a document (a few thousand, most new), the rest a link;
  accents in a quarter of the quotes.

The same --rows and --seed give the same file.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import PYTHON, ROOT, print_header, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crosscheck_bench_import"
HEADER = [
    "Source", "Source kind", "Affiliation", "Topic", "Detainee", "Kind", "Stance",
    "Quantity min", "Quantity max", "Status", "Quote", "Summary", "Stated on", "As of",
    "Document title", "Document URL", "Citation URL", "Language",
]  # fmt: skip
PLACES = ("Havana", "Camagüey", "Holguín", "Santa Clara", "Matanzas", "Caracas", "Minsk")
STATUSES = ("detained", "imprisoned", "house_arrest", "released", "conditional_release", "exiled")
FIRST_DAY = date(2014, 1, 1)


def reset_database(url: str) -> None:
    """Drop and create the scratch database, then migrate it."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not re.fullmatch(r"crosscheck_(\w+_)?bench\w*", name):
        sys.exit(
            f"Refusing to drop {name!r}: the scratch database's name starts crosscheck_bench_."
        )
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def build_world(rng: random.Random) -> dict:
    """Create what the file refers to; return the names the generator draws from."""
    from django.contrib.auth.models import Group, User

    from claims.models import Detainee, Document, Topic
    from sources.models import Source

    editor = User.objects.create_user("bench-editor")
    editor.groups.add(Group.objects.get(name="Editor"))
    moderator = User.objects.create_user("bench-moderator")
    moderator.groups.add(Group.objects.get(name="Moderator"))
    topics = []
    for i in range(300):
        place = rng.choice(PLACES)
        if i % 5 < 2:
            topics.append(
                Topic(
                    title=f"Release of the prisoners of {place} ({i})",
                    question="How many have been released?",
                    quantity_label="prisoners released",
                    quantity_min=0,
                    quantity_max=rng.choice((53, 120, 400, None)),
                )
            )
        else:
            topics.append(Topic(title=f"Talks in {place} ({i})", question="Do the talks go on?"))
    for topic in topics:
        topic.save()
    detainees, links = [], []
    for i in range(1500):
        detainees.append(
            Detainee(
                name=f"{rng.choice(('José', 'María', 'Ángel', 'Berta'))} Pérez {i}",
                aliases=[f"Prisoner {i}"] if rng.random() < 0.3 else [],
            )
        )
    Detainee.objects.bulk_create(detainees)
    with_people = topics[::3]
    owner = {}
    for i, detainee in enumerate(detainees):
        topic = with_people[i % len(with_people)]
        owner.setdefault(topic.title, []).append(detainee.name)
        links.append(Detainee.topics.through(detainee_id=detainee.pk, topic_id=topic.pk))
    Detainee.topics.through.objects.bulk_create(links)
    orgs = [
        Source.objects.create(name=f"Ministry of the Interior {i}", kind="government")
        for i in range(40)
    ] + [Source.objects.create(name=f"Observatorio {i}", kind="monitor") for i in range(40)]
    people = [
        Source.objects.create(name=f"Spokesperson {i}", kind="official", affiliation=orgs[i % 80])
        for i in range(200)
    ]
    stored_docs = [
        Document.objects.create(title=f"Stored briefing {i}", url=f"https://example.org/b/{i}")
        for i in range(200)
    ]
    return {
        "topics": topics,
        "detainees": owner,
        "stored_sources": [s.name for s in orgs + people],
        "orgs": [o.name for o in orgs],
        "stored_docs": [(d.title, d.url) for d in stored_docs],
    }


def write_csv(path: Path, rows: int, rng: random.Random, world: dict) -> None:
    """Write --rows claims, deterministic for a seed."""
    new_people = [
        (f"Portavoz nuevo {i}", "official", rng.choice(world["orgs"])) for i in range(150)
    ]
    new_orgs = [(f"Comité de familias {i}", "other", "") for i in range(50)]
    stored = [(name, "", "") for name in world["stored_sources"]]
    speakers = stored + new_people + new_orgs
    new_docs = [(f"Report {i}", f"https://news.example.org/r/{i}") for i in range(3000)]
    docs = world["stored_docs"] + new_docs
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n in range(rows):
            name, kind, affiliation = rng.choice(speakers)
            topic = rng.choice(world["topics"])
            people = world["detainees"].get(topic.title, [])
            stated = FIRST_DAY + timedelta(days=rng.randrange(3000))
            as_of = stated - timedelta(days=rng.randint(1, 5)) if rng.random() < 0.15 else None
            detainee, stance, lo, hi, status = "", "", "", "", ""
            place = rng.choice(PLACES)
            if rng.random() < 0.12:
                claim_kind = "position"
                quote = f"The talks should wait until every prisoner in {place} is free ({n})"
                summary = "Talks should wait"
            else:
                claim_kind = "fact"
                roll = rng.random()
                stance = "no information" if roll < 0.2 else ("affirms" if roll < 0.8 else "denies")
                if people and rng.random() < 0.35:
                    detainee = rng.choice(people)
                    if stance != "no information":
                        status = rng.choice(STATUSES)
                elif topic.quantity_label and stance != "no information":
                    top = topic.quantity_max or 500
                    low = rng.randint(0, top)
                    lo, hi = low, rng.choice((low, rng.randint(low, top), ""))
                quote = f"We can say this about {place}: number {n}, as of today."
                summary = f"{stance.capitalize()} ({n})"
            if rng.random() < 0.25:
                quote = f"Según nuestra información en {place}, así están las cosas ({n})."
            title, url = ("", "")
            citation = ""
            if rng.random() < 0.6:
                title, url = rng.choice(docs)
            else:
                citation = f"https://news.example.org/c/{n}"
            out.writerow([
                name, kind, affiliation, topic.title, detainee, claim_kind, stance, lo, hi,
                status, quote, summary, stated.isoformat(), as_of.isoformat() if as_of else "",
                title, url, citation, rng.choice(("en", "en", "es")),
            ])  # fmt: skip


def run_import(url: str, path: Path, *, approve: bool) -> dict:
    user = "bench-moderator" if approve else "bench-editor"
    command = [PYTHON, "manage.py", "import_claims", str(path), "--user", user, "--max-mb", "0"]
    if approve:
        command.append("--approve")
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
    started = time.monotonic()
    before = os.times()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after = os.times()
    wall = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout, done.stderr[-5000:])
        sys.exit(f"import_claims failed with status {done.returncode}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {
        "command": " ".join(["DATABASE_URL=" + url, *command[1:]]),
        "output": done.stdout.strip(),
        "wall": wall,
        "cpu": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--approve", action="store_true", help="Also import as approved.")
    parser.add_argument(
        "--keep-file", help="Write the CSV here and keep it (default: a temp file)."
    )
    args = parser.parse_args()
    print_header("Spreadsheet import: manage.py import_claims")
    runs = [False, True] if args.approve else [False]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(args.keep_file or Path(tmp) / f"claims-{args.rows}-seed{args.seed}.csv")
        path.unlink(missing_ok=True)
        for approve in runs:
            reset_database(args.database_url)
            setup_django(args.database_url)
            from django.db import connections

            world = build_world(random.Random(args.seed))
            connections.close_all()
            if not path.exists():
                write_csv(path, args.rows, random.Random(args.seed + 1), world)
                print(f"file: {args.rows:,} rows, {path.stat().st_size / 1024 / 1024:.1f} MB")
            load = os.getloadavg()[0]
            result = run_import(args.database_url, path, approve=approve)
            result["approve"], result["load"] = approve, load
            results.append(result)
            print(f"\n## {'approved (--approve)' if approve else 'pending (editor)'}")
            print(f"command: {result['command']}")
            print(f"load average at start: {load:.2f}")
            print(result["output"])
            print(
                f"wall clock, process start to exit: {result['wall']:.1f} s "
                f"({args.rows / result['wall']:,.0f} rows/s); CPU of the command "
                f"{result['cpu']:.1f} s"
            )


if __name__ == "__main__":
    main()
