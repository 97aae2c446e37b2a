from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from claims.models import Claim
from tests.cast import JanuaryCast
from tests.roles import RoleCast

LOGIN = reverse("login")
PASSWORD = "correct horse battery staple"
# A fast hasher: these tests check the login's protections, not hashing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class LoginTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = User.objects.create_user("mona", password=PASSWORD)

    def log_in(self, password=PASSWORD, username="mona", ip="203.0.113.7", **params):
        query = f"?next={params['next']}" if "next" in params else ""
        return self.client.post(
            LOGIN + query,
            {"username": username, "password": password, **params},
            REMOTE_ADDR=ip,
        )

    def test_it_shows_a_labelled_login_form(self):
        response = self.client.get(LOGIN)

        self.assertContains(response, "<title>Log in · Crosscheck</title>", html=False)
        self.assertContains(response, '<label for="id_username">Username</label>', html=True)
        self.assertContains(response, '<label for="id_password">Password</label>', html=True)
        self.assertContains(response, "csrfmiddlewaretoken")
        self.assertContains(response, "After 5 failed attempts")

    def test_a_username_no_account_can_have_is_refused_by_the_form_not_a_500(self):
        # PostgreSQL cannot hold a NUL: the throttle's lookup of such a name was a 500.
        for name in ("a\x00b", "\x00"):
            with self.subTest(name=name):
                response = self.log_in(username=name)

                self.assertEqual(response.status_code, 200)
                self.assertFalse(response.wsgi_request.user.is_authenticated)
                self.assertContains(response, "Null characters are not allowed.")

    def test_it_logs_in_and_goes_to_the_home_page(self):
        response = self.log_in()

        self.assertRedirects(response, reverse("claims:home"), fetch_redirect_response=False)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.user.pk)

    def test_it_goes_on_to_a_page_of_this_site(self):
        response = self.log_in(next="/moderation/")

        self.assertRedirects(response, "/moderation/", fetch_redirect_response=False)

    def test_next_cannot_send_a_user_off_site(self):
        for target in [
            "https://evil.example/",
            "//evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "/\\evil.example/",
        ]:
            with self.subTest(target):
                self.client.logout()

                response = self.log_in(next=target)

                self.assertRedirects(
                    response, reverse("claims:home"), fetch_redirect_response=False
                )

    def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(self):
        response = self.log_in(password="wrong")

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter a correct username and password.")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_locks_the_username_from_that_address_after_five_failures_and_says_to_wait(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(password="wrong")

        response = self.log_in()

        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed logins: please wait", status_code=429)
        self.assertContains(response, "Wait 15 minutes", status_code=429)
        self.assertEqual(response["Retry-After"], "900")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_failures_from_other_addresses_cannot_lock_the_real_user_out(self):
        for i in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(password="wrong", ip=f"198.51.100.{i}")

        response = self.log_in(ip="192.0.2.99")

        self.assertEqual(response.status_code, 302)

    def test_failures_on_other_usernames_do_not_lock_an_address(self):
        User.objects.create_user("ed", password=PASSWORD)
        for i in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(username=f"guess{i}", password="wrong")

        response = self.log_in(username="ed")

        self.assertEqual(response.status_code, 302)

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_behind_one_proxy_it_locks_the_forwarded_client_not_the_load_balancer(self):
        def via_balancer(client_ip: str, password: str):
            return self.client.post(
                LOGIN,
                {"username": "mona", "password": password},
                REMOTE_ADDR="10.0.0.2",
                # A forged left-most entry is ignored: the balancer appended the real one.
                HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_ip}",
            )

        for _ in range(settings.AXES_FAILURE_LIMIT):
            via_balancer("198.51.100.1", "wrong")

        self.assertEqual(via_balancer("198.51.100.1", PASSWORD).status_code, 429)
        self.assertEqual(via_balancer("192.0.2.50", PASSWORD).status_code, 302)

    @override_settings(USERNAME_THROTTLE_FAILURES=6, USERNAME_THROTTLE_SECONDS=60)
    def test_many_failures_from_many_addresses_slow_a_username_down_without_locking_it(self):
        for i in range(6):
            self.log_in(password="wrong", ip=f"198.51.100.{i}")

        passed = self.log_in(password="wrong", ip="192.0.2.1")
        waits = self.log_in(ip="192.0.2.2")

        self.assertEqual(passed.status_code, 200)  # one attempt a minute goes through
        self.assertEqual(waits.status_code, 429)
        self.assertEqual(waits["Retry-After"], "60")
        self.assertContains(waits, "One attempt every 60 seconds", status_code=429)

    def test_a_success_before_the_limit_resets_the_count(self):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            self.log_in(password="wrong")
        self.log_in()
        self.client.logout()

        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            self.log_in(password="wrong")
        response = self.log_in()

        self.assertEqual(response.status_code, 302)

    def test_logout_is_by_post_only(self):
        self.client.force_login(self.user)

        self.assertEqual(self.client.get(reverse("logout")).status_code, 405)
        self.assertIn("_auth_user_id", self.client.session)

        response = self.client.post(reverse("logout"))

        self.assertRedirects(response, reverse("claims:home"), fetch_redirect_response=False)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_header_links_to_the_login_page_and_back(self):
        response = self.client.get(reverse("claims:home"))

        self.assertContains(response, f'href="{LOGIN}?next=/"')

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_reading_that_requires_a_login_sends_readers_to_this_page(self):
        response = self.client.get(reverse("claims:home"))

        self.assertRedirects(response, f"{LOGIN}?next=/", fetch_redirect_response=False)


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class CsrfTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        self.client = Client(enforce_csrf_checks=True)

    def test_a_moderation_post_without_a_token_is_refused(self):
        self.client.force_login(self.moderator)

        response = self.client.post(
            reverse("claims:claim_retract", args=[self.some_released.pk]), {"reason": "x"}
        )

        self.assertEqual(response.status_code, 403)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.state, Claim.State.APPROVED)

    def test_a_login_without_a_token_is_refused(self):
        User.objects.create_user("mona2", password=PASSWORD)

        response = self.client.post(LOGIN, {"username": "mona2", "password": PASSWORD})

        self.assertEqual(response.status_code, 403)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_post_with_the_token_from_the_page_goes_through(self):
        self.client.force_login(self.moderator)
        page = self.client.get(reverse("claims:claim_moderate", args=[self.some_released.pk]))
        token = page.context["csrf_token"]

        response = self.client.post(
            reverse("claims:claim_retract", args=[self.some_released.pk]),
            {"reason": "Misquoted", "csrfmiddlewaretoken": str(token)},
        )

        self.assertEqual(response.status_code, 302)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.state, Claim.State.RETRACTED)
