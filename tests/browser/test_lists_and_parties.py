"""Lists against persons and interested parties (issue 14, points 1 and 2), in a real browser.

A journalist opens the topic of the 53: beside the sources' aggregate
claims it shows the derived count of named releases, by organisation
("Named releases reported: 3 of 53, by CCDHRN 2, U.S. government 1"), the
illustrative tally that contradicts it as a list contradiction, and the
sources' current word grouped into claims by parties and claims by
independent monitors; then the status board, where each person's row says
which organisations confirm the status. `arrive()` runs axe-core and keeps
a screenshot in test-artifacts/.
"""

import pytest
from playwright.sync_api import expect

from claims.models import Topic
from tests.browser.journey import RELEASE_TOPIC, BrowserTestCase


@pytest.mark.browser
class ListsAndPartiesTests(BrowserTestCase):
    journey = "lists-and-parties"

    def test_the_topic_shows_the_derived_count_and_the_party_grouping(self):
        page = self.page
        page.goto(Topic.objects.get(title=RELEASE_TOPIC).get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)

        count = page.locator("#named-count")
        expect(count).to_contain_text("Named releases reported: 3 of 53")
        expect(count).to_contain_text("by CCDHRN 2, U.S. government 1")
        expect(page.locator("#parties")).to_contain_text("Government of Cuba")
        expect(page.locator("#parties")).to_contain_text("U.S. government")

        conflicts = page.locator("section[aria-labelledby=open-conflicts]")
        expect(conflicts).to_contain_text("List contradiction")
        expect(conflicts).to_contain_text("No more than 2 of the 53 released (illustrative)")

        parties = page.get_by_role("heading", name="Claims by parties")
        independent = page.get_by_role("heading", name="Claims by independent monitors and others")
        expect(parties).to_be_visible()
        expect(independent).to_be_visible()
        # Psaki speaks for the State Department, which speaks for the U.S. government:
        # a party. The CCDHRN's leader is an independent monitor.
        order = page.evaluate(
            """() => [...document.querySelectorAll('#claims-by-parties, #claims-by-independent,'
                 + ' .source-picture h3 a')].map(e => e.id || e.textContent.trim())"""
        )
        self.assertLess(order.index("claims-by-parties"), order.index("Jen Psaki"))
        self.assertLess(order.index("Jen Psaki"), order.index("claims-by-independent"))
        self.assertLess(order.index("claims-by-independent"), order.index("Elizardo Sanchez"))
        self.arrive(page, "topic with named count and parties")

        # The status board says which organisations confirm each person's status.
        topic = Topic.objects.get(title=RELEASE_TOPIC)
        page.goto(f"/detainees/board/?topic={topic.slug}")
        row = page.locator("tr.board-row", has_text="Illustrative prisoner 3")
        expect(row.locator(".confirmers")).to_have_text("Released, confirmed by U.S. government")
        first = page.locator("tr.board-row", has_text="Illustrative prisoner 1")
        expect(first.locator(".confirmers")).to_have_text("Released, confirmed by CCDHRN")
        self.arrive(page, "board with confirmers")
