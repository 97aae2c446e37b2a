"""The search grammar (claims.search): "phrases", -word, OR; sources' aliases; the header box.

Each table row is a query and the claims it must find, on the database the
suite runs on (SQLite by default, PostgreSQL with DATABASE_URL): the same
answers on both, except where a row says otherwise, which is the documented
difference (SQLite stems English words; PostgreSQL's 'simple' search does not).
"""

from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from claims.models import Claim
from claims.search import parse_query, search_parsed, stem
from tests.cast import JanuaryCast

# (query, what it finds on both databases) or (query, on SQLite, on PostgreSQL).
GRAMMAR = [
    ('"already released"', {"some_released"}),
    ('"some released"', set()),
    ("prisoners -psaki", {"demand"}),
    ('prisoners -"jen psaki"', {"demand"}),
    ("freed OR information", {"monday", "no_information"}),
    ("freed or information -sanchez", {"monday"}),
    ("obama OR sanchez talks", {"demand"}),
    # OR binds looser than the spaces, as websearch_to_tsquery reads it.
    ("talks OR freed -obama", {"demand", "monday"}),
    ("obama talks OR sanchez information", {"demand", "no_information"}),
    ('"jen psaki" freed', {"monday"}),
    ("-psaki obama", {"demand"}),
    # The example: today it found only Psaki's claim.
    ("released -Psaki", {"demand", "no_information"}, {"demand"}),
    # Stemming on SQLite: "released" also finds "release".
    ("released", {"some_released", "demand", "no_information"}, {"some_released", "demand"}),
]


class ParseQueryTests(SimpleTestCase):
    def test_it_reads_phrases_exclusions_and_alternatives(self):
        parsed = parse_query('"Already Released" OR freed -"no names" -Psaki prisoners')

        self.assertEqual(
            parsed.groups,
            (
                ((False, ("already", "released")),),
                (
                    (False, ("freed",)),
                    (True, ("no", "names")),
                    (True, ("psaki",)),
                    (False, ("prisoners",)),
                ),
            ),
        )
        self.assertEqual(parsed.words, ["already", "released", "freed", "prisoners"])
        self.assertFalse(parsed.is_plain)

    def test_it_writes_the_same_query_back_for_websearch_to_tsquery(self):
        parsed = parse_query('"already released" OR freed -"no names" -Psaki')

        self.assertEqual(parsed.websearch(), '"already released" or freed -"no names" -psaki')

    def test_plain_words_stay_plain(self):
        parsed = parse_query("Núñez released")

        self.assertTrue(parsed.is_plain)
        self.assertEqual(parsed.words, ["nunez", "released"])

    def test_a_dangling_or_or_minus_asks_nothing_more(self):
        self.assertEqual(parse_query("OR released or").groups, (((False, ("released",)),),))
        self.assertEqual(parse_query("- released").groups, (((False, ("released",)),),))

    def test_an_unclosed_quote_runs_to_the_end(self):
        self.assertEqual(parse_query('"no names').groups, (((False, ("no", "names")),),))

    def test_it_stems_english_words(self):
        self.assertEqual({stem("released"), stem("release"), stem("releases")}, {"releas"})


class SearchGrammarTests(JanuaryCast, TestCase):
    def found(self, query: str) -> set[str]:
        named = {
            getattr(self, name).pk: name
            for name in ("monday", "some_released", "no_information", "demand")
        }
        return {named[c.pk] for c in search_parsed(Claim.objects.public(), parse_query(query))}

    def test_it_answers_the_grammar_table(self):
        for query, *expected in GRAMMAR:
            want = expected[-1] if connection.vendor == "postgresql" else expected[0]
            with self.subTest(query=query, database=connection.vendor):
                self.assertEqual(self.found(query), want)

    def test_the_claims_list_searches_with_the_grammar(self):
        response = self.client.get(reverse("claims:list"), {"q": "prisoners -psaki"})

        self.assertEqual([c.pk for c in response.context["page"]], [self.demand.pk])

    def test_the_claims_list_refuses_a_search_of_only_words_to_leave_out(self):
        response = self.client.get(reverse("claims:list"), {"q": "-psaki"})

        self.assertContains(response, "a search cannot be only words to leave out")

    def test_every_page_has_a_search_box_that_goes_to_the_claims_list(self):
        for url in (reverse("claims:home"), reverse("sources:list"), reverse("claims:conflicts")):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(
                    response,
                    '<form class="site-search" role="search" aria-label="Site search" '
                    f'method="get" '
                    f'action="{reverse("claims:list")}">',
                )
                self.assertContains(response, '<label for="site-search-q">Search claims</label>')


class SourceAliasSearchTests(JanuaryCast, TestCase):
    def found(self, query: str) -> set[int]:
        return {c.pk for c in search_parsed(Claim.objects.public(), parse_query(query))}

    def test_a_claim_is_found_by_its_organisations_acronym(self):
        self.ccdhrn.aliases = ["CCDHRN"]
        self.ccdhrn.save()

        self.assertEqual(self.found("CCDHRN"), {self.no_information.pk})

    def test_a_claim_is_found_by_its_speakers_alias(self):
        self.rubio.aliases = ["Senator Rubio"]
        self.rubio.save()

        self.assertEqual(self.found("senator"), {self.demand.pk})

    def test_a_changed_alias_is_searched_at_once_and_the_old_one_no_longer(self):
        self.state_dept.aliases = ["State Dept"]
        self.state_dept.save()
        self.assertEqual(self.found('"state dept"'), {self.monday.pk, self.some_released.pk})

        self.state_dept.aliases = ["DoS"]
        self.state_dept.save()

        self.assertEqual(self.found("dept"), set())
        self.assertEqual(self.found("dos"), {self.monday.pk, self.some_released.pk})

    def test_the_source_form_takes_aliases_one_per_line_or_by_commas(self):
        from sources.forms import SourceForm

        form = SourceForm(
            {"name": "Granma", "kind": "media", "aliases": "Granma daily, PCC paper\nGD"}
        )
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.save().aliases, ["Granma daily", "PCC paper", "GD"])
