import re
from datetime import date
from itertools import pairwise
from unittest import mock

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import detection
from claims.models import Claim, Conflict, Document
from claims.views.claims import SHOWN_CONFLICTS
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything
from tests.roles import RoleCast


class ClaimPageTests(JanuaryCast, TestCase):
    def get(self, claim):
        return self.client.get(reverse("claims:detail", args=[claim.pk]))

    def test_it_shows_the_quote_speaker_affiliation_and_notes(self):
        response = self.get(self.some_released)

        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "Jen Psaki")
        self.assertContains(response, "U.S. Department of State")
        self.assertContains(response, self.psaki_note.body)

    def test_it_lists_the_conflicts_the_claim_is_in(self):
        response = self.get(self.some_released)

        self.assertEqual(len(response.context["conflicts"]), 1)
        self.assertContains(response, "We don&#x27;t have any information up to now")

    def test_it_shows_the_earlier_statement_it_updates(self):
        response = self.get(self.some_released)

        self.assertEqual(list(response.context["supersedes"]), [self.monday])

    def test_it_keeps_the_permalink_of_a_retracted_claim_with_the_reason(self):
        self.demand.retract(by=None, reason="Misattributed")

        response = self.get(self.demand)

        self.assertContains(response, "Retracted")
        self.assertContains(response, "Misattributed")

    def test_it_hides_a_pending_claim(self):
        self.demand.state = Claim.State.PENDING
        self.demand.save()

        self.assertEqual(self.get(self.demand).status_code, 404)

    def test_it_shows_the_dates_it_was_stated_on_and_is_about(self):
        late = self.claim(
            self.psaki,
            stance=Claim.Stance.AFFIRMS,
            quote="By Monday some had been freed",
            summary="Some freed by Monday",
            stated_on=date(2015, 1, 8),
            as_of=date(2015, 1, 5),
        )

        response = self.get(late)

        self.assertContains(response, "Thursday, Jan 8, 2015")
        self.assertContains(response, "Monday, Jan 5, 2015</time> (the day the statement is about)")

    def test_it_shows_the_document_with_its_links(self):
        Document.objects.filter(pk=self.article.pk).update(
            publisher="Wire report",
            url="https://example.org/cuba",
            archive_url="https://web.archive.org/example.org/cuba",
        )
        Claim.objects.filter(pk=self.some_released.pk).update(
            citation_url="https://example.org/cuba#psaki"
        )

        response = self.get(self.some_released)

        self.assertContains(
            response, "US: Cuba Has Released Some of 53 &#x27;Political&#x27; Prisoners"
        )
        self.assertContains(response, "Wire report")
        self.assertContains(response, "Jan 6, 2015")
        self.assertContains(response, 'href="https://example.org/cuba"')
        self.assertContains(response, 'href="https://web.archive.org/example.org/cuba"')
        self.assertContains(response, 'href="https://example.org/cuba#psaki"')

    def test_it_shows_the_later_statement_that_updates_it(self):
        response = self.get(self.monday)

        self.assertContains(response, "The later statement that updates this one")
        self.assertContains(response, f'id="later-claim-{self.some_released.pk}"')

    def test_it_says_when_there_is_no_update_either_way(self):
        self.assertContains(self.get(self.no_information), "No update:")

    def test_it_offers_a_ready_to_paste_citation_line(self):
        response = self.get(self.some_released)

        self.assertEqual(
            response.context["citation"],
            'Jen Psaki (U.S. Department of State), "They have already released some of the '
            "prisoners\", Jan 6, 2015, in \"US: Cuba Has Released Some of 53 'Political' "
            f'Prisoners" — Crosscheck claim #{self.some_released.pk}, '
            f"{settings.SITE_URL}/claims/{self.some_released.pk}/",
        )
        self.assertContains(response, '<label for="citation-line">')
        self.assertContains(response, '<textarea id="citation-line" readonly')

    def test_it_shortens_a_long_quote_in_the_citation_and_escapes_it(self):
        long = self.claim(
            self.rubio,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="<b>Talks</b> " + "must wait " * 40,
            summary="Talks must wait",
            document=None,
        )

        response = self.get(long)

        citation = response.context["citation"]
        self.assertIn("…", citation)
        self.assertLess(len(citation), 260)
        self.assertNotIn(', in "', citation)  # no document recorded
        self.assertContains(response, "&lt;b&gt;Talks&lt;/b&gt;")
        self.assertNotContains(response, "<b>Talks</b>")

    def test_it_marks_a_retracted_claim_in_its_citation(self):
        self.demand.retract(by=None, reason="Misattributed")

        self.assertIn("(retracted)", self.get(self.demand).context["citation"])

    def test_it_says_where_you_are_in_the_title(self):
        self.assertContains(
            self.get(self.some_released),
            f"<title>Claim #{self.some_released.pk}: Some of the 53 released — Jen Psaki",
        )

    def test_it_keeps_headings_in_order_and_ids_unique(self):
        body = self.get(self.some_released).content.decode()

        levels = [int(n) for n in re.findall(r"<h([1-6])", body)]
        self.assertTrue(all(b - a <= 1 for a, b in pairwise(levels)), levels)
        ids = re.findall(r'\sid="([^"]+)"', body)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertNotIn("style=", body)


