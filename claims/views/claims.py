from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from claims import conflicts as rules
from claims.claimreview import claim_review
from claims.detection import FACT_FIELDS
from claims.filters import ClaimFilterSet
from claims.models import Claim, Conflict
from claims.views.common import attach_notes, conflicts_for_display, source_notes
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
        ),
        pk=pk,
    )
    edits.attach_edits([claim])  # A renamed detainee, a document retitled or moved.
    conflicts, conflict_count, conflicts_capped, resolutions = claim_conflicts(claim)
    # The notes beside the claim and beside both sides of each conflict: one query.
    attach_notes([claim.source, *(c.source for conflict in conflicts for c in conflict.claims)])
    for conflict in conflicts:
        conflict.here = conflict.side_of(claim)
        conflict.other = conflict.other_side(claim)
        conflict.verdict_here = conflict.verdict_for(claim)
    supersedes = claim.supersedes.public().for_display()
    chain = provenance_chain(claim)
    context = {
        "chain": chain,
        "agreeing": agreeing_sources(claim, chain),
        "relayed_by": list(claim.relayed_by.public().select_related("source").order_by("pk")),
        "claim": claim,
        "conflicts": conflicts,
        "conflict_count": conflict_count,
        "conflicts_capped": conflicts_capped,
        "supersedes": supersedes,
        # The canonical permalink (SITE_URL), the one the ClaimReview and feeds give.
        "citation": citation_line(claim, settings.SITE_URL + claim.get_absolute_url()),
        # Reads the conflicts above: no query of its own, unless every one shown
        # is open or closed unresolved and more are left out (claims.claimreview).
        "claim_review": claim_review(request, claim, resolutions),
    }
    return render(request, "claims/claim_detail.html", context)


def claim_conflicts(claim: Claim) -> tuple[list[Conflict], int, bool, list[Conflict] | QuerySet]:
    """Return the conflicts the claim page shows, how many there are, whether more, its resolution.

    What the top of the page says first: the open disputes, then the
    decisions, newest first; the first SHOWN_CONFLICTS of them, and a count
    up to LIST_COUNT_LIMIT. A claim at the centre of a cluster is in hundreds
    (each drawn side by side weighs 4 KB): the conflicts list pages through
    them all. The last item holds the newest resolved conflict (the one the
    verdict and the ClaimReview come from): the shown ones when it is among
    them, else a query read only for a claim with a verdict to publish.

    The claim's conflicts are read as three columns, each side through its
    own index, and ordered here: one query for the order, the count and the
    resolution. An OR of both sides, ordered and limited, got a sequential
    scan of every conflict (49 ms at a million claims, issue 16), and the
    count was a second query.
    """
    limit = settings.LIST_COUNT_LIMIT
    sides = [
        Conflict.objects.filter(**{side: claim})
        .order_by()
        .values_list("pk", "status", "status_changed_at")
        for side in ("claim_a", "claim_b")
    ]  # A pair is two claims: no conflict is on both sides.
    rows = list(sides[0].union(sides[1], all=True).order_by()[: limit + 1])
    if len(rows) > limit:
        return claim_conflicts_past_the_count(claim, limit)
    # Newest first (the later change, then the larger id), then open ones first: stable sorts.
    rows.sort(key=lambda row: (row[2], row[0]), reverse=True)
    rows.sort(key=lambda row: row[1] != Conflict.Status.OPEN)
    shown = [row[0] for row in rows[:SHOWN_CONFLICTS]]
    loaded = {
        c.pk: c for c in conflicts_for_display(Conflict.objects.filter(pk__in=shown), notes=False)
    }
    conflicts = attach_later_statements([loaded[pk] for pk in shown if pk in loaded])
    resolved = [row for row in rows if row[1] == Conflict.Status.RESOLVED]
    newest = max(resolved, key=lambda row: (row[2], row[0]), default=None)
    resolutions: list[Conflict] | QuerySet = conflicts
    if newest is not None and newest[0] not in loaded:
        resolutions = Conflict.objects.filter(pk=newest[0])
    return conflicts, len(rows), False, resolutions


