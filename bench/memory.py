"""
Memory benchmark: gunicorn workers' resident memory before and after load,
and the peak memory of the streamed CSV export of conflicts.

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --database-url postgres://.../crosscheck_volume_10k

The export's peak is measured with /usr/bin/time (maximum resident set
size) on `manage.py export_conflicts --format csv`; run it on databases of
different sizes: a streamed export keeps the same peak whatever the rows.

The list downloads (/claims/export.csv and .json, crosscheck.exports) are
measured the same way, each fetched in-process through Django's whole stack
by bench/download.py: first a search that matches nothing (the floor), then
a filter, then every approved claim. `--export-path` adds paths.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time

from common import (
    DEFAULT_DATABASE_URL,
    PYTHON,
    ROOT,
    default_pages,
    gunicorn,
    parse_pages,
    print_header,
    rss_kib,
    setup_django,
    worker_pids,
    wrk,
)


def workers_rss(master: int) -> tuple[list[int], int]:
    pids = worker_pids(master)
    return [rss_kib(pid) for pid in pids], rss_kib(master)


def export_peak(database_url: str, fmt: str) -> tuple[int, int, float, int]:
    """Run export_conflicts to a pipe; return (max RSS KiB, lines, seconds, bytes)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
    command = ["/usr/bin/time", "-v", PYTHON, "manage.py", "export_conflicts", "--format", fmt]
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    lines = size = 0
    for chunk in iter(lambda: process.stdout.read(1 << 16), b""):
        lines += chunk.count(b"\n")
        size += len(chunk)
    stderr = process.stderr.read().decode()
    process.wait()
    seconds = time.monotonic() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if process.returncode or not match:
        raise RuntimeError(stderr[-2000:])
    return int(match.group(1)), lines, seconds, size


# The floor (no row), a filter (a fifth of the claims), every approved claim.
EXPORT_PATHS = [
    "/claims/export.csv?q=zzzznotaword",
    "/claims/export.csv?stance=denies",
    "/claims/export.csv",
    "/claims/export.json",
]


def download_peak(database_url: str, path: str) -> tuple[int, str]:
    """Run bench/download.py on one path; return (max RSS KiB, the line it printed)."""
    env = {**os.environ, "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
    script = str(ROOT / "bench" / "download.py")
    command = ["/usr/bin/time", "-v", PYTHON, script, "--database-url", database_url, path]
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", process.stderr)
    if process.returncode or not match:
        raise RuntimeError(process.stderr[-2000:])
    return int(match.group(1)), process.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--duration", type=int, default=10, help="Seconds of load per page.")
    parser.add_argument("--page", action="append", default=[], help="NAME=PATH or PATH to add.")
    parser.add_argument("--no-server", action="store_true", help="Only the export.")
    parser.add_argument(
        "--export-path", action="append", default=[], help="Another download path to measure."
    )
    args = parser.parse_args()

    print_header("Memory benchmark")
    setup_django(args.database_url)
    from claims.models import Claim, Conflict

    print(f"database: {Claim.objects.count():,} claims, {Conflict.objects.count():,} conflicts")
    print()
    if not args.no_server:
        pages = default_pages() + parse_pages(args.page)
        with gunicorn(args.database_url, port=args.port, workers=args.workers) as (_, process):
            base = f"http://127.0.0.1:{args.port}"
            before, master = workers_rss(process.pid)
            for _name, path in pages:
                wrk(base + path, connections=16, duration=args.duration)
            after, master_after = workers_rss(process.pid)
        print(f"gunicorn: {args.workers} workers, each page loaded {args.duration} s at 16 "
              f"connections ({len(pages)} pages)")  # fmt: skip
        print(f"master RSS: {master / 1024:.1f} MiB before, {master_after / 1024:.1f} MiB after")
        print(
            "worker RSS before load (MiB): "
            + ", ".join(f"{kib / 1024:.1f}" for kib in sorted(before))
        )
        print(
            "worker RSS after load (MiB): "
            + ", ".join(f"{kib / 1024:.1f}" for kib in sorted(after))
            + f"; max {max(after) / 1024:.1f}"
        )
        print()
    for fmt in ("csv", "json"):
        peak, lines, seconds, size = export_peak(args.database_url, fmt)
        print(
            f"export_conflicts --format {fmt}: peak RSS {peak / 1024:.1f} MiB, "
            f"{lines:,} lines, {size / 1e6:.1f} MB, {seconds:.1f} s"
        )
    for path in EXPORT_PATHS + args.export_path:
        peak, line = download_peak(args.database_url, path)
        print(f"{line} (/usr/bin/time: peak RSS {peak / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
