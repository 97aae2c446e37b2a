from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything


class SourceListTests(JanuaryCast, TestCase):
    url = reverse("sources:list")

    def get(self, **params):
        return self.client.get(self.url, params)

    def test_it_lists_sources_by_name_with_their_record(self):
        response = self.get()

        sources = list(response.context["page"])
        self.assertEqual([s.name for s in sources][:2], [self.ccdhrn.name, self.sanchez.name])
        psaki = next(s for s in sources if s == self.psaki)
        self.assertEqual((psaki.claim_count, psaki.open_conflict_count), (2, 1))
        self.assertEqual((psaki.confirmed_count, psaki.refuted_count), (0, 0))
        self.assertContains(response, "No record yet")  # never a bare 0.50

    def test_it_shows_the_reliability_formula_in_the_caption(self):
        response = self.get()

        self.assertContains(response, f"Reliability = {Source.RELIABILITY_FORMULA}")
        self.assertContains(response, '<th scope="col" class="num">Refuted</th>', html=True)

    def test_it_shows_who_a_source_speaks_for(self):
        self.assertContains(self.get(q="psaki"), "U.S. Department of State")

    def test_it_sorts_the_most_reliable_first_after_a_resolution(self):
        Conflict.objects.get().resolve(
            by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Names published on Jan 12"
        )

        sources = list(self.get(sort="reliability").context["page"])

        self.assertEqual(sources[0], self.psaki)
        self.assertAlmostEqual(sources[0].reliability, 2 / 3)

    def test_it_sorts_the_least_reliable_first(self):
        self.claim(self.rubio, stance="denies", quote="None freed", summary="None freed")
        contradiction = Conflict.objects.get(claim_a=self.some_released, claim_b__source=self.rubio)
        contradiction.resolve(
            by=None, outcome=Conflict.Outcome.A_RIGHT, rationale="Some were freed"
        )

        sources = list(self.get(sort="least_reliable").context["page"])

        self.assertEqual(sources[0], self.rubio)
        self.assertAlmostEqual(sources[0].reliability, 1 / 3)

    def test_it_sorts_by_claim_count(self):
        self.assertEqual(self.get(sort="claims").context["page"][0], self.psaki)

    def test_it_says_what_to_do_when_nothing_matches(self):
        self.assertContains(self.get(q="Castro"), "No source matches.")

    def test_it_returns_only_the_results_to_htmx(self):
        response = self.client.get(self.url, {"kind": "monitor"}, headers={"HX-Request": "true"})

        self.assertNotContains(response, "<form")
        self.assertContains(response, "2 sources")

    def test_it_gives_a_normal_page_for_bad_input(self):
        for params, message in [
            ({"kind": "spy"}, "Select a valid choice. spy is not one"),
            ({"country": "ZZ"}, "Select a valid choice. ZZ is not one"),
            ({"sort": "-reliability; DROP TABLE x"}, "Select a valid choice."),
            ({"q": "\"'<>&|!"}, "Type a word to look for"),
            ({"q": "<svg onload=alert(1)>"}, "&lt;svg onload=alert(1)&gt;"),
            ({"page": "last"}, "There is no page “last”: showing page 1 of 1."),
        ]:
            with self.subTest(params=params):
                response = self.get(**params)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertNotContains(response, "<svg onload")

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        self.assertEqual(self.get().status_code, 302)


class SourceListQueryCountTests(TestCase):
    url = reverse("sources:list")

    @classmethod
    def setUpTestData(cls):
        cls.topic = Topic.objects.create(title="Bulk topic", question="Is it?")
        cls.ministry = Source.objects.create(name="Ministry", kind="government", country="CU")

    def add_sources(self, count, start=0):
        sources = Source.objects.bulk_create(
            Source(
                name=f"Source {start + n:03}",
                kind="official",
                country="US",
                affiliation=self.ministry if n % 2 else None,
            )
            for n in range(count)
        )
        Claim.objects.bulk_create(
            Claim(
                source=source,
                topic=self.topic,
                kind="position",
                quote="q",
                summary="s",
                stated_on="2015-01-06",
                state=Claim.State.APPROVED,
            )
            for source in sources
        )
        publish_everything()

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_sources(self):
        # 1. count, 2. the page of sources with their affiliation and record
        # (their counters, reliability), 3. the page's claims as a party,
        # counted by source and verdict, 4. the country choices.
        self.add_sources(9)
        with self.assertNumQueries(4):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)

        self.add_sources(190, start=9)
        with self.assertNumQueries(4):
            response = self.client.get(self.url, {"sort": "reliability"})
        self.assertEqual(len(response.context["page"]), 50)
        self.assertEqual(response.context["page"].paginator.count, 200)
