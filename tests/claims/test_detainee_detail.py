import re
from datetime import date, timedelta
from itertools import pairwise
from unittest import mock

from django.test import TestCase, override_settings
from django.urls import reverse

from claims import detection
from claims.models import Claim, Detainee
from claims.views.detainees import SHOWN_DETAINEE_CLAIMS
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast, publish_everything


class DetaineePageTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # A withheld name: the app must work for a person known only as a placeholder.
        cls.prisoner = Detainee.objects.create(name="Unidentified prisoner 12")
        cls.prisoner.topics.add(cls.release)
        cls.unknown = cls.claim(
            cls.sanchez,
            detainee=cls.prisoner,
            stance=Claim.Stance.NO_INFORMATION,
            quote="We cannot confirm",
            summary="Cannot confirm",
            stated_on=date(2015, 1, 3),
        )
        cls.freed = cls.claim(
            cls.psaki,
            detainee=cls.prisoner,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="He was freed on Friday",
            summary="Freed on Friday",
            stated_on=date(2015, 1, 9),
        )
        cls.held = cls.claim(
            cls.sanchez,
            detainee=cls.prisoner,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.IMPRISONED,
            quote="Still held in Combinado del Este",
            summary="Still held",
            stated_on=date(2015, 1, 10),
        )

    def get(self, detainee=None):
        detainee = detainee or self.prisoner
        return self.client.get(reverse("claims:detainee", args=[detainee.pk]))

    def rows(self, response):
        [(topic, rows)] = response.context["status_tables"]
        self.assertEqual(topic, self.release)
        return {row.claim.source: row for row in rows}

    def test_it_works_for_a_withheld_name(self):
        response = self.get()

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<h1>Unidentified prisoner 12</h1>", html=True)
        self.assertContains(response, "<title>Unidentified prisoner 12 · Detainee · Crosscheck")

    def test_it_shows_each_sources_latest_status(self):
        rows = self.rows(self.get())

        self.assertEqual(rows[self.psaki].claim, self.freed)
        self.assertEqual(rows[self.sanchez].claim, self.held)

    def test_it_marks_a_contradiction_between_released_and_held(self):
        response = self.get()
        rows = self.rows(response)

        self.assertEqual(rows[self.psaki].disagreements, [(self.sanchez, "contradiction")])
        self.assertEqual(rows[self.sanchez].disagreements, [(self.psaki, "contradiction")])
        self.assertContains(response, "Disagrees:", count=2)

    def test_it_marks_a_gap_against_no_information(self):
        self.claim(
            self.rubio,
            detainee=self.prisoner,
            stance=Claim.Stance.NO_INFORMATION,
            quote="I have no idea",
            summary="No idea",
            stated_on=date(2015, 1, 10),
        )

        rows = self.rows(self.get())

        self.assertIn((self.rubio, "gap"), rows[self.psaki].disagreements)
        self.assertEqual(
            rows[self.rubio].disagreements, [(self.sanchez, "gap"), (self.psaki, "gap")]
        )

    def test_it_lets_released_and_parole_agree(self):
        self.claim(
            self.sanchez,
            detainee=self.prisoner,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.CONDITIONAL_RELEASE,
            quote="Out on parole",
            summary="Paroled",
            stated_on=date(2015, 1, 11),
        )

        response = self.get()

        self.assertTrue(all(not r.disagreements for r in self.rows(response).values()))
        self.assertContains(response, "Consistent with the others", count=2)

    def test_it_draws_a_status_timeline_with_the_update_and_the_open_conflict(self):
        response = self.get()

        timeline = response.context["timeline"]
        marks = {m.claim_id: m for m in timeline.marks}
        self.assertEqual(set(marks), {self.unknown.pk, self.freed.pk, self.held.pk})
        self.assertTrue(marks[self.unknown.pk].superseded)
        [line] = timeline.lines
        self.assertEqual(line.kind, "contradiction")
        self.assertContains(response, f'id="mark-claim-{self.freed.pk}"')
        self.assertContains(response, "Timeline of the statements about Unidentified prisoner 12")

    def test_it_lists_every_claim_about_the_person_with_the_sources_notes(self):
        response = self.get()

        self.assertEqual(list(response.context["claims"]), [self.unknown, self.freed, self.held])
        self.assertContains(response, self.psaki_note.body)

    def test_it_says_what_to_expect_when_nobody_has_reported_on_the_person(self):
        quiet = Detainee.objects.create(name="Unidentified prisoner 40")

        publish_everything()
        response = self.get(quiet)

        self.assertIsNone(response.context["timeline"])
        self.assertContains(response, "No source has reported on Unidentified prisoner 40")
        self.assertContains(response, "No approved claims about this person yet.")

    def test_it_hides_claims_not_yet_approved(self):
        Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            detainee=self.prisoner,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.EXILED,
            quote="A pending report of exile",
            summary="Exiled",
            stated_on=date(2015, 1, 12),
            state=Claim.State.PENDING,
        )

        self.assertNotContains(self.get(), "A pending report of exile")

    def test_it_answers_404_for_an_unknown_detainee(self):
        response = self.client.get(reverse("claims:detainee", args=[99999]))

        self.assertEqual(response.status_code, 404)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        self.assertEqual(self.get().status_code, 302)

    def test_it_keeps_headings_in_order_without_inline_style(self):
        body = self.get().content.decode()

        levels = [int(n) for n in re.findall(r"<h([1-6])", body)]
        self.assertEqual(levels[0], 1)
        self.assertTrue(all(b - a <= 1 for a, b in pairwise(levels)), levels)
        self.assertNotIn("style=", body)

    def test_it_uses_no_inline_style(self):
        self.assertNotIn("style=", self.get().content.decode())

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. detainee, 2. approved claims about them joined to source,
        # affiliation, topic, detainee, document and update, 3.-4. visible notes
        # of their sources and affiliations, 5. open conflicts on the detainee
        # joined to both claims' sources, 6. the detainee's topics, 7.-8. the
        # detainee's and the cited documents' history (renames, crosscheck/edits.py).
        self.add_reports(10, start=0)
        with self.assertNumQueries(8):
            small = self.get()

        self.add_reports(190, start=10)
        with self.assertNumQueries(8):
            large = self.get()

        self.assertEqual(len(small.context["claims"]), 3 + 10)
        self.assertEqual(len(large.context["claims"]), SHOWN_DETAINEE_CLAIMS)
        self.assertEqual(large.context["claim_count"], 3 + 200)

    def test_it_shows_the_newest_claims_and_links_to_the_claims_list_for_all(self):
        self.add_reports(SHOWN_DETAINEE_CLAIMS + 20, start=0)
        total = Claim.objects.public().filter(detainee=self.prisoner).count()

        response = self.get()

        shown = response.context["claims"]
        newest = Claim.objects.public().filter(detainee=self.prisoner).order_by("stated_on", "pk")
        self.assertEqual(shown, list(newest)[-SHOWN_DETAINEE_CLAIMS:])
        link = f"/claims/?detainee={self.prisoner.pk}"
        self.assertContains(response, f'<a href="{link}">All {total} are on the claims list</a>')
        listed = self.client.get(link)
        self.assertEqual(listed.context["page"].paginator.count, total)
        # Every claim still counts in each source's latest status: the freed and held ones
        # are older than those shown.
        self.assertNotIn(self.held, shown)
        self.assertIn(self.sanchez, self.rows(response))

    def test_it_stays_small_where_every_claim_as_a_card_weighed_more_than_200_kb(self):
        self.add_reports(150, start=0)

        with mock.patch.multiple(
            "claims.views.detainees",
            SHOWN_DETAINEE_CLAIMS=1000,
            SHOWN_DETAINEE_MARKS=1000,
            SHOWN_DETAINEE_LINES=10_000,
        ):
            old = self.get()
        new = self.get()

        self.assertGreater(len(old.content), 200_000)
        self.assertLess(len(new.content), 150_000)

    def add_reports(self, n: int, *, start: int) -> None:
        """Add n approved status reports from n / 10 new sources, each with a note."""
        sources = Source.objects.bulk_create(
            Source(name=f"Monitor {start + i}", kind=Source.Kind.MONITOR)
            for i in range(max(1, n // 10))
        )
        CredibilityNote.objects.bulk_create(
            CredibilityNote(source=s, body=f"Note on {s.name}") for s in sources
        )
        statuses = [Claim.Status.RELEASED, Claim.Status.IMPRISONED, Claim.Status.EXILED]
        Claim.objects.bulk_create(
            Claim(
                source=sources[i % len(sources)],
                topic=self.release,
                detainee=self.prisoner,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.AFFIRMS,
                status=statuses[i % 3],
                quote=f"Report {start + i}",
                summary=f"Report {start + i}",
                document=self.article,  # every card cites one: its edits are read
                stated_on=date(2015, 1, 1) + timedelta(days=i % 30),
                state=Claim.State.APPROVED,
            )
            for i in range(n)
        )
        detection.refresh_variable(self.release.pk, self.prisoner.pk)
