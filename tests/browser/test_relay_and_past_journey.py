"""A reader follows a relay to its original, then looks back at what was known on Monday.

The wire report relays Jen Psaki's Tuesday words (the demo case marks it): its
claim page shows the chain outlet → speaker → original statement. Then the
topic of the 53 as known on Jan 5 (Monday's "unable to say" only, no conflict),
the timeline's next day (Tuesday's gap open, the claims grouped by parties),
and back to today. The import dates the demo's history to the days the
claims were said (docs/relays-and-the-past.md), so a fresh demo has a past.
"""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from tests.browser.journey import RELEASE_TOPIC, BrowserTestCase

RELAY = "Reports, as the U.S. government said, that some of the 53 were freed"


@pytest.mark.browser
class RelayAndPastJourneyTests(BrowserTestCase):
    journey = "relay-and-past"

    def test_it_shows_a_relays_chain_and_the_topic_as_known_on_monday(self):
        page = self.page
        relay = Claim.objects.get(summary=RELAY)

        page.goto(relay.get_absolute_url())
        chain = page.locator("ol.provenance-chain")
        expect(chain.locator("li").nth(0)).to_contain_text("Outlet: Wire report")
        expect(chain.locator("li").nth(1)).to_contain_text("Original statement: Jen Psaki")
        expect(chain.locator("li").nth(1)).to_contain_text("They have already released some")
        expect(page.locator("p.agreeing")).not_to_contain_text("Wire report")
        self.arrive(page, "relay chain")

        chain.get_by_role("link", name=re.compile("They have already released")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Some of the 53 released")
        expect(page.locator("p.relayed-by")).to_contain_text("Relayed by Wire report")
        self.arrive(page, "original statement")

        page.get_by_role("link", name=RELEASE_TOPIC).first.click()
        page.locator("details.past-entry summary").click()
        page.get_by_label("See what we knew on").fill("2015-01-05")
        page.get_by_role("button", name="Show that day").click()
        expect(page).to_have_url(re.compile(r"\?as_known_on=2015-01-05$"))
        expect(page.locator("p.past-view")).to_contain_text("A view of the past.")
        claims = page.locator("section[aria-labelledby=past-claims]")
        expect(claims).to_contain_text("Unable to say whether any had been freed")
        expect(claims).not_to_contain_text("Some of the 53 released")
        expect(page.get_by_text("No conflict was open then.")).to_be_visible()
        self.arrive(page, "topic as known on monday")

        page.get_by_role("link", name=re.compile("Later: Jan 6, 2015")).click()
        expect(page).to_have_url(re.compile(r"\?as_known_on=2015-01-06$"))
        expect(page.locator("#past-conflicts + ul")).to_contain_text("a gap")
        expect(claims).to_contain_text("Some of the 53 released")
        expect(page.locator("ul.past-party-claims")).to_contain_text("Jen Psaki")
        expect(page.locator("ul.past-independent-claims")).to_contain_text("Elizardo Sanchez")
        self.arrive(page, "topic as known on tuesday")

        page.get_by_role("link", name="See this page as it is today").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)
        expect(page.locator("p.past-view")).to_have_count(0)
