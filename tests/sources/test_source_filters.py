from django.test import TestCase

from claims.models import Conflict
from sources.filters import SourceFilterSet
from sources.models import Source
from tests.cast import JanuaryCast


class SourceFilterSetTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.accented = Source.objects.create(
            name="Elizardo Sánchez Santa Cruz", kind=Source.Kind.MONITOR, country="CU"
        )

    def filter(self, **data):
        filterset = SourceFilterSet(data, queryset=Source.objects.with_record())
        self.assertTrue(filterset.is_valid(), filterset.errors)
        return list(filterset.qs)

    def test_it_orders_by_name_by_default(self):
        names = [s.name for s in self.filter()]

        self.assertEqual(names, sorted(names))

    def test_it_filters_by_kind(self):
        self.assertEqual(self.filter(kind="legislator"), [self.rubio])

    def test_it_filters_by_country_among_those_recorded(self):
        self.assertEqual(self.filter(country="CU"), [self.ccdhrn, self.accented])
        filterset = SourceFilterSet({"country": "FR"}, queryset=Source.objects.all())
        self.assertIn("country", filterset.errors)

    def test_it_searches_names_in_any_accents_and_case(self):
        self.assertEqual(self.filter(q="sanchez"), [self.sanchez, self.accented])
        self.assertEqual(self.filter(q="SÁNCHEZ santa"), [self.accented])

    def test_it_sorts_by_reliability_highest_first_then_by_name(self):
        Conflict.objects.get().resolve(by=None, outcome="a_right", rationale="Confirmed")

        sources = self.filter(sort="reliability")

        self.assertEqual(sources[0], self.psaki)
        self.assertEqual([s.reliability for s in sources[1:]], [0.5] * (len(sources) - 1))
        self.assertEqual([s.name for s in sources[1:]], sorted(s.name for s in sources[1:]))

    def test_it_sorts_by_claim_count(self):
        self.assertEqual(self.filter(sort="claims")[0], self.psaki)

    def test_it_refuses_an_unknown_sort(self):
        filterset = SourceFilterSet({"sort": "name; DROP"}, queryset=Source.objects.with_record())

        self.assertIn("sort", filterset.errors)
        self.assertEqual(len(filterset.qs), 6)