class ClaimInManyConflictsTests(RoleCast, JanuaryCast, TestCase):
    """A claim many sources contradict: its page shows the first conflicts and links to all."""

    def deny(self, n: int, start: int) -> None:
        """n sources, each denying that any prisoner was released, the day Psaki said some were."""
        # Each speaks for an outlet, as Sanchez for the CCDHRN: their cards read the notes
        # on the outlet, so the pages compared draw the same kinds of conflict.
        outlet = Source.objects.create(name=f"Outlet {start}", kind=Source.Kind.MEDIA)
        voices = Source.objects.bulk_create(
            Source(name=f"Voice {start + i:03}", kind=Source.Kind.MEDIA, affiliation=outlet)
            for i in range(n)
        )
        Claim.objects.bulk_create(
            Claim(
                source=voice,
                topic=self.release,
                document=self.article,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.DENIES,
                quote=f"None of them has been freed, said voice {start + i}.",
                summary=f"None freed ({start + i})",
                stated_on=date(2015, 1, 6),
                state=Claim.State.APPROVED,
            )
            for i, voice in enumerate(voices)
        )
        detection.refresh_variable(self.release.pk, None)
        publish_everything()

    def get(self):
        return self.client.get(reverse("claims:detail", args=[self.some_released.pk]))

    def involving(self):
        claim = self.some_released
        return Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim))

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_conflicts(self):
        self.deny(2, start=0)
        with CaptureQueriesContext(connection) as few:
            small = self.get()
        self.assertLess(len(small.context["conflicts"]), SHOWN_CONFLICTS)

        self.deny(60, start=2)
        with self.assertNumQueries(len(few)):
            large = self.get()
        self.assertEqual(len(large.context["conflicts"]), SHOWN_CONFLICTS)
        self.assertEqual(large.context["conflict_count"], self.involving().count())

    def test_it_shows_open_ones_first_and_links_to_the_conflicts_list_for_all(self):
        self.deny(SHOWN_CONFLICTS + 5, start=0)
        total = self.involving().count()

        response = self.get()

        shown = response.context["conflicts"]
        self.assertGreater(total, SHOWN_CONFLICTS)
        self.assertTrue(all(c.is_open for c in shown))
        link = f"/conflicts/?claim={self.some_released.pk}&amp;status=any"
        self.assertContains(response, f'The first {SHOWN_CONFLICTS} of {total}: <a href="{link}">')
        listed = self.client.get(f"/conflicts/?claim={self.some_released.pk}&status=any")
        self.assertEqual(listed.context["page"].paginator.count, total)

    def test_it_stays_small_where_every_conflict_side_by_side_weighed_more_than_200_kb(self):
        self.deny(80, start=0)

        with mock.patch("claims.views.claims.SHOWN_CONFLICTS", 10_000):
            old = self.get()
        new = self.get()

        self.assertGreater(len(old.content), 200_000)
        self.assertLess(len(new.content), 80_000)

    def test_the_verdict_still_comes_from_the_newest_resolution_past_the_conflicts_shown(self):
        self.deny(SHOWN_CONFLICTS + 5, start=0)
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        gap.resolve(by=self.moderator, outcome=Conflict.Outcome.A_RIGHT, rationale="The list")

        response = self.get()

        self.assertNotIn(gap, response.context["conflicts"])  # open ones fill the list
        self.assertContains(response, "application/ld+json")

    def test_past_the_count_limit_it_shows_the_same_conflicts_and_says_there_are_more(self):
        self.deny(SHOWN_CONFLICTS + 5, start=0)
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        gap.resolve(by=self.moderator, outcome=Conflict.Outcome.A_RIGHT, rationale="The list")
        counted = self.get()

        with self.settings(LIST_COUNT_LIMIT=SHOWN_CONFLICTS):
            capped = self.get()

        self.assertEqual(capped.context["conflicts"], counted.context["conflicts"])
        self.assertEqual(counted.context["conflict_count"], self.involving().count())
        self.assertFalse(counted.context["conflicts_capped"])
        self.assertEqual(capped.context["conflict_count"], SHOWN_CONFLICTS)
        self.assertTrue(capped.context["conflicts_capped"])
        # The verdict's resolution, past the conflicts shown, is found either way.
        self.assertContains(counted, "application/ld+json")
        self.assertContains(capped, "application/ld+json")

    def test_a_closed_conflicts_superseded_claim_names_its_later_statement(self):
        later = self.claim(
            self.sanchez,
            stance=Claim.Stance.AFFIRMS,
            quote="Now we know some were released",
            summary="Some released after all",
            stated_on=date(2015, 1, 7),
        )
        self.no_information.refresh_from_db()
        self.assertEqual(self.no_information.superseded_by, later)

        response = self.get()

        shown = response.context["conflicts"]
        side = next(
            c for conflict in shown for c in conflict.claims if c.pk == self.no_information.pk
        )
        self.assertEqual(side.superseded_by, later)
        self.assertContains(response, "Updated by this source’s later statement")
        self.assertContains(response, "Some released after all")
