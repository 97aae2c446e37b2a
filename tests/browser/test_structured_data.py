"""Structured data and feeds in a real browser: JSON-LD breaks no Content-Security-Policy.

The app's CSP allows no inline script. A <script type="application/ld+json">
is a data block, which the browser never runs, so the CSP does not apply
to it: this checks that Chromium agrees (no `securitypolicyviolation` event,
no console error) on a claim page carrying a ClaimReview, and that the page
itself can read the block back. A control shows the listener does catch a
real inline script. The topic page's feed links, as the browser resolves
them, answer Atom.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from playwright.sync_api import expect

from claims.models import Conflict
from tests.browser.journey import RELEASE_TOPIC, BrowserTestCase

# Installed before any page script: records every CSP violation the page reports.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
class StructuredDataTests(BrowserTestCase):
    journey = "structured-data"

    def setUp(self) -> None:
        super().setUp()
        moderator = User.objects.create_user("morgan")
        self.gap = Conflict.objects.filter(topic__title=RELEASE_TOPIC, kind="gap").first()
        self.gap.resolve(by=moderator, outcome="a_right", rationale="Confirmed on Jan 12")
        self.claim = self.gap.claim_a
        self.context.add_init_script(RECORD_VIOLATIONS)

    def test_a_claim_page_with_a_claim_review_breaks_no_csp_and_reads_back(self):
        page = self.page

        page.goto(self.claim.get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text(self.claim.summary)
        self.arrive(page, "claim with a review")

        review = page.evaluate(
            """() => JSON.parse(
                document.querySelector('script[type="application/ld+json"]').textContent)"""
        )
        self.assertEqual(review["@type"], "ClaimReview")
        # On the canonical site address (SITE_URL), whatever host served the page.
        self.assertEqual(review["url"], f"{settings.SITE_URL}{self.claim.get_absolute_url()}")
        self.assertEqual(review["reviewRating"]["alternateName"], "True")
        self.assertEqual(page.evaluate("window.cspViolations"), [])

        # Control: an inline script the page did not ship is refused, and seen.
        page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.ran = true"; document.head.append(s); }"""
        )
        page.wait_for_function("window.cspViolations.length > 0")
        self.assertEqual(page.evaluate("window.ran === true"), False)
        self.assertIn("script-src", page.evaluate("window.cspViolations")[0])
        self.problems.clear()  # the control's console error is expected

    def test_the_topic_pages_feed_links_answer_atom(self):
        page = self.page

        page.goto(self.claim.topic.get_absolute_url())
        self.arrive(page, "topic with feeds")

        hrefs = page.evaluate(
            """() => [...document.querySelectorAll(
                'head link[rel="alternate"][type="application/atom+xml"]')].map(l => l.href)"""
        )
        self.assertEqual(len(hrefs), 2)
        for href in hrefs:
            response = page.request.get(href)
            self.assertEqual(response.status, 200)
            self.assertTrue(response.headers["content-type"].startswith("application/atom+xml"))
        visible = page.get_by_role("link", name="new open conflicts on this topic")
        self.assertEqual(
            f"{self.live_server_url}{visible.get_attribute('href')}",
            hrefs[0],
        )
