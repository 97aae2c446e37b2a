"""The sources list's filters, kept in the query string like every reading list's."""

from __future__ import annotations

import django_filters

from claims.filters import SearchFilter, keep
from claims.search import name_matches, search_terms
from sources.models import CredibilityNote, Source


def country_choices() -> list[tuple[str, str]]:
    """Return the countries sources are recorded in, as their two-letter codes."""
    codes = (
        Source.objects.public()
        .exclude(country="")
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )
    return [(code, code) for code in codes]


class SourceFilterSet(django_filters.FilterSet):
    """Filter sources by kind, country and name; sort by name or by reliability.

    Expects a queryset annotated by `Source.objects.with_record()` to sort by
    reliability. Every sort is explicit: a GROUP BY query drops Meta.ordering.
    """

    SORTS = {
        "name": ("name", "pk"),
        "reliability": ("-reliability", "-confirmed_count", "name", "pk"),
        "least_reliable": ("reliability", "-refuted_count", "name", "pk"),
        "claims": ("-claim_count", "name", "pk"),
    }

    q = SearchFilter(
        method="filter_name",
        label="Name",
        help_text="Accents optional: “Sanchez” finds “Sánchez”.",
    )
    kind = django_filters.ChoiceFilter(choices=Source.Kind.choices, empty_label="Any kind")
    country = django_filters.ChoiceFilter(choices=country_choices, empty_label="Any country")
    sort = django_filters.ChoiceFilter(
        choices=[
            ("reliability", "Most reliable first"),
            ("least_reliable", "Least reliable first"),
            ("claims", "Most claims first"),
        ],
        method=keep,
        label="Sort by",
        empty_label="Name, A to Z",
    )

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        return name_matches(queryset, search_terms(value), "name")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*self.SORTS[self.form.cleaned_data.get("sort") or "name"])


class CredibilityNoteFilterSet(django_filters.FilterSet):
    """Narrow the API's list of notes to a source or an aspect (the HTML shows them per source)."""

    # Only the sources the user may see: an unpublished one's id is "not a choice", as
    # an id that exists nowhere (no way to probe for research).
    source = django_filters.ModelChoiceFilter(
        queryset=lambda request: Source.objects.visible_to(getattr(request, "user", None))
    )
    aspect = django_filters.ChoiceFilter(
        choices=CredibilityNote.Aspect.choices, empty_label="Any aspect"
    )

    class Meta:
        model = CredibilityNote
        fields: list[str] = []
