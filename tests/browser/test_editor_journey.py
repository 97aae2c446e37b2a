"""An editor's journey, in a real browser (issue 4).

Log in → add a source → add its claim "some of 53" with the quantity helper →
see the gap it would raise before saving → submit it → find it pending on
the dashboard. Each step checks what the editor sees, and `arrive()` checks
the page itself (axe-core, no failed request, a screenshot).
"""

import re

import pytest
from playwright.sync_api import expect

from claims.models import Claim
from tests.browser.journey import (
    DEMO_DOCUMENT,
    NEW_QUOTE,
    NEW_SOURCE,
    NEW_STATED_ON,
    NEW_SUMMARY,
    RELEASE_TOPIC,
    BrowserTestCase,
    field,
)


@pytest.mark.browser
class EditorJourneyTests(BrowserTestCase):
    journey = "editor"

    def setUp(self) -> None:
        super().setUp()
        self.erin = self.make_user("erin", "Editor")

    def test_it_follows_an_editor_from_a_new_source_to_a_claim_pending_review(self):
        page = self.page
        page.goto("/")
        self.log_in(page, "erin")
        expect(page.get_by_role("heading", level=1)).to_have_text("Where sources disagree")
        self.arrive(page, "logged in")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="My claims").click()
        expect(page).to_have_url(re.compile(r"/me/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("My claims")
        self.arrive(page, "dashboard")

        # A source the case does not have yet.
        page.get_by_role("navigation", name="Add").get_by_role("link", name="Add a source").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("New source")
        field(page, "Name").fill(NEW_SOURCE)
        field(page, "Kind").select_option(label="Media")
        self.arrive(page, "new source")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(NEW_SOURCE)
        expect(
            page.get_by_role("status").filter(has_text=f"Source “{NEW_SOURCE}” added.")
        ).to_be_visible()
        self.arrive(page, "source added")

        # Its claim: "some" of the 53, which the helper turns into 1 to 53.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My claims").click()
        page.get_by_role("navigation", name="Add").get_by_role("link", name="Add a claim").click()
        expect(page).to_have_url(re.compile(r"/claims/new/"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        self.arrive(page, "new claim")
        field(page, "Source").fill(NEW_SOURCE)
        field(page, "Topic").fill(RELEASE_TOPIC)
        page.get_by_label("Fact (checkable)").check()
        field(page, "Stance").select_option(label="Affirms")
        field(page, "How many").select_option(label="some")
        field(page, "Quote").fill(NEW_QUOTE)
        field(page, "Summary").fill(NEW_SUMMARY)
        field(page, "Said on").fill(NEW_STATED_ON.isoformat())
        field(page, "Document").fill(DEMO_DOCUMENT)

        # Before saving: the gap it would raise with the CCDHRN's "no information".
        page.get_by_role("button", name="Preview conflicts").click()
        preview = page.get_by_role("region", name="If this claim were approved")
        expect(preview).to_contain_text("It would raise 1 conflict with approved claims")
        gap = preview.get_by_role("listitem").filter(has_text="Elizardo Sanchez")
        expect(gap).to_contain_text("Gap")
        expect(gap).to_contain_text("We don't have any information up to now")
        self.assertFalse(Claim.objects.filter(summary=NEW_SUMMARY).exists(), "preview saved")
        self.arrive(page, "preview of the gap")

        page.get_by_role("button", name="Submit for review").click()
        expect(page).to_have_url(re.compile(r"/me/$"))
        submitted = f"“{NEW_SUMMARY}” is submitted for review."
        expect(page.get_by_role("status").filter(has_text=submitted)).to_be_visible()
        pending = page.locator("section").filter(
            has=page.get_by_role("heading", name="Waiting for review")
        )
        expect(pending).to_contain_text(NEW_SUMMARY)
        self.arrive(page, "pending on the dashboard")

        claim = Claim.objects.get(summary=NEW_SUMMARY)
        self.assertEqual(claim.state, Claim.State.PENDING)
        self.assertEqual((claim.quantity_min, claim.quantity_max), (1, 53))
        self.assertEqual(claim.source.name, NEW_SOURCE)
        self.assertEqual(claim.created_by, self.erin)


@pytest.mark.browser
class NarrowEditorJourneyTests(EditorJourneyTests):
    """The same journey on a 360 px phone: no page may scroll sideways."""

    journey = "editor-360"
    width = 360
