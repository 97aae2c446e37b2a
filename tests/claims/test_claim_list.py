from datetime import date, timedelta
from unittest.mock import patch

from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.filters import ClaimFilterSet
from claims.models import Claim, Detainee, Topic
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast, publish_everything


def bulk_claims(count: int, *, topic: Topic, start: int = 0) -> list[Claim]:
    """Create `count` approved claims, each from its own source with its own note, in bulk.

    Detection does not run (bulk_create skips save()), but the search text is
    written as save() would write it.
    """
    ministry = Source.objects.create(name=f"Bulk ministry {start}", kind=Source.Kind.GOVERNMENT)
    sources = Source.objects.bulk_create(
        # Every other source speaks for the ministry, so affiliations' notes are read too.
        Source(
            name=f"Bulk source {start + n}",
            kind=Source.Kind.OFFICIAL,
            affiliation=ministry if n % 2 else None,
        )
        for n in range(count)
    )
    CredibilityNote.objects.bulk_create(
        CredibilityNote(source=source, body=f"Note on {source.name}\nSecond line", signed_by="Ed")
        for source in [ministry, *sources]
    )
    claims = [
        Claim(
            source=source,
            topic=topic,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS,
            quote=f"Bulk quote {start + n}",
            summary=f"Bulk summary {start + n}",
            stated_on=date(2014, 12, 31) - timedelta(days=n),
            state=Claim.State.APPROVED,
        )
        for n, source in enumerate(sources)
    ]
    for claim in claims:
        claim.search_text = claim.build_search_text()
    made = Claim.objects.bulk_create(claims)
    # Written without Claim.save: publish what they show, as the import does.
    Claim.objects.filter(pk__in=[c.pk for c in made]).publish_what_they_use()
    return made


