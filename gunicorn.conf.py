"""
gunicorn's configuration for Crosscheck: `gunicorn -c gunicorn.conf.py crosscheck.wsgi`.

Every value can be changed from the environment; the defaults suit a
container on a small machine behind a load balancer.
"""

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn import glogging

# Read by crosscheck/settings.py: PostgreSQL cancels a web request's statement
# after 10 s, before gunicorn's own timeout kills the worker.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "10000")

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")

# Threaded workers. Pages are short and spend their time in PostgreSQL and
# templates, but a download of a whole list streams for as long as it takes
# (a million claims: about a minute and a half), and a synchronous worker is
# killed when one request outlasts `timeout`, cutting the file short behind a
# 200 status. A threaded worker's heartbeat runs beside its requests, so
# `timeout` catches a stuck worker, not a long download. 2 × cores + 1
# processes keep the cores busy while some wait on the database; the threads
# let a download not hold a whole process.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))

# A worker silent for this long is stuck: it is killed and replaced. A slow
# page is stopped earlier: PostgreSQL cancels a statement after
# DATABASE_STATEMENT_TIMEOUT_MS (10 s), so the reader gets an error page.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Behind a load balancer that keeps connections open.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle each worker after about this many requests, so a slow leak cannot
# grow without bound; the jitter keeps workers from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))

# Load the app in the master once: workers fork with it, start faster and
# share its memory pages.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"

# Access log on standard output, one JSON object per request (see below);
# GUNICORN_ACCESS_LOG= (empty) turns it off, e.g. for benchmarks.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


class JsonAccessLogger(glogging.Logger):
    """Write each access log line as JSON, with the request id the app echoed."""

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        headers = dict((k.lower(), v) for k, v in (resp.headers or []))
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": headers.get("x-request-id", "-"),
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(line, ensure_ascii=False))


logger_class = JsonAccessLogger
