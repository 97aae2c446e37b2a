import re
from datetime import date, timedelta
from itertools import pairwise
from unittest import mock

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from claims import detection
from claims.models import Claim, Detainee, Document, Topic
from claims.views.conflicts import cluster_index
from claims.views.topics import (
    SHOWN_CLAIMS,
    SHOWN_CONFLICTS,
    SHOWN_DETAINEES,
    SHOWN_EARLIER,
    SHOWN_SOURCES,
)
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast, publish_everything


class TopicPageTests(JanuaryCast, TestCase):
    def get(self):
        return self.client.get(reverse("claims:topic", args=[self.release.slug]))

    def test_it_shows_the_question_and_the_quantity_it_counts(self):
        response = self.get()

        self.assertContains(response, "Has Cuba released the 53 prisoners, and how many?")
        self.assertContains(response, "prisoners released: 0–53")

    def test_it_lists_claims_oldest_first(self):
        claims = list(self.get().context["claims"])

        self.assertEqual(claims[0], self.monday)
        self.assertEqual([c.stated_on for c in claims], sorted(c.stated_on for c in claims))

    def test_it_shows_mondays_statement_as_updated_by_tuesdays(self):
        response = self.get()

        self.assertContains(response, "Updated by this source’s later statement")
        self.assertContains(response, f'id="claim-{self.monday.pk}"')
        self.assertContains(response, "claim claim-superseded")
        self.assertNotContains(response, f"claim-{self.some_released.pk} claim-superseded")

    def test_it_shows_the_open_gap_with_both_sources_notes(self):
        conflicts = list(self.get().context["conflicts"])

        self.assertEqual(len(conflicts), 1)
        self.assertEqual(
            {conflicts[0].claim_a, conflicts[0].claim_b}, {self.some_released, self.no_information}
        )

    def test_it_labels_a_position_as_a_position(self):
        response = self.get()

        self.assertContains(response, "shown as a position, never a contradiction of fact")

    def test_it_hides_claims_not_yet_approved(self):
        pending = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A pending demand",
            summary="Pending",
            stated_on=date(2015, 1, 6),
            state=Claim.State.PENDING,
        )

        self.assertNotContains(self.get(), pending.quote)

    def test_it_escapes_quotes(self):
        self.claim(
            self.rubio,
            kind=Claim.Kind.POSITION,
            quote="<script>alert(1)</script>",
            summary="<b>bold</b>",
        )

        response = self.get()

        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_it_answers_404_for_an_unknown_topic(self):
        response = self.client.get(reverse("claims:topic", args=["no-such-topic"]))

        self.assertEqual(response.status_code, 404)

    def test_it_draws_a_timeline_mark_per_claim_linked_to_its_permalink(self):
        response = self.get()

        for claim in (self.monday, self.some_released, self.no_information):
            self.assertContains(
                response,
                f'<a id="mark-claim-{claim.pk}" class="mark mark-{claim.stance}',
            )
            self.assertContains(response, f'href="{claim.get_absolute_url()}"')
        self.assertContains(response, "mark-no_information mark-superseded")

    def test_it_names_each_mark_in_words(self):
        response = self.get()

        label = (
            "Jen Psaki (U.S. Department of State), Jan 6, 2015: affirms 1–53 prisoners released. "
            "“Some of the 53 released”."
        )
        self.assertContains(response, f"<title>{label}</title>", html=False)
        self.assertContains(response, f'aria-label="{label}"')

    def test_it_labels_each_picture_with_a_title_and_a_description(self):
        response = self.get()

        for chart_id in ("timeline", "range-chart"):
            self.assertContains(response, f'aria-labelledby="{chart_id}-title {chart_id}-desc"')
            self.assertContains(response, f'<title id="{chart_id}-title">')
            self.assertContains(response, f'<desc id="{chart_id}-desc">')
        self.assertContains(response, "1 open conflict, each a line joining its two claims.")

    def test_it_joins_the_two_claims_of_the_open_gap_with_a_line(self):
        response = self.get()

        self.assertContains(response, 'class="conflict-line conflict-line-gap"', count=1)

    def test_it_draws_each_sources_interval_on_the_count(self):
        response = self.get()

        chart = response.context["range_chart"]
        self.assertEqual(
            {m.claim_id for m in chart.marks},
            {self.monday.pk, self.some_released.pk, self.no_information.pk},
        )
        self.assertContains(response, f'id="range-claim-{self.some_released.pk}"')

    def test_it_draws_no_range_chart_for_a_topic_that_counts_nothing(self):
        names = Topic.objects.create(title="Names of the 53", question="Are they named?")
        self.claim(self.psaki, topic=names, stance=Claim.Stance.DENIES, quote="No", summary="No")

        response = self.client.get(reverse("claims:topic", args=[names.slug]))

        self.assertIsNone(response.context["range_chart"])
        self.assertNotContains(response, "range-chart")
        self.assertContains(response, 'id="timeline"')

    def test_it_offers_the_same_claims_as_a_table(self):
        response = self.get()

        self.assertContains(response, "The same claims as a table (4)")
        self.assertContains(
            response, f'Superseded by <a href="{self.some_released.get_absolute_url()}">'
        )

    def test_it_shows_each_sources_current_word_with_earlier_ones_as_history(self):
        picture = {p.source: p for p in self.get().context["picture"]}

        self.assertEqual(list(picture), [self.sanchez, self.psaki, self.rubio])
        self.assertEqual(picture[self.psaki].current, [self.some_released])
        self.assertEqual(picture[self.psaki].earlier, [self.monday])
        self.assertEqual(picture[self.sanchez].current, [self.no_information])
        self.assertContains(self.get(), "Earlier statements from Jen Psaki (1)")

    def test_it_keeps_only_a_sources_newest_position_as_its_current_word(self):
        older = self.claim(
            self.psaki,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="Talks go on",
            summary="Talks go on",
            stated_on=date(2015, 1, 2),
        )
        newer = self.claim(
            self.psaki,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="Talks go on regardless",
            summary="Talks go on regardless",
        )

        [psaki] = [p for p in self.get().context["picture"] if p.source == self.psaki]

        # Newest first, in both lists.
        self.assertEqual(psaki.current, [newer, self.some_released])
        self.assertEqual(psaki.earlier, [self.monday, older])

    def test_it_leaves_claims_about_one_detainee_out_of_the_current_word(self):
        prisoner = Detainee.objects.create(name="Unidentified prisoner 12")
        prisoner.topics.add(self.release)
        about_one = self.claim(
            self.psaki,
            detainee=prisoner,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="He was freed",
            summary="He was freed",
        )

        response = self.get()

        [psaki] = [p for p in response.context["picture"] if p.source == self.psaki]
        self.assertNotIn(about_one, psaki.current + psaki.earlier)
        self.assertEqual(response.context["detainee_statuses"], [(prisoner, [about_one])])
        self.assertContains(response, f'id="mark-claim-{about_one.pk}"')

    def test_it_lists_the_detainees_and_says_when_none_was_reported_on(self):
        Detainee.objects.create(name="Unidentified prisoner 40").topics.add(self.release)

        publish_everything()
        response = self.get()

        self.assertContains(response, "Unidentified prisoner 40")
        self.assertContains(response, "no source has reported on this person yet")

    def test_it_says_what_to_expect_on_a_topic_without_claims(self):
        empty = Topic.objects.create(title="A new question", question="Is it so?")

        publish_everything()
        response = self.client.get(reverse("claims:topic", args=[empty.slug]))

        self.assertEqual(response.status_code, 200)
        self.assertIsNone(response.context["timeline"])
        self.assertContains(response, "No approved claims on this topic yet")
        self.assertContains(response, "No open conflicts on this topic")
        self.assertContains(response, "No source has made an approved claim on this question yet")

    def test_it_says_where_you_are_in_the_title(self):
        self.assertContains(self.get(), "<title>Release of the 53 prisoners · Topic · Crosscheck")

    def test_it_uses_no_inline_style_or_script(self):
        body = self.get().content.decode()

        self.assertNotIn("style=", body)
        self.assertNotIn("<style", body)
        self.assertNotIn("<script>", body)

    def test_it_keeps_headings_in_order(self):
        levels = [int(n) for n in re.findall(r"<h([1-6])", self.get().content.decode())]

        self.assertEqual(levels[0], 1)
        self.assertTrue(all(b - a <= 1 for a, b in pairwise(levels)), levels)

    def test_it_gives_every_element_a_unique_id(self):
        ids = re.findall(r'\sid="([^"]+)"', self.get().content.decode())

        self.assertEqual(len(ids), len(set(ids)), [i for i in ids if ids.count(i) > 1])

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. topic with its counts, 2. the newest claims joined to source,
        # affiliation, topic, detainee, document and update, 3. the current
        # word of the sources who spoke last (with their badges' standing),
        # 4. their earlier statements' ids, 5. those statements, 5b. the
        # history of the documents they cite (edits since publication), 6. the ids
        # of every open conflict (grouped into clusters by the claim they
        # share), 7. the first conflict of each cluster shown, joined to both
        # claims and theirs, 8. the newest resolved conflicts, joined
        # likewise, 9. detainees, 10. their current status, 11.-12. visible
        # notes of every source and affiliation shown, 13. the topic's
        # parties, 14.-15. the speakers' affiliation chains (one query per
        # level of affiliation, not per source: issue 14).
        add_claims(self.release, 10, start=0)
        publish_everything()
        with self.assertNumQueries(16):
            small = self.get()

        add_claims(self.release, 2 * SHOWN_CLAIMS, start=10)
        with self.assertNumQueries(16):
            large = self.get()

        self.assertEqual(len(small.context["claims"]), 4 + 10)
        self.assertEqual(len(large.context["claims"]), SHOWN_CLAIMS)
        self.assertGreater(len(large.context["conflicts"]), len(small.context["conflicts"]))


