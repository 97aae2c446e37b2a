"""The browser the journeys drive: Debian's Chromium through Playwright, one per test class.

No browser is ever downloaded. CROSSCHECK_BROWSER names the executable
(default /usr/bin/chromium). When it is missing the journeys skip on a
developer's machine and fail in CI (CI set) or when CROSSCHECK_BROWSER names
a path that does not exist: there a missing browser is a broken setup, and a
skip would pass for a green run.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

DEFAULT_BROWSER = "/usr/bin/chromium"

# Headless and quiet: no sandbox (CI runs as root), no GPU, and none of the
# background traffic (updates, sync, QUIC probes) a test has no use for.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_path() -> str:
    """Return the browser executable to drive, as configured or by default."""
    configured = os.environ.get("CROSSCHECK_BROWSER", "").strip()
    return shutil.which(configured or DEFAULT_BROWSER) or configured or DEFAULT_BROWSER


def browser_must_run() -> bool:
    """Say whether a missing browser is a failure rather than a reason to skip."""
    ci = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
    return ci or bool(os.environ.get("CROSSCHECK_BROWSER", "").strip())


def missing_browser(reason: str) -> None:
    if browser_must_run():
        pytest.fail(f"{reason} (CI or CROSSCHECK_BROWSER is set, so the browser tests must run)")
    pytest.skip(f"{reason}; install Debian's chromium or set CROSSCHECK_BROWSER to run them")


@pytest.fixture(scope="class")
def chromium(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start Playwright and Chromium for one test class, as `cls.browser`."""
    executable = browser_path()
    if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
        missing_browser(f"No browser at {executable}")
    # Playwright's sync API keeps an asyncio event loop running in this
    # thread, so Django's async-safety check would refuse every ORM call the
    # tests make between steps. Nothing here runs concurrently with the ORM
    # (the live server answers in its own thread), so the check is lifted,
    # for the browser classes only.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # While that loop runs, Django's connection handler (an asgiref Local)
        # would give this thread fresh connection objects, without what the
        # test runner keeps on the originals (the serialized database that
        # `serialized_rollback` restores). Keep the same connections.
        before = {alias: connections[alias] for alias in connections}
        playwright = sync_playwright().start()
        for alias, connection in before.items():
            connections[alias] = connection
        try:
            request.cls.browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield
            request.cls.browser.close()
        finally:
            playwright.stop()
