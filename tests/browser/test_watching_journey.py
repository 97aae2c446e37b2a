"""Watching, in a real browser (issue 14, point 5).

A reader watches the topic from its page; a moderator, in another browser,
approves a claim on it; the reader's header counts the unread notifications
(the approval, and the gap it opens),
the notifications page names the claim and links to it, and marking it read
clears the count. `arrive()` checks each page (axe-core, no failed request)
and keeps a screenshot under test-artifacts/screenshots/watching/.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journey import NEW_SUMMARY, RELEASE_TOPIC, BrowserTestCase
from watching.models import Notification


@pytest.mark.browser
class WatchingJourneyTests(BrowserTestCase):
    journey = "watching"

    def setUp(self) -> None:
        super().setUp()
        erin = self.make_user("erin", "Editor")
        self.make_user("morgan", "Moderator")
        self.make_user("rita", "Reader")
        self.claim = self.submit_editors_claim(erin)

    def test_a_reader_watches_a_topic_and_is_told_of_an_approval_on_it(self):
        reader = self.page
        reader.goto("/")
        self.log_in(reader, "rita")
        reader.get_by_role("link", name=RELEASE_TOPIC).first.click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)
        header = reader.get_by_role("navigation", name="Main")
        expect(header.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
        reader.get_by_role("button", name="Watch this topic").click()
        expect(reader.get_by_role("status")).to_contain_text(f"You are watching {RELEASE_TOPIC}")
        expect(reader.get_by_role("button", name=re.compile("Watching this topic"))).to_be_visible()
        self.arrive(reader, "watching the topic")

        # The moderator, in another browser, approves the editor's claim on it.
        moderator = self.new_context().new_page()
        moderator.goto("/")
        self.log_in(moderator, "morgan")
        moderator.goto("/moderation/")
        moderator.locator(f"#pending-{self.claim.pk}").get_by_role("button", name="Approve").click()
        expect(moderator.get_by_role("status").filter(has_text="Approved")).to_be_visible()

        # The reader's next page counts it, and the gap it raised with CCDHRN's
        # "no information"; the notifications page names both.
        reader.reload()
        unread = header.get_by_role("link", name="Notifications 2 unread")
        expect(unread).to_be_visible()
        expect(unread.locator(".badge-unread")).to_have_text("2")
        self.arrive(reader, "two unread in the header")
        unread.click()
        expect(reader.get_by_role("heading", level=1)).to_have_text("Notifications")
        items = reader.locator("li.notification-unread")
        expect(items).to_have_count(2)
        approved = items.filter(has_text="Claim approved by morgan")
        expect(approved).to_contain_text(NEW_SUMMARY)
        expect(items.filter(has_text="Conflict opened")).to_contain_text("Gap")
        self.arrive(reader, "notifications page")

        approved.get_by_role("button", name="Mark read").click()
        expect(reader.locator("li.notification-unread")).to_have_count(1)
        expect(header.locator(".badge-unread")).to_have_text("1")
        reader.get_by_role("button", name="Mark all read").click()
        expect(reader.locator("li.notification-unread")).to_have_count(0)
        expect(header.locator(".badge-unread")).to_have_count(0)
        self.arrive(reader, "marked read")
        notes = Notification.objects.filter(user__username="rita")
        self.assertEqual([n.read_at is not None for n in notes], [True, True])  # Read, and kept.

        reader.get_by_role("link", name=re.compile(re.escape(NEW_SUMMARY))).click()
        expect(reader).to_have_url(re.compile(rf"/claims/{self.claim.pk}/$"))


@pytest.mark.browser
class NarrowWatchingJourneyTests(WatchingJourneyTests):
    journey = "watching-360"
    width = 360
