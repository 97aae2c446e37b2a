"""
The reading lists' filters: one FilterSet per list, kept in the query string
so that every view of a list is a link a journalist can share.

Bad input never breaks a page: an unknown choice, a malformed date or a
search made only of operators becomes a form error shown beside its field,
and the other filters still apply (django-filter leaves an invalid field out
of `cleaned_data`).

Names are searched accent-insensitively without a folded copy in the
database: each folded word becomes a regular expression that matches any
accented or capitalised form of its letters (`claims.search.accent_pattern`),
evaluated by the database (PostgreSQL's `~`, the REGEXP function Django gives
SQLite). No index helps a regular expression, but lists of detainees and
sources are short next to claims, and the scan stays in the database: no row
is loaded to be compared in Python. Claims, the long list, are searched
through their folded `search_text` instead (claims.search).
"""

from __future__ import annotations

import contextlib

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from claims.models import Claim, Conflict, Detainee, Topic
from claims.search import (
    MAX_TERMS,
    ParsedQuery,
    countable_search,
    is_short_prefix,
    name_matches,
    parse_query,
    search_parsed,
    search_terms,
)
from crosscheck.cache import remembered
from sources.models import Source

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class SearchField(forms.CharField):
    """A search box: refuses input that holds no word to look for, or too many words."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "search"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        # Counted as typed, as the box's maxlength and the API schema's maxLength
        # count it: CharField strips the white space first, so "  " + 200
        # letters would pass a 200-character box.
        if isinstance(value, str) and self.max_length and len(value) > self.max_length:
            raise forms.ValidationError(
                f"Ensure this value has at most {self.max_length} characters "
                f"(it has {len(value)}).",
                code="max_length",
            )
        value = super().clean(value).strip()
        if value:
            parsed = parse_query(value)
            if not parsed.words:
                raise forms.ValidationError(
                    "Type a word to look for: symbols such as & | ! * ( ) are not searched "
                    "for, and a search cannot be only words to leave out (-word)."
                )
            if parsed.word_count > MAX_TERMS:
                raise forms.ValidationError(
                    f"Search for at most {MAX_TERMS} words; this search has {parsed.word_count}."
                )
        return value


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class BoundedSelect(forms.Select):
    """A <select> listing at most LIMIT rows of its queryset, plus the chosen one.

    A newsroom's tens of thousands of topics, sources or detainees would
    otherwise be rendered as options on every list page (4.7 MB at a million
    claims). The first LIMIT by name are listed; any value in the query string
    (a link from a topic's or source's page) is still listed and selected, and
    validation still accepts every row.
    """

    LIMIT = 300
    MORE = "__more__"

    def optgroups(self, name, value, attrs=None):
        full = self.choices
        if not isinstance(full, ModelChoiceIterator):
            return super().optgroups(name, value, attrs)
        queryset, field = full.queryset, full.field
        key = field.to_field_name or "pk"
        shown = [("", field.empty_label)] if field.empty_label is not None else []
        rows = list(queryset[: self.LIMIT + 1])
        shown += [full.choice(row) for row in rows[: self.LIMIT]]
        missing = {str(v) for v in value if v} - {str(getattr(r, key)) for r in rows}
        for chosen in sorted(missing):
            # The field's own lookup (one query): a value that is no valid key
            # is left out here, and the field's error says why.
            with contextlib.suppress(ValidationError):
                shown.append(full.choice(field.to_python(chosen)))
        if len(rows) > self.LIMIT:
            shown.append((self.MORE, f"Only the first {self.LIMIT} are listed here"))
        self.choices = shown
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value == self.MORE:
            option["attrs"]["disabled"] = True
        return option

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        """Render the <select> in Python, with the markup of Django's own templates.

        The templates include one template per option, and its attributes'
        template inside it: at a million claims the claims list's form, with
        its lists of 300, took 0.19 s to render, more than all the page's
        queries; with each value and label escaped here, 0.075 s. Options
        carry no attributes but `selected` and `disabled`, and model choices
        have no groups, so there is no <optgroup>.
        """
        widget = self.get_context(name, value, attrs)["widget"]
        options = mark_safe(
            "\n".join(
                f'<option value="{escape(option["value"])}"'
                f"{flatatt(option['attrs']) if option['attrs'] else ''}>"
                f"{escape(option['label'])}</option>"
                for _, group, _ in widget["optgroups"]
                for option in group
            )
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', widget["name"], flatatt(widget["attrs"]), options
        )


class NamedChoiceFilter(django_filters.ModelChoiceFilter):
    """Choose one topic, source or detainee, from a bounded list (BoundedSelect).

    Only published ones (docs/publication.md): the choices are printed on
    public pages, and the lists they filter show approved claims only.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", BoundedSelect)
        super().__init__(*args, **kwargs)


