from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict, Detainee, Topic
from crosscheck.access import reader_view
from sources.models import CredibilityNote


def with_source_notes(prefix: str) -> Prefetch:
    """Prefetch the visible credibility notes of a claim's source, newest first."""
    return Prefetch(
        f"{prefix}source__notes",
        queryset=CredibilityNote.objects.visible().order_by("-written_on", "-pk"),
        to_attr="visible_notes",
    )


def conflicts_for_display(queryset):
    return queryset.for_display().prefetch_related(
        with_source_notes("claim_a__"), with_source_notes("claim_b__")
    )


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
        .prefetch_related(with_source_notes(""))
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


@require_safe
@reader_view
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A retracted claim keeps its permalink, with the retraction shown:
    # readers who cited it must be able to see what happened to it.
    claim = get_object_or_404(
        Claim.objects.linkable()
        .for_display()
        .select_related("superseded_by__source")
        .prefetch_related(with_source_notes("")),
        pk=pk,
    )
    conflicts = conflicts_for_display(Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim)))
    supersedes = claim.supersedes.public().for_display()
    context = {"claim": claim, "conflicts": conflicts, "supersedes": supersedes}
    return render(request, "claims/claim_detail.html", context)


@require_safe
@reader_view
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(conflicts_for_display(Conflict.objects.all()), pk=pk)
    return render(request, "claims/conflict_detail.html", {"conflict": conflict})


@require_safe
@reader_view
def detainee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detainee = get_object_or_404(Detainee, pk=pk)
    claims = (
        Claim.objects.public()
        .filter(detainee=detainee)
        .for_display()
        .prefetch_related(with_source_notes(""))
        .order_by("stated_on", "pk")
    )
    context = {"detainee": detainee, "claims": claims, "topics": detainee.topics.all()}
    return render(request, "claims/detainee_detail.html", context)
