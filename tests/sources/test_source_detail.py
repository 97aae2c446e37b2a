import re
from datetime import date
from itertools import pairwise

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from claims import detection
from claims.models import Claim, Conflict, Document, Topic
from sources.models import CredibilityNote, Source
from sources.views import SOURCE_CLAIMS_PAGE, SOURCE_CONFLICTS_PAGE
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class SourcePageTests(JanuaryCast, TestCase):
    def get(self, source):
        return self.client.get(reverse("sources:detail", args=[source.pk]))

    def test_it_shows_the_affiliation_and_the_affiliated_sources(self):
        self.assertContains(self.get(self.psaki), "U.S. Department of State")
        self.assertContains(self.get(self.state_dept), "Jen Psaki")

    def test_it_shows_notes_newest_first_and_never_hidden_ones(self):
        newer = CredibilityNote.objects.create(
            source=self.psaki, body="Gave no number on Jan 6.", written_on=date(2015, 1, 8)
        )
        hidden = CredibilityNote.objects.create(source=self.psaki, body="Wrong note.")
        hidden.hide(by=None, reason="Posted on the wrong source")

        notes = list(self.get(self.psaki).context["notes"])

        self.assertEqual(notes, [newer, self.psaki_note])

    def test_it_lists_the_sources_claims_and_conflicts(self):
        response = self.get(self.psaki)

        self.assertEqual(set(response.context["claims_page"]), {self.monday, self.some_released})
        self.assertEqual(response.context["open_conflict_count"], 1)
        self.assertEqual(len(response.context["conflicts_page"]), 1)

    def test_it_keeps_judgement_apart_from_record(self):
        response = self.get(self.psaki)

        self.assertContains(response, "(editors’ judgement)")
        self.assertContains(response, "(the app’s arithmetic)")

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get(self.psaki)

        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])

    def test_it_shows_each_note_with_its_author_and_date(self):
        response = self.get(self.psaki)

        self.assertContains(response, "Speaks for a party to the Dec. 17 agreement.")
        self.assertContains(
            response, '— Desk editor, <time datetime="2015-01-07">Jan 7, 2015</time>'
        )

    def test_it_counts_the_record_and_shows_the_formula_beside_the_counts(self):
        conflict = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        refuted = self.claim(
            self.sanchez,
            stance=Claim.Stance.DENIES,
            quote="None have been released",
            summary="None released",
            stated_on=date(2015, 1, 7),
        )
        contradiction = Conflict.objects.get(status=Conflict.Status.OPEN, claim_b=refuted)
        contradiction.resolve(
            by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Lists published"
        )

        response = self.get(self.psaki)

        source = response.context["source"]
        self.assertEqual(
            (source.claim_count, source.open_conflict_count, source.confirmed_count),
            (2, 0, 1),
        )
        self.assertEqual(source.refuted_count, 0)
        self.assertContains(response, Source.RELIABILITY_FORMULA)
        self.assertContains(response, "= (1 + 1) ÷ (1 + 0 + 2) = 0.67")
        self.assertEqual(Conflict.objects.get(pk=conflict.pk).status, Conflict.Status.SUPERSEDED)
        self.assertContains(self.get(self.sanchez), "= (0 + 1) ÷ (0 + 1 + 2) = 0.33")

    def test_it_lists_open_conflicts_before_closed_ones_with_what_was_decided(self):
        later = self.claim(
            self.sanchez,
            stance=Claim.Stance.DENIES,
            quote="None have been released",
            summary="None released",
            stated_on=date(2015, 1, 7),
        )

        response = self.get(self.sanchez)

        open_conflict, closed = response.context["conflicts_page"]
        self.assertEqual(open_conflict.claim_b, later)
        self.assertTrue(open_conflict.is_open)
        self.assertEqual(closed.status, Conflict.Status.SUPERSEDED)
        self.assertContains(response, '<span class="badge badge-open">Open</span>')
        self.assertContains(response, "<strong>Superseded</strong> by")

    def test_it_says_a_source_speaks_for_itself_when_it_has_no_affiliation(self):
        self.assertContains(self.get(self.rubio), "None recorded: speaks for itself.")

    def test_it_says_what_to_expect_when_a_source_has_no_claims_or_notes(self):
        self.demand.retract(by=None, reason="Not his words.")
        response = self.get(self.rubio)

        self.assertContains(response, "No approved claims from Marco Rubio yet.")
        self.assertContains(response, "No conflict involves Marco Rubio’s claims.")
        response = self.get(self.state_dept)
        self.assertContains(response, "No credibility notes on U.S. Department of State yet.")

    def test_it_keeps_headings_in_order_without_inline_style(self):
        body = self.get(self.psaki).content.decode()

        levels = [int(n) for n in re.findall(r"<h([1-6])", body)]
        self.assertEqual(levels[0], 1)
        self.assertTrue(all(b - a <= 1 for a, b in pairwise(levels)), levels)
        self.assertNotIn("style=", body)

    def test_it_says_where_you_are_in_the_title(self):
        self.assertContains(self.get(self.psaki), "<title>Jen Psaki · Source · Crosscheck")

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. source with its record (its counters) joined to its affiliation,
        # 2. its claims as a party, counted by verdict, 3. sources affiliated
        # to it, 4. the ids of those who speak for it, 5. how many approved
        # claims it and they made, 6. the ids of a page of them, 7. those
        # claims joined to source, affiliation, topic, detainee, document and
        # update, with their badges' standing, 8. the ids of the conflicts
        # those claims are in, in order (counted and paged from the one
        # read), 9. the page of those conflicts, joined to both claims,
        # sources, affiliations, topics, detainees, documents and who decided,
        # 10. visible notes with their authors, 11. its history since
        # publication, for the renames it shows, 12. the history of the
        # documents the cards cite, for their edits since publication (the
        # claims' detainees' too, when a card has one).
        add_claims(self.psaki, 10, start=0)
        with self.assertNumQueries(12):
            small = self.get(self.psaki)

        add_claims(self.psaki, 190, start=10)
        with self.assertNumQueries(12):
            large = self.get(self.psaki)

        self.assertEqual(small.context["claims_page"].paginator.count, 2 + 10)
        self.assertEqual(large.context["claims_page"].paginator.count, 2 + 200)
        self.assertEqual(len(large.context["claims_page"]), SOURCE_CLAIMS_PAGE)
        self.assertEqual(small.context["conflicts_page"].paginator.count, 1 + 10)
        self.assertEqual(large.context["conflicts_page"].paginator.count, 1 + 200)
        self.assertEqual(len(large.context["conflicts_page"]), SOURCE_CONFLICTS_PAGE)
        # An organisation's page, rolling up its spokeswoman's: as many queries.
        with self.assertNumQueries(12):
            department = self.get(self.state_dept)
        self.assertEqual(department.context["claims_page"].paginator.count, 2 + 200)


