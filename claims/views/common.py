"""Prefetches shared by the pages that show claim cards."""

from django.db.models import Prefetch

from sources.models import CredibilityNote


def source_notes(prefix: str = "") -> tuple[Prefetch, Prefetch]:
    """Prefetch the visible notes of a claim's source and of the body it speaks for.

    A spokeswoman's statement carries the notes on her department too: the
    department's interest in the outcome bears on what she says.
    """
    notes = (
        CredibilityNote.objects.visible()
        .select_related("created_by")
        .order_by("-written_on", "-pk")
    )
    return (
        Prefetch(f"{prefix}source__notes", queryset=notes, to_attr="visible_notes"),
        Prefetch(f"{prefix}source__affiliation__notes", queryset=notes, to_attr="visible_notes"),
    )


def conflicts_for_display(queryset):
    """Join and prefetch what a side-by-side conflict shows, in a fixed number of queries."""
    return queryset.for_display().prefetch_related(
        *source_notes("claim_a__"), *source_notes("claim_b__")
    )