class ClaimListTests(JanuaryCast, TestCase):
    url = reverse("claims:list")

    def get(self, **params):
        return self.client.get(self.url, params)

    def test_it_lists_approved_claims_newest_first(self):
        draft = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="A draft",
            summary="Draft",
            stated_on=date(2015, 1, 9),
        )

        claims = list(self.get().context["page"])

        self.assertNotIn(draft, claims)
        self.assertEqual(claims[-1], self.monday)
        self.assertEqual(len(claims), 4)

    def test_it_shows_each_claims_essentials(self):
        response = self.get(source=self.psaki.pk, stance="affirms")

        self.assertContains(response, "Jen Psaki")
        self.assertContains(response, "(U.S. Department of State)")
        self.assertContains(response, '<span class="badge badge-kind">Official</span>', html=True)
        self.assertContains(response, "Affirms")  # the stance in words, not colour alone
        self.assertContains(response, "1–53 prisoners released")
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "Tue Jan 6, 2015")
        self.assertContains(response, "Release of the 53 prisoners")
        self.assertContains(response, "Speaks for a party to the Dec. 17 agreement.")

    def test_it_shows_only_the_first_line_of_the_newest_note(self):
        CredibilityNote.objects.create(
            source=self.psaki,
            body="Newer note, first line.\nSecond line stays on the source page.",
            written_on=date(2015, 1, 9),
        )

        response = self.get(source=self.psaki.pk)

        self.assertContains(response, "Newer note, first line.")
        self.assertNotContains(response, "Second line stays on the source page.")
        self.assertNotContains(response, "Speaks for a party to the Dec. 17 agreement.")

    def test_it_falls_back_to_the_note_on_the_body_a_speaker_speaks_for(self):
        CredibilityNote.objects.create(source=self.state_dept, body="Party to the agreement.")
        self.psaki_note.hide(by=None, reason="Test")

        response = self.get(source=self.psaki.pk)

        self.assertContains(response, "Note on U.S. Department of State")
        self.assertContains(response, "Party to the agreement.")

    def test_it_keeps_the_filters_in_the_query_string_of_the_pagination_links(self):
        bulk_claims(60, topic=self.release)

        response = self.get(topic=self.release.slug, kind="fact")

        self.assertContains(response, "?topic=release-of-the-53-prisoners&amp;kind=fact&amp;page=2")

    def test_it_pages_by_50(self):
        bulk_claims(60, topic=self.release)

        first, second = self.get().context["page"], self.get(page=2).context["page"]

        self.assertEqual((len(first), len(second)), (50, 14))

    def test_it_shows_the_last_page_and_says_so_for_a_page_past_the_end(self):
        response = self.get(page=9999999999999999999999)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["page"].number, 1)
        self.assertContains(
            response, "There is no page “99999999999999999999…”: showing page 1 of 1."
        )

    def test_it_shows_the_first_page_for_a_page_that_is_not_a_number(self):
        for page in ["0", "-3", "abc", "1.5", "<b>2</b>", "1e9"]:
            with self.subTest(page=page):
                response = self.get(page=page)

                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.context["page"].number, 1)
                self.assertNotContains(response, "<b>2</b>")

    def test_it_marks_the_search_words_in_the_quote(self):
        response = self.get(q="already RELEAS")

        self.assertEqual(list(response.context["page"]), [self.some_released])
        self.assertContains(
            response, "They have <mark>already</mark> <mark>releas</mark>ed some of the prisoners"
        )
        self.assertContains(response, "<title>Claims matching “already RELEAS”")

    def test_it_finds_nunez_and_sanchez_without_accents(self):
        nunez = Detainee.objects.create(name="José Núñez")
        nunez.topics.add(self.release)
        sanchez = Source.objects.create(name="Elizardo Sánchez Santa Cruz", kind="monitor")
        claim = self.claim(
            sanchez,
            detainee=nunez,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="Núñez salió",
            summary="Núñez released",
        )

        for query in ["Nunez", "sanchez santa", "nunez salio"]:
            with self.subTest(query=query):
                self.assertEqual(list(self.get(q=query).context["page"]), [claim])
        self.assertContains(self.get(q="nunez"), "<mark>Núñez</mark> salió")

    def test_it_orders_by_best_match_when_searching_and_by_the_sort_chosen_otherwise(self):
        response = self.get(q="prisoners", sort="oldest")

        self.assertEqual(list(response.context["page"]), [self.some_released, self.demand])

    def test_it_shows_newest_first_when_too_many_claims_match_to_rank_them(self):
        with patch.object(ClaimFilterSet, "RANK_LIMIT", 1):
            response = self.get(q="prisoners")

        self.assertEqual(list(response.context["page"]), [self.demand, self.some_released])
        # Only PostgreSQL ranks; SQLite shows every search newest first.
        ranks = connection.vendor == "postgresql"
        self.assertEqual(response.context["too_many_to_rank"], ranks)
        self.assertEqual("too many to rank by best match" in response.text, ranks)

    def test_it_returns_only_the_results_to_htmx_with_a_vary_header(self):
        response = self.client.get(self.url, {"stance": "denies"}, headers={"HX-Request": "true"})

        self.assertNotContains(response, "<html")
        self.assertNotContains(response, "<form")
        self.assertContains(response, "0 claims")
        self.assertIn("HX-Request", response["Vary"])

    def test_it_gives_htmx_the_title_of_the_filtered_page(self):
        response = self.client.get(self.url, {"q": "<b>freed</b>"}, headers={"HX-Request": "true"})

        self.assertContains(
            response, "<title>Claims matching “&lt;b&gt;freed&lt;/b&gt;” · Crosscheck</title>"
        )
        self.assertContains(self.get(), "<title>", count=1)

    def test_it_returns_the_whole_page_when_htmx_restores_history(self):
        response = self.client.get(
            self.url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )

        self.assertContains(response, "<html")
        self.assertContains(response, "<title>", count=1)

    def test_it_works_without_javascript_through_a_plain_get_form(self):
        response = self.get()

        self.assertContains(response, '<form class="filters" method="get" action="/claims/"')
        self.assertContains(
            response,
            '<button type="submit" class="button button-primary">Show results</button>',
            html=True,
        )
        self.assertContains(response, "<legend>Filter and search the claims</legend>", html=True)
        self.assertContains(response, 'id="results" class="results" aria-live="polite"')
        self.assertContains(response, '<label for="id_q">Search:</label>', html=True)

    def test_it_says_what_to_do_when_nothing_matches(self):
        response = self.get(q="zebra")

        self.assertContains(response, "No approved claims match.")
        self.assertContains(response, "start again with every claim")

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get()

        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])


