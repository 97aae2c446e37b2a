"""One voice per organisation, where conflicts are shown: the internal-inconsistency label.

Issue 14, point 2 (docs/lists-and-parties.md): a conflict between two voices
of one organisation (Jen Psaki and Josh Earnest, both the U.S. government) is
still flagged, but labelled an internal inconsistency. The rule is pure
(`claims.conflicts.is_internal`); this module reads the organisations it
needs and sets the label on conflicts already loaded, so the topic page, the
conflicts list, the conflict page, the API and `export_conflicts` all say the
same thing.

Queries: none for the speakers and whom they speak for (joined by
`for_display`), then one per level above (one in the demo: the State
Department speaks for the U.S. government), whatever the number of
conflicts. The label is derived from the affiliations as they are now, like
the organisation a corroboration counts, so it is never stored: an edit of a
source's affiliation relabels every conflict at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from claims import conflicts as rules
from sources.models import Source


def internal_to(conflict, organisations: dict[int, int], names: dict[int, str]) -> str | None:
    """Return the organisation's name when both claims are its voices, else None."""
    a, b = conflict.claim_a.source_id, conflict.claim_b.source_id
    org_a, org_b = organisations.get(a, a), organisations.get(b, b)
    if rules.is_internal(org_a, org_b):
        return names.get(org_a)
    return None


def label_internal(
    conflicts: Iterable,
    organisations: dict[int, int] | None = None,
    names: dict[int, str] | None = None,
) -> list:
    """Set `conflict.internal_to` on each conflict (the organisation's name, or None).

    Expects the claims joined (`for_display`, or select_related of both
    sides). Pass `organisations` and `names` already read (the topic page
    reads them for other uses) to read nothing here. Otherwise the speakers
    and whom they speak for, joined by `for_display`, are read from the rows
    already loaded, and only the levels above them are asked of the
    database, one query per level: none when nobody speaks for a body that
    itself speaks for another. Returns the conflicts as a list.
    """
    conflicts = list(conflicts)
    if organisations is None or names is None:
        names = {} if names is None else names
        organisations = loaded_organisations(conflicts, names)
    for conflict in conflicts:
        conflict.internal_to = internal_to(conflict, organisations, names)
    return conflicts


def loaded_organisations(conflicts: list, names: dict[int, str]) -> dict[int, int]:
    """Map each speaker of the conflicts to its organisation, reading only what is not loaded."""
    sources = [claim.source for c in conflicts for claim in (c.claim_a, c.claim_b)]
    return organisations_from(sources, names)


def organisations_from(
    sources: Iterable[Source], names: dict[int, str], short: dict[int, str] | None = None
) -> dict[int, int]:
    """Map each of `sources` (loaded rows) to its organisation, asking only for the levels above.

    Whom a source speaks for is read from the row when it is joined
    (`select_related("source__affiliation")`); the chain's rest costs one
    query per level. Fills `names` with every source met, and `short`, when
    given, with each one's short name (its first alias, else its name).
    """
    parent: dict[int, int | None] = {}

    def meet(source: Source) -> None:
        parent[source.pk], names[source.pk] = source.affiliation_id, source.name
        if short is not None:
            short[source.pk] = source.aliases[0] if source.aliases else source.name

    for source in sources:
        meet(source)
        if source.affiliation_id and Source.affiliation.is_cached(source):
            meet(source.affiliation)
    frontier = {up for up in parent.values() if up is not None} - set(parent)
    while frontier:
        rows = list(Source.objects.filter(pk__in=frontier).only("name", "affiliation", "aliases"))
        for source in rows:
            meet(source)
        frontier = {s.affiliation_id for s in rows if s.affiliation_id is not None} - set(parent)
    return {pk: top_of(pk, parent) for pk in parent}


def top_of(pk: int, parent: dict[int, int | None]) -> int:
    """Return the top of `pk`'s affiliation chain (a loop stops where it closes)."""
    top, seen = pk, {pk}
    while (up := parent.get(top)) is not None and up not in seen:
        top = up
        seen.add(up)
    return top


def every_organisation() -> tuple[dict[int, int], dict[int, str]]:
    """Return (each source's organisation, every source's name), for a whole export: one query.

    An export streams conflicts of any source; the sources are few beside the
    claims (162 for a million claims), so reading them all once keeps the
    export at a constant number of queries whatever its length.
    """
    parent, names = {}, {}
    for pk, up, name in Source.objects.order_by().values_list("pk", "affiliation_id", "name"):
        parent[pk], names[pk] = up, name
    return {pk: top_of(pk, parent) for pk in parent}, names
