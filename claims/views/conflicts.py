"""The conflicts a reader browses: the list (grouped into clusters on one topic) and one conflict.

Clusters (issue 15: one real topic had 721 contradictions, nearly all of one
claim against every other). Filtered to a topic, the list groups the
conflicts by the claim they share (`claims.conflicts.clusters`): one cluster
per shared claim, largest first, each showing its first conflicts, a link
that expands it (the list filtered to that claim) and, for a moderator, one
form that resolves or dismisses every conflict of the cluster at once (the
bulk decision of the moderation page). `?group=none` lists them one by one.

Queries stay constant whatever the page or cluster size: one reads the ids
of the matching conflicts (id, claims, kind: no join), newest first and at
most settings.LIST_COUNT_LIMIT of them, one loads the conflicts shown (with
their prefetches); a cluster's other conflicts are carried as ids only.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims import conflicts as rules
from claims.filters import ConflictFilterSet
from claims.models import Claim, Conflict
from claims.views import past
from claims.views.common import attach_notes, conflicts_for_display
from claims.views.moderation import BulkDecisionForm
from claims.voices import label_internal
from crosscheck.access import reader_view
from crosscheck.lists import paginate, render_list

# The conflicts a cluster shows before it is expanded.
CLUSTER_SAMPLE = 3


@dataclass
class Cluster:
    """Conflicts that share one claim: that claim's id, every conflict's id, the first few shown."""

    claim_id: int
    ids: list[int]
    kinds: Counter
    shown: list[Conflict] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def is_single(self) -> bool:
        return self.size == 1

    @property
    def claim(self) -> Claim:
        """Return the shared claim, as joined on its first conflict shown."""
        first = self.shown[0]
        return first.claim_a if first.claim_a_id == self.claim_id else first.claim_b

    @property
    def contradictions(self) -> int:
        return self.kinds[Conflict.Kind.CONTRADICTION]

    @property
    def gaps(self) -> int:
        return self.kinds[Conflict.Kind.GAP]

    @property
    def hidden(self) -> int:
        return self.size - len(self.shown)


class ClusterIndex(list):
    """The clusters of a list of conflicts; `capped` when older conflicts were left out."""

    capped = False


def cluster_index(queryset, limit: int | None = None) -> ClusterIndex:
    """Group the newest `limit` conflicts of `queryset` by the claim they share: one query.

    `capped` says whether there were more conflicts than `limit`
    (settings.LIST_COUNT_LIMIT by default, what the lists count to): a topic
    with 100,000 open conflicts would otherwise be read whole, ids and all,
    on every request. Past the limit the older conflicts are left out of the
    clusters, and the page says so.
    """
    limit = settings.LIST_COUNT_LIMIT if limit is None else limit
    rows = list(
        queryset.select_related(None)
        .prefetch_related(None)
        .order_by("-opened_at", "-pk")
        .values_list("pk", "claim_a_id", "claim_b_id", "kind")[: limit + 1]
    )
    capped = len(rows) > limit
    rows = rows[:limit]
    kind_of = {pk: kind for pk, _, _, kind in rows}
    index = ClusterIndex(
        Cluster(claim_id, ids, Counter(kind_of[pk] for pk in ids))
        for claim_id, ids in rules.clusters((pk, a, b) for pk, a, b, _ in rows)
    )
    index.capped = capped
    return index


def show_clusters(
    clusters: list[Cluster], sample: int = CLUSTER_SAMPLE, *, display=conflicts_for_display
) -> None:
    """Load each cluster's first conflicts for display, together: one query and its prefetches."""
    wanted = [pk for cluster in clusters for pk in cluster.ids[:sample]]
    if not wanted:
        return
    loaded = {c.pk: c for c in display(Conflict.objects.filter(pk__in=wanted))}
    for cluster in clusters:
        cluster.shown = [loaded[pk] for pk in cluster.ids[:sample] if pk in loaded]


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
    conflict = get_object_or_404(conflicts_for_display(Conflict.objects.all(), notes=False), pk=pk)
    # Both sides' notes, and those on the bodies they speak for: one query.
    attach_notes([conflict.claim_a.source, conflict.claim_b.source])
    label_internal([conflict])  # Two voices of one organisation (claims.voices).
    context = {
        "conflict": conflict,
        "verdict_a": conflict.verdict_for(conflict.claim_a),
        "verdict_b": conflict.verdict_for(conflict.claim_b),
    }
    return render(request, "claims/conflict_detail.html", context)


@require_safe
@reader_view
def conflict_list(request: HttpRequest) -> HttpResponse:
    """The conflicts, newest first, both claims side by side; open ones unless asked otherwise.

    Filtered to one topic (and not to one claim), grouped into clusters.
    """
    filterset = ConflictFilterSet(
        request.GET, queryset=conflicts_for_display(Conflict.objects.all()), request=request
    )
    rows = filterset.qs.order_by("-opened_at", "-pk")
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    grouped = bool(chosen.get("topic")) and not chosen.get("claim")
    grouped = grouped and request.GET.get("group") != "none"
    context = {"filterset": filterset, "grouped": grouped}
    if grouped:
        index = cluster_index(rows)
        page, page_notice = paginate(request, index)
        show_clusters(page.object_list)
        label_internal(c for cluster in page.object_list for c in cluster.shown)
        context.update(
            clusters=page.object_list,
            conflict_count=sum(cluster.size for cluster in index),
            conflicts_capped=index.capped,
            can_decide=request.user.has_perm("claims.resolve_conflict"),
        )
        if context["can_decide"]:
            for cluster in page.object_list:
                if not cluster.is_single:
                    cluster.form = BulkDecisionForm(auto_id=f"id_cluster{cluster.claim_id}_%s")
    else:
        page, page_notice = paginate(request, rows)
        # Loaded here, not by the template's first look at it (label_internal lists them).
        page.object_list = label_internal(page.object_list)
    context.update(page=page, page_notice=page_notice)
    return render_list(request, "claims/conflict_list.html", context)
