"""What every browser journey shares: a live server with the demo case, and the checks at each step.

At each step of a journey `arrive()` checks what any page must get right
before the journey looks at what this page says: no failed request, no
script error, no request leaving the app (no CDN), and no serious or
critical axe-core violation; then it saves a full-page screenshot to
test-artifacts/screenshots/<journey>/<NN>-<step>.png.
"""

import re
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from playwright.sync_api import BrowserContext, Locator, Page, expect

from claims.models import Claim, Document, Topic
from sources.models import Source

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
DEMO_CASE = Path(settings.BASE_DIR) / "cases" / "cuba-2015-01.json"

# The password every journey's users log in with through the real login page.
PASSWORD = "a long journey password"

HTMX_ABORT = re.compile(r"htmx:(sendAbort|afterRequest)\b")

# What an axe-core violation must reach to fail a journey.
BLOCKING_IMPACTS = {"serious", "critical"}


# What the editor journey enters and the moderator journey decides on: a new
# source saying "some of the 53" were released on Jan 7. Against Elizardo
# Sanchez's Jan 6 "no information" it is a gap; against Jen Psaki's "some" it
# agrees, so that gap is the only conflict it raises.
NEW_SOURCE = "Example Wire, Havana bureau"
NEW_QUOTE = "Relatives told us that some of the 53 have already walked free."
NEW_SUMMARY = "Some of the 53 released, relatives say"
NEW_STATED_ON = date(2015, 1, 7)
RELEASE_TOPIC = "Release of the 53 prisoners"
DEMO_DOCUMENT = "US: Cuba Has Released Some of 53 'Political' Prisoners"
SANCHEZ_NO_INFORMATION = "No information on any release"


def field(scope: Page | Locator, label: str) -> Locator:
    """Return the control labelled exactly `label` (Django's forms may add a colon)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def query(page: Page) -> dict[str, list[str]]:
    """Return the page's query string, parsed."""
    return parse_qs(urlsplit(page.url).query)