def topic_filter(**kwargs) -> django_filters.ModelChoiceFilter:
    """Choose a topic by its slug, so a shared link reads /claims/?topic=release-of-the-53."""
    kwargs.setdefault("empty_label", "Any topic")
    kwargs.setdefault("label", "Topic")
    return NamedChoiceFilter(
        queryset=Topic.objects.public().order_by("title"), to_field_name="slug", **kwargs
    )


def keep(queryset, name, value):
    """Apply nothing: the value is read in `filter_queryset` (sorting)."""
    return queryset


def language_choices() -> list[tuple[str, str]]:
    """Return the languages approved claims are in, named: ("es", "Spanish").

    Read through every claim, so kept until the next write (crosscheck.cache).
    """

    def codes() -> list[str]:
        return approved_languages()

    return [(code, language_name(code)) for code in remembered("claim-languages", codes)]


def approved_languages() -> list[str]:
    """Return the distinct languages of the approved claims, in order, in one query.

    A SELECT DISTINCT read every approved claim (1.4 s at a million claims,
    on the first list request after each write, when the cache is new). This
    walks the partial index claim_language_idx (migration 0017) from one
    language to the next instead: one index probe per language, whatever the
    number of claims (a "loose index scan", written as a recursive query).
    """
    table = connection.ops.quote_name(Claim._meta.db_table)
    approved = Claim.State.APPROVED
    sql = (
        f"WITH RECURSIVE languages(code) AS ("
        f"SELECT MIN(language) FROM {table} WHERE state = %s "
        f"UNION ALL SELECT (SELECT MIN(language) FROM {table} "
        f"WHERE state = %s AND language > languages.code) "
        f"FROM languages WHERE languages.code IS NOT NULL"
        f") SELECT code FROM languages WHERE code IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [approved, approved])
        return [code for (code,) in cursor.fetchall()]


def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


class ClaimFilterSet(django_filters.FilterSet):
    """Filter and sort the approved claims; `q` searches their folded text."""

    # Ranking reads each match's stored vector (claims.search.StoredVector)
    # and sorts them all: past this many matches the results come newest
    # first instead, and the page says so.
    RANK_LIMIT = 2000
    SORTS = {
        "newest": ("-stated_on", "-pk"),
        "oldest": ("stated_on", "pk"),
        "source": ("source__name", "-stated_on", "-pk"),
        "topic": ("topic__title", "-stated_on", "-pk"),
    }

    q = SearchFilter(
        method="filter_search",
        label="Search",
        help_text="Words in the quote, summary, speaker, speaker's body (names and "
        'acronyms) or detainee; accents optional. "A phrase", -word to leave out, '
        "a OR b.",
    )
    source = NamedChoiceFilter(
        queryset=Source.objects.public().order_by("name"), empty_label="Any source"
    )
    source_kind = django_filters.ChoiceFilter(
        field_name="source__kind",
        choices=Source.Kind.choices,
        label="Source kind",
        empty_label="Any kind",
    )
    affiliation = NamedChoiceFilter(
        queryset=Source.objects.public().order_by("name"),
        method="filter_affiliation",
        label="Speaking for",
        empty_label="Any body",
        help_text="The body and everyone who speaks for it.",
    )
    topic = topic_filter()
    detainee = NamedChoiceFilter(
        queryset=Detainee.objects.public().order_by("name"), empty_label="Any or none"
    )
    kind = django_filters.ChoiceFilter(
        choices=Claim.Kind.choices, label="Kind of claim", empty_label="Facts and positions"
    )
    stance = django_filters.ChoiceFilter(choices=Claim.Stance.choices, empty_label="Any stance")
    language = django_filters.ChoiceFilter(choices=language_choices, empty_label="Any language")
    stated_after = django_filters.DateFilter(
        field_name="stated_on", lookup_expr="gte", label="Said on or after", widget=DATE_WIDGET
    )
    stated_before = django_filters.DateFilter(
        field_name="stated_on", lookup_expr="lte", label="Said on or before", widget=DATE_WIDGET
    )
    in_open_conflict = django_filters.ChoiceFilter(
        choices=[("yes", "Only claims in an open conflict"), ("no", "Only claims in none")],
        method="filter_in_open_conflict",
        label="Open conflicts",
        empty_label="With or without",
    )
    sort = django_filters.ChoiceFilter(
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("source", "Source, A to Z"),
            ("topic", "Topic, A to Z"),
        ],
        method=keep,
        label="Sort by",
        empty_label="Best match, or newest",
    )

    class Meta:
        model = Claim
        fields: list[str] = []

    @property
    def search_query(self) -> ParsedQuery:
        """Return the parsed search (claims.search grammar); no groups when there is none."""
        if not self.is_bound:
            return ParsedQuery(())
        self.is_valid()
        return parse_query(self.form.cleaned_data.get("q") or "")

    @property
    def search_terms(self) -> list[str]:
        """Return the folded words searched for, not those left out, or [] (for highlighting)."""
        return self.search_query.words

    def filter_search(self, queryset, name, value):
        return search_parsed(queryset, parse_query(value))

    @extend_schema_field(OpenApiTypes.INT)  # The API's schema: a source's id.
    def filter_affiliation(self, queryset, name, value):
        return queryset.filter(source__in=Source.objects.with_affiliated(value))

    def filter_in_open_conflict(self, queryset, name, value):
        # A mark the database keeps on each claim (migration 0005), read
        # through the partial index of the approved claims that carry it.
        return queryset.filter(in_open_conflict=value == "yes")

    def filter_queryset(self, queryset):
        # The search last, so that `rows_to_count` can search the same rows another way.
        cleaned = self.form.cleaned_data
        for name, value in cleaned.items():
            if name != "q":
                queryset = self.filters[name].filter(queryset, value)
        self._unsearched = queryset
        queryset = self.filters["q"].filter(queryset, cleaned.get("q"))
        if self.ranks_by_relevance(queryset):
            return queryset.order_by("-search_rank", *self.SORTS["newest"])
        return queryset.order_by(*self.SORTS[self.form.cleaned_data.get("sort") or "newest"])

    def rows_to_count(self, bound: int | None = None) -> QuerySet:
        """Return the ids of the rows of `qs`, in the form cheapest to count up to `bound`.

        The same rows: with a search, `claims.search.countable_search`; else `qs`.
        `bound` is by default what the lists count to (crosscheck.lists).
        """
        claims = self.qs
        unsearched = getattr(self, "_unsearched", None)
        parsed = self.search_query
        if unsearched is None or not parsed.groups:
            return claims.values("pk")
        if not parsed.is_plain:
            return search_parsed(unsearched, parsed).values("pk")
        bound = self.count_limit() + 1 if bound is None else bound
        return countable_search(unsearched, self.search_terms, bound)

    def count_limit(self) -> int:
        """Return how far the list counts the rows: settings.LIST_COUNT_LIMIT, or less for a search.

        A search whose last word is a short prefix ("havana d", half typed:
        claims.search.is_short_prefix) tests each candidate row's whole text,
        about 25 µs a row: it is counted up to RANK_LIMIT, which is as far as
        the list needs to know (past it the matches come newest first
        instead of ranked), and the page says "more than 2,000".
        """
        parsed = self.search_query
        if parsed.is_plain and is_short_prefix(parsed.words) and self._on_postgresql():
            return self.RANK_LIMIT
        return settings.LIST_COUNT_LIMIT

    def _on_postgresql(self) -> bool:
        return connections[self.queryset.db].vendor == "postgresql"

    def ranks_by_relevance(self, queryset=None) -> bool:
        """Return whether the results are ranked: a search on PostgreSQL, with no sort chosen."""
        if not self.is_bound or self.form.cleaned_data.get("sort"):
            return False
        queryset = self.qs if queryset is None else queryset
        return "search_rank" in queryset.query.annotations


