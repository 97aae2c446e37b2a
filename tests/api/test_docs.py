"""
The API describes itself: an OpenAPI 3 schema at /api/schema/ that validates
without warnings, and a docs page at /api/docs/ whose scripts and styles are
all this site's own files (the CSP allows no inline script or style, no CDN).
"""

import re
from io import StringIO

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from tests.editors import EditorialCast


class SchemaTests(TestCase):
    def test_the_schema_is_openapi_3_and_lists_every_resource(self):
        response = self.client.get(reverse("api:schema"), HTTP_ACCEPT="application/json")

        self.assertEqual(response.status_code, 200)
        schema = response.json()
        self.assertTrue(schema["openapi"].startswith("3."))
        self.assertEqual(schema["info"]["title"], "Crosscheck API")
        for path in [
            "/api/claims/",
            "/api/claims/{id}/approve/",
            "/api/conflicts/{id}/resolve/",
            "/api/notes/{id}/hide/",
            "/api/sources/",
            "/api/documents/",
            "/api/topics/",
            "/api/detainees/",
        ]:
            self.assertIn(path, schema["paths"])

    def test_it_documents_the_409_of_a_stale_edit_and_the_400_of_a_refused_body(self):
        schema = self.client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()

        patch = schema["paths"]["/api/claims/{id}/"]["patch"]
        ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

        self.assertLessEqual({"200", "400", "401", "403", "404", "409"}, set(patch["responses"]))
        self.assertEqual(body["required"], ["version"])
        self.assertNotIn("delete", schema["paths"]["/api/claims/{id}/"])

    def test_the_list_filters_are_the_html_filtersets(self):
        schema = self.client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()

        names = {p["name"] for p in schema["paths"]["/api/claims/"]["get"]["parameters"]}

        self.assertLessEqual(
            {"q", "source", "source_kind", "affiliation", "topic", "detainee", "kind", "stance"}
            | {"language", "stated_after", "stated_before", "in_open_conflict", "sort", "page"},
            names,
        )

    def test_spectacular_validates_it_without_a_warning(self):
        out, err = StringIO(), StringIO()

        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)

        self.assertNotIn("Warning", err.getvalue())


class DocsPageTests(EditorialCast, TestCase):
    def test_the_docs_page_loads_only_this_sites_scripts_and_styles(self):
        response = self.client.get(reverse("api:docs"))

        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertNotIn("<style", html)
        self.assertEqual(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html), [])
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        self.assertGreaterEqual(len(sources), 4)
        for url in sources:
            with self.subTest(url):
                self.assertTrue(url.startswith("/"), url)
                if url.startswith("/static/"):
                    self.assertIsNotNone(finders.find(url.removeprefix("/static/")), url)
                else:
                    self.assertEqual(self.client.get(url).status_code, 200)

    def test_its_start_up_script_points_at_the_schema(self):
        response = self.client.get(reverse("api:docs"), {"script": ""})

        self.assertEqual(response.status_code, 200)
        self.assertIn("javascript", response["Content-Type"])
        self.assertIn(reverse("api:schema"), response.content.decode())

    def test_the_page_is_served_under_the_sites_csp(self):
        response = self.client.get(reverse("api:docs"))

        policy = response["Content-Security-Policy"]
        self.assertIn("script-src 'self'", policy)
        self.assertNotIn("unsafe-inline", policy)
