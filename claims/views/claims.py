from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from claims import conflicts as rules
from claims.claimreview import claim_review
from claims.detection import FACT_FIELDS
from claims.filters import ClaimFilterSet
from claims.models import Claim, Conflict
from claims.views.common import conflicts_for_display, source_notes
from crosscheck import edits
from crosscheck.access import reader_view
from crosscheck.lists import PAGE_SIZE, BoundedPaginator, page_of, render_list
from sources.models import Source

# How many of a claim's conflicts its page shows, in its standing and side by side.
SHOWN_CONFLICTS = 10


@require_safe
@reader_view
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A retracted claim keeps its permalink, with the retraction shown:
    # readers who cited it must be able to see what happened to it.
    claim = get_object_or_404(
        Claim.objects.linkable()
        .for_display()
        .with_standing()
        .select_related(
            *(
                f"superseded_by__{r}"
                for r in ("source__affiliation", "topic", "detainee", "document")
            )
        )
        .prefetch_related(*source_notes()),
        pk=pk,
    )
    edits.attach_edits([claim])  # A renamed detainee, a document retitled or moved.
    involving = Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim))
    # What the top of the page says first: the open disputes, then the
    # decisions, newest first; the first SHOWN_CONFLICTS of them, and a count.
    # A claim at the centre of a cluster is in hundreds (each drawn side by
    # side weighs 4 KB): the conflicts list pages through them all.
    ordered = involving.order_by(
        Case(When(status=Conflict.Status.OPEN, then=Value(0)), default=Value(1)),
        "-status_changed_at",
        "-pk",
    )
    conflicts = list(conflicts_for_display(ordered)[:SHOWN_CONFLICTS])
    counted = BoundedPaginator(involving, SHOWN_CONFLICTS)
    # Closed conflicts come newest first, so the newest resolution, which the
    # verdict comes from, is among those shown unless it is past them.
    resolutions = conflicts
    if len(conflicts) == SHOWN_CONFLICTS and not any(c.is_resolved for c in conflicts):
        resolutions = involving.filter(status=Conflict.Status.RESOLVED).order_by(
            "-status_changed_at", "-pk"
        )[:1]  # Read only for a claim with a verdict to publish.
    for conflict in conflicts:
        conflict.here = conflict.side_of(claim)
        conflict.other = conflict.other_side(claim)
        conflict.verdict_here = conflict.verdict_for(claim)
    supersedes = claim.supersedes.public().for_display()
    context = {
        "chain": provenance_chain(claim),
        "agreeing": agreeing_sources(claim),
        "relayed_by": list(claim.relayed_by.public().select_related("source").order_by("pk")),
        "claim": claim,
        "conflicts": conflicts,
        "conflict_count": counted.count,
        "conflicts_capped": counted.is_capped,
        "supersedes": supersedes,
        # The canonical permalink (SITE_URL), the one the ClaimReview and feeds give.
        "citation": citation_line(claim, settings.SITE_URL + claim.get_absolute_url()),
        # Reads the conflicts above: no query of its own, unless every one shown
        # is open or closed unresolved and more are left out (claims.claimreview).
        "claim_review": claim_review(request, claim, resolutions),
    }
    return render(request, "claims/claim_detail.html", context)


@dataclass
class ChainStep:
    """One link of a claim's provenance: who said it, and the statement if recorded and public."""

    source: Source | None
    claim: Claim | None
    role: str  # "outlet", "relayed", "original"


def provenance_chain(claim: Claim) -> list[ChainStep]:
    """Return outlet → speaker → original statement for a relay; [] for an original.

    Follows `relays` one query per hop (a chain is a few claims long; loops
    are refused when saved, and the walk stops at Claim.RELAY_DEPTH all the
    same). A relayed claim a reader may not see (not approved) is named by
    its source only: docs/publication.md.
    """
    if claim.relays_id is None and claim.relays_source_id is None:
        return []
    steps = [ChainStep(claim.source, claim, "outlet")]
    seen, current = {claim.pk}, claim
    while current.relays_id is not None and len(steps) <= Claim.RELAY_DEPTH:
        relayed = (
            Claim.objects.public()
            .select_related("source__affiliation")
            .filter(pk=current.relays_id)
            .first()
        )
        if relayed is None or relayed.pk in seen:
            steps.append(ChainStep(current.relays_source, None, "original"))
            return steps
        seen.add(relayed.pk)
        role = "relayed" if relayed.relays_id or relayed.relays_source_id else "original"
        steps.append(ChainStep(relayed.source, relayed, role))
        current = relayed
    if current.relays_id is None and current.relays_source_id is not None:
        # The last speaker's own statement is not recorded.
        steps.append(ChainStep(current.relays_source, None, "original"))
    return steps


