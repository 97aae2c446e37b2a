"""The claim form on its own: names typed as text, the quantity phrasings, the model's messages."""

from datetime import date, timedelta

from django.test import TestCase

from claims.forms import ClaimForm, quantity_bounds, quantity_phrase
from claims.models import QUOTE_MAX_LENGTH, Claim, Detainee, Topic
from tests.editors import EditorialCast


class QuantityPhrasingTests(EditorialCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.arrests = Topic.objects.create(
            title="Arrests since the agreement",
            question="How many have been arrested?",
            quantity_label="people arrested",
            quantity_min=0,
        )

    def test_it_turns_each_phrasing_into_an_interval_bounded_by_the_topic(self):
        table = [
            ("", None, None, (None, None)),
            ("some", None, None, (1, 53)),
            ("all", None, None, (53, 53)),
            ("none", None, None, (0, 0)),
            ("at_least", 10, None, (10, 53)),
            ("exactly", 36, None, (36, 36)),
            ("between", 10, 20, (10, 20)),
            ("at_most", 5, None, (0, 5)),
        ]
        for phrase, n, m, interval in table:
            with self.subTest(phrase=phrase):
                self.assertEqual(quantity_bounds(phrase, n, m, self.release), interval)

    def test_it_leaves_the_top_open_on_a_topic_without_a_highest_count(self):
        self.assertEqual(quantity_bounds("some", None, None, self.arrests), (1, None))
        self.assertEqual(quantity_bounds("at_least", 10, None, self.arrests), (10, None))

    def test_it_gives_back_the_phrasing_of_a_stored_interval(self):
        table = [
            ((None, None), ("", None, None)),
            ((1, 53), ("some", None, None)),
            ((53, 53), ("all", None, None)),
            ((0, 0), ("none", None, None)),
            ((10, 53), ("at_least", 10, None)),
            ((36, 36), ("exactly", 36, None)),
            ((10, 20), ("between", 10, 20)),
            ((0, 5), ("at_most", 5, None)),
        ]
        for (lo, hi), phrasing in table:
            with self.subTest(interval=(lo, hi)):
                claim = Claim(topic=self.release, quantity_min=lo, quantity_max=hi)
                self.assertEqual(quantity_phrase(claim), phrasing)
                phrase, n, m = phrasing
                self.assertEqual(quantity_bounds(phrase, n, m, self.release), (lo, hi))

    def test_it_refuses_all_on_a_topic_without_a_highest_count(self):
        form = self.form(topic=self.arrests.title, quantity="all")

        self.assertFalse(form.is_valid())
        self.assertIn("“All” needs a highest count", form.errors["quantity"][0])

    def test_it_asks_for_a_phrasing_when_only_a_number_is_given(self):
        form = self.form(quantity="", quantity_n="12")

        self.assertFalse(form.is_valid())
        self.assertIn("Choose how the number is phrased", form.errors["quantity"][0])

    def test_it_asks_for_n_and_m(self):
        self.assertIn("Give N", self.form(quantity="at_least").errors["quantity_n"][0])
        form = self.form(quantity="between", quantity_n="3")
        self.assertIn("Give M", form.errors["quantity_m"][0])

    def form(self, **overrides) -> ClaimForm:
        form = ClaimForm(self.claim_data(**overrides), instance=Claim(created_by=self.edna))
        form.is_valid()
        return form


class ClaimFormTests(EditorialCast, TestCase):
    def form(self, instance: Claim | None = None, **overrides) -> ClaimForm:
        form = ClaimForm(self.claim_data(**overrides), instance=instance or Claim())
        form.is_valid()
        return form

    def test_it_accepts_a_sourced_claim_and_fills_the_interval(self):
        form = self.form()

        self.assertTrue(form.is_valid(), form.errors)
        claim = form.instance
        self.assertEqual(
            (claim.source, claim.topic, claim.document), (self.psaki, self.release, self.article)
        )
        self.assertEqual((claim.quantity_min, claim.quantity_max), (1, 53))

    def test_it_finds_names_whatever_their_case(self):
        form = self.form(source="jen psaki", topic="RELEASE OF THE 53 PRISONERS")

        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.instance.source, self.psaki)

    def test_it_offers_to_create_a_source_it_does_not_know(self):
        form = self.form(source="Ben Rhodes")

        self.assertIn("No source is named “Ben Rhodes”", form.errors["source"][0])
        self.assertIn("Create a new source with this name", form.errors["source"][0])

    def test_it_needs_the_kind_of_a_new_source(self):
        form = self.form(source="Ben Rhodes", create_source="on")

        self.assertEqual(form.errors["new_source_kind"], ["Choose the kind of the new source."])

    def test_it_prepares_a_new_source_and_document_without_writing_them(self):
        form = self.form(
            source="Ben Rhodes",
            create_source="on",
            new_source_kind="official",
            new_source_affiliation="U.S. Department of State",
            document="White House briefing, Jan 8",
            create_document="on",
            new_document_kind="transcript",
        )

        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.new_source.affiliation, self.state_dept)
        self.assertIsNone(form.new_source.pk)
        self.assertEqual(form.new_document.kind, "transcript")
        self.assertIsNone(form.new_document.pk)

    def test_it_names_an_unknown_topic_and_detainee(self):
        form = self.form(topic="Weather", detainee="Nobody Known")

        self.assertIn("No topic is titled “Weather”", form.errors["topic"][0])
        self.assertIn("No detainee is named “Nobody Known”", form.errors["detainee"][0])

    def test_it_shows_the_fields_of_an_existing_claim_by_name(self):
        form = ClaimForm(instance=self.some_released)

        self.assertEqual(form.initial["source"], "Jen Psaki")
        self.assertEqual(form.initial["topic"], self.release.title)
        self.assertEqual(form.initial["quantity"], "some")
        self.assertEqual(form.initial["version"], self.some_released.version)
        self.assertEqual(form.initial["seen_state"], "approved")

    def test_it_accepts_a_status_on_a_claim_about_a_detainee(self):
        detainee = Detainee.objects.create(name="Unidentified prisoner 1")
        detainee.topics.add(self.release)

        form = self.form(detainee=detainee.name, quantity="", status="released")

        self.assertTrue(form.is_valid(), form.errors)


