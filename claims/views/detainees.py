from dataclasses import dataclass
from itertools import combinations

from django.db.models import Count, Prefetch
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims import charts
from claims import conflicts as rules
from claims.filters import DetaineeFilterSet, StatusBoardFilterSet
from claims.models import Claim, Conflict, Detainee, Topic
from claims.views import past, pictures
from claims.views.common import source_notes
from crosscheck import edits
from crosscheck.access import reader_view
from crosscheck.lists import paginate, render_list
from sources.models import Source


@require_safe
@reader_view
def detainee_list(request: HttpRequest) -> HttpResponse:
    """The detainees, by name, with their topics and how many approved claims concern them.

    The count is the detainee's own counter, kept on write (claims/counters.py):
    a join with GROUP BY counted the claims of every detainee before sorting
    them by name (0.55 s at a million claims), a subquery per row the page's.
    """
    detainees = (
        Detainee.objects.visible_to(request.user)
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.public().order_by("title")))
        .order_by("name", "pk")
    )
    filterset = DetaineeFilterSet(request.GET, queryset=detainees, request=request)
    page, page_notice = paginate(request, filterset.qs)
    context = {"filterset": filterset, "page": page, "page_notice": page_notice}
    return render_list(request, "claims/detainee_list.html", context)


@require_safe
@reader_view
def detainee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A detainee's status timeline, each source's latest word, and every claim about them."""
    try:
        day = past.asked_day(request)
    except past.BadDate as problem:
        return past.bad_date(request, str(problem), request.path)
    detainee = get_object_or_404(Detainee.objects.visible_to(request.user), pk=pk)
    if day is not None:
        return past.detainee_as_known_on(request, detainee, day)
    claims = list(
        Claim.objects.public()
        .filter(detainee=detainee)
        .for_display()
        .with_standing()
        .prefetch_related(*source_notes())
        .order_by("stated_on", "pk")
    )
    # The detainee's renames (its heading, and each card's "about"), the documents' edits.
    renames = edits.published_edits([detainee]).get(detainee.pk, [])
    for claim in claims:
        claim.detainee.published_edits = renames
    edits.attach_edits(claims, relations=["document"])
    conflicts = Conflict.objects.open().filter(detainee=detainee)
    links = pictures.conflict_links(conflicts.select_related("claim_a__source", "claim_b__source"))
    timeline = charts.timeline(pictures.chart_claims(claims), pictures.chart_lanes(claims), links)
    context = {
        "detainee": detainee,
        "renames": renames,
        "claims": claims,
        "topics": detainee.topics.visible_to(request.user),
        "timeline": timeline,
        "status_tables": pictures.latest_status_tables(claims),
    }
    return render(request, "claims/detainee_detail.html", context)


@dataclass
class BoardRow:
    """One detainee on the status board: each source's latest word, and whether they clash."""

    detainee: Detainee
    cells: list[Claim | None]
    # "contradiction", "gap" or "": the strongest disagreement between two cells.
    disagreement: str
    clashing: frozenset[int]  # ids of the claims in a contradiction
    labels: tuple[str, ...] = ()  # the sources' names, one per cell: the narrow cards' labels

    @property
    def labelled_cells(self) -> list[tuple[str, Claim | None]]:
        return list(zip(self.labels, self.cells, strict=True))

    @property
    def reports(self) -> int:
        return sum(cell is not None for cell in self.cells)


def status_board_rows(
    topic: Topic, detainees: list[Detainee]
) -> tuple[list[Source], list[BoardRow]]:
    """Return the board's columns (sources, by name) and one row per detainee, in one query.

    A cell is the source's latest approved fact claim on (topic, detainee):
    latest by `stated_on`, then `as_of`, as DESIGN.md orders a source's
    statements. Two cells disagree when the pure rules find their values
    disjoint (a contradiction) or one known and one unknown (a gap). Unlike
    conflict detection, the board ignores the topic's window: it compares
    each source's latest word, however far apart, and shows the dates so the
    reader can judge.
    """
    claims = (
        Claim.objects.public()
        .current()
        .filter(topic=topic, detainee__in=detainees, kind=Claim.Kind.FACT)
        .select_related("source")
        .order_by("stated_on", Coalesce("as_of", "stated_on"), "pk")
    )
    latest: dict[tuple[int, int], Claim] = {}
    for claim in claims:
        claim.topic = topic  # value_display reads the topic's quantity label
        latest[(claim.detainee_id, claim.source_id)] = claim
    sources = sorted({c.source for c in latest.values()}, key=lambda s: (s.name, s.pk))
    topic_rules = topic.rules
    rows = []
    for detainee in detainees:
        cells = [latest.get((detainee.pk, source.pk)) for source in sources]
        # A cell that declines to say is shown, but disagrees with no one (claims.conflicts).
        reported = [
            (c, rules.value_of(c.facts, topic_rules))
            for c in cells
            if c is not None and rules.is_compared(c.facts)
        ]
        kinds, clashing = set(), set()
        for (a, value_a), (b, value_b) in combinations(reported, 2):
            kind = rules.compare_values(value_a, value_b)
            kinds.add(kind)
            if kind == rules.Kind.CONTRADICTION:
                clashing |= {a.pk, b.pk}
        disagreement = next(
            (str(k) for k in (rules.Kind.CONTRADICTION, rules.Kind.GAP) if k in kinds), ""
        )
        labels = tuple(source.name for source in sources)
        rows.append(BoardRow(detainee, cells, disagreement, frozenset(clashing), labels))
    return sources, rows


@require_safe
@reader_view
def status_board(request: HttpRequest) -> HttpResponse:
    """One row per detainee of a topic, one column per source: who says what about whom."""
    filterset = StatusBoardFilterSet(
        request.GET,
        queryset=Detainee.objects.visible_to(request.user).order_by("name", "pk"),
        request=request,
    )
    filterset.is_valid()
    topic = filterset.form.cleaned_data.get("topic")
    context = {"filterset": filterset, "topic": topic}
    if topic is None:
        context["topics"] = (
            Topic.objects.visible_to(request.user)
            .annotate(detainee_count=Count("detainees"))
            .filter(detainee_count__gt=0)
            .order_by("title")
        )
    else:
        page, context["page_notice"] = paginate(request, filterset.qs)
        context["page"] = page
        detainees = list(page.object_list)
        renames = edits.published_edits(detainees)  # One query for the page.
        for detainee in detainees:
            detainee.published_edits = renames.get(detainee.pk, [])
        context["sources"], context["rows"] = status_board_rows(topic, detainees)
    return render_list(request, "claims/status_board.html", context)
