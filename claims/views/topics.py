from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims import charts
from claims import conflicts as rules
from claims.models import Claim, Conflict, Detainee, Topic, TopicSpeaker
from claims.views import past
from claims.views.common import conflicts_for_display, source_notes
from claims.views.conflicts import cluster_index, show_clusters
from claims.views.pictures import chart_claims, chart_lanes, conflict_links
from claims.voices import label_internal
from crosscheck import edits
from crosscheck.access import reader_view
from crosscheck.counts import count_per_row
from crosscheck.lists import paginate
from sources.models import Source, sees_unpublished


@require_safe
@reader_view
def home(request: HttpRequest) -> HttpResponse:
    """The newest open conflicts, then the topics, most open conflicts first, 50 a page.

    The counts are the topics' own counters, kept on write (claims/counters.py),
    and the order is an index's (`topic_hot_idx`): the page reads 50 topics,
    where counting each topic's open conflicts to sort them read them all
    (33,154 topics, 110,085 open conflicts at a million claims).
    """
    topics = Topic.objects.visible_to(request.user).order_by("-open_conflict_count", "title", "pk")
    page, page_notice = paginate(request, topics)
    conflicts = conflicts_for_display(Conflict.objects.open())[:10]
    context = {
        "topics": page,
        "page": page,
        "page_notice": page_notice,
        "conflicts": conflicts,
        "resolutions": recent_resolutions(Conflict.objects.all(), HOME_RESOLUTIONS),
    }
    return render(request, "claims/home.html", context)


# How much of one topic its page draws. A long story gathers tens of
# thousands of claims (the hottest generated topic holds 36,867 from 162
# sources, with 8,068 open conflicts: drawn whole, its page weighed 122 MB).
# Past these bounds the page says how many there are and links to the lists,
# which page through them all. The bounds keep the page under 200 KB
# (docs/scaling.md, "Every page bounded"): with 100 claims, 20 sources and 20
# conflicts the hottest topic weighed 465 KB at 10,000 claims, 499 KB at a
# million, the charts and their table 199 KB of it, the source pictures 145 KB.
SHOWN_CLAIMS = 30  # the newest, in the timeline, the range chart and the table
SHOWN_SOURCES = 8  # those who spoke last, each with its whole current word
SHOWN_EARLIER = 2  # per source, under "Earlier statements"
SHOWN_CONFLICTS = 8  # the largest groups of open ones, one conflict each
SHOWN_DETAINEES = 5  # by name, each with every source's current status
SHOWN_RESOLUTIONS = 3  # the newest, in "Where this stands" at the top
HOME_RESOLUTIONS = 5  # the newest on any topic, on the home page


