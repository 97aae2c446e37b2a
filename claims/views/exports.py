"""
Downloads of the claims, conflicts and detainees lists, and of a topic's case file.

Each list export is the list page run without pagination: the same
FilterSet on the same query string, the same visibility rule (approved
claims only; READING_REQUIRES_LOGIN through `reader_view`), every matching
row, in the page's order, ending with the primary key so that the order is
stable. URLs: `/claims/export.csv?<the list's query string>` and `.json`,
likewise under `/conflicts/` and `/detainees/`; the list pages link to them
with their current filters. Streaming, CSV and JSON rules: crosscheck.exports.

Choices made here:

- Claims come in the page's order: best match for a search (on PostgreSQL,
  when at most ClaimFilterSet.RANK_LIMIT claims match, as the page ranks
  them), otherwise the sort chosen, newest first by default.
- The claims CSV's headers are the spreadsheet importer's column names where
  the two overlap (source, source kind, affiliation, topic, detainee, kind,
  stance, quantity min, quantity max, status, quote, summary, stated on, as
  of, document title, document URL, citation URL, language), and choices are
  written as their stored values (`no_information`, not "No information"),
  so that an exported file can be imported again once the columns only for
  reading are deleted (claims.spreadsheet refuses unknown headers; it drops
  the `'` put before formula-like text). The source is the speaker:
  there is no separate speaker column; "affiliation" is whom they speak for.
- "open conflicts" counts the open conflicts each claim is in: two indexed
  subqueries a row, evaluated by the database while it streams.
- "current" is "no" when a later statement of the same source has
  superseded the claim; "superseded by" gives that claim's id.
- Conflicts: the JSON objects have the shape DESIGN.md fixes for
  `export_conflicts` (`id, topic, detainee, kind, status, claims: [A, B]`)
  plus `url`; the CSV flattens A and B into "claim A …" and "claim B …"
  columns.
- A topic's case file (`/topics/<slug>/case.json`) carries the claims a
  reader may see on it: approved ones and retracted ones (whose permalinks
  stay public, with the retraction shown); never drafts, pending or rejected
  claims. `manage.py export_case` carries every claim, for backups.

Queries: the claims, conflicts and sources exports each read their rows with
one query whatever the number of rows (the related rows are joined), plus
the filter form's own; the detainees export adds one query a chunk of
crosscheck.exports.CHUNK_SIZE rows for their topics.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe

from claims.casefile import export_case
from claims.filters import ClaimFilterSet, ConflictFilterSet, DetaineeFilterSet
from claims.models import Claim, Conflict, Detainee, Topic
from crosscheck.access import reader_view
from crosscheck.exports import Column, download, json_download, permalink


def _text(value: str) -> str | None:
    return value or None


def open_conflict_count():
    """Return an expression counting the open conflicts a claim is in, on either side."""

    def side(name: str):
        counted = (
            Conflict.objects.open()
            .filter(**{name: OuterRef("pk")})
            .order_by()
            .values(name)
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return side("claim_a") + side("claim_b")


def field(name: str, *, blank_as_none: bool = False):
    """Return a reader of one value of a row from `QuerySet.values()`."""
    if blank_as_none:
        return lambda row: row[name] or None
    return lambda row: row[name]


# (CSV header, JSON key, the values() lookup, whether "" means absent).
CLAIM_FIELDS = [
    ("source", "source", "source__name", False),
    ("source kind", "source_kind", "source__kind", False),
    ("affiliation", "affiliation", "source__affiliation__name", False),
    ("topic", "topic", "topic__title", False),
    ("detainee", "detainee", "detainee__name", False),
    ("kind", "kind", "kind", False),
    ("stance", "stance", "stance", True),
    ("quantity min", "quantity_min", "quantity_min", False),
    ("quantity max", "quantity_max", "quantity_max", False),
    ("status", "status", "status", True),
    ("quote", "quote", "quote", False),
    ("quote kind", "quote_kind", "quote_kind", False),
    ("summary", "summary", "summary", False),
    ("stated on", "stated_on", "stated_on", False),
    ("as of", "as_of", "as_of", False),
    ("document title", "document", "document__title", False),
    ("document URL", "document_url", "document__url", True),
    ("citation URL", "citation_url", "citation_url", True),
    ("language", "language", "language", False),
    ("state", "state", "state", False),
    ("verdict", "verdict", "verdict", True),
    # A relay (claims/conflicts.py, "Relays"): the claim and the source it repeats.
    ("relays claim", "relays", "relays", False),
    ("relays source", "relays_source", "relays_source__name", False),
]


def claim_columns(request: HttpRequest) -> list[Column]:
    url = permalink("claims:detail")
    return [
        Column("id", "id", field("pk")),
        Column("permalink", "url", lambda row: url(row["pk"])),
        *(
            Column(header, key, field(lookup, blank_as_none=blank))
            for header, key, lookup, blank in CLAIM_FIELDS
        ),
        Column("current", "current", lambda row: row["superseded_by"] is None),
        Column("superseded by", "superseded_by", field("superseded_by")),
        Column("open conflicts", "open_conflicts", field("open_conflicts")),
    ]


@require_safe
@reader_view
def claim_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every approved claim the list's filters match, as CSV or JSON, streamed."""
    claims = Claim.objects.public().annotate(open_conflicts=open_conflict_count())
    filterset = ClaimFilterSet(request.GET, queryset=claims, request=request)
    claims = filterset.qs
    if filterset.ranks_by_relevance() and claims.count() > ClaimFilterSet.RANK_LIMIT:
        # As the page does: too many matches to rank, so newest first.
        claims = claims.order_by(*ClaimFilterSet.SORTS["newest"])
    # Plain rows, not model instances: building five instances a claim
    # (claim, source, affiliation, topic, detainee or document) took a
    # third of the export's time.
    rows = claims.values(
        "pk",
        *(lookup for *_, lookup, _ in CLAIM_FIELDS),
        "superseded_by",
        "open_conflicts",
    )
    return download(rows, claim_columns(request), what="claims", fmt=fmt)


