"""
Hostile input that once gave a 500 or reached the database: a failed login
with a huge username; a 100,000-deep JSON body; a body of any size; list
parameters no form offers (`claims=²` on bulk approval, `page=abc`).
"""

from axes.models import AccessAttempt
from django.test import TestCase, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from api.conventions import MAX_DEPTH
from claims.models import Claim, Topic
from tests.editors import EditorialCast


class HugeUsernameTests(TestCase):
    def test_a_failed_login_with_a_huge_username_is_refused_not_a_server_error(self):
        response = self.client.post(
            "/accounts/login/", {"username": "A" * 3000, "password": "wrong"}
        )

        self.assertEqual(response.status_code, 200)
        (attempt,) = AccessAttempt.objects.all()
        self.assertEqual(attempt.username, "A" * 255)

    def test_repeated_huge_usernames_still_lock_out(self):
        for _ in range(5):
            self.client.post("/accounts/login/", {"username": "B" * 1000, "password": "wrong"})

        response = self.client.post(
            "/accounts/login/", {"username": "B" * 1000, "password": "wrong"}
        )

        self.assertEqual(response.status_code, 429)


class HostileJsonTests(EditorialCast, TestCase):
    """The API reads a body of bounded size and depth, and says what is wrong with it."""

    def post(self, body: bytes | str, **headers):
        token, _ = Token.objects.get_or_create(user=self.edna)
        return self.client.generic(
            "POST",
            "/api/topics/",
            body,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}", **headers},
        )

    def assertRefused(self, response, status: int, words: str) -> None:
        self.assertEqual(response.status_code, status, response.content[:300])
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn(words, str(response.json()))

    def test_a_100000_deep_body_is_refused_with_a_400_not_a_recursion_error(self):
        for body in ["[" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000]:
            with self.subTest(body[:5]):
                self.assertRefused(self.post(body), 400, "more than 20 levels deep")

    def test_a_body_nested_past_the_limit_but_within_recursion_is_refused_too(self):
        body = '{"title": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"

        self.assertRefused(self.post(body), 400, "levels deep")

    def test_a_body_within_the_depth_limit_reaches_the_form(self):
        response = self.post('{"title": [["x"]]}')

        self.assertRefused(response, 400, "Expected text")

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_a_body_over_the_size_limit_answers_413_before_it_is_parsed(self):
        body = '{"title": "' + "x" * 1000 + '", "question": "Why?"}'
        topics = Topic.objects.count()

        self.assertRefused(self.post(body), 413, "larger than 1,000 bytes")
        self.assertEqual(Topic.objects.count(), topics)

    def test_a_body_that_is_not_utf_8_is_refused_with_a_400(self):
        self.assertRefused(self.post(b'{"title": "\xff"}'), 400, "not valid utf-8")

    def test_a_lone_surrogate_anywhere_in_the_body_is_refused_with_a_400(self):
        for body in ['{"title": "a\\ud800b"}', '{"\\udfff": 1}', '{"title": ["x", "\\ud83d"]}']:
            with self.subTest(body):
                self.assertRefused(self.post(body), 400, "lone surrogate")

    def test_a_surrogate_pair_is_a_character_and_kept(self):
        response = self.post('{"title": "Pairs \\ud83d\\ude00", "question": "Why?"}')

        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Topic.objects.get(title__startswith="Pairs").title, "Pairs 😀")

    def test_nan_and_infinity_are_not_json(self):
        self.assertRefused(self.post('{"window_days": NaN}'), 400, "not valid JSON")


class HostileListParameterTests(EditorialCast, TestCase):
    """A page or a list of ids no form offers answers 400 saying so, never a 500."""

    def test_a_page_or_page_size_that_is_no_whole_number_answers_400_naming_it(self):
        for name in ["page", "page_size"]:
            for value in ["abc", "²", "١", "-1", "0", "1.5", "last"]:
                with self.subTest(name=name, value=value):
                    response = self.client.get("/api/claims/", {name: value})
                    self.assertEqual(response.status_code, 400)
                    self.assertEqual(response.json(), {name: ["Enter a whole number, 1 or more."]})

    def test_a_page_with_thousands_of_digits_is_past_the_last_page(self):
        self.assertEqual(self.client.get("/api/claims/", {"page": "9" * 5000}).status_code, 404)
        response = self.client.get("/api/claims/", {"page_size": "9" * 5000})
        self.assertEqual(response.status_code, 200)

    def test_an_unknown_sort_or_filter_value_answers_400_naming_it(self):
        for params in [{"sort": "pk"}, {"kind": "²"}, {"stated_after": "2015-99-99"}]:
            with self.subTest(params):
                response = self.client.get("/api/claims/", params)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(set(response.json()), set(params))

    def test_the_web_lists_answer_odd_pages_and_filters_without_a_server_error(self):
        for url in ["/claims/", "/conflicts/", "/sources/", "/detainees/"]:
            for params in [{"page": "²"}, {"page": "9" * 5000}, {"sort": "²"}, {"topic": "²"}]:
                with self.subTest(url=url, params=params):
                    self.assertEqual(self.client.get(url, params).status_code, 200)

    def test_bulk_approval_of_a_value_that_is_no_claim_id_answers_400_and_approves_nothing(self):
        pending = self.draft(self.edna)
        pending.submit(by=self.edna)
        self.client.force_login(self.mo)
        for value in ["²", "١", "-1", "1.5", "9" * 5000]:
            with self.subTest(value[:10]):
                response = self.client.post(
                    reverse("claims:claims_bulk_approve"), {"claims": [pending.pk, value]}
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn("is not a claim id", response.content.decode())
                pending.refresh_from_db()
                self.assertEqual(pending.state, Claim.State.PENDING)
