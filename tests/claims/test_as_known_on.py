"""
"What we knew when": topic, detainee and conflict pages as of a past day (claims/views/past.py).

Time passes the honest way the app allows: each step runs through the real
paths (save, approve, resolve), then the history rows it wrote are dated to
the day it stands for (`happened_on`), as if the newsroom had done it then.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source

MON, TUE, WED, THU = date(2015, 1, 5), date(2015, 1, 6), date(2015, 1, 7), date(2015, 1, 8)


@contextlib.contextmanager
def happened_on(day: date):
    """Date the history written inside the block to noon of `day`."""
    start = timezone.now() - timedelta(microseconds=1)
    yield
    noon = timezone.make_aware(datetime.combine(day, time(12)))
    for model in (Claim, Conflict):
        model.history.filter(history_date__gte=start).update(history_date=noon)


class AsKnownOnTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.psaki = Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL)
        cls.sanchez = Source.objects.create(name="Elizardo Sanchez", kind=Source.Kind.MONITOR)
        cls.topic = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
        )
        cls.ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        cls.ferrer.topics.add(cls.topic)
        with happened_on(MON):
            cls.monday = cls.claim(cls.psaki, "no_information", "Unable to say", MON)
        with happened_on(TUE):
            cls.tuesday = cls.claim(cls.psaki, "affirms", "Some of the 53 released", TUE, lo=1)
            cls.no_info = cls.claim(cls.sanchez, "no_information", "No information", TUE)
        cls.gap = Conflict.objects.get()
        with happened_on(WED):
            # Research that was never published: it must not show on any day.
            cls.draft = Claim(
                source=cls.sanchez,
                topic=cls.topic,
                kind="fact",
                stance="denies",
                quote="Nobody was freed",
                summary="A SECRET DRAFT",
                stated_on=WED,
                citation_url="https://example.org/draft",
            )
            cls.draft.full_clean()
            cls.draft.save()
            cls.draft.submit(by=None)
        with happened_on(THU):
            cls.gap.resolve(by=None, outcome="a_right", rationale="Named releases confirmed it.")
            cls.status = cls.claim(
                cls.sanchez, "affirms", "Ferrer released", THU, detainee=cls.ferrer
            )

    @classmethod
    def claim(cls, source, stance, summary, day, *, lo=None, detainee=None) -> Claim:
        claim = Claim(
            source=source,
            topic=cls.topic,
            detainee=detainee,
            kind="fact",
            stance=stance,
            quantity_min=lo,
            status="released" if detainee else "",
            quote=summary + ".",
            summary=summary,
            stated_on=day,
            citation_url="https://example.org/report",
        )
        claim.full_clean()
        claim.save()
        claim.approve(by=None)
        return claim

    def page(self, url: str, day: str):
        return self.client.get(url, {"as_known_on": day})

    def test_monday_knew_only_mondays_word(self):
        response = self.page(self.topic.get_absolute_url(), "2015-01-05")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "A view of the past.")
        self.assertContains(response, "Unable to say")
        self.assertNotContains(response, "Some of the 53 released")
        self.assertContains(response, "No conflict was open then.")
        self.assertContains(
            response,
            f'<link rel="canonical" href="http://testserver{self.topic.get_absolute_url()}'
            '?as_known_on=2015-01-05">'.replace("http://testserver", self.site()),
            html=False,
        )
        self.assertContains(response, f'href="{self.topic.get_absolute_url()}">See this page')

    def site(self) -> str:
        from django.conf import settings

        return settings.SITE_URL

    def test_tuesday_had_the_gap_open(self):
        response = self.page(self.topic.get_absolute_url(), "2015-01-06")
        self.assertContains(response, "Some of the 53 released")
        self.assertContains(response, f"Conflict #{self.gap.pk}</a>, a gap")
        self.assertContains(response, "No conflict had been resolved by then.")

    def test_thursday_had_it_resolved_not_open(self):
        response = self.page(self.topic.get_absolute_url(), "2015-01-08")
        self.assertContains(response, "No conflict was open then.")
        self.assertContains(response, "Named releases confirmed it.")

    def test_a_claim_never_approved_never_shows_nor_its_day(self):
        for day in ("2015-01-05", "2015-01-07", "2015-01-08", timezone.localdate().isoformat()):
            response = self.page(self.topic.get_absolute_url(), day)
            self.assertNotContains(response, "A SECRET DRAFT")
        # Wednesday saw only the draft: not a day a reader can be sent to.
        self.assertNotContains(response, 'datetime="2015-01-07"')
        self.assertContains(response, 'datetime="2015-01-06"')

    def test_the_timeline_links_the_days_before_and_after(self):
        response = self.page(self.topic.get_absolute_url(), "2015-01-06")
        url = self.topic.get_absolute_url()
        self.assertContains(response, f'rel="prev" href="{url}?as_known_on=2015-01-05"')
        self.assertContains(response, f'rel="next" href="{url}?as_known_on=2015-01-08"')
        self.assertContains(response, 'aria-current="page"')

    def test_the_detainee_page_as_known_on(self):
        url = self.ferrer.get_absolute_url()
        self.assertNotContains(self.page(url, "2015-01-06"), "Ferrer released")
        self.assertContains(self.page(url, "2015-01-08"), "Ferrer released")

    def test_the_conflict_page_as_known_on(self):
        url = self.gap.get_absolute_url()
        self.assertContains(self.page(url, "2015-01-05"), "had not been flagged yet")
        tuesday = self.page(url, "2015-01-06")
        self.assertContains(tuesday, "<strong>Open</strong> gap")
        self.assertContains(tuesday, "Some of the 53 released")
        self.assertContains(self.page(url, "2015-01-08"), "<strong>Resolved</strong>")

    def test_a_claim_retracted_since_is_marked(self):
        self.no_info.retract(by=None, reason="Misquoted.")
        response = self.page(self.topic.get_absolute_url(), "2015-01-06")
        self.assertContains(response, "No information")
        self.assertContains(response, "Retracted since")

    def test_bad_dates_get_a_clear_400(self):
        url = self.topic.get_absolute_url()
        for value, message in (
            ("6 Jan 2015", "is not a date: write it as YYYY-MM-DD"),
            ("2015-02-30", "is not a date"),
            ("2015-1-6", "is not a date"),
            ((timezone.localdate() + timedelta(days=2)).isoformat(), "is in the future"),
        ):
            for page in (url, self.ferrer.get_absolute_url(), self.gap.get_absolute_url()):
                response = self.page(page, value)
                self.assertEqual(response.status_code, 400, (page, value))
                self.assertContains(response, message, status_code=400)

    def test_an_empty_date_is_todays_page(self):
        response = self.page(self.topic.get_absolute_url(), "")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "A view of the past.")

    def test_the_number_of_queries_does_not_grow_with_the_claims(self):
        url = self.topic.get_absolute_url()

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.page(url, "2015-01-08").status_code, 200)
            return len(queries)

        few = count()
        with happened_on(THU):
            for n in range(12):
                source = Source.objects.create(name=f"Monitor {n}", kind=Source.Kind.MONITOR)
                self.claim(source, "affirms", f"Some released ({n})", THU, lo=1)
        self.assertEqual(count(), few)
