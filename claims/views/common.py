"""Prefetches shared by the pages that show claim cards."""

from django.db.models import Prefetch

from sources.models import CredibilityNote


def with_source_notes(prefix: str) -> Prefetch:
    """Prefetch the visible credibility notes of a claim's source, newest first."""
    return Prefetch(
        f"{prefix}source__notes",
        queryset=CredibilityNote.objects.visible().order_by("-written_on", "-pk"),
        to_attr="visible_notes",
    )


def conflicts_for_display(queryset):
    return queryset.for_display().prefetch_related(
        with_source_notes("claim_a__"), with_source_notes("claim_b__")
    )
