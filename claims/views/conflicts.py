from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.filters import ConflictFilterSet
from claims.models import Conflict
from claims.views import past
from claims.views.common import conflicts_for_display
from crosscheck.access import reader_view
from crosscheck.lists import paginate, render_list


@require_safe
@reader_view
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        day = past.asked_day(request)
    except past.BadDate as problem:
        return past.bad_date(request, str(problem), request.path)
    if day is not None:
        conflict = get_object_or_404(Conflict.objects.all(), pk=pk)
        return past.conflict_as_known_on(request, conflict, day)
    conflict = get_object_or_404(conflicts_for_display(Conflict.objects.all()), pk=pk)
    context = {
        "conflict": conflict,
        "verdict_a": conflict.verdict_for(conflict.claim_a),
        "verdict_b": conflict.verdict_for(conflict.claim_b),
    }
    return render(request, "claims/conflict_detail.html", context)


@require_safe
@reader_view
def conflict_list(request: HttpRequest) -> HttpResponse:
    """The conflicts, newest first, both claims side by side; open ones unless asked otherwise."""
    filterset = ConflictFilterSet(
        request.GET, queryset=conflicts_for_display(Conflict.objects.all()), request=request
    )
    page, page_notice = paginate(request, filterset.qs.order_by("-opened_at", "-pk"))
    context = {"filterset": filterset, "page": page, "page_notice": page_notice}
    return render_list(request, "claims/conflict_list.html", context)
