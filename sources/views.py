from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.db.models import Case, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from claims.models import Claim, Conflict
from claims.submissions import submitted_once
from claims.views.editing import form_page, login_keeping_form
from crosscheck import edits
from crosscheck.access import reader_view
from crosscheck.lists import paginate, render_list
from sources.filters import SourceFilterSet
from sources.forms import CredibilityNoteForm, SourceForm
from sources.models import CredibilityNote, Source


@require_safe
@reader_view
def source_list(request: HttpRequest) -> HttpResponse:
    """The sources with their track record counts, and the formula the reliability comes from."""
    filterset = SourceFilterSet(
        request.GET,
        queryset=Source.objects.visible_to(request.user)
        .with_record()
        .with_party_record()
        .select_related("affiliation"),
        request=request,
    )
    page, page_notice = paginate(request, filterset.qs)
    context = {
        "filterset": filterset,
        "page": page,
        "page_notice": page_notice,
        "formula": Source.RELIABILITY_FORMULA,
    }
    return render_list(request, "sources/source_list.html", context)


# How many claims and conflicts a source's page lists at once: the largest
# source holds thousands of claims; the rest are on the next pages.
SOURCE_CLAIMS_PAGE = 20
SOURCE_CONFLICTS_PAGE = 20


def source_conflicts(source: Source, speakers=None):
    """The conflicts of the source's claims and of those who speak for it, open ones first.

    Open ones first: what is still disputed, then what was decided, newest first.

    Found as a union of two indexed reads, the conflicts whose first claim is
    one of the speakers' and those whose second is: each walks the claims'
    source index, then the conflicts' claim_a or claim_b index. The one
    filter `claim_a__source OR claim_b__source` that it replaces joined both
    claims to every conflict, which no index serves: PostgreSQL read the
    whole conflicts table for every source page (docs/benchmarks.md, "Every
    page bounded"). The union reads what the source has, however large the
    table. `speakers`: their ids, when the caller has them.
    """
    if speakers is None:
        speakers = Source.objects.speaking_for(source).values("pk")
    as_a = Conflict.objects.filter(claim_a__source__in=speakers).order_by().values("pk")
    as_b = Conflict.objects.filter(claim_b__source__in=speakers).order_by().values("pk")
    return Conflict.objects.filter(pk__in=as_a.union(as_b)).order_by(
        Case(When(status=Conflict.Status.OPEN, then=Value(0)), default=Value(1)),
        "-opened_at",
        "-pk",
    )


def page_of_ids(
    request: HttpRequest, ids, rows, per_page: int, *, param: str = "page", read_once=False
):
    """Page through `ids` (a values_list of pks, ordered), then load the page's `rows` by id.

    Two queries for the page rather than one: PostgreSQL sorts and cuts the
    ids alone, on their indexes, and joins what a card shows for the page's
    20 rows only. Sorting the joined rows made it join every claim of the
    largest source, or every conflict, before cutting (docs/benchmarks.md).

    `read_once`: read the ids up to the count's bound in one query, and count
    and cut them here, for ids that no index gives in order (the conflicts'
    union must find and sort them all for the count as for the page: it did
    that twice). The claims' ids come in order from their index: counted
    apart, only the page's are read.
    """
    if read_once:
        ids = list(ids[: settings.LIST_COUNT_LIMIT + 1])
    page, notice = paginate(request, ids, per_page, param=param)
    wanted = list(page.object_list)
    by_id = {row.pk: row for row in rows.filter(pk__in=wanted)}
    page.object_list = [by_id[pk] for pk in wanted if pk in by_id]
    return page, notice


@require_safe
@reader_view
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Who the source is, the editors' notes on it, apart from them its record, then its claims.

    An organisation's page rolls up the claims and conflicts of those who
    speak for it (the CCDHRN's shows Elizardo Sanchez's), each card naming
    who made it. Both lists are paged, in a constant number of queries.
    """
    source = get_object_or_404(
        Source.objects.visible_to(request.user)
        .with_record()
        .with_party_record()
        .select_related("affiliation")
        .prefetch_related(
            Prefetch(
                "affiliates", queryset=Source.objects.visible_to(request.user).order_by("name")
            )
        ),
        pk=pk,
    )
    # The speakers' ids as a list, not a subquery: PostgreSQL cannot estimate
    # how many claims an OR-ed subquery of sources has, and hash-joined every
    # claim (21 s for the largest source at a million claims).
    speakers = Source.objects.speaker_ids(source)
    claims = Claim.objects.public().filter(source__in=speakers).order_by("-stated_on", "-pk")
    claims_page, claims_notice = page_of_ids(
        request,
        claims.values_list("pk", flat=True),
        Claim.objects.for_display().with_standing(),
        SOURCE_CLAIMS_PAGE,
    )
    # A detainee renamed, a cited document retitled or moved, on each card (crosscheck.edits).
    edits.attach_edits(claims_page.object_list)
    conflicts_page, conflicts_notice = page_of_ids(
        request,
        source_conflicts(source, speakers).values_list("pk", flat=True),
        Conflict.objects.for_display(),
        SOURCE_CONFLICTS_PAGE,
        param="conflicts_page",
        read_once=True,
    )
    context = {
        "source": source,
        "notes": source.notes.visible().select_related("created_by"),
        "claims_page": claims_page,
        "claims_notice": claims_notice,
        "conflicts_page": conflicts_page,
        "conflicts_notice": conflicts_notice,
        "open_conflict_count": source.open_conflict_count,
        "formula": Source.RELIABILITY_FORMULA,
        "renames": source.renames(),
    }
    return render(request, "sources/source_detail.html", context)


# Editing: the forms behind login and permissions, as in claims.views.editing.


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("sources.add_source", raise_exception=True)
@submitted_once
def source_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        SourceForm,
        Source(),
        title="New source",
        intro="Who speaks: a person or an organisation. A spokeswoman speaks for her "
        "department: choose it under “Speaks for”.",
        saved="Source “{obj.name}” added.",
        next_url=lambda source: source.get_absolute_url(),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("sources.change_source", raise_exception=True)
@submitted_once
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=pk)
    return form_page(
        request,
        SourceForm,
        source,
        title=f"Edit source “{source.name}”",
        saved="Source “{obj.name}” saved.",
        next_url=lambda source: source.get_absolute_url(),
        cancel_url=source.get_absolute_url(),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("sources.add_credibilitynote", raise_exception=True)
@submitted_once
def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a credibility note; notes are never edited, so there is no edit page."""
    source = get_object_or_404(Source, pk=pk)
    return form_page(
        request,
        CredibilityNoteForm,
        CredibilityNote(source=source, created_by=request.user),
        title=f"New credibility note on {source.name}",
        saved="Note on “{obj.source.name}” added.",
        next_url=lambda note: note.source.get_absolute_url(),
        cancel_url=source.get_absolute_url(),
        template="sources/editing/note_form.html",
        extra={"source": source, "notes": source.notes.visible().select_related("created_by")},
    )
