"""Atom feeds: new open conflicts (all, per topic, per source) and a topic's newly approved claims.

Each feed is fetched through the test client and read as a feed reader
reads it, as Atom XML (xml.etree: strict, so a malformed feed fails). Only
open conflicts and approved claims are entries, newest first, at most 50, in
a constant number of queries; titles say who against whom; summaries are
escaped HTML; pages announce their feeds with <link rel="alternate"> in the
head, found here by parsing the head as a browser does.
"""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import html5lib
from django.conf import settings
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.feeds import FEED_LIMIT
from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast

ATOM = {"a": "http://www.w3.org/2005/Atom"}
# Feed and review addresses are built on SITE_URL, whatever host the test client sends.
BASE_URL = settings.SITE_URL
GAP_TITLE = (
    "Gap (one source has no information): Jen Psaki (U.S. Department of State): "
    "Some of the 53 released — Elizardo Sanchez (Cuban Commission for Human Rights "
    "and National Reconciliation): No information on any release"
)


class FeedTestCase(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)
        cls.talks = Topic.objects.create(title="Talks", question="Will the talks go on?")

    def feed(self, name: str, *args) -> ET.Element:
        response = self.client.get(reverse(name, args=args))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/atom+xml; charset=utf-8")
        return ET.fromstring(response.content)

    def entries(self, feed: ET.Element) -> list[ET.Element]:
        return feed.findall("a:entry", ATOM)

    def titles(self, feed: ET.Element) -> list[str]:
        return [entry.findtext("a:title", namespaces=ATOM) for entry in self.entries(feed)]

    def link(self, element: ET.Element, rel: str = "alternate") -> str:
        return next(
            link.get("href")
            for link in element.findall("a:link", ATOM)
            if link.get("rel", "alternate") == rel
        )

    def contradiction(self, topic: Topic, affirmer: Source, denier: Source) -> Conflict:
        """Open a contradiction on `topic`: yes against no."""
        a = self.claim(affirmer, topic=topic, stance="affirms", quote="Yes", summary="Yes")
        b = self.claim(denier, topic=topic, stance="denies", quote="No", summary="No")
        return Conflict.objects.get(claim_a=a, claim_b=b)


