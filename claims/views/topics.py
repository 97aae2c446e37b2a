from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict, Topic
from claims.views.common import conflicts_for_display, source_notes
from crosscheck.access import reader_view


@require_safe
@reader_view
def home(request: HttpRequest) -> HttpResponse:
    approved = Q(claims__state=Claim.State.APPROVED)
    topics = Topic.objects.annotate(
        claim_count=Count("claims", filter=approved, distinct=True),
        open_conflict_count=Count(
            "conflicts", filter=Q(conflicts__status=Conflict.Status.OPEN), distinct=True
        ),
    ).order_by("-open_conflict_count", "title")
    conflicts = conflicts_for_display(Conflict.objects.open())[:10]
    return render(request, "claims/home.html", {"topics": topics, "conflicts": conflicts})


@require_safe
@reader_view
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    claims = (
        Claim.objects.public()
        .filter(topic=topic)
        .for_display()
        .prefetch_related(*source_notes())
        .order_by("stated_on", "as_of", "pk")
    )
    conflicts = conflicts_for_display(topic.conflicts.open())
    context = {
        "topic": topic,
        "claims": claims,
        "conflicts": conflicts,
        "detainees": topic.detainees.all(),
    }
    return render(request, "claims/topic_detail.html", context)
