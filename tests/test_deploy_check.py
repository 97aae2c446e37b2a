"""Production settings: `manage.py check --deploy` is clean with DEBUG off and real secrets."""

import os
import secrets
import string
import subprocess
import sys

from django.conf import settings
from django.test import SimpleTestCase


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def random_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(50))


class DeployCheckTests(SimpleTestCase):
    def test_it_reports_no_issue_in_production_mode(self):
        result = manage(
            "check", "--deploy", "--fail-level", "WARNING",
            DEBUG="0", SECRET_KEY=random_secret(), ALLOWED_HOSTS="example.org",
        )  # fmt: skip

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues (0 silenced).", result.stdout)

    def test_it_refuses_to_start_without_a_secret_key(self):
        result = manage("check", DEBUG="0", ALLOWED_HOSTS="example.org")

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set when DEBUG is off.", result.stderr)