class OpenConflictsFeedTests(FeedTestCase):
    def test_it_has_the_open_conflict_saying_who_against_whom(self):
        feed = self.feed("claims:conflicts_feed")

        self.assertEqual(self.titles(feed), [GAP_TITLE])
        entry = self.entries(feed)[0]
        permalink = f"{BASE_URL}/conflicts/{self.gap.pk}/"
        self.assertEqual(self.link(entry), permalink)
        self.assertEqual(entry.findtext("a:id", namespaces=ATOM), permalink)
        summary = entry.find("a:summary", ATOM)
        self.assertEqual(summary.get("type"), "html")
        self.assertIn("They have already released some of the prisoners", summary.text)
        self.assertIn("We don&#x27;t have any information up to now", summary.text)
        self.assertIn(f'href="{BASE_URL}/topics/{self.release.slug}/"', summary.text)
        self.assertEqual(
            [c.get("term") for c in entry.findall("a:category", ATOM)],
            ["Gap (one source has no information)", "Release of the 53 prisoners"],
        )

    def test_entries_carry_their_dates(self):
        entry = self.entries(self.feed("claims:conflicts_feed"))[0]

        published = entry.findtext("a:published", namespaces=ATOM)
        self.assertEqual(published, self.gap.opened_at.isoformat())
        self.assertIsNotNone(entry.findtext("a:updated", namespaces=ATOM))

    def test_the_feed_names_itself_its_page_and_the_newsroom(self):
        feed = self.feed("claims:conflicts_feed")

        self.assertEqual(
            feed.findtext("a:title", namespaces=ATOM), "New open conflicts · Crosscheck"
        )
        self.assertEqual(self.link(feed), f"{BASE_URL}/conflicts/")
        self.assertEqual(self.link(feed, "self"), f"{BASE_URL}/conflicts/feed.atom")
        self.assertEqual(feed.findtext("a:id", namespaces=ATOM), f"{BASE_URL}/conflicts/feed.atom")
        self.assertEqual(feed.findtext("a:author/a:name", namespaces=ATOM), "Crosscheck")

    def test_newest_opened_comes_first(self):
        newer = self.contradiction(self.talks, self.psaki, self.sanchez)
        Conflict.objects.filter(pk=self.gap.pk).update(opened_at=timezone.now() - timedelta(days=2))

        feed = self.feed("claims:conflicts_feed")

        self.assertEqual(
            [self.link(e) for e in self.entries(feed)],
            [f"{BASE_URL}/conflicts/{newer.pk}/", f"{BASE_URL}/conflicts/{self.gap.pk}/"],
        )

    def test_closed_conflicts_are_not_in_it(self):
        talks = self.contradiction(self.talks, self.psaki, self.sanchez)
        talks.resolve(by=self.moderator, outcome="a_right", rationale="The minutes")
        self.gap.dismiss(by=self.moderator, reason="Not a real conflict")

        self.assertEqual(self.entries(self.feed("claims:conflicts_feed")), [])

    def test_a_retracted_claims_conflict_leaves_it(self):
        self.no_information.retract(by=self.moderator, reason="Misquoted")

        self.assertEqual(self.entries(self.feed("claims:conflicts_feed")), [])

    def test_a_pending_claim_raises_no_entry(self):
        pending = Claim(
            source=self.rubio,
            topic=self.talks,
            kind="fact",
            stance="denies",
            quote="No",
            summary="No",
            stated_on=date(2015, 1, 6),
        )
        pending.save()
        pending.submit(by=self.editor)
        self.claim(self.psaki, topic=self.talks, stance="affirms", quote="Yes", summary="Yes")

        self.assertEqual(self.titles(self.feed("claims:conflicts_feed")), [GAP_TITLE])

    def test_a_quote_with_markup_is_text_in_the_title_and_escaped_in_the_summary(self):
        Claim.objects.filter(pk=self.some_released.pk).update(
            quote="Some <script>alert(1)</script>", summary="Some <b>released</b>"
        )

        entry = self.entries(self.feed("claims:conflicts_feed"))[0]

        title = entry.find("a:title", ATOM)
        self.assertIsNone(title.get("type"))  # Atom's default: text, shown as is
        self.assertIn("Jen Psaki (U.S. Department of State): Some <b>released</b> —", title.text)
        summary = entry.findtext("a:summary", namespaces=ATOM)
        self.assertIn("Some &lt;script&gt;alert(1)&lt;/script&gt;", summary)
        self.assertNotIn("<script", summary)

    def test_it_holds_at_most_50_in_a_constant_number_of_queries(self):
        url = reverse("claims:conflicts_feed")
        volume = VolumeOfConflicts(self)
        volume.add(10)
        with CaptureQueriesContext(connection) as at_10:
            self.assertEqual(len(self.entries(self.feed("claims:conflicts_feed"))), 11)
        volume.add(50)

        # One query: the open conflicts with both claims, speakers and topic joined.
        with self.assertNumQueries(len(at_10)):
            response = self.client.get(url)

        self.assertEqual(len(at_10), 1)
        self.assertEqual(len(self.entries(ET.fromstring(response.content))), FEED_LIMIT)

    def test_it_says_when_it_last_changed(self):
        response = self.client.get(reverse("claims:conflicts_feed"))

        self.assertEqual(
            parsedate_to_datetime(response["Last-Modified"]),
            self.gap.status_changed_at.replace(microsecond=0),
        )


class TopicConflictsFeedTests(FeedTestCase):
    def test_it_has_only_the_topics_open_conflicts(self):
        talks = self.contradiction(self.talks, self.psaki, self.sanchez)

        release = self.feed("claims:topic_conflicts_feed", self.release.slug)
        on_talks = self.feed("claims:topic_conflicts_feed", self.talks.slug)

        self.assertEqual(self.titles(release), [GAP_TITLE])
        self.assertEqual(
            [self.link(e) for e in self.entries(on_talks)], [f"{BASE_URL}/conflicts/{talks.pk}/"]
        )
        self.assertEqual(self.link(on_talks), f"{BASE_URL}/topics/talks/")
        self.assertEqual(
            on_talks.findtext("a:title", namespaces=ATOM), "Open conflicts on “Talks” · Crosscheck"
        )
        self.assertEqual(on_talks.findtext("a:subtitle", namespaces=ATOM), "Will the talks go on?")

    def test_an_unknown_topic_is_404(self):
        response = self.client.get(reverse("claims:topic_conflicts_feed", args=["no-such-topic"]))

        self.assertEqual(response.status_code, 404)

    def test_it_holds_at_most_50_in_a_constant_number_of_queries(self):
        volume = VolumeOfConflicts(self)
        volume.add(10)
        url = reverse("claims:topic_conflicts_feed", args=[volume.topic.slug])
        with CaptureQueriesContext(connection) as at_10:
            self.client.get(url)
        volume.add(50)

        # The topic, then its open conflicts.
        with self.assertNumQueries(len(at_10)):
            response = self.client.get(url)

        self.assertEqual(len(at_10), 2)
        self.assertEqual(len(self.entries(ET.fromstring(response.content))), FEED_LIMIT)