class BadInputTests(EditorialCast, TestCase):
    """Each bad input is refused with a message on the field it is about."""

    def errors(self, **overrides) -> dict:
        form = ClaimForm(self.claim_data(**overrides), instance=Claim())
        self.assertFalse(form.is_valid())
        return form.errors

    def test_it_refuses_a_statement_made_in_the_future(self):
        tomorrow = date.today() + timedelta(days=1)
        self.assertIn(
            "is in the future", self.errors(stated_on=tomorrow.isoformat())["stated_on"][0]
        )

    def test_it_refuses_an_as_of_date_after_the_statement(self):
        errors = self.errors(stated_on="2015-01-06", as_of="2015-01-09")
        self.assertIn("cannot be about a day after it was made", errors["as_of"][0])

    def test_it_refuses_inverted_quantities(self):
        errors = self.errors(quantity="between", quantity_n="20", quantity_m="10")
        self.assertIn("The upper bound (10) is below the lower bound (20).", errors["quantity"])

    def test_it_refuses_quantities_outside_the_topics_bounds_and_names_the_bound(self):
        errors = self.errors(quantity="at_least", quantity_n="60")
        self.assertIn(
            "60 is outside the topic's range (prisoners released: 0 to 53).", errors["quantity"]
        )

    def test_it_refuses_a_stance_on_a_position(self):
        errors = self.errors(kind="position", stance="affirms", quantity="")
        self.assertIn("takes no stance", errors["stance"][0])

    def test_it_refuses_a_status_without_a_detainee(self):
        errors = self.errors(quantity="", status="released")
        self.assertIn("A status is reported about a detainee", " ".join(errors["status"]))

    def test_it_refuses_citation_links_that_are_not_web_links(self):
        for url in ("javascript:alert(1)", "ftp://example.org/quote.txt", "data:text/html,hi"):
            with self.subTest(url=url):
                errors = self.errors(citation_url=url, document="")
                self.assertIn("Only web links are accepted", errors["citation_url"][0])

    def test_it_requires_a_citation(self):
        errors = self.errors(document="", citation_url="")
        self.assertIn("Give a citation", errors["citation_url"][0])

    def test_it_refuses_an_empty_quote(self):
        for quote in ("", "   \n "):
            with self.subTest(quote=quote):
                self.assertEqual(
                    self.errors(quote=quote)["quote"],
                    ["Paste the quote verbatim: it cannot be empty."],
                )

    def test_it_refuses_a_100000_character_quote_and_states_the_limit(self):
        errors = self.errors(quote="x" * 100_000)
        self.assertEqual(
            errors["quote"],
            [
                f"The quote is 100000 characters long; the limit is {QUOTE_MAX_LENGTH}. "
                "Quote the passage that makes the claim and cite the full text."
            ],
        )

    def test_it_does_not_let_the_browser_cut_a_long_quote(self):
        self.assertNotIn("maxlength", str(ClaimForm()["quote"]))
