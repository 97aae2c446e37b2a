"""
Text search over claims: one folded text per claim, searched the same way
on every database.

`fold` lowercases and strips accents, so "Nunez" finds "Núñez". Each claim
keeps the folded text of its quote, summary, speaker, affiliation and
detainee (names and aliases) in `Claim.search_text`, written on save.

A reader's query is folded the same way and cut into words (`search_terms`);
search operators (& | ! : * ( ) < > quotes) only separate words, so no input
can change the meaning of the query sent to the database. Then:

- on PostgreSQL, full-text search over each claim's stored vector,
  `search_vector`, generated from `to_tsvector('simple', search_text)` and
  indexed by the GIN index `claim_search_gin` (migration 0019; `StoredVector`):
  every word must match, the last one as a prefix ("releas" finds
  "released"), and results are ranked with `ts_rank` over the stored vector. The 'simple'
  configuration neither stems nor drops stop words, so no language is
  privileged and "no" or "not" can be searched for. A cheap substring test
  of each plain word goes before the parse (`_substring_checks`), and the
  lists count matches in a form that reads the prefix's postings only when
  needed (`countable_search`);
- on SQLite, every word must appear somewhere in the folded text
  (`search_text LIKE %word%`, ANDed): plain, but never misses a match.

The search grammar (issue 11) is PostgreSQL's `websearch_to_tsquery`, on
both databases: words are all required; "a phrase in quotes" must appear
as written; `-word` (or `-"a phrase"`) excludes; OR separates alternatives,
and binds looser than the spaces, as websearch_to_tsquery reads it:
`talks OR freed -obama` is talks | (freed & !obama). `parse_query` reads a
query once into a `ParsedQuery`, and each database is asked the same thing:

- a query of plain words only (no quotes, no `-`, no OR) runs as above,
  unchanged, with its tuned paths;
- any other query runs on PostgreSQL as `websearch_to_tsquery('simple', …)`
  of the parsed query written back out (so both databases read the same
  groups), over the same indexed expression, ranked alike; no word is a
  prefix there, and the 'simple' configuration does not stem;
- on SQLite, each term becomes a LIKE test on the folded text (NOT for an
  excluded one), ANDed within a group, the groups ORed. A phrase must appear as
  typed. A single word matches the word itself or its English stem
  (snowballstemmer's Porter 2 stemmer: "released" and "release" are both
  "releas", so each finds the other; a stem shorter than 3 letters is not
  used alone). PostgreSQL's 'simple' configuration does not stem: there
  "released" does not find "release" unless typed as the last, prefix word
  ("releas"). The README says so.

`highlight` marks the words in a quote excerpt, escaping everything else.
`accent_pattern` matches a name in any accents and case, for the tables that
keep no folded copy of their names (detainees, sources).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import snowballstemmer
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from claims.models import ClaimQuerySet

# A reader's query is cut into at most this many words: enough for a
# sentence, and it bounds the work one request can ask of the database.
MAX_TERMS = 12
SEARCH_INDEX_NAME = "claim_search_gin"
# The stored tsvector of each claim (migration 0019), PostgreSQL only.
SEARCH_VECTOR_COLUMN = "search_vector"

# Whitespace and the characters that mean something to PostgreSQL's to_tsquery.
_SEPARATORS = re.compile(r"[\s&|!:*()<>'\"\\]+")
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


def fold(text: str) -> str:
    """Return text lowercased and without accents, one character for each character."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1] or char
    if unicodedata.combining(base):
        return char.lower()
    return base.lower()[:1] or char


def search_terms(query: str) -> list[str]:
    """Return the folded words of a reader's query, without operators or quotes."""
    words = (_EDGE_PUNCTUATION.sub("", word) for word in _SEPARATORS.split(fold(query)))
    terms: list[str] = []
    for word in words:
        if word and word not in terms:
            terms.append(word)
    return terms