class LongTopicTests(JanuaryCast, TestCase):
    """A long story's topic page draws the newest part and links to the lists for the rest."""

    def get(self):
        return self.client.get(reverse("claims:topic", args=[self.release.slug]))

    def test_it_draws_the_newest_claims_and_links_to_the_claims_list_for_all(self):
        add_claims(self.release, SHOWN_CLAIMS + 50, start=0)
        total = Claim.objects.public().filter(topic=self.release).count()

        response = self.get()

        shown = response.context["claims"]
        self.assertEqual(len(shown), SHOWN_CLAIMS)
        left_out = (
            Claim.objects.public().filter(topic=self.release).exclude(pk__in=[c.pk for c in shown])
        )
        self.assertEqual(left_out.count(), total - SHOWN_CLAIMS)
        oldest_shown = min((c.stated_on, c.pk) for c in shown)
        self.assertTrue(all((c.stated_on, c.pk) < oldest_shown for c in left_out))
        self.assertEqual([c.stated_on for c in shown], sorted(c.stated_on for c in shown))
        self.assertContains(
            response, f"show the newest {SHOWN_CLAIMS} of the {total} approved claims"
        )
        self.assertContains(response, f'href="/claims/?topic={self.release.slug}"')
        self.assertContains(response, f"The newest {SHOWN_CLAIMS} approved claims on this topic")

    def test_it_says_nothing_is_left_out_when_everything_is_drawn(self):
        response = self.get()

        self.assertNotContains(response, "show the newest")
        self.assertNotContains(response, "are on the conflicts list")
        self.assertContains(response, "Every approved claim on this topic, oldest first")

    def test_it_keeps_every_sources_current_word_however_old(self):
        # Sánchez said "no information" on Jan 7; newer claims from fewer
        # sources than the page shows push it out of the pictures, not out
        # of the current word.
        add_claims(
            self.release,
            SHOWN_CLAIMS + 50,
            start=0,
            first_day=date(2015, 2, 1),
            sources=SHOWN_SOURCES - 5,
        )

        response = self.get()

        self.assertNotIn(self.no_information, response.context["claims"])
        [sanchez] = [p for p in response.context["picture"] if p.source == self.sanchez]
        self.assertEqual(sanchez.current, [self.no_information])

    def test_it_shows_the_sources_who_spoke_last_and_links_to_the_claims_list(self):
        add_claims(
            self.release, 400, start=0, first_day=date(2015, 2, 1), sources=2 * SHOWN_SOURCES
        )
        speakers = (
            Claim.objects.public()
            .filter(topic=self.release, detainee=None)
            .values_list("source", flat=True)
            .distinct()
        )

        response = self.get()

        shown = [p.source for p in response.context["picture"]]
        self.assertEqual(len(shown), SHOWN_SOURCES)
        self.assertNotIn(self.sanchez, shown)  # his last word is from January
        self.assertContains(
            response,
            f"The current word of the {SHOWN_SOURCES} sources who spoke last, "
            f"of the {speakers.count()} on this question",
        )

    def test_it_shows_a_sources_newest_earlier_statements_and_links_to_all(self):
        positions = [
            self.claim(
                self.rubio,
                kind=Claim.Kind.POSITION,
                quote=f"Demand {day}",
                summary=f"Demand {day}",
                stated_on=date(2015, 1, day),
            )
            for day in range(1, 10)
        ]

        response = self.get()

        [rubio] = [p for p in response.context["picture"] if p.source == self.rubio]
        self.assertEqual(rubio.current, [positions[-1]])
        # Rubio's demand from the cast (Jan 6) is earlier too: 8 + 1.
        self.assertEqual(rubio.earlier_count, 9)
        self.assertEqual(len(rubio.earlier), SHOWN_EARLIER)
        self.assertEqual(rubio.earlier[0], positions[-2])
        self.assertContains(response, "Earlier statements from Marco Rubio (9)")
        self.assertContains(
            response, f'?topic={self.release.slug}&amp;source={self.rubio.pk}">all 9 are'
        )

    def test_it_shows_the_largest_clusters_of_open_conflicts_and_links_to_all(self):
        add_claims(self.release, 300, start=0)
        open_conflicts = self.release.conflicts.open()
        total = open_conflicts.count()
        self.assertGreater(total, SHOWN_CONFLICTS)
        # Grouped by the claim they share (claims.views.conflicts): the newest
        # conflict of each of the largest clusters.
        clusters = cluster_index(open_conflicts)[:SHOWN_CONFLICTS]

        response = self.get()

        shown = response.context["conflicts"]
        self.assertEqual([c.pk for c in shown], [cluster.ids[0] for cluster in clusters])
        # 101 open conflicts, in more clusters than are shown: the notice says
        # how many the shown ones stand for and links to them all.
        clustered = sum(cluster.size for cluster in clusters)
        self.assertLess(clustered, total)
        self.assertGreater(total, len(shown))
        self.assertContains(
            response,
            f"The largest {SHOWN_CONFLICTS} groups ({clustered} of the {total} open conflicts",
        )
        self.assertContains(response, "claims</strong>: the newest below.")
        self.assertContains(response, f'href="/conflicts/?topic={self.release.slug}"')
        self.assertContains(response, f'<a href="#open-conflicts">Open conflicts ({total})</a>')

    def test_it_lists_the_first_detainees_and_links_to_the_status_board(self):
        detainees = Detainee.objects.bulk_create(
            Detainee(name=f"Prisoner {n:03}") for n in range(SHOWN_DETAINEES + 5)
        )
        self.release.detainees.add(*detainees)
        about_first = self.claim(
            self.psaki,
            detainee=detainees[0],
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="He was freed",
            summary="He was freed",
        )

        publish_everything()
        response = self.get()

        statuses = response.context["detainee_statuses"]
        self.assertEqual([d for d, _ in statuses], detainees[:SHOWN_DETAINEES])
        self.assertEqual(statuses[0][1], [about_first])
        self.assertContains(response, f"The first {SHOWN_DETAINEES} of {SHOWN_DETAINEES + 5}")
        self.assertContains(response, f'href="/detainees/board/?topic={self.release.slug}"')


