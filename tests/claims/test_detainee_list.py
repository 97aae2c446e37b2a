from django.test import TestCase, override_settings
from django.urls import reverse

from claims.filters import DetaineeFilterSet
from claims.models import Claim, Detainee, Topic
from tests.cast import JanuaryCast, publish_everything


class DetaineeListTests(JanuaryCast, TestCase):
    url = reverse("claims:detainees")

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.nunez = Detainee.objects.create(name="José Núñez", aliases=["Pepe el Tigre"])
        cls.nunez.topics.add(cls.release)
        cls.unidentified = Detainee.objects.create(name="Unidentified prisoner 12")
        cls.unidentified.topics.add(cls.release)
        cls.claim(
            cls.sanchez,
            detainee=cls.nunez,
            stance="affirms",
            status=Claim.Status.RELEASED,
            quote="Salió",
            summary="Released",
        )

    def get(self, **params):
        return self.client.get(self.url, params)

    def test_it_lists_detainees_by_name_with_topics_and_claim_counts(self):
        publish_everything()
        response = self.get()

        self.assertEqual(list(response.context["page"]), [self.nunez, self.unidentified])
        self.assertEqual(response.context["page"][0].claim_count, 1)
        self.assertContains(response, "Pepe el Tigre")
        self.assertContains(response, "Release of the 53 prisoners")
        self.assertContains(response, "/detainees/board/?topic=release-of-the-53-prisoners")
        self.assertContains(response, "<caption>", count=1)

    def test_it_lists_a_withheld_name_like_any_other(self):
        publish_everything()
        response = self.get(q="unidentified 12")

        self.assertEqual(list(response.context["page"]), [self.unidentified])

    def test_it_finds_a_name_without_its_accents(self):
        self.assertEqual(list(self.get(q="jose nunez").context["page"]), [self.nunez])

    def test_it_says_what_to_do_when_nothing_matches(self):
        self.assertContains(self.get(q="Castro"), "No detainee matches.")

    def test_it_returns_only_the_results_to_htmx(self):
        response = self.client.get(self.url, {"q": "nunez"}, headers={"HX-Request": "true"})

        self.assertNotContains(response, "<form")
        self.assertContains(response, "1 detainee")

    def test_it_gives_a_normal_page_for_bad_input(self):
        for params, message in [
            ({"topic": "nope"}, "Select a valid choice."),
            ({"q": "*:&"}, "Type a word to look for"),
            ({"q": "<img src=x>"}, "&lt;img src=x&gt;"),
            ({"q": "a' OR '1'='1"}, "0 detainees"),
            ({"q": "(.*)[x]{2}\\d+$^"}, "0 detainees"),
            ({"page": "-1"}, "There is no page “-1”: showing page 1 of 1."),
        ]:
            with self.subTest(params=params):
                response = self.get(**params)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        self.assertEqual(self.get().status_code, 302)


class DetaineeFilterSetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.release = Topic.objects.create(title="Release of the 53", question="?")
        cls.other = Topic.objects.create(title="Other topic", question="?")
        cls.nunez = Detainee.objects.create(name="José Núñez", aliases=["Pepe el Tigre"])
        cls.nunez.topics.add(cls.release)
        cls.sanchez = Detainee.objects.create(name="Ana Pérez", aliases=["Ana Sánchez"])
        cls.sanchez.topics.add(cls.release, cls.other)
        cls.plain = Detainee.objects.create(name="Unidentified prisoner 12")

    def filter(self, **data):
        filterset = DetaineeFilterSet(data, queryset=Detainee.objects.order_by("name"))
        self.assertTrue(filterset.is_valid(), filterset.errors)
        return list(filterset.qs)

    def test_it_matches_a_name_in_any_accents_and_case(self):
        for query in ["Nunez", "NÚÑEZ", "josé", "jose nun"]:
            with self.subTest(query=query):
                self.assertEqual(self.filter(q=query), [self.nunez])

    def test_it_matches_an_alias_in_any_accents(self):
        # SQLite stores JSON with \u escapes; the pattern matches those too.
        self.assertEqual(self.filter(q="sanchez"), [self.sanchez])
        self.assertEqual(self.filter(q="tigre"), [self.nunez])

    def test_it_requires_every_word_in_the_name_or_an_alias(self):
        self.assertEqual(self.filter(q="ana sanchez"), [self.sanchez])
        self.assertEqual(self.filter(q="ana nunez"), [])

    def test_it_treats_regular_expression_characters_as_text(self):
        self.assertEqual(self.filter(q="prisoner.12"), [])
        self.assertEqual(self.filter(q="[a-z]+"), [])

    def test_it_filters_by_topic(self):
        publish_everything()
        self.assertEqual(self.filter(topic=self.release.slug), [self.sanchez, self.nunez])
        self.assertEqual(self.filter(topic=self.other.slug), [self.sanchez])


class DetaineeListQueryCountTests(TestCase):
    url = reverse("claims:detainees")

    @classmethod
    def setUpTestData(cls):
        cls.topics = [Topic.objects.create(title=f"Topic {n}", question="?") for n in range(3)]

    def add_detainees(self, count, start=0):
        detainees = Detainee.objects.bulk_create(
            Detainee(name=f"Unidentified prisoner {start + n}", aliases=[f"P{n}"])
            for n in range(count)
        )
        Through = Detainee.topics.through
        Through.objects.bulk_create(
            Through(detainee=detainee, topic=topic)
            for detainee in detainees
            for topic in self.topics[: 1 + detainee.pk % 3]
        )
        publish_everything()

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_detainees(self):
        # 1. count, 2. the page of detainees with their approved claim counts,
        # 3. their topics, 4. the topic choices of the form.
        self.add_detainees(10)
        with self.assertNumQueries(4):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)

        self.add_detainees(190, start=10)
        with self.assertNumQueries(4):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 50)

    def test_it_runs_as_many_queries_when_searching_a_topic(self):
        # As above, after 1. finding the topic named in the link.
        self.add_detainees(10)
        params = {"q": "prisoner", "topic": self.topics[0].slug}
        publish_everything()
        with self.assertNumQueries(5):
            self.client.get(self.url, params)
        self.add_detainees(190, start=10)
        with self.assertNumQueries(5):
            self.client.get(self.url, params)
