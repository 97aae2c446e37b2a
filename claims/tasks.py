"""
The spreadsheet import's background tasks (Django's tasks framework, run by
`manage.py db_worker`): check a staged file, then import it once confirmed.

Each task takes the job's id, moves the job on with a conditional UPDATE
(so a task delivered twice does its work once), streams the staged file
through claims.spreadsheet under the CLAIMS_IMPORT_* limits, and stores the
report on the job for its page. Afterwards the worker hands the memory the
check used back to the system (gc, then glibc's malloc_trim), so that a
worker's resident size returns to where it was between jobs.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging

from django.tasks import task

from claims import locks
from claims.jobs import ImportJob
from claims.management.commands.generate_volume import _fold_text
from claims.spreadsheet import (
    ImportReport,
    SpreadsheetError,
    check_file,
    import_file,
    read_date,
)

logger = logging.getLogger(__name__)

# Rows listed on the job page: every row with an error up to SHOWN_ERROR_ROWS,
# and the first SHOWN_ROWS rows in all; the counts cover the whole file. A
# 200,000-row file with an error on each row gives a page of 1,000 of them,
# not a page of hundreds of megabytes.
SHOWN_ROWS = 1000
SHOWN_ERROR_ROWS = 1000
# Progress is written to the job every this many rows (one UPDATE each).
PROGRESS_EVERY = 500


def report_result(report: ImportReport) -> dict:
    """Return what the job page shows of a report, as JSON."""
    rows, shown, errors_shown = [], 0, 0
    for row in report.rows:
        if row.errors:
            if errors_shown >= SHOWN_ERROR_ROWS:
                continue
            errors_shown += 1
        elif shown >= SHOWN_ROWS:
            continue
        shown += 1
        rows.append(
            {
                "number": row.number,
                "outcome": row.outcome,
                "actions": row.actions,
                "errors": [{"column": e.column, "message": e.message} for e in row.errors],
            }
        )
    return {
        "ok": report.ok,
        "summary": report.summary(),
        "state": report.state,
        "rows_count": len(report.rows),
        "to_add": report.to_add,
        "claims_added": report.claims_added,
        "new_sources": len(report.new_sources),
        "new_documents": len(report.new_documents),
        "new_topics": len(report.new_topics),
        "ignored_columns": report.ignored_columns,
        "file_errors": [str(e) for e in report.file_errors],
        "errors_count": report.error_count,
        "rows": rows,
        "hidden_rows": len(report.rows) - len(rows),
        "conflicts_opened": report.conflicts_opened,
        "seconds": round(report.seconds, 2),
    }


def failure(message: str) -> dict:
    return {"ok": False, "summary": "", "file_errors": [message], "rows": [], "hidden_rows": 0}


def progress_of(job: ImportJob):
    last = {"phase": "", "done": -PROGRESS_EVERY}

    def progress(phase: str, done: int, total: int) -> None:
        if phase == last["phase"] and done - last["done"] < PROGRESS_EVERY and done != total:
            return
        last.update(phase=phase, done=done)
        job.progress(phase, done, total)

    return progress


def give_memory_back() -> None:
    """Free what the last job left (its rows, its report) and return it to the system.

    The value caches of the check (dates parsed, names folded) are emptied
    too: filled during the job, their entries would pin the memory pages the
    job's rows were on.
    """
    read_date.cache_clear()
    _fold_text.cache_clear()
    gc.collect()
    name = ctypes.util.find_library("c")
    if name:
        # Not glibc (no malloc_trim): the memory is reused, not returned.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


@task()
def check_import(job_id: str) -> str:
    """Check a staged file (a dry run) and store every row's outcome on its job."""
    try:
        return checked(job_id)
    finally:
        # Once the check's frame, and with it the report, is gone.
        give_memory_back()


@task()
def run_import(job_id: str) -> str:
    """Import a confirmed job's file, all or nothing, and store the summary on the job."""
    try:
        return imported(job_id)
    finally:
        give_memory_back()


def checked(job_id: str) -> str:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if not job.begin(ImportJob.State.QUEUED, ImportJob.State.CHECKING):
        return job.state  # Already checked, or expired: nothing to do.
    try:
        try:
            report = check_file(
                job.path,
                job.filename,
                user=job.user,
                approve=job.approve,
                progress=progress_of(job),
            )
        except FileNotFoundError:
            job.finish(
                job.State.FAILED, failure("The file is no longer on the server: upload it again.")
            )
            return job.state
        state = job.State.CHECKED if report.ok else job.State.REFUSED
        job.finish(state, report_result(report))
        if not report.ok:
            job.delete_file()  # Nothing can be imported from it; it leaves the quota.
        return job.state
    except Exception:
        logger.exception("Checking import job %s failed", job.pk)
        job.finish(
            job.State.FAILED, failure("The check failed on the server; nothing was imported.")
        )
        raise


def imported(job_id: str) -> str:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if not job.take_import():
        return job.state  # Another delivery of this task has it, or had it.
    again = "Upload the file again to check it once more; nothing was imported."
    try:
        try:
            if not job.file_matches():
                job.finish(
                    job.State.FAILED,
                    failure(f"The stored file changed since it was checked. {again}"),
                )
                return job.state
            # All or nothing in one transaction: one the database rolls back to
            # break a deadlock is run again whole (claims/locks.py), not lost.
            report = locks.retrying(
                lambda: import_file(
                    job.path,
                    job.filename,
                    user=job.user,
                    approve=job.approve,
                    progress=progress_of(job),
                )
            )
        except FileNotFoundError:
            job.finish(
                job.State.FAILED, failure(f"The checked file is no longer on the server. {again}")
            )
            return job.state
        except SpreadsheetError as exc:
            # The database changed since the check (a topic renamed, a claim added).
            report = exc.report or ImportReport(file_errors=list(exc.errors))
            result = report_result(report)
            result["file_errors"] = [str(exc), *result["file_errors"]]
            job.finish(job.State.FAILED, result)
            job.delete_file()
            return job.state
        job.finish(job.State.IMPORTED, report_result(report))
        job.delete_file()
        return job.state
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        job.finish(
            job.State.FAILED, failure("The import failed on the server; nothing was imported.")
        )
        raise
