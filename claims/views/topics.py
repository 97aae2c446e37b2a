from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims import charts
from claims.models import Claim, Conflict, Detainee, Topic
from claims.views.common import conflicts_for_display, source_notes
from claims.views.pictures import chart_claims, chart_lanes, conflict_links
from crosscheck.access import reader_view
from crosscheck.lists import paginate
from sources.models import Source


@require_safe
@reader_view
def home(request: HttpRequest) -> HttpResponse:
    """The newest open conflicts, then the topics, most open conflicts first, 50 a page.

    Each count is a subquery per topic on an index. Counting through joins
    (COUNT DISTINCT over claims and conflicts at once) multiplied a hot
    topic's claims by its conflicts: at a million claims the page never
    answered. A newsroom with thousands of topics pages through them.
    """
    topics = Topic.objects.annotate(
        open_conflict_count=per_topic(Conflict.objects.open()),
        claim_count=per_topic(Claim.objects.approved()),
    ).order_by("-open_conflict_count", "title", "pk")
    page, page_notice = paginate(request, topics)
    conflicts = conflicts_for_display(Conflict.objects.open())[:10]
    context = {"topics": page, "page": page, "page_notice": page_notice, "conflicts": conflicts}
    return render(request, "claims/home.html", context)


def per_topic(rows) -> Coalesce:
    """Return an expression counting `rows` of the outer topic (0 when it has none)."""
    counted = rows.filter(topic=OuterRef("pk")).order_by().values("topic").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


@require_safe
@reader_view
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The question, the pictures, the open conflicts and each source's current word."""
    topic = get_object_or_404(Topic, slug=slug)
    claims = list(
        Claim.objects.public()
        .filter(topic=topic)
        .for_display()
        .prefetch_related(*source_notes())
        .order_by("stated_on", "as_of", "pk")
    )
    conflicts = list(conflicts_for_display(topic.conflicts.open()))
    detainees = list(topic.detainees.all())
    lanes, facts = chart_lanes(claims), chart_claims(claims)
    context = {
        "topic": topic,
        "claims": claims,
        "conflicts": conflicts,
        "picture": current_picture([c for c in claims if c.detainee_id is None]),
        "detainees": detainees,
        "detainee_statuses": detainee_statuses(detainees, claims),
        "timeline": charts.timeline(facts, lanes, conflict_links(conflicts)),
        "range_chart": charts.range_chart(facts, lanes, topic.rules),
    }
    return render(request, "claims/topic_detail.html", context)


@dataclass
class SourcePicture:
    """A source's current word on a topic, and its earlier statements as history."""

    source: Source
    current: list[Claim] = field(default_factory=list)
    earlier: list[Claim] = field(default_factory=list)


def current_picture(claims: Iterable[Claim]) -> list[SourcePicture]:
    """Return each source's current claims on the topic, by source name; newest first.

    Current: the fact claims no later statement has superseded, and the
    source's newest position. Positions supersede nothing, so without the
    second rule every demand a source ever made would count as its current
    word; its older ones go to history with the superseded facts.
    """
    by_source: dict[int, SourcePicture] = {}
    newest_position: dict[int, Claim] = {}
    claims = sorted(claims, key=lambda c: (c.stated_on, c.effective_as_of, c.pk), reverse=True)
    for claim in claims:
        picture = by_source.setdefault(claim.source_id, SourcePicture(claim.source))
        if claim.is_fact:
            current = claim.superseded_by_id is None
        else:
            current = newest_position.setdefault(claim.source_id, claim) is claim
        (picture.current if current else picture.earlier).append(claim)
    for picture in by_source.values():
        if not picture.current:  # Never expected; keep the newest in view all the same.
            picture.current.append(picture.earlier.pop(0))
    return sorted(by_source.values(), key=lambda p: (p.source.name, p.source.pk))


def detainee_statuses(
    detainees: list[Detainee], claims: list[Claim]
) -> list[tuple[Detainee, list[Claim]]]:
    """Pair each detainee of the topic with the current fact claims about them, by source."""
    current: dict[int, list[Claim]] = defaultdict(list)
    for claim in claims:
        if claim.detainee_id and claim.is_fact and claim.superseded_by_id is None:
            current[claim.detainee_id].append(claim)
    return [(d, sorted(current[d.pk], key=lambda c: (c.source.name, c.pk))) for d in detainees]
