"""
What text the app accepts, decided once.

Reasons and rationales (a rejection, a retraction, a resolution, a dismissal,
a reopening, a hidden note) are kept whole up to REASON_MAX_LENGTH characters:
the history's change-reason column is a text column
(SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD), so the bound is this
one, the same on SQLite and PostgreSQL, checked by the forms (web and API)
and by the model methods that record a reason.
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

# Longer than any rationale a moderator writes (a page of text), short enough
# that a pasted document is refused rather than kept as a "reason".
REASON_MAX_LENGTH = 5000


def check_reason(reason: str, field: str) -> str:
    """Return a reason normalised; refuse one too long or holding a forbidden character."""
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                field: f"The reason is {len(reason):,} characters long; the limit is "
                f"{REASON_MAX_LENGTH:,}."
            }
        )
    problem = text_problem(reason, "The reason")
    if problem:
        raise ValidationError({field: problem})
    return normalise(reason)


# -- The text policy ----------------------------------------------------------
#
# Every way in (the forms, so the API; the models' full_clean, so the
# spreadsheet import and case files) takes text through `clean_text`:
#
# - line ends are normalised to LF (a browser's textarea sends CRLF, a
#   spreadsheet may hold CR), so the same quote compares equal however it
#   arrived, and a length counts characters, not line-end bytes;
# - text is put in Unicode NFC, so "é" typed and "é" pasted (e + combining
#   accent) are one spelling for search and duplicate checks;
# - NUL, lone surrogates (half of a UTF-16 pair: damaged text, which neither
#   database can store), and the C0 and C1 control characters other than tab
#   and newline (invisible, and invalid in XML: one in a claim broke every
#   Atom feed it appeared in) are refused with a message naming the field,
#   the character and where it is. Nothing is silently dropped from a quote.
#
# Every way out that is XML or a spreadsheet (feeds, SVG charts, CSV) passes
# stored text through `printable`, so text stored before this policy (or
# written around it) is shown with U+FFFD in place of the character, never a
# 500 or an invalid document.

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def normalise(text: str) -> str:
    """Return text with LF line ends, in NFC (once it holds no forbidden character)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if FORBIDDEN.search(text):
        return text
    return unicodedata.normalize("NFC", text)


def describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        return f"a NUL character ({code})"
    if "\ud800" <= char <= "\udfff":
        return f"half of a surrogate pair ({code}): the text was damaged on its way here"
    return f"the invisible control character {code}"


def text_problem(text: str, field: str) -> str:
    """Return why `text` is refused, naming the field, the character and where; or ""."""
    found = FORBIDDEN.search(text)
    if found is None:
        return ""
    return (
        f"{field} contains {describe(found.group())} at character {found.start() + 1}: "
        "remove it (retype the text, or paste it as plain text)."
    )


def clean_text(text: str, field: str) -> str:
    """Return text normalised, or raise ValidationError naming the field and the character."""
    problem = text_problem(text, field)
    if problem:
        raise ValidationError(problem, code="forbidden_character")
    return normalise(text)


def printable(text: str) -> str:
    """Return stored text safe for XML and spreadsheets: each forbidden character as U+FFFD."""
    return FORBIDDEN.sub(REPLACEMENT, text) if isinstance(text, str) else text


def field_label(field) -> str:
    """Return a model or form field's name as a message starts with it: "Quote"."""
    label = str(getattr(field, "verbose_name", None) or getattr(field, "label", None) or "")
    label = label or getattr(field, "name", "") or "The text"
    return label[:1].upper() + label[1:]


class TextValidator:
    """A form field's check of the text policy; `label` names the field in the message."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, value) -> None:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                clean_text(text, self.label)

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and other.label == self.label


def normalised_data(data):
    """Return a form's bound data with every text value normalised (a QueryDict or a dict)."""
    if hasattr(data, "setlist"):
        data = data.copy()
        for key in list(data):
            data.setlist(
                key, [normalise(v) if isinstance(v, str) else v for v in data.getlist(key)]
            )
        return data
    return {k: normalise(v) if isinstance(v, str) else v for k, v in data.items()}


class TextPolicyForm:
    """Form mixin (before forms.Form or ModelForm): line ends normalised, forbidden characters
    refused on every text field, in the field's own words."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = normalised_data(self.data)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                # Django's own NUL check says less ("Null characters are not allowed.").
                field.validators = [
                    v
                    for v in field.validators
                    if not isinstance(v, ProhibitNullCharactersValidator)
                ]
                label = field_label(field) if field.label else name.replace("_", " ").capitalize()
                field.validators.append(TextValidator(label))


class TextPolicyModel:
    """Model mixin: full_clean() normalises every text field and refuses forbidden characters."""

    def clean_fields(self, exclude=None) -> None:
        errors: dict[str, list[ValidationError]] = {}
        for field in self._meta.concrete_fields:
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            texts = value if isinstance(value, list) else [value]
            problems = [text_problem(t, field_label(field)) for t in texts if isinstance(t, str)]
            problems = [p for p in problems if p]
            if problems:
                errors[field.name] = [ValidationError(problems[0], code="forbidden_character")]
            elif isinstance(value, str):
                setattr(self, field.attname, normalise(value))
            elif isinstance(value, list) and all(isinstance(t, str) for t in value):
                setattr(self, field.attname, [normalise(t) for t in value])
        try:
            super().clean_fields(exclude=[*(exclude or ()), *errors])
        except ValidationError as error:
            # Kept as errors, not messages: callers read their codes.
            for name, found in error.error_dict.items():
                errors.setdefault(name, []).extend(found)
        if errors:
            raise ValidationError(errors)
