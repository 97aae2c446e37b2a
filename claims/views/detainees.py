from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Claim, Detainee
from claims.views.common import source_notes
from crosscheck.access import reader_view


@require_safe
@reader_view
def detainee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detainee = get_object_or_404(Detainee, pk=pk)
    claims = (
        Claim.objects.public()
        .filter(detainee=detainee)
        .for_display()
        .prefetch_related(*source_notes())
        .order_by("stated_on", "pk")
    )
    context = {"detainee": detainee, "claims": claims, "topics": detainee.topics.all()}
    return render(request, "claims/detainee_detail.html", context)
