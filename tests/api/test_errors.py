"""
The API answers JSON everywhere under /api/: a path no endpoint has (an id
the router's pattern refuses, a typo), a method no endpoint takes, and the
errors Django answers itself (400, 403, 404, 500, 503), whatever DEBUG says.
"""

from __future__ import annotations

import json

from django.db import OperationalError
from django.test import RequestFactory, TestCase, override_settings

from crosscheck import health
from crosscheck import urls as root_urls
from tests.editors import EditorialCast


class JsonErrorCase(EditorialCast, TestCase):
    def assertJsonError(self, response, status: int) -> dict:
        self.assertEqual(response.status_code, status, response.content[:300])
        self.assertEqual(response["Content-Type"], "application/json")
        body = json.loads(response.content)
        self.assertIsInstance(body["detail"], str)
        self.assertTrue(body["detail"])
        return body


class NotFoundTests(JsonErrorCase):
    IDS = ["0.5", "1e3", "-1", "1,2", "%20", "1.", "abc", "99999999999999999999", "١"]

    def test_it_answers_a_json_404_for_every_id_that_is_no_whole_number(self):
        for resource in ["claims", "conflicts", "sources", "notes", "documents", "topics"]:
            for pk in self.IDS:
                with self.subTest(resource=resource, pk=pk):
                    self.assertJsonError(self.client.get(f"/api/{resource}/{pk}/"), 404)

    def test_it_answers_a_json_404_for_an_action_on_such_an_id(self):
        self.client.force_login(self.mo)

        response = self.client.post("/api/claims/0.5/approve/", {}, content_type="application/json")

        self.assertJsonError(response, 404)

    def test_a_post_to_no_endpoint_is_a_json_404_not_the_csrf_page(self):
        client = self.client_class(enforce_csrf_checks=True)

        response = client.post("/api/topics/0.5/", {}, content_type="application/json")

        self.assertJsonError(response, 404)

    def test_it_answers_a_json_404_for_a_path_no_endpoint_has(self):
        for path in ["/api/", "/api/nothing/", "/api/claims/1/nothing/", "/api/claims/1/2/3/"]:
            with self.subTest(path):
                body = self.assertJsonError(self.client.get(path), 404)
                self.assertIn("no endpoint", body["detail"])

    @override_settings(DEBUG=True)
    def test_it_answers_json_even_with_debug_on(self):
        self.assertJsonError(self.client.get("/api/claims/0.5/"), 404)

    def test_a_path_missing_its_final_slash_is_still_redirected(self):
        response = self.client.get("/api/claims/1?x=2")

        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/api/claims/1/?x=2")

    def test_the_web_keeps_its_html_404(self):
        response = self.client.get("/claims/0.5/")

        self.assertEqual(response.status_code, 404)
        self.assertIn("text/html", response["Content-Type"])


class OtherErrorTests(JsonErrorCase):
    def test_a_method_no_endpoint_takes_answers_a_json_405(self):
        self.client.force_login(self.mo)
        for method, path in [
            ("delete", f"/api/claims/{self.monday.pk}/"),
            ("put", f"/api/notes/{self.psaki_note.pk}/"),
            ("post", "/api/schema/"),
            ("get", f"/api/claims/{self.monday.pk}/approve/"),
        ]:
            with self.subTest(method=method, path=path):
                self.assertJsonError(getattr(self.client, method)(path), 405)

    def test_a_bad_host_header_answers_a_json_400(self):
        response = self.client.get("/api/claims/", headers={"host": "evil.example"})

        self.assertJsonError(response, 400)

    def test_django_handlers_answer_json_under_the_api_and_html_elsewhere(self):
        factory = RequestFactory()
        for name, status in [("handler400", 400), ("handler403", 403), ("handler404", 404)]:
            handler = getattr(root_urls, name)
            with self.subTest(name):
                self.assertJsonError(handler(factory.get("/api/claims/"), Exception()), status)
                page = handler(factory.get("/claims/"), Exception())
                self.assertEqual(page.status_code, status)
                self.assertIn("text/html", page["Content-Type"])

    @override_settings(DEBUG=False)
    def test_a_server_error_under_the_api_answers_json(self):
        try:
            raise ValueError("bug")
        except ValueError:
            response = health.handler500(RequestFactory().get("/api/claims/"))

        body = self.assertJsonError(response, 500)
        self.assertNotIn("bug", body["detail"])

    @override_settings(DEBUG=False)
    def test_a_lost_database_under_the_api_answers_a_json_503(self):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = health.handler500(RequestFactory().get("/api/claims/"))

        self.assertJsonError(response, 503)
        self.assertEqual(response["Retry-After"], health.RETRY_AFTER)
