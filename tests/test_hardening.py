"""Hostile input that once reached the database: a failed login with a huge username."""

from axes.models import AccessAttempt
from django.test import TestCase


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