# One term of a query: (excluded?, the words of a word or a phrase).
Term = tuple[bool, tuple[str, ...]]
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_STEM_MIN = 3


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query in the web-search grammar: groups ORed, each group's terms ANDed.

    As `websearch_to_tsquery` reads it: `a b OR c d` is (a & b) | (c & d).
    """

    groups: tuple[tuple[Term, ...], ...]

    @property
    def is_plain(self) -> bool:
        """Whether the query is required words only: what the tuned word search runs."""
        return len(self.groups) == 1 and all(
            not negated and len(words) == 1 for negated, words in self.groups[0]
        )

    @property
    def words(self) -> list[str]:
        """Return the words to look for (not the excluded ones), once each, in order."""
        found: list[str] = []
        for group in self.groups:
            for negated, words in group:
                found += [w for w in words if not negated and w not in found]
        return found

    @property
    def word_count(self) -> int:
        return sum(len(words) for group in self.groups for _, words in group)

    def websearch(self) -> str:
        """Return the query for websearch_to_tsquery, written from the parsed groups."""

        def term(negated: bool, words: tuple[str, ...]) -> str:
            text = words[0] if len(words) == 1 else '"' + " ".join(words) + '"'
            return f"-{text}" if negated else text

        return " or ".join(" ".join(term(*t) for t in group) for group in self.groups)


def parse_query(query: str) -> ParsedQuery:
    """Read a query in the web-search grammar: "phrases", -excluded, OR; folded as the text is."""
    groups: list[list[Term]] = [[]]
    for match in _TOKEN.finditer(fold(query)):
        minus, phrase, bare = match.groups()
        negated = bool(minus)
        if bare is not None:
            if bare == "or":
                groups.append([])
                continue
            negated = bare.startswith("-") and len(bare) > 1
            phrase = bare[1:] if negated else bare
        words = tuple(search_terms_in_order(phrase))
        if words and (negated, words) not in groups[-1]:
            groups[-1].append((negated, words))
    # A dangling OR asks nothing; the same group twice asks nothing more.
    unique: list[tuple[Term, ...]] = []
    for group in groups:
        if group and tuple(group) not in unique:
            unique.append(tuple(group))
    return ParsedQuery(tuple(unique))


def search_terms_in_order(text: str) -> list[str]:
    """Return the words of folded text, as `search_terms` cuts them, repeats kept (a phrase)."""
    words = (_EDGE_PUNCTUATION.sub("", word) for word in _SEPARATORS.split(text))
    return [word for word in words if word]


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """Return the English (Porter 2) stem of a folded word: "released" is "releas"."""
    return _STEMMER.stemWord(word)


_STEMMER = snowballstemmer.stemmer("english")


def _like(term: Term) -> Q:
    """Return the SQLite test of one term: a phrase as typed, a word or its stem."""
    negated, words = term
    if len(words) > 1:
        match = Q(search_text__contains=" ".join(words))
    else:
        [word] = words
        match = Q(search_text__contains=word)
        stemmed = stem(word)
        if stemmed != word and len(stemmed) >= _STEM_MIN:
            match |= Q(search_text__contains=stemmed)
    return ~match if negated else match


def search_parsed(queryset: ClaimQuerySet, parsed: ParsedQuery) -> ClaimQuerySet:
    """Keep the claims a parsed query matches; on PostgreSQL annotate `search_rank`."""
    if not parsed.groups:
        return queryset
    if parsed.is_plain and connections[queryset.db].vendor == "postgresql":
        return search_claims(queryset, parsed.words)
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(parsed.websearch(), config="simple", search_type="websearch")
        return _matching(queryset, query).annotate(search_rank=SearchRank(StoredVector(), query))
    matches = Q()
    for group in parsed.groups:
        every = Q()
        for term in group:
            every &= _like(term)
        matches |= every
    return queryset.filter(matches)


def search_claims(queryset: ClaimQuerySet, terms: list[str]) -> ClaimQuerySet:
    """Keep the claims whose search text has every term; on PostgreSQL annotate `search_rank`.

    On SQLite each term also matches its English stem, as `search_parsed` does.
    """
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchRank

        query = _search_query(tsquery(terms))
        if is_short_prefix(terms):
            matched = _short_prefix_matching(queryset, terms, query)
        else:
            matched = _matching(queryset, query)
        return matched.filter(*_substring_checks(terms)).annotate(
            search_rank=SearchRank(StoredVector(), query)
        )
    matches = Q()
    for term in terms:
        matches &= _like((False, (term,)))
    return queryset.filter(matches)


def countable_search(queryset: ClaimQuerySet, terms: list[str], bound: int) -> QuerySet:
    """Return the ids of the claims `search_claims` keeps, in a form cheap to count up to `bound`.

    On PostgreSQL a search's last word is a prefix, and the GIN index answers
    a prefix by reading the postings of every word that starts with it into
    one bitmap, before any row can be counted: at a million claims "havana
    desk" read 227,000 postings for "desk…" (lossy past work_mem, so every
    candidate's text was parsed again) to count 10,001 rows, 0.6 s.

    The matches are the claims with the last word whole (`tsquery(terms,
    prefix=False)`, which the index answers posting list by posting list,
    skipping) and, apart from those, the claims with only a longer word
    starting with it (`prefix_only_tsquery`). The UNION ALL reads the first
    part first: when it alone reaches the count's LIMIT, PostgreSQL never
    starts the second. The count is the same, only cheaper; the page still
    reads `search_claims`. Elsewhere, or when the last word is not a
    `_plain` one, `search_claims` itself.

    Each part stops at `bound` rows, so count no further than `bound`. Cut
    so, the parts also keep the planner from a Parallel Append, which would
    start both at once (q=released: 124 ms instead of 66).
    """
    postgresql = connections[queryset.db].vendor == "postgresql"
    if not (terms and postgresql and _plain(terms[-1])) or is_short_prefix(terms):
        return search_claims(queryset, terms).values("pk")
    # Neither the ranking nor the joins and notes of a page are needed to count.
    base = queryset.select_related(None).prefetch_related(None).order_by()
    whole = _matching(base, _search_query(tsquery(terms, prefix=False))).values("pk")
    longer = _matching(base, _search_query(prefix_only_tsquery(terms))).values("pk")
    return whole[:bound].union(longer[:bound], all=True).order_by()


# A last word shorter than this is a prefix of too many words for the index
# ("havana d", typed on the way to "havana desk"): see `is_short_prefix`.
SHORT_PREFIX = 3


def is_short_prefix(terms: list[str]) -> bool:
    """Return whether the search's last word, a prefix, is too short to read from the index.

    The GIN index answers a prefix by reading the postings of every word that
    starts with it into one bitmap before any row is read: at a million
    claims every word in "d…" is most of the table, past work_mem, so lossy,
    and every row of it was parsed again (`havana d`: 0.65 s, and as much for
    each page). Such a search reads the index for its other words only and
    tests the whole query on those rows (`_short_prefix_matching`); the lists
    count it only as far as they rank (claims.filters.ClaimFilterSet.count_limit).
    Only a `_plain` last word, which the parser keeps as it is.
    """
    return bool(terms) and len(terms[-1]) < SHORT_PREFIX and _plain(terms[-1])


def _short_prefix_matching(queryset: QuerySet, terms: list[str], query) -> QuerySet:
    """Keep the rows the query matches, the index read for every word but the short last one.

    The whole query is tested on each row with `ts_match_vq`, the function
    behind `@@`: a function call, which PostgreSQL never answers from an
    index, so the prefix's postings are never read. With no other word, no
    index: the rows are read in the list's order and tested until the page
    (or the bounded count) is full.
    """
    vector = StoredVector()
    if len(terms) > 1:
        queryset = _matching(queryset, _search_query(tsquery(terms[:-1], prefix=False)))
    return queryset.filter(TsMatch(vector, query))


class TsMatch(Func):
    """`ts_match_vq(vector, query)`: `vector @@ query` that no index answers."""

    function = "ts_match_vq"
    output_field = BooleanField()


def tsquery(terms: list[str], *, prefix: bool = True) -> str:
    """Return a to_tsquery string: each term quoted, all required, the last as a prefix.

    The terms hold no quote or backslash (`search_terms` splits on them), so
    quoting each one makes it a plain operand whatever else it contains;
    PostgreSQL's parser then cuts it into words exactly as it cut the text.
    With `prefix=False` the last term too must match a whole word.
    """
    operands = [f"'{term}'" for term in terms]
    if prefix:
        operands[-1] += ":*"
    return " & ".join(operands)


def prefix_only_tsquery(terms: list[str]) -> str:
    """Return a to_tsquery string: what `tsquery(terms)` matches that the whole-word one does not.

    Every term but the last is the same in both, so these are the texts where
    the last term starts a longer word and is no word of its own.
    """
    return f"{tsquery(terms)} & !'{terms[-1]}'"


def _search_query(raw: str):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(raw, config="simple", search_type="raw")


def _matching(queryset: QuerySet, query) -> QuerySet:
    return queryset.alias(search_vector=StoredVector()).filter(search_vector=query)


def _substring_checks(terms: list[str]) -> list[Contains]:
    """Return a cheap test that each plain word is in the text: a filter the search implies.

    A claim the full-text query matches holds every term as (the start of) a
    word of its folded text, so as a substring too. Parsing a claim's text
    into a tsvector costs about 24 µs, finding a word in it about 1 µs, and
    PostgreSQL runs the cheaper test first: when the newest matches are read
    from the date index, most claims are turned down before being parsed
    (at a million claims, "havana desk"'s first page: 90 → 15 ms). Only for
    `_plain` terms.
    """
    return [Contains(F("search_text"), Value(term)) for term in terms if _plain(term)]


def _plain(term: str) -> bool:
    """Return whether the term is ASCII letters and digits: one word, itself, to the parser.

    Any other term the parser may cut into several words, or drop (as it
    drops "_"), and then neither `_substring_checks` nor the split count of
    `countable_search` would hold.
    """
    return term.isascii() and term.isalnum()


class Contains(Func):
    """`strpos(text, word) <> 0`, true when the text holds the word.

    Written `<> 0` rather than `> 0` or LIKE: PostgreSQL estimates a
    function's `<>` to keep nearly every row (and LIKE from the column's
    statistics, a `>` to keep a third), so the planner keeps its choice of
    plan from the full-text condition's estimate alone.
    """

    template = "strpos(%(expressions)s) <> 0"
    output_field = BooleanField()


class StoredVector(Func):
    """The claim's stored `search_vector` column: what the GIN index `claim_search_gin` holds.

    A column PostgreSQL generates from `search_text` (migration 0019:
    `to_tsvector('simple', search_text)`, as `SearchTextVector` writes it),
    not a model field, so that no claim loaded for a page carries its vector.
    Written in the query as the claims table's column, under whatever alias
    the query gives that table (`F("search_text")` resolves the alias).

    Ranking (`ts_rank`) and testing a row read another way (`@@` on a row of
    the newest-first walk, `ts_match_vq`) read this column, where the
    expression parsed the row's text again each time: 25-35 µs a claim.
    PostgreSQL only.
    """

    def __init__(self, **extra):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(F("search_text"), output_field=SearchVectorField(), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        (column,) = self.get_source_expressions()
        name = connection.ops.quote_name(SEARCH_VECTOR_COLUMN)
        if getattr(column, "alias", None):
            return f"{compiler.quote_name(column.alias)}.{name}", []
        return name, []


class SearchTextVector(Func):
    """`to_tsvector('simple', search_text)`: what the stored `search_vector` is generated from.

    Written out rather than `SearchVector("search_text", config="simple")`,
    which wraps the column in COALESCE and passes the configuration as a
    parameter. The search reads `StoredVector`; this is the definition it
    must agree with (tests compare the two).
    """

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"

    def __init__(self, expression, **extra):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(expression, output_field=SearchVectorField(), **extra)


def highlight(text: str, terms: list[str], length: int = 280) -> SafeString:
    """Return an escaped excerpt of text around the first match, with the terms in <mark>.

    Matches are found in the folded text and mapped back: `fold` keeps one
    character for each character, so an index in one is an index in the other.
    Only matches at the start of a word are marked, as full-text search matches.
    """
    folded = fold(text)
    spans = _match_spans(folded, terms)
    start, end = _excerpt_bounds(text, spans[0][0] if spans else 0, length)
    pieces = ["…"] if start > 0 else []
    cursor = start
    for lo, hi in spans:
        if hi <= cursor or lo >= end:
            continue
        lo, hi = max(lo, cursor), min(hi, end)
        pieces.append(escape(text[cursor:lo]))
        pieces.append(format_html("<mark>{}</mark>", text[lo:hi]))
        cursor = hi
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    # Every piece is escaped above, or is a <mark> built by format_html.
    return mark_safe("".join(pieces))


def _match_spans(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    """Return the merged, sorted (start, end) spans where a term begins a word."""
    spans = []
    for term in terms:
        for match in re.finditer(r"(?<!\w)" + re.escape(term), folded):
            spans.append((match.start(), match.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _excerpt_bounds(text: str, first_match: int, length: int) -> tuple[int, int]:
    """Return a window of about `length` characters that shows the first match, cut at spaces."""
    if len(text) <= length:
        return 0, len(text)
    start = max(0, first_match - length // 3)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first_match else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first_match else end
    return start, end


def _accent_variants() -> dict[str, set[str]]:
    """Map each folded letter to the accented Latin letters that fold to it, in both cases."""
    variants: dict[str, set[str]] = defaultdict(set)
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        # A letter and its accents only: ligatures such as "ǌ" are not an "n".
        decomposed = unicodedata.normalize("NFD", char)
        if decomposed == char or sum(not unicodedata.combining(c) for c in decomposed) != 1:
            continue
        folded = fold(char)
        if folded.isascii() and folded.isalpha() and folded != char.lower():
            variants[folded] |= {c for c in (char.lower(), char.upper()) if len(c) == 1}
    return variants


_VARIANTS = _accent_variants()


def accent_pattern(term: str, *, json_escapes: bool = False) -> str:
    """Return a regular expression matching the folded term in any accents and case.

    Written in the syntax Python's `re` (SQLite's REGEXP in Django) and
    PostgreSQL's regular expressions share: bracket expressions, `(?:a|b)`
    groups, backslash-escaped punctuation. With `json_escapes`, an accented
    letter may also appear as the \\uXXXX escape of JSON text, which is how
    SQLite stores a JSON field's strings.
    """
    parts = []
    for char in fold(term):
        if not char.isalnum():
            parts.append("\\" + char)
            continue
        letters = {char, *(c for c in (char.upper(),) if len(c) == 1), *_VARIANTS.get(char, ())}
        if len(letters) == 1:
            parts.append(char)
            continue
        group = "[" + "".join(sorted(letters)) + "]"
        escapes = sorted(f"\\\\u{ord(c):04x}" for c in letters if not c.isascii())
        if json_escapes and escapes:
            group = "(?:" + "|".join([group, *escapes]) + ")"
        parts.append(group)
    return "".join(parts)


def name_matches(queryset: QuerySet, terms: list[str], *fields: str, json_fields=()) -> QuerySet:
    """Keep rows where every term appears, in any accents and case, in one of the fields."""
    for term in terms:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__regex": accent_pattern(term)})
        for field in json_fields:
            match |= Q(**{f"{field}__regex": accent_pattern(term, json_escapes=True)})
        queryset = queryset.filter(match)
    return queryset
