"""
What the benchmarks share: the machine's description, a gunicorn server on
PostgreSQL, wrk runs, and the list of pages to measure.

The benchmarks are scripts, not tests: `.venv/bin/python bench/<name>.py --help`.
Each prints its figures and the exact way it was run.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Not crosscheck_bench: bench/explain_search.py adds its own synthetic rows there.
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crosscheck_volume"
# The servers' SECRET_KEY: a script that makes a session for them (bench/pages.py)
# signs it with the same key.
SECRET_KEY = "bench-" + "x" * 60


def setup_django(database_url: str) -> None:
    """Configure Django on the given database, as manage.py would."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crosscheck.settings")
    # Benchmarks run long statements (recompute, EXPLAIN ANALYZE): no timeout.
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def machine() -> dict:
    """Describe where the figures come from: cores, memory, load, PostgreSQL."""
    info = {
        "cpus (nproc)": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "load average (1, 5, 15 min) at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }
    try:
        info["postgresql"] = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:
        info["postgresql"] = "unknown"
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def print_header(title: str, argv: list[str] | None = None) -> None:
    print(f"# {title}")
    print(f"command: {shlex.join([sys.executable, *(argv or sys.argv)])}")
    for key, value in machine().items():
        print(f"{key}: {value}")
    print()


def percentile(values: list[float], pct: float) -> float:
    """Return the pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# The server -------------------------------------------------------------------


@contextmanager
def gunicorn(
    database_url: str,
    *,
    port: int,
    workers: int,
    extra_env: dict | None = None,
    app: str = "crosscheck.wsgi:application",
    pythonpath: str = "",
    ready_path: str = "/readyz",
):
    """Run gunicorn with gunicorn.conf.py in production mode; yield (base URL, process).

    `app` and `pythonpath` serve another WSGI application with the same
    configuration (bench/floor_app.py: the bare-Django floor).
    """
    # As in production: gunicorn.conf.py sets the statement timeout.
    inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # The access log would measure the terminal; the app's errors still print.
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    # Kept open for the server's whole life, closed in the finally below.
    # Production storage serves hashed files from STATIC_ROOT: collect them first.
    if app.startswith("crosscheck."):
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w+", prefix="bench-gunicorn-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py",
         *(["--pythonpath", pythonpath] if pythonpath else []), app],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process, log.name, path=ready_path)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_ready(
    base: str, process: subprocess.Popen, log_path: str, timeout: float = 60, path: str = "/readyz"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(log_path).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}{path}", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn not ready after {timeout} s: {Path(log_path).read_text()}")


def fetch(url: str, timeout: float = 120) -> tuple[int, int, float]:
    """GET url once; return (status, bytes, seconds)."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            return response.status, len(body), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, len(error.read()), time.perf_counter() - started
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        print(f"  {url}: no answer ({error})", flush=True)
        return 0, 0, time.perf_counter() - started


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# wrk --------------------------------------------------------------------------

# Prints the figures wrk keeps (p95 among them, which --latency does not show)
# as one JSON line after its own report.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, '
    .. '"non_2xx_3xx": %d, "timeouts": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, errors,
    summary.errors.status, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> dict:
    """Load url with wrk; return requests/s, latency percentiles (ms) and errors.

    `headers` are sent with every request (a session's Cookie); the command
    returned names them but not their values.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    header_args = [
        arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")
    ]
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "--latency", *header_args, "-s", script.name, url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    os.unlink(script.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(line[5:])
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds if seconds else 0.0,
        "requests": data["requests"],
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": data["errors"],
        "non_2xx_3xx": data["non_2xx_3xx"],
        "timeouts": data["timeouts"],
        "command": shlex.join(
            [*command[:7], *(a for n in (headers or {}) for a in ("-H", f"{n}: <value>")), url]
        ),
    }


# The pages --------------------------------------------------------------------


def default_pages() -> list[tuple[str, str]]:
    """Return (name, path) for the pages measured, chosen from the data in the database.

    Call after setup_django. A hot topic (the most claims), a claim on it that
    is in an open conflict, a word that many claims hold. Pages that other
    issues add can be measured with --page NAME=PATH.
    """
    from django.db.models import Count

    from claims.models import Claim, Conflict, Topic

    hot = (
        Topic.objects.annotate(n=Count("claims")).order_by("-n").values_list("slug", flat=True)
    ).first()
    claim = (
        Conflict.objects.open().order_by("pk").values_list("claim_a", flat=True).first()
        or Claim.objects.public().order_by("pk").values_list("pk", flat=True).first()
    )
    return [
        ("floor: /healthz (constant view)", "/healthz"),
        ("claims list, unfiltered", "/claims/"),
        ("claims list, filtered (topic + stance)", f"/claims/?topic={hot}&stance=denies"),
        ("claims list, search q=released", "/claims/?q=released"),
        ("claims list, search q=camaguey desk", "/claims/?q=camaguey+desk"),
        ("topic page (hottest topic)", f"/topics/{hot}/"),
        ("conflicts list", "/conflicts/"),
        ("claim page", f"/claims/{claim}/"),
        ("home page", "/"),
    ]


def parse_pages(values: list[str]) -> list[tuple[str, str]]:
    pages = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            name, path = value, value
        pages.append((name, path))
    return pages


def in_process_settings() -> None:
    """Set up Django's test client for pages read in process: any host, plain static URLs.

    No collectstatic needed: plain static URLs, as with DEBUG on. Call after setup_django().
    """
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
