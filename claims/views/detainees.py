from dataclasses import dataclass, replace
from itertools import combinations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
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
from claims.voices import organisations_from
from crosscheck import edits
from crosscheck.access import reader_view
from crosscheck.counts import count_per_row
from crosscheck.lists import page_of, paginate, render_list
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


# How much of a detainee's record its page draws: the newest claims, in the
# timeline and as cards (3 KB each, with their sources' notes), and the
# newest open conflicts between them. The latest status of each source is
# read from every claim.
SHOWN_DETAINEE_MARKS = 100
SHOWN_DETAINEE_LINES = 20  # open conflicts drawn as lines between marks
SHOWN_DETAINEE_CLAIMS = 30


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
    # Every claim counts in the latest statuses; the newest are drawn and shown
    # as cards, the rest are on the claims list (a hot topic's detainee has dozens).
    drawn, shown = claims[-SHOWN_DETAINEE_MARKS:], claims[-SHOWN_DETAINEE_CLAIMS:]
    edits.attach_edits(shown, relations=["document"])
    # The newest open conflicts between two claims drawn: each is a line, and a
    # detainee many sources disagree on is in hundreds (267 KB of lines for 150 claims).
    drawn_ids = [c.pk for c in drawn]
    conflicts = (
        Conflict.objects.open()
        .filter(detainee=detainee, claim_a__in=drawn_ids, claim_b__in=drawn_ids)
        .select_related("claim_a__source", "claim_b__source")
        .order_by("-opened_at", "-pk")[:SHOWN_DETAINEE_LINES]
    )
    links = pictures.conflict_links(conflicts)
    timeline = charts.timeline(pictures.chart_claims(drawn), pictures.chart_lanes(drawn), links)
    context = {
        "detainee": detainee,
        "renames": renames,
        "claims": shown,
        "claim_count": len(claims),
        "drawn_count": len(drawn),
        "topics": detainee.topics.visible_to(request.user),
        "timeline": timeline,
        "status_tables": pictures.latest_status_tables(claims),
    }
    return render(request, "claims/detainee_detail.html", context)


@dataclass(frozen=True)
class Confirmation:
    """One status a detainee's row reports, and the organisations whose current word says so."""

    value: str  # as the cells show it: "Released", "not released"
    organisations: tuple[str, ...]  # short names (first alias, else name), by name

    @property
    def count(self) -> int:
        return len(self.organisations)


