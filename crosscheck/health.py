"""
Health: /healthz (the process answers), /readyz (the database answers and
every migration is applied), and a plain 503 page when the database is gone.

/healthz touches nothing but the process, so it doubles as the benchmarks'
floor: a bare Django view behind the whole middleware stack.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import server_error

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again.
RETRY_AFTER = "5"

# Set once every migration is found applied: the code of a running process
# cannot gain migrations, so only a new deployment (a new process) asks again.
_migrations_applied = False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 while the process runs; touch no database."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Answer 200 when the database answers and no migration is pending, else 503."""
    global _migrations_applied
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not _migrations_applied:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                names = [f"{m.app_label}.{m.name}" for m, _ in pending]
                return JsonResponse({"status": "migrations pending", "pending": names}, status=503)
            _migrations_applied = True
    except DATABASE_ERRORS as error:
        logger.warning("readyz: database unavailable: %s", error)
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ready"})


def unavailable(request: HttpRequest) -> HttpResponse:
    """Render the 503 page without touching the database (no session, no user lookup)."""
    html = render_to_string("503.html", {"request": request, "user": AnonymousUser()})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with a plain page when a view loses the database.

    Errors raised outside views (a session saved after the response) reach
    `handler500` below, which answers the same way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database unavailable: %s", exception, exc_info=exception)
            return unavailable(request)
        return None


def handler500(request: HttpRequest) -> HttpResponse:
    """Answer 503 when the error was the database going away, else Django's 500.

    Under /api/ both are JSON (api.conventions).
    """
    from api.conventions import api_error, is_api

    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        if is_api(request):
            response = api_error(503, "The database is unavailable: try again in a moment.")
            response["Retry-After"] = RETRY_AFTER
            return response
        return unavailable(request)
    if is_api(request):
        return api_error(500)
    return server_error(request)