class ClaimListQueryCountTests(TestCase):
    url = reverse("claims:list")

    @classmethod
    def setUpTestData(cls):
        cls.topic = Topic.objects.create(title="Bulk topic", question="Is it?")

    def get(self, **params):
        return self.client.get(self.url, params)

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_claims(self):
        # 1. count, 2. source choices, 3. affiliation ("speaking for")
        # choices, 4. topic choices, 5. detainee choices, 6. language choices,
        # 7. the page's ids, in the list's order, from the claims alone,
        # 8. those claims joined to source, affiliation, topic, detainee,
        # document and the claim that updates each one, 9. the visible notes
        # of their sources, 10. of their affiliations.
        bulk_claims(10, topic=self.topic)
        with self.assertNumQueries(10):
            response = self.get()
        self.assertEqual(len(response.context["page"]), 10)

        bulk_claims(190, topic=self.topic, start=10)
        with self.assertNumQueries(10):
            response = self.get()
        self.assertEqual(len(response.context["page"]), 50)

    def test_it_runs_as_many_queries_for_a_search_with_filters(self):
        # As above, after validating 1. the topic named in the link (by slug)
        # and 2. the language (its choices), and with the search in the count
        # and the page's ids: 12 whatever the number of matches.
        bulk_claims(10, topic=self.topic)
        params = {"q": "bulk quote", "topic": self.topic.slug, "language": "en"}
        publish_everything()
        with self.assertNumQueries(12):
            self.get(**params)
        bulk_claims(190, topic=self.topic, start=10)
        with self.assertNumQueries(12):
            self.get(**params)


class ClaimListBadInputTests(JanuaryCast, TestCase):
    """Whatever is in the query string, a normal page: the message beside the field."""

    url = reverse("claims:list")

    def assertNormalPage(self, params, message=None):
        response = self.client.get(self.url, params)
        self.assertEqual(response.status_code, 200)
        if message:
            self.assertContains(response, message)
        return response

    def test_it_explains_an_unknown_source_topic_or_detainee(self):
        for field, value in [
            ("source", "999999"),
            ("source", "abc"),
            ("affiliation", "99999999999999999999999999"),
            ("topic", "no-such-topic"),
            ("detainee", "-1"),
        ]:
            with self.subTest(field=field, value=value):
                response = self.assertNormalPage(
                    {field: value}, "Select a valid choice. That choice is not one of"
                )
                self.assertIn(field, response.context["filterset"].errors)

    def test_it_explains_an_unknown_choice(self):
        for field in ["source_kind", "kind", "stance", "language", "in_open_conflict", "sort"]:
            with self.subTest(field=field):
                self.assertNormalPage({field: "maybe"}, "Select a valid choice. maybe is not one")

    def test_it_explains_a_malformed_date_and_still_applies_the_other_filters(self):
        response = self.assertNormalPage(
            {"stated_after": "2015-13-45", "stance": "affirms"}, "Enter a valid date."
        )

        self.assertEqual(list(response.context["page"]), [self.some_released])
        self.assertContains(response, "These filters could not be applied")
        self.assertContains(response, 'aria-invalid="true"')
        self.assertContains(response, 'aria-describedby="id_stated_after_error"')

    def test_it_explains_a_search_made_only_of_operators(self):
        self.assertNormalPage({"q": "& | ! : * ( ) <->"}, "Type a word to look for")

    def test_it_searches_strings_with_quotes_operators_and_sql_as_words(self):
        for q in [
            "\"some\" 'prisoners'",
            "released & !none | (some):*",
            "a <-> b",
            "x'); DROP TABLE claims_claim; --",
            "%_\\",
        ]:
            with self.subTest(q=q):
                self.assertNormalPage({"q": q})
        self.assertEqual(Claim.objects.count(), 4)

    def test_it_escapes_html_echoed_back(self):
        response = self.assertNormalPage({"q": "<script>alert(1)</script>", "page": "<i>"})

        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertNotContains(response, "<i>”")

    def test_it_refuses_a_search_too_long_or_with_a_nul_character(self):
        self.assertNormalPage({"q": "x" * 201}, "Ensure this value has at most 200 characters")
        self.assertNormalPage({"q": "some\x00"}, "Null characters are not allowed.")
        self.assertNormalPage({"topic": "a\x00b"}, "Null characters are not allowed.")
        self.assertNormalPage({"q": " ".join(f"w{n}" for n in range(13))}, "at most 12 words")

    def test_it_accepts_repeated_and_empty_parameters(self):
        self.client.get(f"{self.url}?stance=affirms&stance=denies&q=&page=&topic=")
        response = self.client.get(f"{self.url}?q=&source=&page=")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["page"]), 4)
