# ruff: noqa: E501 (the hand-built workbook's XML parts are kept one a line)
"""
Import worker benchmark: peak memory and CPU of the background worker
(`manage.py db_worker`, claims.tasks) checking a 20 MB CSV, a large XLSX and
the hostile files of issue 12.

    .venv/bin/python bench/import_memory.py
    .venv/bin/python bench/import_memory.py --xlsx-rows 20000 --skip-bomb
    .venv/bin/python bench/import_memory.py --csv-mb 5 10 --skip-hostile
    .venv/bin/python bench/import_memory.py --csv-mb 5 --skip-hostile --import

It (re)creates a scratch PostgreSQL database (default crosscheck_bench_jobs:
DROPPED and created afresh), adds bench/import_claims.py's world (topics,
detainees, sources, documents, an editor), and writes:

- a CSV of claims just under the 20 MB upload cap (bench/import_claims.py's
  seeded generator, about 100,000 rows), and smaller ones of the same rows
  (--csv-mb, default 5 MB), to show whether the peak follows the file;
- an XLSX of --xlsx-rows of the same rows (openpyxl, write-only);
- a 2 KB XLSX, built by hand, whose sheet declares the range A1:XFD1048576
  (issue 12: 540 s of CPU per upload before the limits);
- a zip bomb: a valid small workbook plus a member of --bomb-mb MB of zeros
  (about 1 MB compressed).

For each file: a worker starts on the scratch database and idles (its
baseline resident size is read), the file is staged as an upload would be
(ImportJob.stage) and its check queued; the bench polls the task until it
has returned, then reads the worker's CPU seconds (user + system), its peak
resident size (VmHWM) and its size after the job (VmRSS: what it keeps
between jobs). The 20 MB CSV is checked twice by one worker: the second
row's "idle" is the size the first job left, and its peak shows whether a
second job adds to it. The job's state and first error
are printed: the hostile files are refused by a limit, at once.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from common import PYTHON, ROOT, print_header, setup_django

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_claims import HEADER, build_world, reset_database, write_csv

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crosscheck_bench_jobs"
CSV_TARGET = 19_900_000  # Bytes: under the 20 MB (20 × 2**20) cap.


def proc_status(pid: int) -> dict[str, int]:
    """Return VmRSS and VmHWM of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def big_csv(folder: Path, rng_seed: int, world: dict, target: int = CSV_TARGET) -> Path:
    """Write the seeded CSV, scaled to just under `target` bytes (default: the cap)."""
    sample = folder / "sample.csv"
    write_csv(sample, 2000, random.Random(rng_seed), world)
    per_row = sample.stat().st_size / 2000
    rows = int(target / per_row)
    path = folder / f"claims-{round(target / 1e6)}mb.csv"
    while True:
        write_csv(path, rows, random.Random(rng_seed), world)
        if path.stat().st_size <= target:
            return path
        rows = int(rows * 0.99)


def big_xlsx(folder: Path, source: Path, rows: int) -> Path:
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with source.open(newline="", encoding="utf-8") as f:
        for index, record in enumerate(csv.reader(f)):
            if index > rows:
                break
            sheet.append(record)
    path = folder / f"claims-{rows}.xlsx"
    book.save(path)
    return path


MINIMAL_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def minimal_xlsx(dimension: str) -> bytes:
    """Return a hand-built workbook: one header row, a sheet declaring `dimension`."""
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADER[:5])
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData><row r="1">{cells}</row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in MINIMAL_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def zip_bomb(folder: Path, megabytes: int) -> Path:
    """Write a small valid workbook with one more member of `megabytes` MB of zeros."""
    path = folder / "bomb.xlsx"
    path.write_bytes(minimal_xlsx("A1:E1"))
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/media/image1.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(chunk)
    return path