@require_safe
@reader_view
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The question, the pictures, the open conflicts and each source's current word.

    Bounded whatever the topic's size, in a fixed number of queries: the
    newest claims for the pictures, the current word and newest earlier
    statements of the sources who spoke last, the newest open conflicts, the
    first detainees with their current status. The counts on the topic say
    what was left out.
    """
    try:
        day = past.asked_day(request)
    except past.BadDate as problem:
        return past.bad_date(request, str(problem), request.path)
    if day is not None:
        topic = get_object_or_404(Topic.objects.visible_to(request.user), slug=slug)
        return past.topic_as_known_on(request, topic, day)
    memberships = Detainee.topics.through.objects.all()
    if not sees_unpublished(request.user):
        memberships = memberships.filter(detainee__published_at__isnull=False)
    topic = get_object_or_404(
        Topic.objects.visible_to(request.user).annotate(
            # claim_count and open_conflict_count: the topic's counters.
            # Kept by detection: one row per source speaking on the topic itself.
            source_count=count_per_row(TopicSpeaker.objects.all(), "topic"),
            resolved_count=count_per_row(
                Conflict.objects.filter(status=Conflict.Status.RESOLVED), "topic"
            ),
            detainee_count=count_per_row(memberships, "topic"),
        ),
        slug=slug,
    )
    public = Claim.objects.public().filter(topic=topic)
    shown = sorted(
        public.for_display().order_by("-stated_on", "-pk")[:SHOWN_CLAIMS],
        key=lambda c: (c.stated_on, c.effective_as_of, c.pk),
    )
    word, earlier = current_word(topic)
    # A cited document retitled or moved since publication, on each card (crosscheck.edits).
    edits.attach_edits([*word, *earlier], relations=["document"])
    # The open conflicts grouped by the claim they share (claims.views.conflicts):
    # the first conflict of each of the largest clusters, and what it stands for.
    clusters = cluster_index(topic.conflicts.open())[:SHOWN_CONFLICTS]
    show_clusters(clusters, 1, display=lambda conflicts: conflicts.for_display())
    conflicts = [cluster.shown[0] for cluster in clusters]
    resolutions = list(recent_resolutions(topic.conflicts.all(), SHOWN_RESOLUTIONS))
    detainees = list(
        topic.detainees.visible_to(request.user).order_by("name", "pk")[:SHOWN_DETAINEES]
    )
    statuses = public.current().filter(kind=Claim.Kind.FACT, detainee__in=detainees)
    statuses = list(statuses.for_display())
    prefetch_related_objects(
        [
            *shown,
            *word,
            *earlier,
            *statuses,
            *(c.claim_a for c in conflicts),
            *(c.claim_b for c in conflicts),
        ],
        *source_notes(),
    )
    lanes, facts = chart_lanes(shown), chart_claims(shown)
    picture = current_picture(word, earlier)
    parties = list(topic.parties.current().select_related("source").order_by("source__name"))
    names: dict[int, str] = {}
    chains = Source.objects.chains(
        names=names,
        ids={c.source_id for c in (*word, *earlier, *statuses)}
        | {c.claim_a.source_id for c in conflicts}
        | {c.claim_b.source_id for c in conflicts},
    )
    organisations = {pk: chain[-1] for pk, chain in chains.items()}
    label_internal(conflicts, organisations, names)
    corroborate(word, topic, organisations)
    party_ids = {p.source_id for p in parties}
    by_parties = [e for e in picture if party_ids & set(chains.get(e.source.pk, ()))]
    context = {
        "topic": topic,
        "claims": shown,
        "conflicts": conflicts,
        "clusters": clusters,
        "clustered_count": sum(cluster.size for cluster in clusters),
        "resolutions": resolutions,
        "picture": picture,
        "parties": parties,
        "party_picture": by_parties,
        "independent_picture": [e for e in picture if e not in by_parties],
        "named_count": named_count(topic),
        "detainees": detainees,
        "detainee_statuses": detainee_statuses(detainees, statuses),
        "timeline": charts.timeline(facts, lanes, conflict_links(conflicts)),
        "range_chart": charts.range_chart(facts, lanes, topic.rules),
    }
    return render(request, "claims/topic_detail.html", context)


def corroborate(claims: list[Claim], topic: Topic, organisations: dict[int, int]) -> None:
    """Set `claim.agreeing_organisations` on each current claim: other organisations agreeing.

    Organisations, not people (claims.conflicts, "One voice per organisation").
    """
    by_variable: dict[int | None, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_variable[claim.detainee_id].append(claim)
    for group in by_variable.values():
        agreeing = rules.corroborations([c.facts for c in group], topic.rules, organisations)
        for claim in group:
            claim.agreeing_organisations = len(agreeing.get(claim.pk, ()))


@dataclass
class NamedCount:
    """Lists against persons: the detainees reported counted, over all sources and by whom."""

    total: int
    of: int | None
    by_organisation: list[tuple[Source, int]]
    label: str = "Named releases reported"


def counted_reports(counts_status: str) -> Q:
    """Return the (stance, status) pairs of a per-person claim reporting a detainee counted.

    The pure rule (`claims.conflicts.reports_counted`) asked of every status
    and stance: a finite table, so the database can filter by it.
    """
    pairs = Q(pk__in=[])
    for status in Claim.Status.values:
        for stance in (Claim.Stance.AFFIRMS, Claim.Stance.DENIES):
            facts = SimpleNamespace(kind=Claim.Kind.FACT, stance=stance, status=status)
            if rules.reports_counted(facts, counts_status) is True:
                pairs |= Q(stance=stance, status=status)
    return pairs


def named_label(topic: Topic) -> str:
    """Return "Named releases reported", or "Named persons reported <status>"."""
    released = rules.status_leaves(topic.counts_status) <= rules.status_leaves("released")
    if released:
        return "Named releases reported"
    return f"Named persons reported {topic.get_counts_status_display().lower()}"


def named_count(topic: Topic) -> NamedCount | None:
    """Return the derived count beside the aggregate claims: "named releases reported: 3 of 53".

    Counted in the database, so the page reads a few rows whatever the
    number of named persons: the live per-person claims (approved, current:
    `superseded_by` is detection's verdict, relays of a recorded claim
    excluded, as `claims.conflicts.live_person_claims`) whose stance and
    status report the detainee counted. Their speakers (one query), the
    speakers' organisations (one per level of affiliation), then the
    distinct detainees over all and per organisation (one query each: one row
    per organisation), and the organisations' names. As of the latest day
    any per-person claim speaks of, as detection's bound: every counted
    report is on or before it.
    """
    if not topic.rules.counts_status:
        return None
    label = named_label(topic)
    live = Claim.objects.approved().filter(
        counted_reports(topic.counts_status),
        topic=topic,
        detainee__isnull=False,
        kind=Claim.Kind.FACT,
        superseded_by=None,
        relays=None,
    )
    speakers = set(live.order_by().values_list("source_id", flat=True).distinct())
    if not speakers:
        return NamedCount(total=0, of=topic.quantity_max, by_organisation=[], label=label)
    organisation_of = Source.objects.organisations(speakers)
    by_speaker = Case(
        *(
            When(source_id__in=[s for s in speakers if organisation_of.get(s, s) == org], then=org)
            for org in {organisation_of.get(s, s) for s in speakers}
        ),
        output_field=IntegerField(),
    )
    total = live.aggregate(n=Count("detainee", distinct=True))["n"]
    by_org = dict(
        live.order_by()
        .annotate(organisation=by_speaker)
        .values("organisation")
        .annotate(n=Count("detainee", distinct=True))
        .values_list("organisation", "n")
    )
    names = Source.objects.in_bulk(by_org)
    shown = sorted(
        ((names[pk], n) for pk, n in by_org.items() if pk in names),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    return NamedCount(total=total, of=topic.quantity_max, by_organisation=shown, label=label)


def recent_resolutions(conflicts, limit: int):
    """Return the newest `limit` resolved conflicts, joined for a one-line summary each.

    A resolved conflict leaves the open lists; this keeps the decision in view.
    """
    resolved = conflicts.filter(status=Conflict.Status.RESOLVED)
    return resolved.for_display().order_by("-status_changed_at", "-pk")[:limit]


def current_word(topic: Topic) -> tuple[list[Claim], list[Claim]]:
    """Return the current and earlier claims of the SHOWN_SOURCES sources who spoke last.

    Current: the fact claims no later statement has superseded, and the
    source's newest position. Positions supersede nothing, so without the
    second rule every demand a source ever made would count as its current
    word; its older ones go to history with the superseded facts. Earlier:
    a source's SHOWN_EARLIER newest other claims, each carrying
    `earlier_count`, how many its source has in all.

    On the topic's own variable (no detainee), approved claims only. Three
    queries whatever the topic's size: the sources who spoke last, their
    counts and newest positions, from the rows detection keeps
    (claims/speakers.py); the ids of their newest earlier statements, a few
    index rows per source (`claim_speaker_newest_idx`); the claims shown,
    joined and annotated once, their current facts found by
    `claim_current_idx`.
    """
    speakers = list(
        TopicSpeaker.objects.filter(topic=topic)
        .order_by("-last_stated_on", "source_id")
        .values_list("source_id", "claim_count", "position_id")[:SHOWN_SOURCES]
    )
    if not speakers:
        return [], []
    claims = Claim.objects.public().filter(topic=topic, detainee=None)
    positions = [position for _, _, position in speakers if position is not None]
    current = Q(kind=Claim.Kind.FACT, superseded_by=None) | Q(pk__in=positions)
    earlier_ids = newest_earlier(claims, [source for source, _, _ in speakers], current)
    shown = list(
        claims.filter(source__in=[source for source, _, _ in speakers])
        .filter(current | Q(pk__in=earlier_ids))
        .for_display()
        .with_standing()
    )
    ids = set(earlier_ids)
    word = [c for c in shown if c.pk not in ids]
    earlier = [c for c in shown if c.pk in ids]
    # How many earlier statements each source has: its claims there, less its current word.
    in_word = Counter(c.source_id for c in word)
    count_of = {source: n for source, n, _ in speakers}
    for claim in earlier:
        claim.earlier_count = count_of[claim.source_id] - in_word[claim.source_id]
    return word, earlier


def newest_earlier(claims, sources: list[int], current: Q) -> list[int]:
    """Return the ids of each source's SHOWN_EARLIER newest claims that are not `current`.

    On PostgreSQL one index scan per source that stops after a few rows (a
    UNION ALL of limited reads); SQLite cannot limit the parts of a union,
    and ranks the sources' claims with a window instead: the same ids.
    """
    others = claims.exclude(current).order_by("-stated_on", "-pk")
    if connection.features.supports_slicing_ordering_in_compound:
        # A compound's parts may order only by what they select.
        parts = [
            others.filter(source_id=source).values_list("pk", "stated_on")[:SHOWN_EARLIER]
            for source in sources
        ]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return [pk for pk, _ in rows]
    newest_first = [F("stated_on").desc(), F("pk").desc()]
    ranked = (
        others.filter(source_id__in=sources)
        .annotate(rank=Window(RowNumber(), partition_by=F("source_id"), order_by=newest_first))
        .filter(rank__lte=SHOWN_EARLIER)
        .values_list("pk", flat=True)
    )
    return list(ranked)


@dataclass
class SourcePicture:
    """A source's current word on a topic, and its newest earlier statements as history."""

    source: Source
    current: list[Claim] = field(default_factory=list)
    earlier: list[Claim] = field(default_factory=list)
    earlier_count: int = 0  # shown or not


