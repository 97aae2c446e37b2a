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

from django.core.exceptions import ValidationError

# Longer than any rationale a moderator writes (a page of text), short enough
# that a pasted document is refused rather than kept as a "reason".
REASON_MAX_LENGTH = 5000


def check_reason(reason: str, field: str) -> None:
    """Refuse a reason longer than REASON_MAX_LENGTH, naming the model field."""
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                field: f"The reason is {len(reason):,} characters long; the limit is "
                f"{REASON_MAX_LENGTH:,}."
            }
        )