def agreeing_sources(claim: Claim) -> list[Source]:
    """Return the other sources whose claims agree with this one, originals only.

    claims.conflicts.agreeing_sources over the approved claims on its
    variable: two queries, whatever their number.
    """
    if claim.state != Claim.State.APPROVED or not claim.is_fact:
        return []
    facts = [
        rules.ClaimFacts(*row)
        for row in Claim.objects.approved()
        .on_variable(*claim.variable)
        .order_by()
        .values_list(*FACT_FIELDS)
    ]
    ids = rules.agreeing_sources(facts, claim.topic.rules).get(claim.pk, frozenset())
    return list(Source.objects.filter(pk__in=ids).order_by("name"))


def citation_line(claim: Claim, permalink: str) -> str:
    """Return a ready-to-paste citation: speaker, quote, date, document, permalink.

    Jen Psaki (U.S. Department of State), "They have already released some of
    the prisoners", Jan 6, 2015, in "US: Cuba Has Released Some of 53
    'Political' Prisoners" — Crosscheck claim #12, https://…/claims/12/

    Reported speech is not the speaker's words: the line gives the newsroom's
    summary instead, unquoted and said to be reported ("Marco Rubio, reported:
    Talks should wait until all are released, Jan 6, 2015, …").
    """
    if claim.is_direct_quote:
        quote = Truncator(" ".join(claim.quote.split())).chars(160)
        said = f'"{quote}"'
    else:
        said = f"reported: {claim.summary}"
    parts = [
        claim.source.speaker_line,
        said,
        f"{claim.stated_on:%b} {claim.stated_on.day}, {claim.stated_on.year}",
    ]
    line = ", ".join(parts)
    if claim.document_id:
        line += f', in "{claim.document.title}"'
    line += f" — Crosscheck claim #{claim.pk}"
    if claim.state == Claim.State.RETRACTED:
        line += " (retracted)"
    return f"{line}, {permalink}"


@require_safe
@reader_view
def claim_list(request: HttpRequest) -> HttpResponse:
    """The claims browser: filter, search, sort; htmx swaps in just the results.

    The page is read ids first: the filtered, searched and sorted claims
    give the page's 50 ids from the claims table alone, then the cards'
    joins and badges (`for_display`, `with_standing`) are read for those ids.
    One query more, but the query PostgreSQL must plan with eight tables
    joined is then a lookup of 50 ids: planned with the search, sort and
    LIMIT in it, it took 70-200 ms to plan at a million claims, every list
    page, and 1-10 ms to run (docs/benchmarks.md, "Search at 1,000,000
    claims, the stored vector").
    """
    shown = Claim.objects.public().for_display().with_standing().prefetch_related(*source_notes())
    filterset = ClaimFilterSet(request.GET, queryset=shown, request=request)
    claims = filterset.qs
    paginator = BoundedPaginator(
        claims, PAGE_SIZE, limit=filterset.count_limit(), count_rows=filterset.rows_to_count()
    )
    too_many_to_rank = (
        filterset.ranks_by_relevance() and paginator.counted > ClaimFilterSet.RANK_LIMIT
    )
    if too_many_to_rank:
        # The count is already known: only the page query changes.
        paginator.object_list = claims.order_by(*ClaimFilterSet.SORTS["newest"])
    page, page_notice = page_of(request, paginator)
    wanted = list(page.object_list.values_list("pk", flat=True))
    rows = shown.filter(pk__in=wanted).order_by() if wanted else []
    by_id = {claim.pk: claim for claim in rows}
    # In the list's order; a claim retracted between the two reads is left out.
    page.object_list = [by_id[pk] for pk in wanted if pk in by_id]
    # Renamed detainees on the rows (which do not show documents): one query for the page.
    edits.attach_edits(page.object_list, relations=["detainee"])
    context = {
        "filterset": filterset,
        "page": page,
        "page_notice": page_notice,
        "too_many_to_rank": too_many_to_rank,
        "rank_limit": ClaimFilterSet.RANK_LIMIT,
        "terms": filterset.search_terms,
    }
    return render_list(request, "claims/claim_list.html", context)
