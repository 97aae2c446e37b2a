"""
/healthz, /readyz, the 503 page when the database is gone, and the request id
carried by every response and log line.
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from unittest import mock

from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import RequestFactory, TestCase, override_settings

from crosscheck import health, logs


def database_gone(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


class HealthzTests(TestCase):
    def test_it_answers_ok_without_touching_the_database(self):
        with self.assertNumQueries(0):
            response = self.client.get("/healthz")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok\n")
        self.assertIn("no-cache", response["Cache-Control"])

    def test_it_answers_while_the_database_is_gone(self):
        with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
            response = self.client.get("/healthz")

        self.assertEqual(response.status_code, 200)

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post("/healthz").status_code, 405)


class ReadyzTests(TestCase):
    def setUp(self):
        health._migrations_applied = False

    def test_it_is_ready_when_the_database_answers_and_migrations_are_applied(self):
        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ready"})

    def test_it_checks_the_migrations_once_per_process(self):
        self.client.get("/readyz")

        # SELECT 1 only: the migration table is not read again.
        with self.assertNumQueries(1):
            self.assertEqual(self.client.get("/readyz").status_code, 200)

    def test_it_is_not_ready_when_the_database_is_gone(self):
        with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
            response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"status": "database unavailable"})

    def test_it_is_not_ready_while_a_migration_is_pending(self):
        pending = [(SimpleNamespace(app_label="claims", name="0099_future"), False)]
        with mock.patch.object(health.MigrationExecutor, "migration_plan", return_value=pending):
            response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            response.json(), {"status": "migrations pending", "pending": ["claims.0099_future"]}
        )
        self.assertFalse(health._migrations_applied)


class DatabaseUnavailableTests(TestCase):
    def test_a_page_answers_503_with_a_plain_page_when_the_database_is_gone(self):
        with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
            response = self.client.get("/")

        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], health.RETRY_AFTER)
        self.assertContains(response, "Crosscheck is temporarily unavailable", status_code=503)
        self.assertContains(response, "<title>Temporarily unavailable", status_code=503)
        self.assertNotContains(response, "Traceback", status_code=503)
        self.assertNotContains(response, "Connection refused", status_code=503)

    def test_it_leaves_other_errors_alone(self):
        request = RequestFactory().get("/")
        middleware = health.DatabaseUnavailableMiddleware(lambda r: None)

        self.assertIsNone(middleware.process_exception(request, ValueError("bug")))

    @override_settings(DEBUG=False)
    def test_the_500_handler_answers_503_for_a_database_error_outside_a_view(self):
        request = RequestFactory().get("/")
        try:
            database_gone()
        except OperationalError:
            response = health.handler500(request)

        self.assertEqual(response.status_code, 503)
        self.assertIn(b"temporarily unavailable", response.content)

    @override_settings(DEBUG=False)
    def test_the_500_handler_answers_500_for_anything_else(self):
        request = RequestFactory().get("/")
        try:
            raise ValueError("bug")
        except ValueError:
            response = health.handler500(request)

        self.assertEqual(response.status_code, 500)


class RequestIdTests(TestCase):
    def test_it_echoes_a_sane_incoming_request_id(self):
        response = self.client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})

        self.assertEqual(response["X-Request-ID"], "lb-1234.abc")

    def test_it_makes_a_new_id_when_none_is_given(self):
        first = self.client.get("/healthz")["X-Request-ID"]
        second = self.client.get("/healthz")["X-Request-ID"]

        self.assertRegex(first, r"^[0-9a-f]{32}$")
        self.assertNotEqual(first, second)

    def test_it_replaces_an_id_unfit_for_logs(self):
        for hostile in ("a b", 'x"}\n{"level": "forged"', "é", "x" * 129):
            with self.subTest(hostile=hostile):
                response = self.client.get("/healthz", headers={"X-Request-ID": hostile})
                self.assertRegex(response["X-Request-ID"], r"^[0-9a-f]{32}$")

    def test_the_503_page_carries_the_request_id_too(self):
        with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
            response = self.client.get("/", headers={"X-Request-ID": "req-503"})

        self.assertEqual(response["X-Request-ID"], "req-503")

    def test_log_lines_in_a_request_carry_its_id(self):
        seen = []

        def view_logging(request):
            record = logging.LogRecord("crosscheck", logging.INFO, "", 0, "inside", None, None)
            logs.RequestIdFilter().filter(record)
            seen.append(record.request_id)
            from django.http import HttpResponse

            return HttpResponse("ok")

        request = RequestFactory().get("/", headers={"X-Request-ID": "req-42"})
        response = logs.RequestIdMiddleware(view_logging)(request)
        response.close()  # Sends request_finished, as the server does.

        self.assertEqual(seen, ["req-42"])
        self.assertEqual(response["X-Request-ID"], "req-42")
        self.assertEqual(logs.request_id.get(), "-", "the id does not leak past the request")

    def test_djangos_own_error_line_carries_the_request_id(self):
        ids = []
        handler = logging.Handler()
        handler.addFilter(logs.RequestIdFilter())
        handler.emit = lambda record: ids.append(record.request_id)
        logger = logging.getLogger("django.request")
        logger.addHandler(handler)
        try:
            with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
                self.client.get("/readyz", headers={"X-Request-ID": "req-ready"})
        finally:
            logger.removeHandler(handler)

        self.assertEqual(ids, ["req-ready"])


class JsonFormatterTests(TestCase):
    def test_it_writes_one_json_object_per_line_with_the_request_id_and_extras(self):
        record = logging.LogRecord(
            "claims", logging.WARNING, __file__, 1, "approved %s", ("#12",), None
        )
        record.request_id = "req-7"
        record.claim = 12

        line = logs.JsonFormatter().format(record)

        self.assertNotIn("\n", line)
        data = json.loads(line)
        self.assertEqual(data["message"], "approved #12")
        self.assertEqual(data["level"], "WARNING")
        self.assertEqual(data["logger"], "claims")
        self.assertEqual(data["request_id"], "req-7")
        self.assertEqual(data["claim"], 12)
        self.assertIn("time", data)

    def test_it_keeps_a_traceback_on_one_line(self):
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            import sys

            record = logging.LogRecord(
                "claims", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
            )

        line = logs.JsonFormatter().format(record)

        self.assertNotIn("\n", line)
        self.assertIn("ValueError: boom", json.loads(line)["exception"])


class SecurityHeadersTests(TestCase):
    def test_every_page_carries_the_content_security_policy_and_frame_denial(self):
        response = self.client.get("/")

        policy = response["Content-Security-Policy"]
        self.assertIn("default-src 'self'", policy)
        self.assertIn("script-src 'self'", policy)
        self.assertIn("style-src 'self'", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
