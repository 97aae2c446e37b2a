"""
The population import (bench/import_population.py's file) N times on one
database, each in a transaction rolled back after its deferred checks ran
(SET CONSTRAINTS ALL IMMEDIATE), with a VACUUM between runs: the CPU of this
process and of the PostgreSQL backend, per phase, and the least of the runs,
figures that a loaded machine changes less than the wall clock.

    .venv/bin/python bench/import_population_cpu.py \\
        postgres://postgres@127.0.0.1:5432/crosscheck_NAME_bench 3 [profile.out]
    .venv/bin/python bench/import_population_cpu.py sqlite:////tmp/population.sqlite3 2

The PostgreSQL database is dropped and made afresh (NORESET=1 keeps it);
a SQLite file is migrated in place. The last run's cProfile goes to the
third argument, if given. KEEP=n sets claims.spreadsheet.KEEP_CLAIMS_ROWS.
"""

from __future__ import annotations

import cProfile
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_population as population
from common import setup_django
from import_claims import reset_database


class Rollback(Exception):
    pass


def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2])
    profile_to = sys.argv[3] if len(sys.argv) > 3 else None
    os.environ["REQUIRE_SECOND_PAIR_OF_EYES"] = "0"
    if url.startswith("postgres") and not os.environ.get("NORESET"):
        reset_database(url)
    setup_django(url)
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection, transaction

    import claims.spreadsheet as spreadsheet

    postgresql = connection.vendor == "postgresql"
    if not postgresql:
        call_command("migrate", verbosity=0)
    if os.environ.get("KEEP") is not None:
        spreadsheet.KEEP_CLAIMS_ROWS = int(os.environ["KEEP"])
    moderator, _ = User.objects.get_or_create(username="bench-moderator")
    moderator.groups.add(Group.objects.get(name="Moderator"))
    path = Path(tempfile.mkdtemp()) / "population.csv"
    population.write_csv(
        path,
        random.Random(1),
        topics=population.TOPICS,
        claims=population.CLAIMS,
        people=population.CONTRIBUTORS,
    )

    def server() -> float:
        if not postgresql:
            return 0.0
        pid = connection.connection.info.backend_pid
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    results = []
    for run in range(runs):
        connection.ensure_connection()
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM")
        marks: dict = {}

        def progress(phase, done, total, marks=marks):
            marks.setdefault(phase, (time.process_time(), server()))

        profiler = cProfile.Profile() if profile_to and run == runs - 1 else None
        cpu0, server0, wall0 = time.process_time(), server(), time.perf_counter()
        try:
            with transaction.atomic():
                if profiler:
                    profiler.enable()
                report = spreadsheet.import_file(
                    str(path), path.name, user=moderator, approve=True, progress=progress
                )
                if postgresql:
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile_to)
                cpu1, server1, wall1 = time.process_time(), server(), time.perf_counter()
                raise Rollback
        except Rollback:
            pass
        cpu_w, server_w = marks["writing"]
        row = (cpu_w - cpu0, server_w - server0, cpu1 - cpu_w, server1 - server_w, wall1 - wall0)
        results.append(row)
        print(
            f"run {run}: check CPU {row[0]:.3f} s + backend {row[1]:.3f} s | write CPU "
            f"{row[2]:.3f} s + backend {row[3]:.3f} s | wall {row[4]:.2f} s | load "
            f"{os.getloadavg()[0]:.2f} | {report.conflicts_opened:,} conflicts opened",
            flush=True,
        )
    best = [min(r[k] for r in results) for k in range(5)]
    print(
        f"least: check CPU {best[0]:.3f} s + backend {best[1]:.3f} s | write CPU {best[2]:.3f} s"
        f" + backend {best[3]:.3f} s | whole CPU {best[0] + best[2]:.3f} s + backend "
        f"{best[1] + best[3]:.3f} s | wall {best[4]:.2f} s"
    )


if __name__ == "__main__":
    main()