def claim_conflicts_past_the_count(claim: Claim, limit: int):
    """`claim_conflicts` for a claim in more than `limit` conflicts: ordered and counted in SQL."""
    involving = Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim))
    ordered = involving.order_by(
        Case(When(status=Conflict.Status.OPEN, then=Value(0)), default=Value(1)),
        "-status_changed_at",
        "-pk",
    )
    conflicts = attach_later_statements(
        list(conflicts_for_display(ordered, notes=False)[:SHOWN_CONFLICTS])
    )
    counted = BoundedPaginator(involving, SHOWN_CONFLICTS, limit=limit)
    # Closed conflicts come newest first, so the newest resolution, which the
    # verdict comes from, is among those shown unless it is past them.
    resolutions = conflicts
    if len(conflicts) == SHOWN_CONFLICTS and not any(c.is_resolved for c in conflicts):
        resolutions = involving.filter(status=Conflict.Status.RESOLVED).order_by(
            "-status_changed_at", "-pk"
        )[:1]  # Read only for a claim with a verdict to publish.
    return conflicts, counted.count, counted.is_capped, resolutions


def attach_later_statements(conflicts: list[Conflict]) -> list[Conflict]:
    """Join the later statement that updates each superseded claim of `conflicts`, and return them.

    A closed conflict's claim may be superseded, and its card names the
    statement that updates it: read together, one query and only then, and
    not lazily by the template, one per card (which also kept `{% card %}`
    from ever keeping the conflict's HTML: claims/rendering.py).
    """
    claims = [c for conflict in conflicts for c in conflict.claims if c.superseded_by_id]
    if claims:
        later = Claim.objects.in_bulk({c.superseded_by_id for c in claims})
        for claim in claims:
            if claim.superseded_by_id in later:
                claim.superseded_by = later[claim.superseded_by_id]
    return conflicts


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


def agreeing_sources(claim: Claim, chain: list[ChainStep] = ()) -> list[Source]:
    """Return the other sources whose claims agree with this one, originals only.

    What claims.conflicts.agreeing_sources gives it over the approved claims
    on its variable, read from the few that can agree with it
    (`rules.agreeing_with`): the current ones inside one window of its date
    (the original's, for a relay), through the index claim_live_idx.
    The whole variable was read and examined before (issue 16: 24,000 claims
    on the busiest, 65 ms of SQL and 0.6 s of CPU for one page). Two queries
    whatever the variable's size; a relay's original is taken from its
    provenance `chain` (else one query per hop). Superseded is as detection
    stored it (`superseded_by`), the rules' own supersessions.
    """
    if claim.state != Claim.State.APPROVED or not claim.is_fact:
        return []
    approved = Claim.objects.approved().on_variable(*claim.variable).order_by()
    # The chain's claims are approved; those on this variable are what the walk reads.
    known = {
        step.claim.pk: step.claim
        for step in chain
        if step.claim is not None and step.claim.variable == claim.variable
    }
    superseded: dict[int, bool] = {claim.pk: claim.superseded_by_id is not None}

    def lookup(pk: int) -> rules.ClaimFacts | None:
        if pk in known:
            superseded[pk] = known[pk].superseded_by_id is not None
            return known[pk].facts
        row = approved.filter(pk=pk).values_list(*FACT_FIELDS, "superseded_by_id").first()
        if row is None:
            return None
        superseded[pk] = row[-1] is not None
        return rules.ClaimFacts(*row[:-1])

    original = rules.relayed_original(claim.facts, lookup)
    if original is None or superseded[original.id] or not rules.is_compared(original):
        return []
    topic = claim.topic.rules
    first, last = window_around(original.effective_as_of, topic.window_days)
    nearby = (
        approved.current()
        .filter(kind=Claim.Kind.FACT, relays__isnull=True)
        .exclude(stance=Claim.Stance.DECLINES)
        .alias(said_day=Coalesce("as_of", "stated_on"))
        .filter(said_day__gte=first, said_day__lte=last)
        .values_list(*FACT_FIELDS)
    )
    nearby = [rules.ClaimFacts(*row) for row in nearby]
    ids = rules.agreeing_with(original, nearby, (), topic)
    return list(Source.objects.filter(pk__in=ids).order_by("name"))


def window_around(day: date, days: int) -> tuple[date, date]:
    """Return the first and last days at most `days` from `day`, within the calendar."""
    try:
        first = day - timedelta(days=days)
    except OverflowError:
        first = date.min
    try:
        last = day + timedelta(days=days)
    except OverflowError:
        last = date.max
    return first, last


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
