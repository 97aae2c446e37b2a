"""
Download of the sources list: `/sources/export.csv?<the list's query string>` and `.json`.

The list page run without pagination (see claims.views.exports): the same
SourceFilterSet and sort, every matching source, with its track record as
the page shows it. Text columns are the source's own fields; the record's
counts and the reliability estimate (rounded to three places) come from
`Source.objects.with_record()`, so the file holds the same numbers as the page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from crosscheck.access import reader_view
from crosscheck.exports import Column, download, permalink
from sources.filters import SourceFilterSet
from sources.models import Source


def source_columns(request: HttpRequest) -> list[Column]:
    url = permalink("sources:detail")
    return [
        Column("id", "id", lambda s: s.pk),
        Column("permalink", "url", lambda s: url(s.pk)),
        Column("name", "name", lambda s: s.name),
        Column("kind", "kind", lambda s: s.kind),
        Column(
            "affiliation",
            "affiliation",
            lambda s: s.affiliation.name if s.affiliation_id else None,
        ),
        Column("country", "country", lambda s: s.country or None),
        Column("URL", "website", lambda s: s.url or None),
        Column("description", "description", lambda s: s.description or None),
        Column("approved claims", "claim_count", lambda s: s.claim_count),
        Column("confirmed", "confirmed_count", lambda s: s.confirmed_count),
        Column("refuted", "refuted_count", lambda s: s.refuted_count),
        # Issue 14: the part of the record made as an interested party (with_party_record).
        Column("claims as party", "party_claim_count", lambda s: s.party_claim_count),
        Column("confirmed as party", "party_confirmed_count", lambda s: s.party_confirmed_count),
        Column("refuted as party", "party_refuted_count", lambda s: s.party_refuted_count),
        Column("open conflicts", "open_conflict_count", lambda s: s.open_conflict_count),
        Column("reliability", "reliability", lambda s: round(s.reliability, 3)),
    ]


@require_safe
@reader_view
def source_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every source the list's filters match, with its record, as CSV or JSON, streamed."""
    filterset = SourceFilterSet(
        request.GET,
        queryset=Source.objects.visible_to(request.user)
        .with_record()
        .with_party_record()
        .select_related("affiliation"),
        request=request,
    )
    return download(filterset.qs, source_columns(request), what="sources", fmt=fmt)
