"""
Text search over claims: one folded text per claim, searched the same way
on every database.

`fold` lowercases and strips accents, so "Nunez" finds "Núñez". Each claim
keeps the folded text of its quote, summary, speaker, affiliation and
detainee (names and aliases) in `Claim.search_text`, written on save.
"""

import unicodedata


def fold(text: str) -> str:
    """Return text lowercased and without accents, one character for each character."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1] or char
    if unicodedata.combining(base):
        return char.lower()
    return base.lower()[:1] or char