def add_claims(source: Source, n: int, *, start: int) -> None:
    """Add n approved claims by the source, each on its own topic against another voice's."""
    voices = Source.objects.bulk_create(
        Source(name=f"Voice {start + i}", kind=Source.Kind.MEDIA) for i in range(n // 10 or 1)
    )
    topics = Topic.objects.bulk_create(
        Topic(title=f"Question {start + i}", slug=f"question-{start + i}", question="Is it?")
        for i in range(n)
    )
    # Every card cites a published document, so every page reads its edits (one query).
    report = Document.objects.create(title=f"Report {start}", published_at=timezone.now())
    claims = []
    for i, topic in enumerate(topics):
        for speaker, stance in ((source, "affirms"), (voices[i % len(voices)], "denies")):
            claims.append(
                Claim(
                    source=speaker,
                    topic=topic,
                    document=report,
                    kind=Claim.Kind.FACT,
                    stance=stance,
                    quote=f"Quote {start + i}",
                    summary=f"Summary {start + i}",
                    stated_on=date(2015, 1, 6),
                    state=Claim.State.APPROVED,
                )
            )
    Claim.objects.bulk_create(claims)
    for topic in topics:
        detection.refresh_variable(topic.pk, None)


class OrganisationRollUpTests(JanuaryCast, TestCase):
    def get(self, source, **params):
        return self.client.get(reverse("sources:detail", args=[source.pk]), params)

    def test_the_ccdhrn_page_shows_sanchezs_claim_and_the_open_gap_labelled_as_his(self):
        response = self.get(self.ccdhrn)
        body = response.content.decode()

        self.assertEqual(list(response.context["claims_page"]), [self.no_information])
        [gap] = response.context["conflicts_page"]
        self.assertEqual(gap.kind, Conflict.Kind.GAP)
        self.assertTrue(gap.is_open)
        self.assertIn(
            "Claims by Cuban Commission for Human Rights and National Reconciliation", body
        )
        self.assertIn(
            f'Made by <a href="{self.sanchez.get_absolute_url()}">Elizardo Sanchez</a>, '
            "who speaks for Cuban Commission for Human Rights and National Reconciliation",
            body,
        )
        self.assertIn("In an open gap with Jen Psaki", body)

    def test_a_person_s_own_page_does_not_label_its_claims_as_someone_elses(self):
        self.assertNotContains(self.get(self.sanchez), "Made by")

    def test_it_rolls_up_two_levels_down(self):
        desk = Source.objects.create(
            name="Havana desk", kind=Source.Kind.MONITOR, affiliation=self.sanchez
        )
        reporter_claim = self.claim(
            desk, stance=Claim.Stance.NO_INFORMATION, quote="Nothing yet", summary="Nothing yet"
        )

        response = self.get(self.ccdhrn)

        self.assertIn(reporter_claim, list(response.context["claims_page"]))

    def test_it_pages_the_claims_and_the_conflicts_apart(self):
        add_claims(self.sanchez, SOURCE_CLAIMS_PAGE + 5, start=0)

        first = self.get(self.ccdhrn)
        second = self.get(self.ccdhrn, page=2, conflicts_page=2)

        self.assertEqual(len(first.context["claims_page"]), SOURCE_CLAIMS_PAGE)
        self.assertEqual(len(second.context["claims_page"]), 1 + 5)
        self.assertEqual(len(second.context["conflicts_page"]), 1 + 5)
        self.assertContains(first, "page=2#claims")
        self.assertContains(first, "conflicts_page=2#conflicts")

    def test_a_page_past_the_end_shows_the_last_with_a_notice(self):
        response = self.get(self.ccdhrn, page=9)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "There is no page “9”")


