"""A moderator's journey, in a real browser (issue 4).

The editor journey's claim waits in the queue: log in → approve it → the gap
it raises appears publicly (conflicts list and topic page, seen by a reader
who is not logged in) → resolve it with a rationale → the source's record
changes. Each step checks what a person sees, and `arrive()` checks the page
itself (axe-core, no failed request, a screenshot).
"""

import re

import pytest
from django.db.models import Q
from playwright.sync_api import Locator, Page, expect

from claims.models import Claim, Conflict
from tests.browser.journey import (
    NEW_SOURCE,
    NEW_SUMMARY,
    RELEASE_TOPIC,
    SANCHEZ_NO_INFORMATION,
    BrowserTestCase,
    field,
)

RATIONALE = "Cuba freed the 53 in the following days; the State Department confirmed it."
EVIDENCE = "https://example.org/2015/01/12/cuba-completes-release-of-53"


def record_count(page: Page, name: str) -> Locator:
    """Return the number shown for `name` in the source page's record."""
    record = page.locator("section").filter(
        has=page.get_by_role("heading", name=re.compile("^Record"))
    )
    return record.locator(f"xpath=.//dt[normalize-space()='{name}']/following-sibling::dd[1]")


@pytest.mark.browser
class ModeratorJourneyTests(BrowserTestCase):
    journey = "moderator"

    def setUp(self) -> None:
        super().setUp()
        erin = self.make_user("erin", "Editor")
        self.make_user("morgan", "Moderator")
        self.claim = self.submit_editors_claim(erin)

    def test_it_follows_a_moderator_from_the_queue_to_a_changed_record(self):
        page = self.page
        # A reader, not logged in, watching what is public.
        reader = self.new_context().new_page()

        page.goto("/")
        self.log_in(page, "morgan")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Claims to review")
        item = page.locator(f"#pending-{self.claim.pk}")
        expect(item).to_contain_text(NEW_SUMMARY)
        expect(item).to_contain_text("1–53 prisoners released")  # what "some" stands for
        expect(item.locator(".preview")).to_contain_text("Gap")
        expect(item.locator(".preview")).to_contain_text(SANCHEZ_NO_INFORMATION)
        self.arrive(page, "queue")

        # Not public while pending.
        reader.goto("/conflicts/")
        expect(reader.get_by_role("heading", level=1)).to_have_text("Conflicts")
        expect(reader.locator("#results")).not_to_contain_text(NEW_SOURCE)

        item.get_by_role("button", name="Approve").click()
        expect(
            page.get_by_role("status").filter(has_text=f"Approved: “{NEW_SUMMARY}”")
        ).to_be_visible()
        expect(page.locator(f"#pending-{self.claim.pk}")).to_have_count(0)
        self.arrive(page, "approved")

        # The gap is public: on the conflicts list and on the topic page.
        reader.reload()
        row = reader.locator("article.conflict").filter(has_text=NEW_SOURCE)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Gap")
        expect(row).to_contain_text(NEW_SUMMARY)
        expect(row).to_contain_text(SANCHEZ_NO_INFORMATION)
        self.arrive(reader, "public conflicts list")
        row.get_by_role("link", name=RELEASE_TOPIC).click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)
        topic_gap = reader.locator("section.conflict").filter(has_text=NEW_SUMMARY)
        expect(topic_gap).to_contain_text(SANCHEZ_NO_INFORMATION)
        self.arrive(reader, "public topic page")

        # The new source's record before the decision.
        topic_gap.get_by_role("link", name=NEW_SOURCE, exact=True).first.click()
        expect(reader.get_by_role("heading", level=1)).to_contain_text(NEW_SOURCE)
        expect(record_count(reader, "Open conflicts")).to_have_text("1")
        expect(record_count(reader, "Claims confirmed")).to_have_text("0")
        # No verdict yet: no record, never a bare 0.50.
        expect(record_count(reader, "Reliability estimate")).to_have_text("No record yet")
        self.arrive(reader, "source record before")

        # Resolve: the new source was right, with the rationale and evidence.
        page.get_by_role("navigation", name="Moderation").get_by_role(
            "link", name="Conflicts that need a decision"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Conflicts that need a decision")
        decision = page.locator("article.decision").filter(has_text=NEW_SUMMARY)
        expect(decision).to_have_count(1)
        self.arrive(page, "conflicts to decide")
        decision.get_by_label(re.compile(rf"is right: {re.escape(NEW_SOURCE)}")).check()
        field(decision, "Rationale").fill(RATIONALE)
        field(decision, "Evidence URL").fill(EVIDENCE)
        decision.get_by_role("button", name="Resolve").click()
        expect(
            page.get_by_role("status").filter(has_text="resolved: Claim B is right")
        ).to_be_visible()
        expect(page.locator("article.decision").filter(has_text=NEW_SUMMARY)).to_have_count(0)
        self.arrive(page, "resolved")

        conflict = Conflict.objects.get(Q(claim_a=self.claim) | Q(claim_b=self.claim))
        self.assertEqual(conflict.status, Conflict.Status.RESOLVED)
        self.assertEqual(conflict.status_reason, RATIONALE)

        # The record, as a reader sees it, now counts a confirmed claim.
        reader.reload()
        expect(record_count(reader, "Open conflicts")).to_have_text("0")
        expect(record_count(reader, "Claims confirmed")).to_have_text("1")
        expect(record_count(reader, "Claims refuted")).to_have_text("0")
        # (1 + 1) / (1 + 0 + 2), the smoothed ratio the page states.
        expect(record_count(reader, "Reliability estimate")).to_have_text("0.67")
        self.arrive(reader, "source record after")
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.verdict, Claim.Verdict.CONFIRMED)

        # The topic page says it at the top: no longer open, and who decided what, and why.
        reader.goto(conflict.topic.get_absolute_url())
        stands = reader.get_by_role("region", name="Where this stands")
        expect(stands).to_contain_text("Claim B is right")
        expect(stands).to_contain_text(NEW_SOURCE)
        expect(stands).to_contain_text("Resolved by morgan")
        expect(stands).to_contain_text(RATIONALE)
        self.assertLess(
            stands.bounding_box()["y"],
            reader.get_by_role("heading", name="At a glance").bounding_box()["y"],
        )
        self.arrive(reader, "topic after the resolution")


@pytest.mark.browser
class NarrowModeratorJourneyTests(ModeratorJourneyTests):
    """The same journey on a 360 px phone: no page may scroll sideways."""

    journey = "moderator-360"
    width = 360
