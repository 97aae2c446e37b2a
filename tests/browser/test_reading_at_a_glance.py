"""Reading at a glance (issue 11), in a real browser.

A journalist searches from the header of a page that is not a list
(`released -Psaki`, then the CCDHRN's acronym), reads Rubio's line as the
reported speech it is, and finds the White House's refusal on its topic
without a gap. An editor whose session ends mid-edit gets the form back
after logging in again, and is warned, with a link, before recording a claim
twice. Then every page a reader or an editor can reach is visited at 360 px:
none may scroll sideways (`arrive()` asserts
`document.documentElement.scrollWidth <= 360`, runs axe-core and keeps a
screenshot of each).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source
from tests.browser.journey import DEMO_DOCUMENT, PASSWORD, RELEASE_TOPIC, BrowserTestCase, field

# The demo case's words, as a reader sees them.
SOME_RELEASED = "Some of the 53 released"  # Jen Psaki
RUBIO = "Talks should wait until all are released"  # Marco Rubio, reported speech
RUBIO_QUOTE = "urged Obama to cancel upcoming talks with Havana"
NO_INFORMATION = "No information on any release"  # Elizardo Sanchez, of the CCDHRN
DECLINES = "Declines to name the 53, citing their safety"  # Josh Earnest, The White House
NAMES_TOPIC = "Names of the 53 prisoners"
CCDHRN = "Cuban Commission for Human Rights and National Reconciliation"

# The editor's claim: a new statement from Psaki, on the topic of the 53.
EDITOR_QUOTE = "We have seen reports that a few more were freed overnight."
EDITOR_SUMMARY = "A few more freed overnight, reports say"


def header_search(page: Page, words: str) -> None:
    """Search from the box in the page's header, as on every page."""
    search = page.get_by_role("search", name="Site search")
    search.get_by_role("searchbox", name="Search claims").fill(words)
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/claims/\?"))


