"""The 404, 403, 500 and 503 pages: in the site's layout, saying what happened and where to go."""

from unittest import mock

from django.db.backends.base.base import BaseDatabaseWrapper
from django.template.loader import render_to_string
from django.test import TestCase, override_settings

from tests.roles import RoleCast
from tests.test_health import database_gone


class ErrorPageTestCase(RoleCast, TestCase):
    def assert_in_layout_with_ways_on(self, response, status: int) -> None:
        self.assertEqual(response.status_code, status)
        self.assertContains(response, '<nav aria-label="Main">', status_code=status)
        self.assertContains(response, "/static/crosscheck/site.css", status_code=status)
        self.assertContains(response, "Where to go from here", status_code=status)
        self.assertContains(response, 'href="/claims/"', status_code=status)
        self.assertContains(response, f"Error {status}", status_code=status)
        self.assertNotContains(response, "Traceback", status_code=status)


class NotFoundPageTests(ErrorPageTestCase):
    def test_it_says_there_is_no_page_at_the_address_and_where_to_go(self):
        response = self.client.get("/no-such-page/")

        self.assert_in_layout_with_ways_on(response, 404)
        self.assertContains(response, "There is no page at this address", status_code=404)
        self.assertContains(response, "<code>/no-such-page/</code>", status_code=404)

    def test_a_claim_that_is_not_public_answers_the_same_page(self):
        response = self.client.get("/claims/999999/")

        self.assert_in_layout_with_ways_on(response, 404)


class ForbiddenPageTests(ErrorPageTestCase):
    def test_it_tells_a_logged_in_reader_which_role_is_missing_and_that_nothing_changed(self):
        self.client.force_login(self.reader)

        response = self.client.get("/moderation/")

        self.assert_in_layout_with_ways_on(response, 403)
        self.assertContains(response, "You are not allowed to do this", status_code=403)
        self.assertContains(response, "logged in as <strong>rita</strong>", status_code=403)
        self.assertContains(response, "Nothing was changed.", status_code=403)


@override_settings(ROOT_URLCONF="tests.error_urls")
class ServerErrorPageTests(ErrorPageTestCase):
    def test_a_bug_answers_the_500_page_in_the_sites_layout(self):
        self.client.raise_request_exception = False

        with self.assertLogs("django.request", "ERROR"):
            response = self.client.get("/fail/")

        self.assert_in_layout_with_ways_on(response, 500)
        self.assertContains(response, "Something went wrong on our side", status_code=500)
        self.assertNotContains(response, "A bug, for", status_code=500)

    def test_it_renders_with_no_request_and_no_context_at_all(self):
        html = render_to_string("500.html")

        self.assertIn("Something went wrong on our side", html)
        self.assertIn("Where to go from here", html)
        self.assertIn('href="/"', html)


class UnavailablePageTests(ErrorPageTestCase):
    def test_a_lost_database_answers_the_503_page_with_where_to_go(self):
        with mock.patch.object(BaseDatabaseWrapper, "cursor", database_gone):
            response = self.client.get("/claims/")

        self.assert_in_layout_with_ways_on(response, 503)
        self.assertContains(response, "Crosscheck is temporarily unavailable", status_code=503)