def add_claims(
    topic: Topic,
    n: int,
    *,
    start: int,
    first_day: date = date(2015, 1, 1),
    sources: int | None = None,
) -> None:
    """Add n approved claims from n / 10 new sources, then run detection.

    The sources speak for one new outlet; each of them and the outlet has a
    note. Every third claim is about a detainee; the others affirm, deny or
    have no information, over 37 days, so some supersede others and some
    conflict.
    """
    outlet = Source.objects.create(name=f"Outlet {start}", kind=Source.Kind.MEDIA)
    voices = Source.objects.bulk_create(
        Source(name=f"Voice {start + i}", kind=Source.Kind.MEDIA, affiliation=outlet)
        for i in range(sources or max(1, n // 10))
    )
    CredibilityNote.objects.bulk_create(
        CredibilityNote(source=s, body=f"Note on {s.name}", signed_by="Desk")
        for s in [outlet, *voices]
    )
    prisoner = Detainee.objects.create(name=f"Unidentified prisoner {start}")
    prisoner.topics.add(topic)
    # Every card cites a published document, so every page reads its edits (one query).
    report = Document.objects.create(title=f"Report {start}", published_at=timezone.now())
    stances = [Claim.Stance.AFFIRMS, Claim.Stance.DENIES, Claim.Stance.NO_INFORMATION]
    claims = []
    for i in range(n):
        stance = stances[i % 3]
        on_detainee = i % 3 == 0
        claims.append(
            Claim(
                source=voices[i % len(voices)],
                topic=topic,
                detainee=prisoner if on_detainee else None,
                document=report,
                kind=Claim.Kind.FACT,
                stance=stance,
                status=Claim.Status.RELEASED if on_detainee else "",
                quantity_min=1 if stance == Claim.Stance.AFFIRMS and not on_detainee else None,
                quantity_max=53 if stance == Claim.Stance.AFFIRMS and not on_detainee else None,
                quote=f"Quote {start + i}",
                summary=f"Summary {start + i}",
                stated_on=first_day + timedelta(days=i % 37),
                state=Claim.State.APPROVED,
            )
        )
    Claim.objects.bulk_create(claims)
    detection.refresh_variable(topic.pk, None)
    detection.refresh_variable(topic.pk, prisoner.pk)


class HotTopicSizeTests(JanuaryCast, TestCase):
    """The hottest topic's page stays under 200 KB: its lists are bounded and link to the rest."""

    BOUND = 200_000
    OLD_BOUNDS = {
        "SHOWN_CLAIMS": 100,
        "SHOWN_SOURCES": 20,
        "SHOWN_EARLIER": 3,
        "SHOWN_CONFLICTS": 20,
        "SHOWN_DETAINEES": 20,
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        add_claims(cls.release, 600, start=0, sources=30)
        # Quotes as long as a wire story's sentence, as the generated volume's.
        Claim.objects.filter(topic=cls.release).update(
            quote="The families said on Friday that they had not heard from them since the "
            "protests, and that the authorities would not say where they were being held."
        )
        Detainee.topics.through.objects.bulk_create(
            Detainee.topics.through(detainee=d, topic=cls.release)
            for d in Detainee.objects.bulk_create(
                Detainee(name=f"Prisoner {n:03}") for n in range(30)
            )
        )
        publish_everything()

    def get(self):
        return self.client.get(reverse("claims:topic", args=[self.release.slug]))

    def test_the_page_is_under_200_kb_where_the_old_bounds_made_it_heavier(self):
        with mock.patch.multiple("claims.views.topics", **self.OLD_BOUNDS):
            old = self.get()
        new = self.get()

        self.assertGreater(len(old.content), self.BOUND)
        self.assertLess(len(new.content), self.BOUND)

    def test_what_a_reader_needs_comes_first_and_each_list_links_to_all_of_it(self):
        body = self.get().content.decode()
        order = [
            body.index('id="where-this-stands"'),
            body.index('id="at-a-glance"'),
            body.index('id="open-conflicts"'),
            body.index('id="picture"'),
            body.index('id="detainees"'),
        ]
        slug = self.release.slug

        self.assertEqual(order, sorted(order))
        self.assertIn(f'href="/claims/?topic={slug}">All ', body)
        self.assertIn(f'href="/conflicts/?topic={slug}">All ', body)
        self.assertIn(f'href="/claims/?topic={slug}&amp;sort=source">Every source', body)
        self.assertIn(f'href="/detainees/board/?topic={slug}">The status board', body)