@pytest.mark.browser
class JournalistReadsAtAGlanceTests(BrowserTestCase):
    journey = "reading-at-a-glance"
    width = 360

    def test_it_searches_from_the_header_and_reads_what_each_claim_is(self):
        page = self.page
        results = page.locator("#results")

        # The header's box, on a page that is not a list: a topic.
        page.goto(Topic.objects.get(title=RELEASE_TOPIC).get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text(RELEASE_TOPIC)
        self.arrive(page, "topic")
        header_search(page, "released -Psaki")
        expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
        expect(results).to_contain_text(RUBIO)
        expect(results).not_to_contain_text(SOME_RELEASED)
        # No card is Psaki's (her name may still appear in another card's gap badge).
        by_psaki = results.locator("article.claim").filter(
            has=page.get_by_role("link", name="Jen Psaki", exact=True)
        )
        expect(by_psaki).to_have_count(0)
        self.arrive(page, "search released -Psaki")

        # Rubio's line is reported speech: labelled so, never in quotation marks.
        rubio = results.locator("article.claim").filter(has_text=RUBIO)
        reported = rubio.locator(".quote-reported")
        expect(reported).to_contain_text("Reported speech")
        expect(reported).to_contain_text(RUBIO_QUOTE)
        expect(rubio.locator("blockquote")).to_have_count(0)
        self.assertNotRegex(reported.inner_text(), '[“”"]')

        # The CCDHRN by its acronym, from the header of a claim's own page.
        rubio.get_by_role("link", name=RUBIO).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(RUBIO)
        reported = page.locator("main .quote-reported").first
        expect(reported).to_contain_text("Reported speech")
        self.assertNotRegex(reported.inner_text(), '[“”"]')
        expect(page.locator("main blockquote")).to_have_count(0)
        self.arrive(page, "rubio reported speech")
        header_search(page, "CCDHRN")
        expect(results).to_contain_text(NO_INFORMATION)
        expect(results).to_contain_text("Elizardo Sanchez")
        expect(results).not_to_contain_text(SOME_RELEASED)
        self.arrive(page, "search CCDHRN")

        # The White House declines to say: shown as such, with no gap.
        page.goto(Topic.objects.get(title=NAMES_TOPIC).get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text(NAMES_TOPIC)
        card = page.locator("main article.claim").filter(has_text=DECLINES).first
        expect(card).to_contain_text("Declines to say")
        disputed = card.locator(".standing").filter(has_text=re.compile("gap|contradiction", re.I))
        expect(disputed).to_have_count(0)
        expect(page.locator("section.conflict-gap").filter(has_text=DECLINES)).to_have_count(0)
        self.arrive(page, "declines to say on its topic")
        declines = Claim.objects.get(summary=DECLINES)
        self.assertFalse(
            Conflict.objects.filter(claim_a=declines).exists()
            or Conflict.objects.filter(claim_b=declines).exists(),
            "a refusal to say formed a conflict",
        )


@pytest.mark.browser
class EditorKeepsTheirWorkTests(BrowserTestCase):
    journey = "editor-keeps-work"

    def setUp(self) -> None:
        super().setUp()
        self.make_user("erin", "Editor")

    def fill_claim(self, page: Page, quote: str, summary: str) -> None:
        field(page, "Source").fill("Jen Psaki")
        field(page, "Topic").fill(RELEASE_TOPIC)
        page.get_by_label("Fact (checkable)").check()
        field(page, "Stance").select_option(label="Affirms")
        field(page, "How many").select_option(label="some")
        field(page, "Quote").fill(quote)
        field(page, "Summary").fill(summary)
        field(page, "Said on").fill("2015-01-06")
        field(page, "Document").fill(DEMO_DOCUMENT)

    def test_it_gives_the_form_back_after_the_session_ended_mid_edit(self):
        page = self.page
        page.goto("/")
        self.log_in(page, "erin")
        page.goto("/claims/new/")
        # Checked before typing: while the live preview reloads it is dimmed on
        # purpose (editing.css), which axe-core would catch mid-request.
        self.arrive(page, "new claim form")
        self.fill_claim(page, EDITOR_QUOTE, EDITOR_SUMMARY)

        # Logged out in another tab, while this one still holds the form.
        other = self.context.new_page()
        other.goto("/")
        other.get_by_role("button", name="Log out erin").click()
        expect(other.get_by_role("link", name="Log in")).to_be_visible()
        other.close()

        page.get_by_role("button", name="Submit for review").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_role("status")).to_contain_text("Your session had ended")
        self.assertFalse(Claim.objects.filter(summary=EDITOR_SUMMARY).exists())
        self.arrive(page, "asked to log in again")
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()

        expect(page).to_have_url(re.compile(r"/claims/new/$"))
        expect(page.get_by_role("status")).to_contain_text("as you typed it")
        expect(field(page, "Quote")).to_have_value(EDITOR_QUOTE)
        expect(field(page, "Summary")).to_have_value(EDITOR_SUMMARY)
        expect(field(page, "Source")).to_have_value("Jen Psaki")
        expect(field(page, "Said on")).to_have_value("2015-01-06")
        expect(field(page, "Document")).to_have_value(DEMO_DOCUMENT)
        self.arrive(page, "form back as typed")

        page.get_by_role("button", name="Submit for review").click()
        expect(page).to_have_url(re.compile(r"/me/$"))
        self.assertEqual(Claim.objects.get(summary=EDITOR_SUMMARY).state, Claim.State.PENDING)

    def test_it_warns_with_a_link_before_recording_a_claim_twice(self):
        page = self.page
        stored = Claim.objects.get(summary=SOME_RELEASED)
        page.goto("/")
        self.log_in(page, "erin")
        page.goto("/claims/new/")
        self.fill_claim(page, stored.quote, "The same statement, entered again")
        page.get_by_role("button", name="Submit for review").click()

        warning = page.get_by_role("alert").filter(has_text="already recorded")
        expect(warning).to_be_visible()
        link = warning.get_by_role("link", name=f"claim #{stored.pk}")
        expect(link).to_have_attribute("href", re.compile(rf"/claims/{stored.pk}/"))
        expect(field(page, "Quote")).to_have_value(stored.quote)
        self.assertEqual(Claim.objects.filter(quote=stored.quote).count(), 1)
        self.arrive(page, "duplicate warning")
        link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(SOME_RELEASED)


@pytest.mark.browser
class NarrowSweepTests(BrowserTestCase):
    """Every reading and editing page at 360 px: no sideways scroll, axe-core clean."""

    journey = "sweep-360"
    width = 360

    def visit(self, page: Page, url: str, step: str) -> None:
        response = page.goto(url)
        self.assertEqual(response.status, 200, f"{step} at {url}")
        self.arrive(page, step)

    def test_it_keeps_every_page_within_a_phone_s_width(self):
        page = self.page
        claim = Claim.objects.get(summary=SOME_RELEASED)
        conflict = Conflict.objects.filter(topic__title=RELEASE_TOPIC).first()
        organisation = Source.objects.get(name=CCDHRN)
        # The demo's unidentified prisoner has no approved claim, so it is not
        # published yet: the editor reaches its page below.
        detainee = Detainee.objects.get(name="Unidentified prisoner")
        reading = [
            ("/", "home"),
            ("/claims/", "claims list"),
            (claim.get_absolute_url(), "a claim"),
            ("/conflicts/", "conflicts list"),
            (conflict.get_absolute_url(), "a conflict"),
            (conflict.topic.get_absolute_url(), "topic"),
            ("/sources/", "source list"),
            (organisation.get_absolute_url(), "an organisation CCDHRN"),
            ("/detainees/", "detainees list"),
            ("/detainees/board/", "status board"),
            (f"/history/claim/{claim.pk}/", "history of a claim"),
            ("/accounts/login/", "login"),
        ]
        for url, step in reading:
            self.visit(page, url, step)
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Log in", re.I))

        # An editor who also moderates reaches every editing page.
        user = self.make_user("erin", "Editor")
        user.groups.add(*type(user.groups.first()).objects.filter(name="Moderator"))
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()
        expect(page.get_by_role("button", name="Log out erin")).to_be_visible()
        editing = [
            (detainee.get_absolute_url(), "a detainee"),
            ("/me/", "editor dashboard"),
            ("/claims/new/", "new claim form"),
            ("/claims/import/", "import page"),
            ("/moderation/", "moderation queue"),
            ("/moderation/conflicts/", "moderation conflicts"),
        ]
        for url, step in editing:
            self.visit(page, url, step)
        self.assertEqual(self.steps, len(reading) + len(editing))
