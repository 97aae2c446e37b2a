"""
Every absolute address the app writes is on the canonical SITE_URL, never on
the Host header a request came with (issue 15, "feeds and structured data",
and the downloads beside them).

A request is sent with a hostile Host that ALLOWED_HOSTS lets through (a
second name, a proxy that passes the client's Host on): the feeds (read by
feedparser), the ClaimReview (read by extruct, as aggregators read it), the
list downloads (CSV and JSON), a topic's case file and the API's page links
must carry SITE_URL and nothing of the hostile name. Each download is read as
its consumer reads it: csv for the CSV, json for the JSON.

And an empty feed says the same `updated` on every fetch, each feed of the
four kinds (read by feedparser, the library most feed readers build on).
"""

from __future__ import annotations

import csv
import io
import json
import time

import extruct
import feedparser
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Conflict, Detainee, Topic
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything
from tests.roles import RoleCast

HOSTILE = "evil.example"


@override_settings(ALLOWED_HOSTS=[HOSTILE, "testserver"], SITE_URL="https://crosscheck.example")
class HostileHostTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gap = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.no_information)
        cls.gap.resolve(by=cls.moderator, outcome=Conflict.Outcome.A_RIGHT, rationale="The list")
        cls.some_released.refresh_from_db()
        # And one left open, for the conflict feeds.
        cls.claim(cls.ccdhrn, stance="denies", quote="None has been freed", summary="None freed")
        Detainee.objects.create(name="Ana").topics.add(cls.release)
        publish_everything()

    def get(self, url: str, **params):
        response = self.client.get(url, params, HTTP_HOST=HOSTILE)
        self.assertEqual(response.status_code, 200, url)
        return response

    def text(self, response) -> str:
        if response.streaming:
            return b"".join(response.streaming_content).decode("utf-8-sig")
        return response.content.decode()

    def assertCanonical(self, text: str, where: str) -> None:
        self.assertIn("https://crosscheck.example/", text, where)
        self.assertNotIn(HOSTILE, text, where)

    def test_every_feed_ids_and_links_its_entries_on_site_url(self):
        for url in [
            reverse("claims:conflicts_feed"),
            reverse("claims:topic_conflicts_feed", args=[self.release.slug]),
            reverse("claims:topic_claims_feed", args=[self.release.slug]),
            reverse("sources:conflicts_feed", args=[self.psaki.pk]),
        ]:
            with self.subTest(url):
                feed = feedparser.parse(self.get(url).content)
                self.assertFalse(feed.bozo, feed.get("bozo_exception"))
                self.assertEqual(feed.feed.id, f"https://crosscheck.example{url}")
                self.assertTrue(feed.feed.link.startswith("https://crosscheck.example/"))
                self.assertTrue(feed.entries)
                for entry in feed.entries:
                    self.assertTrue(entry.id.startswith("https://crosscheck.example/"), entry.id)
                    self.assertTrue(entry.link.startswith("https://crosscheck.example/"))
                    self.assertNotIn(HOSTILE, entry.summary)

    def test_the_claim_review_is_on_site_url(self):
        page = self.text(self.get(self.some_released.get_absolute_url()))
        found = extruct.extract(page, syntaxes=["json-ld"])["json-ld"]
        [review] = [item for item in found if item.get("@type") == "ClaimReview"]

        self.assertEqual(
            review["url"], f"https://crosscheck.example{self.some_released.get_absolute_url()}"
        )
        self.assertCanonical(json.dumps(review), "ClaimReview")

    def test_every_download_gives_its_permalinks_on_site_url(self):
        for name, args, model in [
            ("claims:claim_export", [], "claims"),
            ("claims:conflict_export", [], "conflicts"),
            ("claims:detainee_export", [], "detainees"),
            ("sources:export", [], "sources"),
        ]:
            for fmt in ("csv", "json"):
                with self.subTest(name, fmt=fmt):
                    text = self.text(self.get(reverse(name, args=[*args, fmt]), status="any"))
                    if fmt == "csv":
                        rows = list(csv.DictReader(io.StringIO(text)))
                        links = [row["permalink"] for row in rows]
                    else:
                        links = [row["url"] for row in json.loads(text)]
                    self.assertTrue(links, model)
                    for link in links:
                        self.assertTrue(
                            link.startswith(f"https://crosscheck.example/{model}/"), link
                        )
                    self.assertNotIn(HOSTILE, text)

    def test_a_topics_case_file_says_nothing_of_the_host(self):
        text = self.text(self.get(reverse("claims:topic_case", args=[self.release.slug])))

        self.assertTrue(json.loads(text)["claims"])
        self.assertNotIn(HOSTILE, text)

    def test_the_apis_page_links_are_on_site_url(self):
        first = self.get(reverse("api:source-list"), page_size=2).json()
        second = self.client.get(first["next"].removeprefix("https://crosscheck.example"))

        self.assertEqual(
            first["next"], "https://crosscheck.example/api/sources/?page=2&page_size=2"
        )
        self.assertEqual(
            second.json()["previous"], "https://crosscheck.example/api/sources/?page_size=2"
        )


# The page cache off: a cached feed would say the same `updated` whatever the feed does.
@override_settings(PAGE_CACHE_SECONDS=0)
class EmptyFeedTests(RoleCast, JanuaryCast, TestCase):
    """An empty feed has nothing that was updated: its `updated` is fixed, not the fetch time."""

    def test_each_kind_of_empty_feed_says_the_same_updated_on_every_fetch(self):
        quiet = Topic.objects.create(title="Talks", question="Do the talks go ahead?")
        quiet.publish(by=None)
        silent = Source.objects.create(name="Granma", kind=Source.Kind.MEDIA)
        silent.publish(by=None)
        Conflict.objects.get().dismiss(by=self.moderator, reason="Not a real conflict")
        urls = [
            reverse("claims:conflicts_feed"),
            reverse("claims:topic_conflicts_feed", args=[quiet.slug]),
            reverse("claims:topic_claims_feed", args=[quiet.slug]),
            reverse("sources:conflicts_feed", args=[silent.pk]),
        ]
        first = [feedparser.parse(self.client.get(url).content) for url in urls]
        time.sleep(1.01)  # Atom's dates have whole seconds: a clock would have moved.
        again = [feedparser.parse(self.client.get(url).content) for url in urls]

        for url, one, other in zip(urls, first, again, strict=True):
            with self.subTest(url):
                self.assertFalse(one.bozo, one.get("bozo_exception"))
                self.assertEqual(one.entries, [])
                self.assertEqual(one.feed.updated, other.feed.updated)
                self.assertEqual(one.feed.updated_parsed.tm_year, 1970)