class SourceConflictsFeedTests(FeedTestCase):
    def test_it_has_the_open_conflicts_of_the_sources_claims(self):
        talks = self.contradiction(self.talks, self.rubio, self.ccdhrn)

        sanchez = self.feed("sources:conflicts_feed", self.sanchez.pk)
        rubio = self.feed("sources:conflicts_feed", self.rubio.pk)

        self.assertEqual(self.titles(sanchez), [GAP_TITLE])
        self.assertEqual(
            [self.link(e) for e in self.entries(rubio)], [f"{BASE_URL}/conflicts/{talks.pk}/"]
        )
        self.assertEqual(self.link(rubio), f"{BASE_URL}/sources/{self.rubio.pk}/")

    def test_a_body_does_not_carry_its_spokespersons_conflicts_as_its_page_does_not(self):
        self.assertEqual(self.entries(self.feed("sources:conflicts_feed", self.state_dept.pk)), [])

    def test_an_unknown_source_is_404(self):
        response = self.client.get(reverse("sources:conflicts_feed", args=[999_999]))

        self.assertEqual(response.status_code, 404)

    def test_it_holds_at_most_50_in_a_constant_number_of_queries(self):
        volume = VolumeOfConflicts(self)
        volume.add(10)
        url = reverse("sources:conflicts_feed", args=[volume.affirmer.pk])
        with CaptureQueriesContext(connection) as at_10:
            self.client.get(url)
        volume.add(50)

        # The source, then its open conflicts.
        with self.assertNumQueries(len(at_10)):
            response = self.client.get(url)

        self.assertEqual(len(at_10), 2)
        self.assertEqual(len(self.entries(ET.fromstring(response.content))), FEED_LIMIT)


class TopicClaimsFeedTests(FeedTestCase):
    def test_it_has_the_approved_claims_newest_approved_first(self):
        Claim.objects.filter(pk=self.demand.pk).update(
            state_changed_at=timezone.now() + timedelta(hours=1)
        )

        feed = self.feed("claims:topic_claims_feed", self.release.slug)

        titles = self.titles(feed)
        self.assertEqual(titles[0], "Marco Rubio: Talks should wait until all are released")
        self.assertEqual(
            sorted(titles),
            sorted(
                f"{c.source.speaker_line}: {c.summary}"
                for c in (self.monday, self.some_released, self.no_information, self.demand)
            ),
        )
        entry = self.entries(feed)[0]
        self.assertEqual(self.link(entry), f"{BASE_URL}/claims/{self.demand.pk}/")
        self.assertEqual(entry.findtext("a:author/a:name", namespaces=ATOM), "Marco Rubio")
        self.assertIn(
            "urged Obama to cancel upcoming talks", entry.findtext("a:summary", namespaces=ATOM)
        )

    def test_pending_rejected_and_retracted_claims_are_not_in_it(self):
        def claim(summary: str) -> Claim:
            made = Claim(
                source=self.rubio,
                topic=self.release,
                kind="position",
                quote=summary,
                summary=summary,
                stated_on=date(2015, 1, 6),
            )
            made.save()
            return made

        claim("Drafted").save()
        claim("Pending").submit(by=self.editor)
        rejected = claim("Rejected")
        rejected.submit(by=self.editor)
        rejected.reject(by=self.moderator, reason="Unsourced")
        self.demand.retract(by=self.moderator, reason="Misattributed")

        titles = self.titles(self.feed("claims:topic_claims_feed", self.release.slug))

        self.assertEqual(len(titles), 3)
        self.assertFalse([t for t in titles if t.startswith("Marco Rubio")], titles)

    def test_it_has_only_the_topics_claims(self):
        self.claim(self.psaki, topic=self.talks, stance="affirms", quote="Yes", summary="Yes")

        titles = self.titles(self.feed("claims:topic_claims_feed", self.talks.slug))

        self.assertEqual(titles, ["Jen Psaki (U.S. Department of State): Yes"])

    def test_an_unknown_topic_is_404(self):
        response = self.client.get(reverse("claims:topic_claims_feed", args=["no-such-topic"]))

        self.assertEqual(response.status_code, 404)

    def test_it_holds_at_most_50_in_a_constant_number_of_queries(self):
        url = reverse("claims:topic_claims_feed", args=[self.talks.slug])

        def add(n: int, start: int) -> None:
            for i in range(start, start + n):
                self.claim(
                    self.rubio, topic=self.talks, kind="position", quote=f"#{i}", summary=f"#{i}"
                )

        add(10, 0)
        with CaptureQueriesContext(connection) as at_10:
            self.client.get(url)
        add(50, 10)

        # The topic, then its approved claims with speaker, affiliation and document joined.
        with self.assertNumQueries(len(at_10)):
            response = self.client.get(url)

        self.assertEqual(len(at_10), 2)
        feed = ET.fromstring(response.content)
        self.assertEqual(len(self.entries(feed)), FEED_LIMIT)
        self.assertEqual(self.titles(feed)[0], "Marco Rubio: #59")