def confirmations(
    cells: list[Claim | None], organisation_of: dict[int, int], short: dict[int, str]
) -> tuple[Confirmation, ...]:
    """Group a row's reporting cells by the status they report, counting organisations.

    A cell that declines to say or has no information confirms nothing. A
    relay speaks for the source it relays (claims.conflicts, "Relays"), so
    the wire report repeating the State Department counts as the U.S.
    government, once however many of its voices said so (one voice per
    organisation). Most-confirmed status first, then by name.
    """
    by_value: dict[str, set[str]] = {}
    for cell in cells:
        value = cell.value_display() if cell is not None else ""
        if not value or not rules.is_compared(cell.facts):
            continue
        speaker = cell.relays_source_id or cell.source_id
        organisation = organisation_of.get(speaker, speaker)
        name = short.get(organisation) or cell.source.name
        by_value.setdefault(value[:1].upper() + value[1:], set()).add(name)
    ranked = sorted(by_value.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(Confirmation(value, tuple(sorted(names))) for value, names in ranked)


def organisation_names(claims) -> tuple[dict[int, int], dict[int, str]]:
    """Return (each speaker's organisation, each organisation's short name) for the board.

    The speakers are joined to the cells; only whom they speak for, level by
    level, is asked of the database (claims.voices): no query when no
    speaker speaks for anyone, one per level above otherwise.
    """
    claims = list(claims)
    short: dict[int, str] = {}
    organisation_of = organisations_from([c.source for c in claims], {}, short)
    stand_ins = {c.relays_source_id for c in claims} - {None} - set(organisation_of)
    if stand_ins:  # A relay whose relayed source says nothing on the board itself.
        relayed = Source.objects.filter(pk__in=stand_ins).only("name", "affiliation", "aliases")
        organisation_of |= organisations_from(relayed, {}, short)
    return organisation_of, short


@dataclass
class BoardRow:
    """One detainee on the status board: each source's latest word, and whether they clash."""

    detainee: Detainee
    cells: list[Claim | None]
    # "contradiction", "gap" or "": the strongest disagreement between two cells.
    disagreement: str
    clashing: frozenset[int]  # ids of the claims in a contradiction
    labels: tuple[str, ...] = ()  # the sources' names, one per cell: the narrow cards' labels
    reports: int = 0  # how many sources reported on the detainee, their columns shown or not
    # Who confirms what (issue 14): each status reported, with the organisations reporting it.
    confirmers: tuple[Confirmation, ...] = ()

    @property
    def labelled_cells(self) -> list[tuple[str, Claim | None]]:
        return list(zip(self.labels, self.cells, strict=True))

    def columns(self, start: int, stop: int) -> "BoardRow":
        """The row with the cells of the columns shown only; the agreement still weighs all."""
        return replace(self, cells=self.cells[start:stop], labels=self.labels[start:stop])


def status_board_rows(
    topic: Topic, detainees: list[Detainee], claims=None
) -> tuple[list[Source], list[BoardRow]]:
    """Return the board's columns (sources, by name) and one row per detainee.

    One query for the cells, and the organisations' (`organisation_names`),
    whatever the number of rows.

    A cell is the source's latest approved fact claim on (topic, detainee):
    latest by `stated_on`, then `as_of`, as DESIGN.md orders a source's
    statements. Two cells disagree when the pure rules find their values
    disjoint (a contradiction) or one known and one unknown (a gap). Unlike
    conflict detection, the board ignores the topic's window: it compares
    each source's latest word, however far apart, and shows the dates so the
    reader can judge.
    """
    if claims is None:  # Today's; the past board passes those known then (past.board_claims).
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
    organisation_of, short = organisation_names(latest.values())
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
        reports = sum(cell is not None for cell in cells)
        confirmed = confirmations(cells, organisation_of, short)
        rows.append(
            BoardRow(
                detainee,
                cells,
                disagreement,
                frozenset(clashing),
                labels,
                reports=reports,
                confirmers=confirmed,
            )
        )
    return sources, rows


# The board's page: 25 detainees by 10 sources. A hot topic's detainees are
# reported on by up to 162 sources; 50 rows of every column weighed 250 KB
# at 10,000 claims. The other sources are on the next pages of columns
# (`?sources=2`), and each row's agreement weighs every source's word.
BOARD_ROWS = 25
BOARD_COLUMNS = 10


@require_safe
@reader_view
def status_board(request: HttpRequest) -> HttpResponse:
    """One row per detainee of a topic, one column per source: who says what about whom."""
    filterset = StatusBoardFilterSet(
        request.GET,
        queryset=Detainee.objects.visible_to(request.user).order_by("name", "pk"),
        request=request,
    )
    try:
        day = past.asked_day(request)
    except past.BadDate as problem:
        return past.bad_date(request, str(problem), request.path)
    filterset.is_valid()
    topic = filterset.form.cleaned_data.get("topic")
    context = {"filterset": filterset, "topic": topic}
    if topic is None:
        # The topics to choose from, 50 a page: a newsroom has thousands with
        # detainees (11,000 at a million claims, 989 KB drawn whole). Each
        # count is a subquery run for the page's rows only (crosscheck.counts).
        memberships = Detainee.topics.through.objects.all()
        topics = (
            Topic.objects.visible_to(request.user)
            .filter(Exists(memberships.filter(topic=OuterRef("pk"))))
            .annotate(detainee_count=count_per_row(memberships, "topic"))
            .order_by("title", "pk")
        )
        page, context["page_notice"] = paginate(request, topics)
        context["page"] = context["topics"] = page
    else:
        page, context["page_notice"] = paginate(request, filterset.qs, BOARD_ROWS)
        context["page"] = page
        detainees = list(page.object_list)
        renames = edits.published_edits(detainees)  # One query for the page.
        for detainee in detainees:
            detainee.published_edits = renames.get(detainee.pk, [])
        if day is None:
            sources, rows = status_board_rows(topic, detainees)
        else:  # "What we knew when": the cells from history only (claims/views/past.py).
            claims = past.board_claims(topic, detainees, day)
            sources, rows = status_board_rows(topic, detainees, claims)
            context.update(past.board_context(request, topic, day))
        columns, context["columns_notice"] = page_of(
            request, Paginator(sources, BOARD_COLUMNS), param="sources"
        )
        start = columns.start_index() - 1 if sources else 0
        context["columns"] = columns
        context["all_sources"] = sources
        context["sources"] = list(columns.object_list)
        context["rows"] = [row.columns(start, start + BOARD_COLUMNS) for row in rows]
    return render_list(request, "claims/status_board.html", context)
