"""A journalist's journey through the January 2015 case, in a real browser (issue 3).

Home → search "released" → only monitors → the topic of the 53 → the gap
between the State Department and the CCDHRN, side by side with both sources'
notes → the timeline's mark → the claim → its source. Each step checks what a
person sees, and `arrive()` checks the page itself (axe-core, no failed
request, a screenshot).
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from claims.models import Claim
from tests.browser.journey import RELEASE_TOPIC, BrowserTestCase, field, query

# The demo case's words, as a reader sees them.
SOME_RELEASED = "Some of the 53 released"  # Jen Psaki, official, Jan 6
NO_INFORMATION = "No information on any release"  # Elizardo Sanchez, monitor, Jan 6
NO_NAMES = "Has no names of released prisoners"  # Elizardo Sanchez, monitor
DECLINES = "Declines to name the 53, citing their safety"  # Josh Earnest: no "released"
# The newest note on the body each speaker speaks for (older ones are folded away).
STATE_NOTE = "Has not given the names of the 53, nor the number released so far."
CCDHRN_NOTE = "Said on Jan. 6 that it was not aware of any releases and had no names."


@pytest.mark.browser
class JournalistJourneyTests(BrowserTestCase):
    journey = "journalist"

    def results(self, page: Page) -> Locator:
        """Return the claims browser's list of results."""
        return page.locator("#results")

    def test_it_follows_a_journalist_from_a_search_to_a_source(self):
        page = self.page
        some_released = Claim.objects.get(summary=SOME_RELEASED)

        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Where sources disagree")
        self.arrive(page, "home")

        # The claims browser, reached from the main navigation.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
        expect(page).to_have_url(re.compile(r"/claims/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
        expect(page).to_have_title(re.compile("^Claims"))
        self.arrive(page, "claims browser")

        page.locator("main").get_by_role("searchbox", name="Search").fill("released")
        page.get_by_role("button", name="Show results").click()
        expect(page).to_have_url(re.compile(r"[?&]q=released"))
        expect(self.results(page)).to_contain_text(SOME_RELEASED)
        expect(self.results(page)).to_contain_text(NO_NAMES)
        expect(self.results(page)).not_to_contain_text(DECLINES)
        expect(page).to_have_title(re.compile("^Claims matching “released”"))
        # Psaki's card says it is disputed, and links to the gap.
        psaki_card = self.results(page).locator("article.claim").filter(has_text=SOME_RELEASED)
        badge = psaki_card.get_by_role("link", name="In an open gap with Elizardo Sanchez")
        expect(badge).to_be_visible()
        self.arrive(page, "search released")

        # With JavaScript on, htmx swaps in the results without leaving the
        # page, and keeps the filters in the address bar so it can be shared.
        page.evaluate("() => { window.stillTheSamePage = true; }")
        field(page, "Source kind").select_option("monitor")
        page.get_by_role("button", name="Show results").click()
        expect(self.results(page)).not_to_contain_text(SOME_RELEASED)
        expect(self.results(page)).to_contain_text(NO_NAMES)
        expect(page).to_have_url(re.compile(r"[?&]source_kind=monitor"))
        self.assertEqual(query(page).get("q"), ["released"])
        self.assertTrue(
            page.evaluate("() => window.stillTheSamePage === true"),
            "filtering reloaded the whole page instead of updating the list in place",
        )
        expect(field(page, "Source kind")).to_have_value("monitor")
        self.arrive(page, "filter monitors")

        # The topic of the 53, from the topics the home page lists.
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Topics and conflicts"
        ).click()
        page.get_by_role("link", name=RELEASE_TOPIC, exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)
        expect(page).to_have_title(re.compile(RELEASE_TOPIC))

        # The gap, side by side, each claim with its source's notes.
        gap = page.locator("section.conflict-gap").filter(has_text=SOME_RELEASED)
        expect(gap).to_have_count(1)
        expect(gap).to_contain_text("Gap")
        psaki = gap.locator("article.claim").filter(has_text=SOME_RELEASED)
        sanchez = gap.locator("article.claim").filter(has_text=NO_INFORMATION)
        expect(psaki).to_contain_text("Jen Psaki")
        expect(sanchez).to_contain_text("Elizardo Sanchez")
        expect(psaki.get_by_role("complementary").get_by_text(STATE_NOTE)).to_be_visible()
        expect(sanchez.get_by_role("complementary").get_by_text(CCDHRN_NOTE)).to_be_visible()
        left, right = psaki.bounding_box(), sanchez.bounding_box()
        if self.narrow:  # One above the other on a phone.
            self.assertLess(abs(left["x"] - right["x"]), 5, "the two claims are not stacked")
            self.assertGreater(right["y"], left["y"])
        else:
            self.assertLess(abs(left["y"] - right["y"]), 5, "the two claims are not side by side")
            self.assertNotEqual(left["x"], right["x"])
        self.arrive(page, "topic of the 53")

        # The timeline: a mark per claim, each a link with a text alternative.
        mark = page.locator(f"svg #mark-claim-{some_released.pk}")
        expect(mark).to_be_visible()
        self.assertTrue(
            re.search(r"\w", mark.evaluate("m => m.getAttribute('aria-label') || m.textContent")),
            "the timeline mark has no text alternative",
        )
        mark.click()
        expect(page).to_have_url(re.compile(rf"/claims/{some_released.pk}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(SOME_RELEASED)
        expect(page.locator("blockquote").first).to_contain_text(
            "They have already released some of the prisoners"
        )
        # The dispute comes first, above the quote.
        standing = page.get_by_role("region", name="Where this claim stands")
        expect(standing).to_contain_text("Open gap")
        self.assertLess(
            standing.bounding_box()["y"], page.locator("blockquote").first.bounding_box()["y"]
        )
        self.arrive(page, "claim")

        page.locator("main").get_by_role("link", name="Jen Psaki", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Jen Psaki")
        expect(page).to_have_title(re.compile("Jen Psaki"))
        expect(page.get_by_role("link", name="U.S. Department of State").first).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Credibility notes"))).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Record"))).to_be_visible()
        expect(page.locator("main")).to_contain_text(SOME_RELEASED)
        self.arrive(page, "source")

    def test_it_filters_the_claims_without_javascript(self):
        self.journey = "journalist-no-js"
        page = self.new_context(java_script_enabled=False).new_page()

        page.goto("/claims/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
        self.arrive(page, "claims browser")

        page.locator("main").get_by_role("searchbox", name="Search").fill("released")
        field(page, "Source kind").select_option("monitor")
        page.get_by_role("button", name="Show results").click()
        expect(page).to_have_url(re.compile(r"[?&]source_kind=monitor"))
        self.assertEqual(query(page).get("q"), ["released"])
        expect(self.results(page)).to_contain_text(NO_NAMES)
        expect(self.results(page)).not_to_contain_text(SOME_RELEASED)
        expect(field(page, "Source kind")).to_have_value("monitor")
        self.arrive(page, "search and filter")


@pytest.mark.browser
class NarrowJournalistJourneyTests(JournalistJourneyTests):
    """The same journey on a 360 px phone: no page may scroll sideways."""

    journey = "journalist-360"
    width = 360