class FeedReadingRuleTests(FeedTestCase):
    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_when_reading_requires_a_login_a_feed_sends_anonymous_readers_to_log_in(self):
        url = reverse("claims:conflicts_feed")

        response = self.client.get(url)

        self.assertRedirects(
            response, f"{reverse('login')}?next={url}", fetch_redirect_response=False
        )
        self.client.force_login(self.reader)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_a_post_is_refused(self):
        self.assertEqual(self.client.post(reverse("claims:conflicts_feed")).status_code, 405)


class AlternateLinkTests(FeedTestCase):
    """Pages announce their feeds in the <head>, and say so in the page."""

    def alternates(self, url: str) -> dict[str, str]:
        """Return the page's Atom alternates, title → href, as a browser parses the head."""
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        document = html5lib.parse(response.content.decode(), namespaceHTMLElements=False)
        head = document.find("head")
        links = {
            link.get("title"): link.get("href")
            for link in head.iter("link")
            if link.get("rel") == "alternate" and link.get("type") == "application/atom+xml"
        }
        for href in links.values():
            self.assertContains(response, f'href="{href}" type="application/atom+xml"')
            self.assertEqual(self.client.get(href).status_code, 200)
        return links

    def test_the_home_page_offers_the_open_conflicts(self):
        self.assertEqual(
            self.alternates(reverse("claims:home")), {"New open conflicts": "/conflicts/feed.atom"}
        )

    def test_the_conflicts_list_offers_the_open_conflicts(self):
        self.assertEqual(
            self.alternates(reverse("claims:conflicts")),
            {"New open conflicts": "/conflicts/feed.atom"},
        )

    def test_a_topic_offers_its_conflicts_and_its_claims(self):
        self.assertEqual(
            self.alternates(self.release.get_absolute_url()),
            {
                "Open conflicts on Release of the 53 prisoners": (
                    "/topics/release-of-the-53-prisoners/conflicts.atom"
                ),
                "New claims on Release of the 53 prisoners": (
                    "/topics/release-of-the-53-prisoners/claims.atom"
                ),
            },
        )

    def test_a_source_offers_its_conflicts(self):
        self.assertEqual(
            self.alternates(self.sanchez.get_absolute_url()),
            {
                "Open conflicts involving Elizardo Sanchez": (
                    f"/sources/{self.sanchez.pk}/conflicts.atom"
                )
            },
        )


class VolumeOfConflicts:
    """Open conflicts by the dozen on a topic of their own: one source says yes, each other no."""

    def __init__(self, case: FeedTestCase) -> None:
        self.case, self.count = case, 0
        self.topic = Topic.objects.create(title="Volume", question="Is it so?")
        self.affirmer = Source.objects.create(name="Affirmer", kind=Source.Kind.MEDIA)
        case.claim(self.affirmer, topic=self.topic, stance="affirms", quote="Yes", summary="Yes")

    def add(self, n: int) -> None:
        for i in range(self.count, self.count + n):
            denier = Source.objects.create(name=f"Denier {i}", kind=Source.Kind.MEDIA)
            self.case.claim(denier, topic=self.topic, stance="denies", quote="No", summary="No")
        self.count += n


class CanonicalFeedTests(JanuaryCast, TestCase):
    """Issue 15: ids do not depend on the Host header; an empty feed's `updated` is stable."""

    def read(self, url: str, host: str) -> feedparser.FeedParserDict:
        response = self.client.get(url, HTTP_HOST=host)
        self.assertEqual(response.status_code, 200)
        feed = feedparser.parse(response.content)
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        return feed

    def test_feed_and_entry_ids_are_the_same_whatever_the_host(self):
        url = reverse("claims:conflicts_feed")
        one, other = self.read(url, "localhost"), self.read(url, "127.0.0.1")

        self.assertEqual(one.feed.id, f"{settings.SITE_URL}{url}")
        self.assertEqual(one.feed.id, other.feed.id)
        self.assertTrue(one.entries)
        self.assertEqual([e.id for e in one.entries], [e.id for e in other.entries])
        self.assertTrue(all(e.id.startswith(settings.SITE_URL) for e in one.entries))
        self.assertTrue(all(e.link.startswith(settings.SITE_URL) for e in one.entries))

    def test_an_empty_feed_has_a_fixed_updated(self):
        empty = Topic.objects.create(title="Talks", question="Do the talks go ahead?")
        empty.publish(by=None)  # Public with no claim yet: a moderator's choice.
        url = reverse("claims:topic_conflicts_feed", args=[empty.slug])

        first, again = self.read(url, "localhost"), self.read(url, "localhost")

        self.assertEqual(first.entries, [])
        self.assertEqual(first.feed.updated, "1970-01-01T00:00:00+00:00")
        self.assertEqual(first.feed.updated, again.feed.updated)
