"""
Download one URL of the app in-process, through Django's whole stack, and throw it away.

    .venv/bin/python bench/download.py '/claims/export.csv?stance=denies'
    .venv/bin/python bench/download.py --database-url postgres://.../db /claims/export.json

Prints the status, the bytes and lines received, the seconds taken and the
process's peak resident memory (ru_maxrss). bench/memory.py runs it under
/usr/bin/time for the list exports: a streamed export keeps the same peak
whatever the number of rows, so compare a path that matches nothing with
one that matches everything.
"""

from __future__ import annotations

import argparse
import resource
import time

from common import DEFAULT_DATABASE_URL, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="A path with its query string, e.g. /claims/export.csv")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.test import Client

    started = time.monotonic()
    response = Client(SERVER_NAME="localhost").get(args.path)
    size = lines = 0
    chunks = response.streaming_content if response.streaming else [response.content]
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{args.path}: status {response.status_code}, {size:,} bytes, {lines:,} lines, "
        f"{seconds:.1f} s, peak RSS {peak_kib / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
