"""Filters for the reading lists: highlighted quote excerpts, a note's first line."""

from django import template
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from claims import search
from crosscheck.text import printable

register = template.Library()


@register.filter
def highlight(text: str, terms: list[str] | None) -> SafeString:
    """Return an escaped excerpt of text with the search terms in <mark>."""
    return search.highlight(text or "", terms or [])


@register.filter
def first_line(text: str, length: int = 160) -> str:
    """Return the first non-blank line of text, cut to `length` characters."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return Truncator(line).chars(length)


@register.filter(name="printable")
def printable_filter(text: str) -> str:
    """Return stored text safe for XML (an SVG): forbidden characters as U+FFFD."""
    return printable(text)
