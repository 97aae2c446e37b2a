from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict
from crosscheck.access import reader_view
from sources.models import Source


@require_safe
@reader_view
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(
        Source.objects.select_related("affiliation").prefetch_related(
            Prefetch("affiliates", queryset=Source.objects.order_by("name"))
        ),
        pk=pk,
    )
    claims = (
        Claim.objects.public().filter(source=source).for_display().order_by("-stated_on", "-pk")
    )
    conflicts = (
        Conflict.objects.filter(Q(claim_a__source=source) | Q(claim_b__source=source))
        .for_display()
        .order_by("-opened_at")
    )
    context = {
        "source": source,
        "notes": source.notes.visible().select_related("created_by"),
        "claims": claims,
        "conflicts": conflicts,
        "open_conflict_count": sum(1 for c in conflicts if c.is_open),
    }
    return render(request, "sources/source_detail.html", context)