class NoRecordYetTests(JanuaryCast, TestCase):
    def test_a_source_with_no_resolved_claim_shows_no_record_yet_never_a_bare_half(self):
        for url in (
            reverse("sources:detail", args=[self.psaki.pk]),
            reverse("sources:list"),
        ):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertContains(response, "No record yet")
                self.assertNotContains(response, "0.50")

    def test_a_source_with_a_verdict_shows_its_estimate(self):
        Conflict.objects.get(claim_a=self.some_released).resolve(
            by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Confirmed."
        )

        self.assertContains(
            self.client.get(reverse("sources:detail", args=[self.psaki.pk])),
            "= (1 + 1) ÷ (1 + 0 + 2) = 0.67",
        )


class NoteAuthorTests(RoleCast, JanuaryCast, TestCase):
    def test_an_unsigned_note_shows_its_authors_full_name_else_a_neutral_label(self):

        named = CredibilityNote.objects.create(source=self.rubio, body="A", created_by=self.editor)
        login_only = CredibilityNote.objects.create(
            source=self.rubio, body="B", created_by=self.other_editor
        )

        response = self.client.get(self.rubio.get_absolute_url())

        self.assertEqual(named.author_name, "Ed Itor")
        self.assertEqual(login_only.author_name, "A newsroom editor")
        self.assertContains(response, "A newsroom editor")
        self.assertNotContains(response, "— edna")

    def test_a_rename_after_publication_is_shown_with_when_and_by_whom(self):
        self.rubio.name = "Sen. Marco Rubio"
        self.rubio._history_user = self.editor
        self.rubio.save()

        response = self.client.get(self.rubio.get_absolute_url())

        self.assertContains(response, "Renamed from “Marco Rubio”")
        self.assertContains(response, "by Ed Itor")