def current_picture(word: Iterable[Claim], earlier: Iterable[Claim]) -> list[SourcePicture]:
    """Group each source's current and earlier claims by source, by name; newest first."""
    by_source: dict[int, SourcePicture] = {}
    newest_first = sorted(
        [*((c, True) for c in word), *((c, False) for c in earlier)],
        key=lambda pair: (pair[0].stated_on, pair[0].effective_as_of, pair[0].pk),
        reverse=True,
    )
    for claim, current in newest_first:
        picture = by_source.setdefault(claim.source_id, SourcePicture(claim.source))
        if current:
            picture.current.append(claim)
        else:
            picture.earlier.append(claim)
            picture.earlier_count = claim.earlier_count
    for picture in by_source.values():
        if not picture.current:  # Never expected; keep the newest in view all the same.
            picture.current.append(picture.earlier.pop(0))
            picture.earlier_count -= 1
    return sorted(by_source.values(), key=lambda p: (p.source.name, p.source.pk))


def detainee_statuses(
    detainees: list[Detainee], claims: Iterable[Claim]
) -> list[tuple[Detainee, list[Claim]]]:
    """Pair each detainee with the current fact claims about them (`claims`), by source."""
    current: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        current[claim.detainee_id].append(claim)
    return [(d, sorted(current[d.pk], key=lambda c: (c.source.name, c.pk))) for d in detainees]
