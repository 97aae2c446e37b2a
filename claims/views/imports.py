"""
The spreadsheet import page: upload a CSV or XLSX of claims, see what every
row would do (a dry run), then confirm (claims.spreadsheet does the work).

Choices made here (the issue leaves them open):

- One address, /claims/import/: GET shows the upload form; a POST with a file
  checks it and shows every row's outcome and error, writing nothing; a POST
  with `confirm` imports the file that was checked, all or nothing.
- Between the dry run and the confirmation the file is kept on the server,
  in settings.CLAIMS_IMPORT_DIR (var/imports/ by default), under a random
  name. The confirm form carries a signed token (Django's signing, salted)
  with that name, the file's SHA-256, the user's id and the "approve" choice;
  the import reads the file, checks its hash against the token and runs the
  whole check again before writing. So the file imported is exactly the one
  checked, by the user who checked it, within an hour (TOKEN_MAX_AGE); the
  file is deleted once imported, and files older than a day are deleted at
  the next upload. With several app servers the directory must be shared
  (a confirmation landing on a server without the file is told to upload
  again; nothing is written).
- Size: a request whose Content-Length is over the cap is refused (413)
  before a byte of its body is read; otherwise the upload streams to a
  temporary file through a handler that stops at the cap, so a large file is
  never held in memory. The cap is settings.CLAIMS_IMPORT_MAX_BYTES (20 MB).
  That needs the upload handlers set before the CSRF check reads the body:
  the view is csrf_exempt outside and csrf_protect inside, as Django's
  documentation describes for custom upload handlers.
- Access: claims.add_claim (editors, moderators, admins). "Approve on
  import" is offered to moderators (claims.moderate_claim) only; an editor
  who sends it anyway is refused and nothing is written.
- The results table lists every row with an error, and the first
  SHOWN_ROWS rows in all; the counts above it cover the whole file.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from claims.spreadsheet import (
    COLUMNS,
    ImportReport,
    SpreadsheetError,
    can_approve,
    check_file,
    import_file,
    max_bytes,
    size_message,
)

SHOWN_ROWS = 1000
TOKEN_SALT = "claims.spreadsheet-import"
TOKEN_MAX_AGE = 3600
STALE_AFTER = 24 * 3600
# Room for the form's other fields and the multipart boundaries.
FORM_OVERHEAD = 64 * 1024
TEMPLATE = "claims/claim_import.html"


def import_dir() -> Path:
    path = Path(getattr(settings, "CLAIMS_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    """Upload a spreadsheet of claims, check it (dry run), and import it on confirmation."""
    cap = None
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_bytes() + FORM_OVERHEAD:
            return page(request, errors=[size_message(length, max_bytes())], status=413)
        cap = CappedUploadHandler(request, max_bytes())
        request.upload_handlers = [cap, TemporaryFileUploadHandler(request)]
    return _claim_import(request, cap)


@csrf_protect
def _claim_import(request: HttpRequest, cap: CappedUploadHandler | None) -> HttpResponse:
    if request.method == "GET":
        return page(request)
    request.FILES  # noqa: B018  Parse the body now, through the capped handler.
    if cap is not None and cap.exceeded:
        return page(request, errors=[size_message(cap.size, max_bytes())], status=413)
    if "confirm" in request.POST:
        return confirm(request)
    return dry_run(request)


def page(
    request: HttpRequest,
    *,
    report: ImportReport | None = None,
    errors: list[str] | None = None,
    token: str = "",
    approve: bool = False,
    status: int = 200,
) -> HttpResponse:
    rows = []
    if report is not None:
        shown = 0
        for row in report.rows:
            if row.errors or shown < SHOWN_ROWS:
                rows.append(row)
                shown += 1
    context = {
        "columns": COLUMNS,
        "report": report,
        "rows": rows,
        "hidden_rows": len(report.rows) - len(rows) if report else 0,
        "errors": errors or [],
        "token": token,
        "approve": approve,
        "may_approve": can_approve(request.user),
        "max_mb": max_bytes() / 1024 / 1024,
    }
    return render(request, TEMPLATE, context, status=status)


def dry_run(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    approve = request.POST.get("approve") == "on"
    if upload is None:
        return page(request, errors=["Choose a CSV or XLSX file to check."])
    if approve and not can_approve(request.user):
        return page(
            request,
            errors=["Only a moderator may import claims as approved; nothing was checked."],
            status=403,
        )
    data = b"".join(upload.chunks())
    report = check_file(data, upload.name, user=request.user, approve=approve)
    token = ""
    if report.ok:
        token = keep(data, upload.name, request.user, approve)
    return page(request, report=report, token=token, approve=approve)


def keep(data: bytes, filename: str, user, approve: bool) -> str:
    """Store the checked file; return the signed token that names it for the confirmation."""
    folder = import_dir()
    now = time.time()
    for old in folder.glob("*.upload"):
        if now - old.stat().st_mtime > STALE_AFTER:
            old.unlink(missing_ok=True)
    name = uuid.uuid4().hex
    (folder / f"{name}.upload").write_bytes(data)
    return signing.dumps(
        {
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "user": user.pk,
            "approve": approve,
            "name": filename,
        },
        salt=TOKEN_SALT,
    )


def confirm(request: HttpRequest) -> HttpResponse:
    again = "Upload the file again to check it once more; nothing was imported."
    try:
        ticket = signing.loads(
            request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE
        )
    except signing.SignatureExpired:
        return page(request, errors=[f"The check is more than an hour old. {again}"])
    except signing.BadSignature:
        return page(request, errors=[f"The confirmation is not valid. {again}"], status=400)
    if ticket["user"] != request.user.pk:
        return page(request, errors=[f"This check was made by another user. {again}"], status=403)
    approve = bool(ticket["approve"])
    if approve and not can_approve(request.user):
        return page(request, errors=["Only a moderator may import claims as approved."], status=403)
    path = import_dir() / f"{ticket['file']}.upload"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return page(request, errors=[f"The checked file is no longer on the server. {again}"])
    if hashlib.sha256(data).hexdigest() != ticket["sha256"]:
        return page(request, errors=[f"The stored file changed since it was checked. {again}"])
    try:
        report = import_file(data, ticket["name"], user=request.user, approve=approve)
    except SpreadsheetError as exc:
        # The database changed since the dry run (a topic renamed, a claim added).
        report = exc.report or ImportReport(file_errors=list(exc.errors))
        return page(request, report=report, errors=[str(exc)], approve=approve)
    path.unlink(missing_ok=True)
    text = f"Imported {ticket['name']}: {report.summary()}."
    if report.conflicts_opened:
        text += f" {report.conflicts_opened} open conflicts involve the new claims."
    messages.success(request, text)
    return redirect("claims:dashboard" if not approve else "claims:conflicts")
