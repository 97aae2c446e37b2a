"""
Text search over claims: one folded text per claim, searched the same way
on every database.

`fold` lowercases and strips accents, so "Nunez" finds "Núñez". Each claim
keeps the folded text of its quote, summary, speaker, affiliation and
detainee (names and aliases) in `Claim.search_text`, written on save.

A reader's query is folded the same way and cut into words (`search_terms`);
search operators (& | ! : * ( ) < > quotes) only separate words, so no input
can change the meaning of the query sent to the database. Then:

- on PostgreSQL, full-text search over `to_tsvector('simple', search_text)`,
  the very expression the GIN index `claim_search_gin` is built on (migration
  0003): every word must match, the last one as a prefix ("releas" finds
  "released"), and results are ranked with `ts_rank`. The 'simple'
  configuration neither stems nor drops stop words, so no language is
  privileged and "no" or "not" can be searched for;
- on SQLite, every word must appear somewhere in the folded text
  (`search_text LIKE %word%`, ANDed): plain, but never misses a match.

`highlight` marks the words in a quote excerpt, escaping everything else.
`accent_pattern` matches a name in any accents and case, for the tables that
keep no folded copy of their names (detainees, sources).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import F, Func, Q, QuerySet
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from claims.models import ClaimQuerySet

# A reader's query is cut into at most this many words: enough for a
# sentence, and it bounds the work one request can ask of the database.
MAX_TERMS = 12
SEARCH_INDEX_NAME = "claim_search_gin"

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


def search_claims(queryset: ClaimQuerySet, terms: list[str]) -> ClaimQuerySet:
    """Keep the claims whose search text has every term; on PostgreSQL annotate `search_rank`."""
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(tsquery(terms), config="simple", search_type="raw")
        vector = SearchTextVector(F("search_text"))
        return (
            queryset.alias(search_vector=vector)
            .filter(search_vector=query)
            .annotate(search_rank=SearchRank(SearchTextVector(F("search_text")), query))
        )
    matches = Q()
    for term in terms:
        matches &= Q(search_text__contains=term)
    return queryset.filter(matches)


def tsquery(terms: list[str]) -> str:
    """Return a to_tsquery string: each term quoted, all required, the last as a prefix.

    The terms hold no quote or backslash (`search_terms` splits on them), so
    quoting each one makes it a plain operand whatever else it contains;
    PostgreSQL's parser then cuts it into words exactly as it cut the text.
    """
    operands = [f"'{term}'" for term in terms]
    operands[-1] += ":*"
    return " & ".join(operands)


class SearchTextVector(Func):
    """`to_tsvector('simple', search_text)`: the expression the GIN index is built on.

    Written out rather than `SearchVector("search_text", config="simple")`,
    which wraps the column in COALESCE and passes the configuration as a
    parameter: PostgreSQL uses an expression index only for the same expression.
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
