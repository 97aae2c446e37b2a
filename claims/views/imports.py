"""
The spreadsheet import pages: upload a CSV or XLSX of claims, watch the
worker check it (a dry run: every row's outcome and error), then confirm;
the worker imports it (claims.jobs has the job, claims.tasks the work,
claims.spreadsheet the rules).

Choices made here (the issue leaves them open):

- /claims/import/: GET shows the upload form and the user's recent imports;
  a POST with a file stores it (claims.jobs.ImportJob.stage: quota, disk),
  queues its check and redirects to the job's page. Nothing is read or
  checked in the request: a hostile file costs the web server only its upload.
- /claims/import/<job>/: the job's page, for its owner only (others get
  404). While the worker runs it shows the rows read or checked out of the
  total and a progress bar; with htmx the bar's fragment is fetched again
  every second (the same view, `{% partialdef status %}`), without
  JavaScript a <meta refresh> in <noscript> reloads the page. Once checked
  it shows every row with an error (up to claims.tasks.SHOWN_ERROR_ROWS) and
  the first rows, then the confirm button; once imported, the summary.
- /claims/import/<job>/confirm/: POST only. The job's id is the
  confirmation's one-time token: ImportJob.confirm is one conditional UPDATE
  (checked → importing), so two simultaneous confirmations import once and
  both land on the job page, which shows the one import's result.
- Size: a request whose Content-Length is over the cap is refused (413)
  before a byte of its body is read; otherwise the upload streams to memory
  (small files) or a temporary file through a handler that stops at the
  cap. The cap is settings.CLAIMS_IMPORT_MAX_BYTES (20 MB). That needs the
  upload handlers set before the CSRF check reads the body: the view is
  csrf_exempt outside and csrf_protect inside, as Django's documentation
  describes for custom upload handlers.
- Access: claims.add_claim (editors, moderators, admins). "Approve on
  import" is offered to moderators (claims.moderate_claim) only; an editor
  who sends it anyway is refused and nothing is stored; a moderator who
  lost the permission before confirming is refused at the confirmation.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.jobs import ImportJob, StagingError
from claims.spreadsheet import COLUMNS, can_approve, max_bytes, size_message
from claims.tasks import check_import, run_import

# Room for the form's other fields and the multipart boundaries.
FORM_OVERHEAD = 64 * 1024
TEMPLATE = "claims/claim_import.html"
JOB_TEMPLATE = "claims/import_job.html"
RECENT_JOBS = 10


class CappedUploadHandler(FileUploadHandler):
    """Stop reading an uploaded file once it passes the cap; remember that it did."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit, self.exceeded, self.size = limit, False, 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.size = start + len(raw_data)
        if self.size > self.limit:
            self.exceeded = True
            # The rest of the body is read and discarded, never stored.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@login_required
@permission_required("claims.add_claim", raise_exception=True)
@require_http_methods(["GET", "POST"])
@csrf_exempt
def claim_import(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet of claims; the worker checks it, and imports it on confirmation."""
    cap = None
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_bytes() + FORM_OVERHEAD:
            return page(request, errors=[size_message(length, max_bytes())], status=413)
        cap = CappedUploadHandler(request, max_bytes())
        request.upload_handlers = [
            cap,
            MemoryFileUploadHandler(request),
            TemporaryFileUploadHandler(request),
        ]
    return _claim_import(request, cap)


@csrf_protect
def _claim_import(request: HttpRequest, cap: CappedUploadHandler | None) -> HttpResponse:
    if request.method == "GET":
        return page(request)
    request.FILES  # noqa: B018  Parse the body now, through the capped handler.
    if cap is not None and cap.exceeded:
        return page(request, errors=[size_message(cap.size, max_bytes())], status=413)
    return upload(request)


def page(
    request: HttpRequest,
    *,
    errors: list[str] | None = None,
    approve: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "columns": COLUMNS,
        "errors": errors or [],
        "approve": approve,
        "may_approve": can_approve(request.user),
        "max_mb": max_bytes() / 1024 / 1024,
        "jobs": ImportJob.objects.filter(user=request.user)[:RECENT_JOBS],
    }
    return render(request, TEMPLATE, context, status=status)


def upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    approve = request.POST.get("approve") == "on"
    if upload is None:
        return page(request, errors=["Choose a CSV or XLSX file to check."], approve=approve)
    if approve and not can_approve(request.user):
        return page(
            request,
            errors=["Only a moderator may import claims as approved; nothing was checked."],
            status=403,
        )
    try:
        job = ImportJob.stage(upload, user=request.user, approve=approve)
    except StagingError as exc:
        return page(request, errors=[str(exc)], approve=approve, status=exc.status)
    check_import.enqueue(str(job.pk))
    return redirect(job)


@login_required
@permission_required("claims.add_claim", raise_exception=True)
@require_GET
def import_job(request: HttpRequest, pk) -> HttpResponse:
    """Show an import job: its progress while the worker runs, then its result."""
    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    template = f"{JOB_TEMPLATE}#status" if request.htmx else JOB_TEMPLATE
    context = {
        "job": job,
        "result": job.result,
        "expiry_hours": settings.CLAIMS_IMPORT_EXPIRY_HOURS,
    }
    return render(request, template, context)


@login_required
@permission_required("claims.add_claim", raise_exception=True)
@require_POST
def import_job_confirm(request: HttpRequest, pk) -> HttpResponse:
    """Import a checked job's file, once, however many times this is sent."""
    job = get_object_or_404(ImportJob, pk=pk, user=request.user)
    if job.approve and not can_approve(request.user):
        messages.error(request, "Only a moderator may import claims as approved.")
        return redirect(job)
    if job.confirm(by=request.user):
        run_import.enqueue(str(job.pk))
    else:
        job.refresh_from_db()
        if job.state in (job.State.IMPORTING, job.State.IMPORTED, job.State.FAILED):
            messages.info(request, "This import was already confirmed: here is its result.")
        else:
            messages.error(request, f"This file cannot be imported: {job.get_state_display()}.")
    return redirect(job)
