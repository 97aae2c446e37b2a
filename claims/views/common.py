"""Prefetches shared by the pages that show claim cards."""

from collections.abc import Iterable

from django.db.models import Prefetch

from sources.models import CredibilityNote, Source


def visible_notes():
    """The notes shown beside a claim, newest first, with who wrote them."""
    return (
        CredibilityNote.objects.visible()
        .select_related("created_by")
        .order_by("-written_on", "-pk")
    )


def source_notes(prefix: str = "") -> tuple[Prefetch, Prefetch]:
    """Prefetch the visible notes of a claim's source and of the body it speaks for.

    A spokeswoman's statement carries the notes on her department too: the
    department's interest in the outcome bears on what she says.
    """
    notes = visible_notes()
    return (
        Prefetch(f"{prefix}source__notes", queryset=notes, to_attr="visible_notes"),
        Prefetch(f"{prefix}source__affiliation__notes", queryset=notes, to_attr="visible_notes"),
    )


def attach_notes(sources: Iterable[Source | None]) -> None:
    """Give each source, and the body it speaks for, its `visible_notes`: one query for all.

    What `source_notes` prefetches (the same lists, each note's `source` set
    as a prefetch sets it), for sources gathered from several querysets: a
    claim page's claim and the claims of its conflicts read their notes
    together instead of with two queries per queryset (issue 16). The
    affiliations must be joined (`for_display`).
    """
    wanted: list[Source] = []
    for source in sources:
        if source is None:
            continue
        wanted.append(source)
        if source.affiliation_id is not None:
            wanted.append(source.affiliation)
    if not wanted:
        return
    by_source: dict[int, list[CredibilityNote]] = {}
    for note in visible_notes().filter(source_id__in={s.pk for s in wanted}):
        by_source.setdefault(note.source_id, []).append(note)
    for source in wanted:
        notes = by_source.get(source.pk, [])
        for note in notes:
            CredibilityNote.source.field.set_cached_value(note, source)
        source.visible_notes = list(notes)


def conflicts_for_display(queryset, *, notes: bool = True):
    """Join and prefetch what a side-by-side conflict shows, in a fixed number of queries.

    `notes=False` leaves the sources' notes to `attach_notes`.
    """
    queryset = queryset.for_display()
    if not notes:
        return queryset
    return queryset.prefetch_related(*source_notes("claim_a__"), *source_notes("claim_b__"))
