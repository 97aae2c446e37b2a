"""
The API describes itself: an OpenAPI 3 schema at /api/schema/ that validates
without warnings, and a docs page at /api/docs/ whose scripts and styles are
all this site's own files (the CSP allows no inline script or style, no CDN).
"""

import re
from io import StringIO

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token

from api.schema import LOGIN_ONLY
from claims.models import QUANTITY_LIMIT
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


def the_schema(client) -> dict:
    return client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()


def body_of(schema: dict, path: str, method: str) -> dict:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return schema["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[1]]


class SchemaTellsTheTruthTests(EditorialCast, TestCase):
    """What the schema says is what the API does: an outside validator and the views agree."""

    def test_openapi_spec_validator_finds_it_valid(self):
        validate(the_schema(self.client))  # Raises on the first error.

    def test_reads_are_public_and_writes_need_a_token_or_a_session(self):
        schema = the_schema(self.client)

        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                with self.subTest(f"{method} {path}"):
                    self.assertIn({"tokenAuth": []}, operation["security"])
                    # One's own watches and notifications need a login to read too.
                    public = method == "get" and not path.startswith(LOGIN_ONLY)
                    self.assertEqual({} in operation["security"], public)
        self.assertEqual(self.client.get("/api/claims/").status_code, 200)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_when_reading_requires_a_login_no_read_is_public(self):
        schema = the_schema(self.client)

        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                if path != "/api/schema/":
                    self.assertNotIn({}, operation["security"], f"{method} {path}")

    def test_a_required_string_carries_its_minimum_length_and_refuses_blank(self):
        body = body_of(the_schema(self.client), "/api/topics/", "post")

        self.assertEqual(body["properties"]["title"]["minLength"], 1)
        self.assertRegex("x", body["properties"]["title"]["pattern"])
        self.assertNotRegex("   ", body["properties"]["title"]["pattern"])

    def test_integers_carry_the_bounds_their_validators_check(self):
        body = body_of(the_schema(self.client), "/api/topics/", "post")

        self.assertEqual(body["properties"]["window_days"]["minimum"], 0)
        self.assertEqual(body["properties"]["window_days"]["maximum"], 36500)
        # Counts are bounded by one constant, the same on every database and every way in.
        self.assertEqual(body["properties"]["quantity_min"]["minimum"], 0)
        self.assertEqual(body["properties"]["quantity_min"]["maximum"], QUANTITY_LIMIT)
        self.assertEqual(body["properties"]["quantity_max"]["maximum"], QUANTITY_LIMIT)

    def test_a_required_choice_offers_no_blank(self):
        kind = body_of(the_schema(self.client), "/api/sources/", "post")["properties"]["kind"]

        self.assertEqual(kind, {"$ref": "#/components/schemas/SourceKindEnum"})

    def test_a_link_carries_its_schemes(self):
        schema = the_schema(self.client)
        url = body_of(schema, "/api/sources/", "post")["properties"]["url"]
        patterns = {url["pattern"]}
        for path, name in [
            ("/api/claims/", "citation_url"),
            ("/api/documents/", "archive_url"),
            ("/api/conflicts/{id}/resolve/", "evidence_url"),
        ]:
            patterns.add(body_of(schema, path, "post")["properties"][name]["pattern"])

        self.assertEqual(len(patterns), 1)
        (pattern,) = patterns
        for link in ["https://example.org/a", "HTTP://example.org", ""]:
            self.assertRegex(link, pattern)
        for link in ["javascript:alert(1)", "ftp://example.org", "example.org"]:
            self.assertNotRegex(link, pattern)

    def test_choice_filters_list_their_choices_those_from_the_data_too(self):
        schema = the_schema(self.client)
        parameters = {
            (path, p["name"]): p["schema"]
            for path in ["/api/claims/", "/api/conflicts/", "/api/sources/", "/api/notes/"]
            for p in schema["paths"][path]["get"]["parameters"]
        }

        self.assertEqual(parameters["/api/claims/", "in_open_conflict"]["enum"], ["", "no", "yes"])
        self.assertEqual(parameters["/api/claims/", "in_open_conflict"]["type"], "string")
        self.assertEqual(parameters["/api/claims/", "language"]["enum"], ["", "en"])
        self.assertIn("resolved", parameters["/api/conflicts/", "status"]["enum"])
        self.assertEqual(parameters["/api/sources/", "country"]["enum"], ["", "CU", "US"])
        self.assertIn("track_record", parameters["/api/notes/", "aspect"]["enum"])

    def test_every_body_forbids_unknown_fields_and_the_api_refuses_them(self):
        schema = the_schema(self.client)
        bodies = [
            (path, method)
            for path, operations in schema["paths"].items()
            for method, operation in operations.items()
            if "requestBody" in operation
        ]
        self.assertGreater(len(bodies), 20)
        for path, method in bodies:
            with self.subTest(f"{method} {path}"):
                self.assertIs(body_of(schema, path, method)["additionalProperties"], False)

        token, _ = Token.objects.get_or_create(user=self.mo)
        mine = self.draft(self.mo)
        for path in [
            "/api/topics/",
            f"/api/claims/{mine.pk}/submit/",
            f"/api/notes/{self.psaki_note.pk}/hide/",
            f"/api/claims/{self.monday.pk}/retract/",
        ]:
            with self.subTest(path):
                response = self.client.post(
                    path,
                    {"reason": "Checked", "title": "T", "question": "Q?", "tpyo": 1},
                    content_type="application/json",
                    headers={"Authorization": f"Token {token.key}"},
                )
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn("Unknown field", response.json()["tpyo"][0])


class SchemaAndApiAgreeTests(EditorialCast, TestCase):
    """Each value the 100-example Schemathesis run found the two disagreeing on (issue 15):
    openapi-schema-validator reads the schema, the API answers, and both say the same."""

    def setUp(self) -> None:
        self.schema = the_schema(self.client)
        token, _ = Token.objects.get_or_create(user=self.edna)
        self.headers = {"Authorization": f"Token {token.key}"}

    def allows(self, schema: dict, value) -> bool:
        document = {**schema, "components": self.schema["components"]}
        return OAS30Validator(document, format_checker=OAS30Validator.FORMAT_CHECKER).is_valid(
            value
        )

    def parameter(self, path: str, name: str) -> dict:
        [found] = [p for p in self.schema["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found["schema"]

    def property(self, path: str, name: str) -> dict:
        return body_of(self.schema, path, "post")["properties"][name]

    def post(self, path: str, body: dict):
        return self.client.post(path, body, content_type="application/json", headers=self.headers)

    def test_an_empty_query_value_is_not_given_for_the_schema_as_for_the_lists(self):
        for path, name in [
            ("/api/claims/", "source"),
            ("/api/claims/", "stated_after"),
            ("/api/conflicts/", "detainee"),
            ("/api/notes/", "source"),
            ("/api/sources/", "page"),
            ("/api/topics/", "page_size"),
        ]:
            with self.subTest(path, name=name):
                self.assertTrue(self.allows(self.parameter(path, name), ""))
                self.assertFalse(self.allows(self.parameter(path, name), "x"))
                self.assertEqual(self.client.get(path, {name: ""}).status_code, 200)
                self.assertEqual(self.client.get(path, {name: "x"}).status_code, 400)

    def test_a_length_counts_the_text_as_sent_white_space_too(self):
        title = self.property("/api/topics/", "title")
        limit = title["maxLength"]
        padded, fits = "  " + "t" * (limit - 1), "t" * limit

        self.assertFalse(self.allows(title, padded))
        response = self.post("/api/topics/", {"title": padded, "question": "Q?"})
        self.assertEqual(response.status_code, 400)
        self.assertIn(f"at most {limit} characters", response.json()["title"][0])
        self.assertTrue(self.allows(title, fits))
        self.assertEqual(
            self.post("/api/topics/", {"title": fits, "question": "Q?"}).status_code, 201
        )

    def test_a_search_counts_as_typed(self):
        q = self.parameter("/api/claims/", "q")
        padded = "   " + "a" * (q["maxLength"] - 1)

        self.assertFalse(self.allows(q, padded))
        response = self.client.get("/api/claims/", {"q": padded})
        self.assertEqual(response.status_code, 400)
        self.assertIn("at most 200 characters", response.json()["q"][0])

    def test_an_optional_date_takes_null_or_empty_and_an_optional_list_null(self):
        arrested = self.property("/api/detainees/", "arrested_on")
        aliases = self.property("/api/detainees/", "aliases")
        for value in ["", None, "2015-01-02"]:
            self.assertTrue(self.allows(arrested, value), value)
        self.assertFalse(self.allows(arrested, "2015-02-31"))
        self.assertTrue(self.allows(aliases, None))

        response = self.post("/api/detainees/", {"name": "Ana", "arrested_on": "", "aliases": None})

        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual((response.json()["arrested_on"], response.json()["aliases"]), (None, []))

    def test_empty_optional_text_is_allowed_by_the_schema_as_by_the_form(self):
        place = self.property("/api/detainees/", "place_of_detention")

        self.assertTrue(self.allows(place, ""))
        self.assertTrue(self.allows(place, None))
        response = self.post("/api/detainees/", {"name": "Ana", "place_of_detention": ""})
        self.assertEqual(response.status_code, 201, response.content)

    def test_the_characters_the_text_policy_refuses_the_schema_refuses(self):
        name = self.property("/api/sources/", "name")
        for char in ["\x00", "\x0b", "\x1f", "\x85"]:
            with self.subTest(hex(ord(char))):
                self.assertFalse(self.allows(name, f"Gran{char}ma"))
                response = self.post("/api/sources/", {"name": f"Gran{char}ma", "kind": "media"})
                self.assertEqual(response.status_code, 400)
                self.assertIn("contains", response.json()["name"][0])
        self.assertTrue(self.allows(name, "Gran\tma"))


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