def measure(url: str, paths: list[Path], *, import_too: bool = False) -> list[dict]:
    """Run one worker on the files, one job after another; return each job's figures.

    CPU seconds are the worker's own: the first job's from its start, each
    later job's as the difference (read from /proc/<pid>/stat while it runs).
    With import_too, a checked file is then confirmed and imported by the
    same worker, measured as a job of its own: its peak is read after the
    worker's high-water mark is reset (/proc/<pid>/clear_refs).
    """
    from django.contrib.auth.models import User
    from django.core.files import File

    from claims.jobs import ImportJob
    from claims.tasks import check_import, run_import

    env = {**os.environ, "DATABASE_URL": url, "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
    command = [
        PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
        "--interval", "0.2", "-v0",
    ]  # fmt: skip
    worker = subprocess.Popen(command, cwd=ROOT, env=env)
    time.sleep(3)  # Django loaded, idling: the baseline.
    baseline = proc_status(worker.pid)["VmRSS"]
    editor = User.objects.get(username="bench-editor")
    figures, cpu_before = [], cpu_seconds(worker.pid)

    def run(job, task, label: str) -> None:
        nonlocal cpu_before, baseline
        started = time.monotonic()
        result = task.enqueue(str(job.pk))
        while True:
            result.refresh()
            if result.is_finished:  # The task has returned: its memory handed back.
                break
            time.sleep(0.1)
        wall = time.monotonic() - started
        job.refresh_from_db()
        time.sleep(0.5)
        status, cpu = proc_status(worker.pid), cpu_seconds(worker.pid)
        errors = job.result.get("file_errors") or []
        figures.append(
            {
                "file": label,
                "bytes": job.size,
                "state": job.state,
                "rows": job.result.get("rows_count", 0),
                "wall_s": wall,
                "cpu_s": cpu - cpu_before,
                "baseline_mib": baseline / 1024,
                "peak_mib": status["VmHWM"] / 1024,
                "after_mib": status["VmRSS"] / 1024,
                "error": errors[0] if errors else "",
            }
        )
        cpu_before = cpu
        baseline = status["VmRSS"]

    for path in paths:
        with path.open("rb") as f:
            job = ImportJob.stage(File(f, name=path.name), user=editor, approve=False)
        run(job, check_import, path.name)
        if import_too and job.state == ImportJob.State.CHECKED:
            Path(f"/proc/{worker.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS.
            assert job.confirm(by=editor)
            run(job, run_import, f"{path.name} (import)")
    worker.send_signal(signal.SIGTERM)
    worker.wait()
    return figures


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--xlsx-rows", type=int, default=50_000)
    parser.add_argument("--bomb-mb", type=int, default=1024, help="Unpacked size of the bomb.")
    parser.add_argument("--skip-bomb", action="store_true")
    parser.add_argument(
        "--csv-mb",
        type=float,
        nargs="*",
        default=[5],
        help="Smaller CSVs to check too, each in a fresh worker (MB; the 20 MB one always runs).",
    )
    parser.add_argument(
        "--skip-hostile", action="store_true", help="Only the CSVs and the XLSX of claims."
    )
    parser.add_argument(
        "--import",
        dest="import_too",
        action="store_true",
        help="Confirm and import each checked file too (each smaller CSV then has its own seed, "
        "so that its rows are not the 20 MB file's, already imported).",
    )
    args = parser.parse_args()

    print_header("Import worker: peak RSS and CPU per file")
    reset_database(args.database_url)
    setup_django(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="crosscheck-bench-jobs-"))
    os.environ["CLAIMS_IMPORT_DIR"] = str(folder / "staged")
    from django.conf import settings

    settings.CLAIMS_IMPORT_DIR = folder / "staged"
    world = build_world(random.Random(args.seed))

    files = [big_csv(folder, args.seed, world)]
    smaller = [
        big_csv(folder, args.seed + (n + 1 if args.import_too else 0), world, int(mb * 1e6))
        for n, mb in enumerate(args.csv_mb or [])
    ]
    files.append(big_xlsx(folder, files[0], args.xlsx_rows))
    if not args.skip_hostile:
        hostile = folder / "dimension.xlsx"
        hostile.write_bytes(minimal_xlsx("A1:XFD1048576"))
        files.append(hostile)
        if not args.skip_bomb:
            files.append(zip_bomb(folder, args.bomb_mb))

    # The worker subprocesses read the same folder through the environment.
    print(
        f"{'file':<31} {'size':>10} {'state':<9} {'rows':>7} {'wall s':>7} {'CPU s':>7} "
        f"{'idle MiB':>9} {'peak MiB':>9} {'after MiB':>10}"
    )
    # Each file in a fresh worker; the 20 MB CSV twice in one worker, to show
    # that a second job reuses the first one's memory instead of adding to it.
    runs = [[files[0], files[0]], *[[path] for path in smaller], *[[path] for path in files[1:]]]
    for paths in runs:
        for r in measure(args.database_url, paths, import_too=args.import_too):
            print(
                f"{r['file']:<31} {r['bytes']:>10,} {r['state']:<9} {r['rows']:>7,} "
                f"{r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} {r['baseline_mib']:>9.0f} "
                f"{r['peak_mib']:>9.0f} {r['after_mib']:>10.0f}"
            )
            if r["error"]:
                print(f"    refused: {r['error']}")


if __name__ == "__main__":
    main()
