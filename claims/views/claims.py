from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict
from claims.views.common import conflicts_for_display, source_notes
from crosscheck.access import reader_view


@require_safe
@reader_view
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A retracted claim keeps its permalink, with the retraction shown:
    # readers who cited it must be able to see what happened to it.
    claim = get_object_or_404(
        Claim.objects.linkable()
        .for_display()
        .select_related("superseded_by__source")
        .prefetch_related(*source_notes()),
        pk=pk,
    )
    conflicts = conflicts_for_display(Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim)))
    supersedes = claim.supersedes.public().for_display()
    context = {"claim": claim, "conflicts": conflicts, "supersedes": supersedes}
    return render(request, "claims/claim_detail.html", context)
