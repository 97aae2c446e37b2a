"""
The CPU one page-cache hit costs, through the WSGI handler, against the floor's.

No network, no gunicorn, no test client: each request is a WSGI environ like
the one gunicorn builds for wrk (GET, `Host`, nothing else, or with
`Accept-Encoding: gzip, deflate, br, zstd` as browsers send), handed to
the application, its body iterated and closed, as gunicorn does. The app
runs in production settings (DEBUG=0, PAGE_CACHE_SECONDS=600); one request
fills the cache, one more checks it is a hit, then --repeat hits are timed
with time.process_time. The floor (bench/floor_app.py: one view, no
middleware, no database) is measured the same way in a child process, since
it configures Django its own way. Each page's line gives its CPU a hit and
that as a multiple of the floor's. Run once per backend:

    .venv/bin/python bench/hit_cpu.py --database-url postgres://…/crosscheck_x_10k
    .venv/bin/python bench/hit_cpu.py --database-url postgres://…/crosscheck_x_10k \\
        --cache-url redis://127.0.0.1:6379/11

The pages are bench/pages.py's (its --only names), chosen by the same queries.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BROWSER_ENCODING = "gzip, deflate, br, zstd"
DEFAULT_PAGES = [
    "home",
    "claims",
    "board",
    "topic-hot",
    "claim",
    "conflict",
    "source-median",
    "source-largest",
    "api-claims",
    "api-conflicts",
    "healthz",
]


def environ(path: str, encoding: str = "") -> dict:
    """A WSGI environ as gunicorn builds it for a wrk GET on loopback."""
    path_info, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "RAW_URI": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if encoding:
        env["HTTP_ACCEPT_ENCODING"] = encoding
    return env


def call(application, env: dict) -> tuple[str, dict, int]:
    """One request as gunicorn makes it: call, iterate the body, close."""
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = status, headers

    env = dict(env, **{"wsgi.input": io.BytesIO(b"")})
    body = application(env, start_response)
    sent = 0
    try:
        for chunk in body:
            sent += len(chunk)
    finally:
        if hasattr(body, "close"):
            body.close()
    return got["status"], dict(got["headers"]), sent


def timed(application, env: dict, repeat: int) -> float:
    """CPU milliseconds a request, over `repeat` requests."""
    cpu = time.process_time()
    for _ in range(repeat):
        call(application, env)
    return (time.process_time() - cpu) / repeat * 1000


def floor(repeat: int) -> float:
    sys.path.insert(0, str(HERE))
    from floor_app import application

    env = environ("/")
    for _ in range(50):
        call(application, env)
    return timed(application, env, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--cache-url", default="")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--floor", action="store_true", help="(internal) time the floor")
    parser.add_argument("--only", action="append", help="a bench/pages.py page name")
    parser.add_argument(
        "--without-fast-path",
        action="store_true",
        help="leave crosscheck.cache.PageCacheFastPath out of MIDDLEWARE (the code before it)",
    )
    args = parser.parse_args()
    if args.floor:
        print(json.dumps(floor(args.repeat)))
        return
    floor_cmd = [sys.executable, __file__, "--floor", "--repeat", str(args.repeat)]
    floor_before = json.loads(subprocess.check_output(floor_cmd))

    os.environ.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        PAGE_CACHE_SECONDS="600",
        CACHE_URL=args.cache_url,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(HERE))
    from common import print_header, setup_django

    print_header("Page cache hits through the WSGI handler, CPU against the floor")
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    # Production storage serves hashed names from STATIC_ROOT, as bench/common.py's servers.
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.conf import settings
    from pages import choose_pages

    if args.without_fast_path:
        settings.MIDDLEWARE = [
            m for m in settings.MIDDLEWARE if not m.endswith(".PageCacheFastPath")
        ]
    application = get_wsgi_application()
    wanted = args.only or DEFAULT_PAGES
    pages = {p.key: p for p in choose_pages(0)}
    rows = []
    for name in wanted:
        page = pages[name]
        for encoding in ("", BROWSER_ENCODING):
            env = environ(page.path, encoding)
            call(application, env)  # fills the cache
            status, headers, sent = call(application, env)
            for _ in range(20):
                call(application, env)
            cpu = timed(application, env, args.repeat)
            rows.append((page, encoding, status, headers.get("X-Page-Cache", "-"), sent, cpu))
    floor_after = json.loads(subprocess.check_output(floor_cmd))
    floor_ms = (floor_before + floor_after) / 2
    print(
        f"CACHE_URL={args.cache_url or '(unset: the database cache)'}; {args.repeat} hits each; "
        f"fast path {'off' if args.without_fast_path else 'on'}"
    )
    print(
        f"floor (bench/floor_app.py, same harness): {floor_before:.3f} ms before, "
        f"{floor_after:.3f} ms after; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print()
    print(
        "| page | path | Accept-Encoding | status | X-Page-Cache | bytes sent "
        "| CPU ms a hit | × floor |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for page, encoding, status, hit, sent, cpu in rows:
        print(
            f"| {page.key} | `{page.path}` | {'browser' if encoding else 'none (wrk)'} "
            f"| {status.split()[0]} | {hit} | {sent:,} | {cpu:.3f} | {cpu / floor_ms:.2f} |"
        )


if __name__ == "__main__":
    main()
