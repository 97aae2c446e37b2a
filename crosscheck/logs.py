"""
Structured logs: one JSON object per line, each carrying the request id.

RequestIdMiddleware takes the id from the X-Request-ID header a load balancer
or proxy set (when it is a sane token), or makes a new one, keeps it for the
logs of this request, and echoes it in the response's X-Request-ID header, so
a reader's report, the access log and the app's log lines can be joined.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Anything else (spaces, quotes, newlines, 1 MB) is replaced: it goes into logs.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id: ContextVar[str] = ContextVar("request_id", default="-")

# LogRecord attributes that are not extra fields passed by the caller.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


def incoming_request_id(request: HttpRequest) -> str:
    """Return the request's X-Request-ID when it is a sane token, else a new uuid."""
    given = request.headers.get(HEADER, "")
    return given if _VALID.match(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_request_id(request)
        request.request_id = rid
        # Kept until the response is closed (request_finished below), so that
        # Django's own "django.request" line, logged after the middleware
        # returns, carries the id too.
        request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


@receiver(request_finished, dispatch_uid="crosscheck.logs.forget_request_id")
def forget_request_id(**kwargs) -> None:
    request_id.set("-")


class RequestIdFilter(logging.Filter):
    """Give every record the current request id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
