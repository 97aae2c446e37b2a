from datetime import date
from unittest.mock import patch

from django.db import connection
from django.test import TestCase

from claims.filters import BoundedSelect, ClaimFilterSet
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything


class ClaimFilterSetTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cuba = Topic.objects.create(title="Talks with Cuba", question="Will talks go on?")
        cls.nunez = Detainee.objects.create(name="José Núñez")
        cls.nunez.topics.add(cls.release)
        cls.spanish = cls.claim(
            cls.ccdhrn,
            detainee=cls.nunez,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="Núñez fue liberado",
            summary="Núñez released",
            language="es",
            stated_on=date(2015, 1, 12),
        )
        cls.talks = cls.claim(
            cls.state_dept,
            topic=cls.cuba,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="Release of all 53 is not a precondition for talks",
            summary="Not a precondition",
            stated_on=date(2015, 1, 8),
        )

    def filter(self, **data):
        filterset = ClaimFilterSet(data, queryset=Claim.objects.public())
        self.assertTrue(filterset.is_valid(), filterset.errors)
        return list(filterset.qs)

    def errors(self, **data):
        filterset = ClaimFilterSet(data, queryset=Claim.objects.public())
        self.assertFalse(filterset.is_valid())
        return filterset.errors

    def test_it_shows_every_approved_claim_newest_first_without_filters(self):
        claims = self.filter()

        self.assertEqual(claims[:2], [self.spanish, self.talks])
        self.assertEqual(claims[-1], self.monday)
        self.assertEqual(len(claims), 6)

    def test_it_filters_by_source(self):
        self.assertEqual(self.filter(source=self.psaki.pk), [self.some_released, self.monday])

    def test_it_filters_by_source_kind(self):
        self.assertEqual(
            set(self.filter(source_kind="monitor")), {self.no_information, self.spanish}
        )

    def test_it_filters_by_affiliation_with_the_body_itself_and_every_level_below(self):
        deputy = Source.objects.create(name="Deputy spokesperson", kind="official")
        deputy.affiliation = self.psaki  # two levels below the department
        deputy.save()
        deeper = self.claim(deputy, stance="affirms", quote="Some freed", summary="Some freed")

        claims = set(self.filter(affiliation=self.state_dept.pk))

        self.assertEqual(claims, {self.talks, self.some_released, self.monday, deeper})

    def test_it_filters_by_topic_slug(self):
        self.assertEqual(self.filter(topic="talks-with-cuba"), [self.talks])

    def test_it_filters_by_detainee(self):
        self.assertEqual(self.filter(detainee=self.nunez.pk), [self.spanish])

    def test_it_filters_by_kind(self):
        self.assertEqual(set(self.filter(kind="position")), {self.talks, self.demand})

    def test_it_filters_by_stance(self):
        self.assertEqual(
            set(self.filter(stance="no_information")), {self.monday, self.no_information}
        )

    def test_it_filters_by_language_among_those_claims_are_in(self):
        self.assertEqual(self.filter(language="es"), [self.spanish])
        self.assertIn("language", self.errors(language="fr"))

    def test_it_filters_by_a_stated_on_date_range_inclusive(self):
        claims = self.filter(stated_after="2015-01-06", stated_before="2015-01-08")

        self.assertEqual(
            set(claims), {self.talks, self.some_released, self.no_information, self.demand}
        )

    def test_it_filters_claims_in_an_open_conflict_and_those_in_none(self):
        self.assertEqual(
            set(self.filter(in_open_conflict="yes")), {self.some_released, self.no_information}
        )
        self.assertNotIn(self.some_released, self.filter(in_open_conflict="no"))

    def test_it_leaves_out_claims_whose_conflict_is_closed(self):
        Conflict.objects.get().dismiss(by=None, reason="Not a real conflict")

        self.assertEqual(self.filter(in_open_conflict="yes"), [])

    def test_it_searches_the_folded_text(self):
        self.assertEqual(self.filter(q="NUNEZ liberado"), [self.spanish])

    def test_it_gives_the_same_rows_to_count_as_it_lists(self):
        for data in [
            {},
            {"q": "released"},
            {"q": "release"},  # the start of "released", and a word of its own
            {"q": "releas", "source": self.psaki.pk},
            {"q": "prisoners", "kind": "position"},
            {"q": "nunez", "sort": "oldest"},
            {"q": "zebra"},
            {"in_open_conflict": "yes"},
        ]:
            with self.subTest(data=data):
                filterset = ClaimFilterSet(data, queryset=Claim.objects.public())
                self.assertTrue(filterset.is_valid(), filterset.errors)
                ids = [row["pk"] for row in filterset.rows_to_count()]
                self.assertEqual(len(ids), len(set(ids)))
                self.assertEqual(set(ids), {claim.pk for claim in filterset.qs})

    def test_it_sorts_oldest_first(self):
        self.assertEqual(self.filter(sort="oldest")[0], self.monday)

    def test_it_sorts_by_source_name_then_newest(self):
        claims = self.filter(sort="source")

        self.assertEqual(claims[0], self.spanish)  # Cuban Commission…
        self.assertEqual(claims[-1], self.talks)  # U.S. Department of State

    def test_it_sorts_by_topic_title_then_newest(self):
        self.assertEqual(self.filter(sort="topic")[-1], self.talks)

    def test_it_sorts_by_relevance_when_searching_without_a_sort(self):
        # SQLite has no ranking: then the newest match comes first.
        claims = self.filter(q="released")

        expected = {self.some_released, self.demand, self.spanish}
        if connection.vendor == "sqlite":
            # SQLite stems: "released" also finds Sanchez's "…on any release" (claims.search).
            expected |= {self.no_information, self.talks}  # "release of all 53…"
        self.assertEqual(set(claims), expected)

    def test_it_gives_the_folded_search_terms_for_highlighting(self):
        filterset = ClaimFilterSet({"q": "Núñez & (Sánchez)"}, queryset=Claim.objects.all())

        self.assertEqual(filterset.search_terms, ["nunez", "sanchez"])
        self.assertEqual(ClaimFilterSet(queryset=Claim.objects.all()).search_terms, [])

    def test_it_reports_bad_values_field_by_field_and_applies_the_rest(self):
        filterset = ClaimFilterSet(
            {"source": "abc", "stated_before": "yesterday", "stance": "denies", "q": "&&"},
            queryset=Claim.objects.public(),
        )

        self.assertEqual(set(filterset.errors), {"source", "stated_before", "q"})
        self.assertEqual(list(filterset.qs), [])  # only "denies" applied: none in the cast


