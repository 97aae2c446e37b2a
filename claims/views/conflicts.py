from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.models import Conflict
from claims.views.common import conflicts_for_display
from crosscheck.access import reader_view


@require_safe
@reader_view
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = get_object_or_404(conflicts_for_display(Conflict.objects.all()), pk=pk)
    return render(request, "claims/conflict_detail.html", {"conflict": conflict})