# Logging in is real (the login page, django-axes, the session); only the
# hashing is cheap, as a test needs no protection against stolen hashes.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
@pytest.mark.usefixtures("chromium")
class BrowserTestCase(StaticLiveServerTestCase):
    """A live server (static files included) with the January 2015 case loaded for each test."""

    # The journey's name: its screenshots go to test-artifacts/screenshots/<journey>/.
    journey = "journey"
    # The viewport's width: each journey runs again at 360 px, a small phone,
    # where no page may scroll sideways.
    width = 1280
    # 127.0.0.1 rather than localhost, which Chromium may resolve to ::1 first.
    host = "127.0.0.1"
    # Each test flushes the database; this restores what migrations wrote
    # (the role groups among it) before the next one.
    serialized_rollback = True

    @classmethod
    def tearDownClass(cls) -> None:
        # The last test's flush skipped post_migrate (serialized_rollback does),
        # leaving no content types, permissions or roles: put back what the
        # migrations wrote, for whatever tests run after these.
        for alias in cls._databases_names(include_mirrors=False):
            connection = connections[alias]
            if hasattr(connection, "_test_serialized_contents"):
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        call_command("import_case", str(DEMO_CASE), verbosity=0)
        self.steps = 0
        self.problems: list[str] = []
        self.scriptless: list[BrowserContext] = []
        self.context = self.new_context()
        self.page = self.context.new_page()

    def new_context(self, **options) -> BrowserContext:
        """Open a fresh browser context (its own cookies) that reports what goes wrong."""
        context = self.browser.new_context(
            base_url=self.live_server_url, viewport={"width": self.width, "height": 900}, **options
        )
        context.set_default_timeout(10_000)
        if options.get("java_script_enabled") is False:
            self.scriptless.append(context)
        # Anything that leaves the app is refused and reported: all assets
        # must be served by the app itself.
        context.route(lambda url: not url.startswith(f"{self.live_server_url}/"), self.refuse)
        context.on("page", self.watch)
        self.addCleanup(context.close)
        return context

    def refuse(self, route) -> None:
        self.problems.append(f"request outside the app: {route.request.url}")
        route.abort()

    def watch(self, page: Page) -> None:
        def on_response(response) -> None:
            # Chromium asks for /favicon.ico on its own; no person sees that 404.
            if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                self.problems.append(f"HTTP {response.status} for {response.url}")

        def on_console(message) -> None:
            # htmx logs a request it cancelled for a newer one (hx-sync) as an
            # error; a failed request is reported by its status instead.
            if message.type == "error" and not HTMX_ABORT.match(message.text):
                self.problems.append(f"console error: {message.text}")

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    # Users -----------------------------------------------------------------

    def make_user(self, username: str, role: str) -> User:
        """Create a user in one of the role groups the migrations create."""
        user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        return user

    def submit_editors_claim(self, editor: User) -> Claim:
        """Submit, as the editor journey does, the new source's "some of 53" for review."""
        wire = Source.objects.create(name=NEW_SOURCE, kind=Source.Kind.MEDIA)
        claim = Claim(
            source=wire,
            topic=Topic.objects.get(title=RELEASE_TOPIC),
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=1,
            quantity_max=53,
            quote=NEW_QUOTE,
            summary=NEW_SUMMARY,
            stated_on=NEW_STATED_ON,
            document=Document.objects.get(title=DEMO_DOCUMENT),
            created_by=editor,
        )
        claim.full_clean()
        claim.save()
        claim.submit(by=editor)
        return claim

    def log_in(self, page: Page, username: str) -> None:
        """Log in through the real login page, as a person would: from the header's link."""
        page.get_by_role("link", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Log in", re.I))
        self.arrive(page, "login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()
        expect(page.get_by_role("button", name=f"Log out {username}")).to_be_visible()

    # Checks at each step ---------------------------------------------------

    def arrive(self, page: Page, step: str) -> None:
        """Check the page reached at a step, and keep a screenshot of it."""
        page.wait_for_load_state("load")
        problems, self.problems[:] = list(self.problems), []
        folder = SCREENSHOTS / self.journey
        if not self.steps:
            shutil.rmtree(folder, ignore_errors=True)  # no stale steps from an earlier run
        self.steps += 1
        name = f"{self.steps:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.screenshot(path=folder / name, full_page=True)
        if problems:
            self.fail(f"step {step!r} at {page.url}:\n- " + "\n- ".join(problems))
        self.assert_no_sideways_scroll(page, step)
        self.assert_accessible(page, step)

    @property
    def narrow(self) -> bool:
        return self.width < 720

    def assert_no_sideways_scroll(self, page: Page, step: str) -> None:
        """Fail when the page is wider than the viewport (it would scroll sideways)."""
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > self.width:
            wide = page.evaluate(
                """limit => [...document.querySelectorAll("main *")]
                    .filter(e => e.getBoundingClientRect().right > limit + 1)
                    .slice(0, 5).map(e => e.tagName.toLowerCase() + "." + e.className)""",
                self.width,
            )
            self.fail(f"step {step!r} at {page.url} is {width} px wide at {self.width}: {wide}")

    def assert_accessible(self, page: Page, step: str) -> None:
        """Run axe-core on the page; fail on any serious or critical violation."""
        if page.context in self.scriptless:
            # axe-core is a script and cannot run where scripts are off: the
            # very document this page got is checked in a page that runs them.
            html, url = page.content(), page.url
            copy = self.context.new_page()
            copy.route(
                lambda u: u == url,
                lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
            )
            copy.goto(url)
            try:
                violations = self.axe(copy)
            finally:
                copy.close()
        else:
            violations = self.axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            report = "\n".join(
                f"- {v['id']} ({v['impact']}): {v['help']}; on {', '.join(v['targets'][:8])}"
                + (f" and {len(v['targets']) - 8} more" if len(v["targets"]) > 8 else "")
                for v in blocking
            )
            self.fail(f"axe-core on step {step!r} at {page.url}:\n{report}")

    def axe(self, page: Page) -> list[dict]:
        """Return axe-core's violations on the page: id, impact, help and the nodes' targets."""
        if page.evaluate("typeof window.axe") == "undefined":
            # Not page.add_script_tag(): the app's Content-Security-Policy
            # (script-src 'self') refuses an inline <script>, and it stays on
            # so that the journeys see what the CSP breaks. Code evaluated
            # through the DevTools protocol is not subject to it.
            page.evaluate("source => (0, eval)(source)", AXE_SOURCE)
        return page.evaluate(
            """async () => {
                const results = await axe.run(document, {resultTypes: ["violations"]});
                return results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map(n => n.target.join(" ")),
                }));
            }"""
        )
