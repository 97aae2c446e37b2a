from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, Prefetch, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from claims.models import Claim, Conflict
from claims.submissions import submitted_once
from claims.views.editing import form_page
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
    speakers = Source.objects.speaking_for(source).values("pk")
    claims = (
        Claim.objects.public()
        .filter(source__in=speakers)
        .for_display()
        .with_standing()
        .order_by("-stated_on", "-pk")
    )
    claims_page, claims_notice = paginate(request, claims, SOURCE_CLAIMS_PAGE)
    # A detainee renamed, a cited document retitled or moved, on each card (crosscheck.edits).
    edits.attach_edits(claims_page.object_list)
    # Open ones first: what is still disputed, then what was decided, newest first.
    conflicts = (
        Conflict.objects.filter(Q(claim_a__source__in=speakers) | Q(claim_b__source__in=speakers))
        .for_display()
        .order_by(
            Case(When(status=Conflict.Status.OPEN, then=Value(0)), default=Value(1)),
            "-opened_at",
            "-pk",
        )
    )
    conflicts_page, conflicts_notice = paginate(
        request, conflicts, SOURCE_CONFLICTS_PAGE, param="conflicts_page"
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


@login_required
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


@login_required
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


@login_required
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
