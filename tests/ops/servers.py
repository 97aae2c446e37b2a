"""
Real servers for the fault and load suite: a throwaway PostgreSQL (initdb on a
temporary directory and a free port, never the machine's own server), a
gunicorn running the app on it with gunicorn.conf.py, and a bounded load
generator. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin(name: str) -> str:
    """Return the newest installed PostgreSQL's `name` binary (initdb, pg_ctl)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for directory in reversed(versions):
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL's server package")
    return found


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary directory, on a free loopback port."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="crosscheck-ops-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/crosscheck_ops"
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")

    def run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, *command], check=True, capture_output=True, text=True, **kwargs
        )

    def create(self) -> None:
        self.run(
            postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.start()
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "crosscheck_ops"],
            check=True,
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self.run(
            postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
            str(self.root / "postgres.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def manage(database_url: str, *args: str, timeout: float = 300) -> str:
    """Run manage.py against database_url (production settings); return its output."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=app_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def app_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    env.update(
        DEBUG="0",
        SECRET_KEY="ops-suite-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
    )
    # Production cookies are Secure; this suite talks plain HTTP on loopback
    # and sends its cookies by hand, so that changes nothing it checks.
    return env


class Gunicorn:
    """gunicorn with gunicorn.conf.py, in production settings, on a free loopback port."""

    def __init__(self, database_url: str, *, workers: int = 3) -> None:
        self.port = free_port()
        self.env = app_env(database_url)
        self.env.update(
            WEB_CONCURRENCY=str(workers),
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_ACCESS_LOG="",
            CONN_MAX_AGE="60",
        )
        self.log = Path(tempfile.mkstemp(prefix="crosscheck-ops-gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                 "crosscheck.wsgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                if request(self.port, "GET", "/readyz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn not ready:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 60,
    connection: http.client.HTTPConnection | None = None,
) -> Response:
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Response(response.status, data, {k.lower(): v for k, v in response.getheaders()})
    finally:
        if connection is None:
            conn.close()


@dataclass
class Outcome:
    started: float
    finished: float
    path: str
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    error: str = ""


@dataclass
class Load:
    """Bounded load: `connections` threads, each on a keep-alive connection, for `seconds`."""

    port: int
    paths: list[str]
    connections: int = 16
    seconds: float = 60
    outcomes: list[Outcome] = field(default_factory=list)

    def run(self) -> list[Outcome]:
        deadline = time.monotonic() + self.seconds
        lock = threading.Lock()

        def worker(offset: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            i = offset
            while time.monotonic() < deadline:
                path = self.paths[i % len(self.paths)]
                i += 1
                started = time.monotonic()
                try:
                    status = request(self.port, "GET", path, connection=conn).status
                    error = ""
                except (OSError, http.client.HTTPException) as exc:
                    status, error = 0, repr(exc)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                with lock:
                    self.outcomes.append(Outcome(started, time.monotonic(), path, status, error))
            conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + 90)
        return self.outcomes
