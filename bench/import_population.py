"""
Import benchmark in the shape of a real truth-discovery dataset: Wikipedia's
city-population edits (4,183 claims on 1,172 city-years by 2,415
contributors, with gold values), imported as approved, topics and all.

    .venv/bin/python bench/import_population.py
    .venv/bin/python bench/import_population.py --seed 2 --keep-file /tmp/population.csv

It creates a scratch PostgreSQL database (default crosscheck_bench_population,
DROPPED and created afresh, and dropped again at the end unless --keep-db),
migrates it, adds one moderator, writes a seeded CSV and imports it in this
process with `claims.spreadsheet.import_file(..., approve=True)`, the code
`manage.py import_claims --approve` runs, with the rule of four eyes off (a
one-person newsroom: REQUIRE_SECOND_PAIR_OF_EYES=0), so that detection runs.

The file, as the dataset is:

- one topic per city-year ("Population of City 17, 2009"), 1,172 of them,
  none stored beforehand: the import creates each from its row's Topic
  question, Topic unit (inhabitants), Topic window days (3,650: every edit
  about a city-year is compared with every other) and Topic tolerance
  percent (1: two figures within 1% agree);
- 4,183 claims, a few per city-year and some city-years with many (a
  Pareto draw; the dataset's busiest topic has 721 contradictions);
- 2,415 contributors, all new sources (kind other), most with one edit and
  a few with hundreds;
- values near the city-year's gold value (most within 0.8%, so they agree
  under the tolerance), a fifth of them outliers 2-40% off;
- a contributor's second edit of a city-year updates their first (a later
  statement of the same source), as an edit history does.

It prints rows/s for the check (reading and checking every row, the dry run's
work) and for the write (sources, topics, claims, history, publication and
detection, in the same transaction) separately, the topics created, the
conflicts opened, and whether `recompute_conflicts` afterwards finds anything
to change (it must not: the import's open-conflict set is the recompute's).
The same --seed gives the same file.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from common import print_header, setup_django
from import_claims import reset_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crosscheck_bench_population"
HEADER = [
    "Source", "Source kind", "Topic", "Topic question", "Topic unit", "Topic window days",
    "Topic tolerance percent", "Kind", "Stance", "Quantity min", "Quantity max", "Quote",
    "Summary", "Stated on", "Citation URL",
]  # fmt: skip
TOPICS, CLAIMS, CONTRIBUTORS = 1_172, 4_183, 2_415
FIRST_EDIT = date(2004, 1, 1)


def write_csv(path: Path, rng: random.Random, *, topics: int, claims: int, people: int) -> None:
    """Write the dataset's shape: claims spread over city-years, by skewed contributors."""
    years = list(range(2000, 2012))
    city_years = []
    for index in range(topics):
        city, year = index // 3, years[index % 3 + (index // 3) % 9]
        gold = int(rng.paretovariate(1.2) * 20_000)
        city_years.append((f"Population of City {city}, {year}", city, year, gold))
    # Every topic has a claim; the rest go to topics with a heavy tail.
    weights = [rng.paretovariate(1.6) for _ in city_years]
    placed = list(range(topics)) + rng.choices(range(topics), weights, k=claims - topics)
    rng.shuffle(placed)
    # Every contributor edits once; the rest of the edits go to a heavy tail.
    editors = list(range(people)) + rng.choices(
        range(people), [rng.paretovariate(0.9) for _ in range(people)], k=claims - people
    )
    rng.shuffle(editors)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n, (topic_index, editor) in enumerate(zip(placed, editors, strict=True)):
            title, city, year, gold = city_years[topic_index]
            if rng.random() < 0.8:
                value = round(gold * (1 + rng.uniform(-0.008, 0.008)))
            else:
                value = round(gold * (1 + rng.choice((-1, 1)) * rng.uniform(0.02, 0.4)))
            stated = FIRST_EDIT + timedelta(days=rng.randrange(8 * 365))
            out.writerow([
                f"Wikipedia contributor {editor}", "other", title,
                f"How many people lived in City {city} in {year}?", "inhabitants", "3650", "1",
                "fact", "affirms", value, value,
                f"| population_total = {value:,} ({year})", f"{value:,} inhabitants in {year}",
                stated.isoformat(), f"https://en.wikipedia.org/w/index.php?oldid={100000 + n}",
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--topics", type=int, default=TOPICS)
    parser.add_argument("--claims", type=int, default=CLAIMS)
    parser.add_argument("--contributors", type=int, default=CONTRIBUTORS)
    parser.add_argument("--keep-file", help="Write the CSV here and keep it.")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database after.")
    parser.add_argument("--profile", help="Write the import's cProfile statistics to this file.")
    args = parser.parse_args()
    print_header("Spreadsheet import, population-edits shape (approved, topics created)")
    os.environ["REQUIRE_SECOND_PAIR_OF_EYES"] = "0"  # A one-person newsroom: detection runs.
    reset_database(args.database_url)
    setup_django(args.database_url)
    from django.contrib.auth.models import Group, User
    from django.db import connections

    from claims.detection import recompute_all
    from claims.models import Conflict, Topic
    from claims.spreadsheet import import_file

    moderator = User.objects.create_user("bench-moderator")
    moderator.groups.add(Group.objects.get(name="Moderator"))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-population-") as tmp:
            path = Path(args.keep_file or Path(tmp) / f"population-seed{args.seed}.csv")
            write_csv(
                path,
                random.Random(args.seed),
                topics=args.topics,
                claims=args.claims,
                people=args.contributors,
            )
            print(f"file: {args.claims:,} rows, {path.stat().st_size / 1024:.0f} KB, {path}")
            marks: dict[str, float] = {}

            backend = connections["default"].cursor().connection.info.backend_pid

            def server_cpu() -> float:
                """CPU seconds of this connection's PostgreSQL backend (on this machine)."""
                try:
                    stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    return float("nan")
                return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in marks:
                    marks[phase] = time.perf_counter()
                    marks[phase + " cpu"] = time.process_time()
                    marks[phase + " server"] = server_cpu()

            load = os.getloadavg()[0]
            started, started_cpu = time.perf_counter(), time.process_time()
            started_server = server_cpu()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            report = import_file(str(path), path.name, user=moderator, approve=True,
                                 progress=progress)  # fmt: skip
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            ended, ended_cpu = time.perf_counter(), time.process_time()
            ended_server = server_cpu()
        writing = marks.get("writing", ended)
        writing_cpu = marks.get("writing cpu", ended_cpu)
        writing_server = marks.get("writing server", ended_server)
        rows = len(report.rows)
        print(f"database: {connections['default'].vendor}, load average at start: {load:.2f}")
        print(f"summary: {report.summary()}")
        print(
            f"check (read + check every row): {writing - started:.2f} s, "
            f"{rows / (writing - started):,.0f} rows/s (CPU of this process "
            f"{writing_cpu - started_cpu:.2f} s, of PostgreSQL's backend "
            f"{writing_server - started_server:.2f} s)"
        )
        print(
            f"write (topics, sources, claims, history, publication, detection): "
            f"{ended - writing:.2f} s, {rows / (ended - writing):,.0f} rows/s (CPU of this "
            f"process {ended_cpu - writing_cpu:.2f} s, of PostgreSQL's backend "
            f"{ended_server - writing_server:.2f} s, the commit's checks included)"
        )
        print(f"whole import: {ended - started:.2f} s, {rows / (ended - started):,.0f} rows/s")
        print(f"topics created: {len(report.new_topics):,} (stored: {Topic.objects.count():,})")
        print(f"sources created: {len(report.new_sources):,}")
        kinds = Counter(Conflict.objects.open().values_list("kind", flat=True))
        print(f"conflicts opened: {report.conflicts_opened:,} ({dict(kinds)})")
        changes = +recompute_all().changes
        print(f"recompute_conflicts afterwards: {dict(changes) or 'no change'}")
        if changes:
            sys.exit("The import's conflicts differ from the recompute's.")
    finally:
        connections.close_all()
        if not args.keep_db:
            import psycopg

            name = args.database_url.rsplit("/", 1)[1]
            with psycopg.connect(
                args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True
            ) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