CLAIM_SIDE = {
    "id": ("pk", False),
    "source": ("source__name", False),
    "kind": ("kind", False),
    "stance": ("stance", True),
    "quantity_min": ("quantity_min", False),
    "quantity_max": ("quantity_max", False),
    "status": ("status", True),
    "summary": ("summary", False),
    "stated_on": ("stated_on", False),
    "as_of": ("as_of", False),
    "relays_source": ("relays_source__name", False),
}


def side_value(row: dict, side: str, key: str):
    lookup, blank_as_none = CLAIM_SIDE[key]
    value = row[f"claim_{side}__{lookup}"]
    return (value or None) if blank_as_none else value


def conflict_columns(request: HttpRequest) -> tuple[list[Column], list[Column]]:
    """Return the CSV columns (A and B flattened) and the JSON ones (A and B nested)."""
    url = permalink("claims:conflict")
    common = [
        Column("id", "id", field("pk")),
        Column("permalink", "url", lambda row: url(row["pk"])),
        Column("topic", "topic", field("topic__title")),
        Column("detainee", "detainee", field("detainee__name")),
        Column("kind", "kind", field("kind")),
        Column("status", "status", field("status")),
    ]
    flat = [
        Column(
            f"claim {side.upper()} {key.replace('_', ' ')}",
            f"{side}_{key}",
            lambda row, side=side, key=key: side_value(row, side, key),
        )
        for side in ("a", "b")
        for key in CLAIM_SIDE
    ]
    nested = Column(
        "claims",
        "claims",
        lambda row: [{key: side_value(row, side, key) for key in CLAIM_SIDE} for side in "ab"],
    )
    # After the DESIGN.md keys: a list conflict's per-person claims (lists
    # against persons), as claim ids; empty for a pair.
    witnesses = Column(
        "witnesses",
        "witnesses",
        lambda row: sorted(int(i) for i in (row["witness_ids"] or "").split(",") if i),
    )
    return [*common, *flat, witnesses], [*common, nested, witnesses]


@require_safe
@reader_view
def conflict_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The conflicts the list's filters match (open ones unless asked otherwise), streamed."""
    filterset = ConflictFilterSet(request.GET, queryset=Conflict.objects.all(), request=request)
    witnesses = (
        Conflict.witnesses.through.objects.filter(conflict=OuterRef("pk"))
        .order_by()
        .values("conflict")
        .annotate(ids=StringAgg(Cast("claim_id", CharField()), Value(",")))
        .values("ids")
    )
    rows = filterset.qs.annotate(witness_ids=Subquery(witnesses)).order_by("-opened_at", "-pk")
    rows = rows.values(
        "pk",
        "witness_ids",
        "topic__title",
        "detainee__name",
        "kind",
        "status",
        *(f"claim_{side}__{lookup}" for side in "ab" for lookup, _ in CLAIM_SIDE.values()),
    )
    csv_columns, json_columns = conflict_columns(request)
    return download(rows, csv_columns, json_columns=json_columns, what="conflicts", fmt=fmt)


def detainee_columns(request: HttpRequest) -> list[Column]:
    url = permalink("claims:detainee")
    return [
        Column("id", "id", lambda d: d.pk),
        Column("permalink", "url", lambda d: url(d.pk)),
        Column("name", "name", lambda d: d.name),
        Column("aliases", "aliases", lambda d: list(d.aliases)),
        Column("arrested on", "arrested_on", lambda d: d.arrested_on),
        Column("charges", "charges", lambda d: _text(d.charges)),
        Column("place of detention", "place_of_detention", lambda d: _text(d.place_of_detention)),
        Column("topics", "topics", lambda d: [t.title for t in d.topics.all()]),
        Column("approved claims", "claim_count", lambda d: d.claim_count),
    ]


@require_safe
@reader_view
def detainee_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The detainees the list's filters match, by name, with their topics and claim counts."""
    detainees = (
        Detainee.objects.visible_to(request.user)
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.public().order_by("title")))
        .order_by("name", "pk")
    )
    filterset = DetaineeFilterSet(request.GET, queryset=detainees, request=request)
    return download(filterset.qs, detainee_columns(request), what="detainees", fmt=fmt)


@require_safe
@reader_view
def topic_case(request: HttpRequest, slug: str) -> HttpResponse:
    """The topic as a case file (DESIGN.md), with the claims a reader may see on it.

    `?resolutions=1` adds the decisions on its conflicts and the claims'
    verdicts (docs/case-files.md), for moderators only: it names who decided.
    """
    topic = get_object_or_404(Topic.objects.visible_to(request.user), slug=slug)
    with_resolutions = request.GET.get("resolutions") == "1"
    if with_resolutions and not request.user.has_perm("claims.resolve_conflict"):
        raise PermissionDenied(
            "Only moderators may download the decisions on conflicts, which name who took them."
        )
    document = export_case(
        [topic],
        states=[Claim.State.APPROVED, Claim.State.RETRACTED],
        public_only=True,
        with_resolutions=with_resolutions,
    )
    name = f"crosscheck-case-{topic.slug}-{timezone.localdate().isoformat()}.json"
    return json_download(document, name=name)