class BoundedSelectTests(JanuaryCast, TestCase):
    """The source, topic and detainee choices list a bounded number of rows."""

    def render_source_field(self, data):
        form = ClaimFilterSet(data, queryset=Claim.objects.public()).form
        return str(form["source"])

    def test_it_lists_at_most_the_limit_and_says_there_are_more(self):
        with patch.object(BoundedSelect, "LIMIT", 2):
            html = self.render_source_field({})

        self.assertEqual(html.count("<option"), 1 + 2 + 1)  # empty, two rows, the notice
        self.assertIn("Only the first 2 are listed here", html)
        self.assertIn("disabled", html)

    def test_it_still_lists_and_selects_a_chosen_row_beyond_the_limit(self):
        last = Source.objects.order_by("-name").first()

        with patch.object(BoundedSelect, "LIMIT", 2):
            html = self.render_source_field({"source": str(last.pk)})

        self.assertIn(f'<option value="{last.pk}" selected>{last.name}</option>', html)

    def test_it_escapes_every_name_and_keeps_the_selects_own_attributes(self):
        hostile = Source.objects.create(name='<b>"Voice" & co</b>', kind=Source.Kind.MEDIA)
        publish_everything()

        html = self.render_source_field({"source": str(hostile.pk)})

        self.assertIn(
            f'<option value="{hostile.pk}" selected>'
            "&lt;b&gt;&quot;Voice&quot; &amp; co&lt;/b&gt;</option>",
            html,
        )
        self.assertNotIn("<b>", html)
        self.assertIn('<select name="source" id="id_source">', html)
        self.assertIn('<option value="">Any source</option>', html)

    def test_it_still_filters_by_a_row_beyond_the_limit(self):
        with patch.object(BoundedSelect, "LIMIT", 1):
            filterset = ClaimFilterSet(
                {"source": str(self.sanchez.pk)}, queryset=Claim.objects.public()
            )

            self.assertEqual(set(filterset.qs), {self.no_information})