class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number (NumberFilter's decimal field would take "0.08")."""

    field_class = forms.IntegerField


class ConflictFilterSet(django_filters.FilterSet):
    """Filter the conflicts; with no status asked for, only the open ones."""

    ANY_STATUS = "any"

    status = django_filters.ChoiceFilter(
        choices=[(ANY_STATUS, "Any status"), *Conflict.Status.choices],
        method="filter_status",
        label="Status",
        empty_label=None,
    )
    kind = django_filters.ChoiceFilter(
        choices=Conflict.Kind.choices, empty_label="Contradictions and gaps"
    )
    topic = topic_filter()
    source = NamedChoiceFilter(
        queryset=Source.objects.public().order_by("name"),
        method="filter_source",
        label="Source (either side)",
        empty_label="Any source",
    )
    detainee = NamedChoiceFilter(
        queryset=Detainee.objects.public().order_by("name"), empty_label="Any or none"
    )
    # Where a claim card's badge links ("In open conflicts with 3 claims"):
    # hidden in the form, named on the page above the results.
    # No lower bound: an id that names no claim finds no conflict, like any other.
    claim = IdFilter(method="filter_claim", label="Claim (either side)", widget=forms.HiddenInput)

    class Meta:
        model = Conflict
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = Conflict.Status.OPEN
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset, name, value):
        return queryset if value == self.ANY_STATUS else queryset.filter(status=value)

    @extend_schema_field(OpenApiTypes.INT)  # The API's schema: a source's id.
    def filter_source(self, queryset, name, value):
        return queryset.filter(Q(claim_a__source=value) | Q(claim_b__source=value))

    @extend_schema_field(OpenApiTypes.INT)  # The API's schema: a claim's id.
    def filter_claim(self, queryset, name, value):
        if abs(value) >= 2**63:
            # No row has an id past what a database integer holds; SQLite cannot
            # even be asked (OverflowError, a 500 that Schemathesis found).
            return queryset.none()
        return queryset.filter(Q(claim_a=value) | Q(claim_b=value))


class DetaineeFilterSet(django_filters.FilterSet):
    """Find detainees by name or alias, in any accents, and by topic."""

    q = SearchFilter(
        method="filter_name",
        label="Name or alias",
        help_text="Accents optional: “Nunez” finds “Núñez”.",
    )
    topic = topic_filter(field_name="topics")

    class Meta:
        model = Detainee
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        return name_matches(queryset, search_terms(value), "name", json_fields=["aliases"])


class StatusBoardFilterSet(django_filters.FilterSet):
    """Choose the topic whose detainees the board shows, and narrow them by name."""

    topic = topic_filter(field_name="topics", empty_label="Choose a topic")
    q = SearchFilter(
        method="filter_name",
        label="Name or alias",
        help_text="Accents optional: “Nunez” finds “Núñez”.",
    )

    class Meta:
        model = Detainee
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        return name_matches(queryset, search_terms(value), "name", json_fields=["aliases"])
