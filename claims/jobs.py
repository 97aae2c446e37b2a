"""
Spreadsheet imports as background jobs: the ImportJob model, the staged
file it names, its quota and its expiry. The work itself (checking, then
importing) runs in claims.tasks, in the worker (`manage.py db_worker`),
never in a request.

Choices made here:

- A job is one uploaded file, by one user, with the "approve" choice made
  at upload. Its key is a random UUID: the job page's address is not
  guessable, and only its owner may see it (anyone else gets 404).
- States: queued → checking → checked (no error: the confirm button) or
  refused (errors: nothing can be imported); checked → importing →
  imported, or failed (the database changed since the check, the file
  changed on disk, the time budget ran out, or a bug). expired: the staged
  file was deleted before the job was confirmed.
- The confirmation is idempotent by the job's id: `confirm()` is one
  conditional UPDATE from checked to importing, so of two simultaneous
  confirmations the database lets one through; the other finds the job
  already importing and is shown its page, with the first one's result.
- The file waits in settings.CLAIMS_IMPORT_DIR as <job id>.upload, written
  first as .part and renamed once complete, so that a full disk never
  leaves a truncated file under a name a job would read. It is deleted
  once imported, once refused (nothing can be done with it), and at
  expiry (CLAIMS_IMPORT_EXPIRY_HOURS) by `clean_imports()`, which each new
  upload and `manage.py clean_imports` run. The job row is kept, with when
  its file went (file_deleted_at): nothing is hard-deleted.
- Quota: the staged files count against CLAIMS_IMPORT_USER_QUOTA_BYTES per
  user and CLAIMS_IMPORT_TOTAL_QUOTA_BYTES in all; an upload past either
  is refused with the figures, after the expired files are cleaned.
- Progress is written with a queryset UPDATE every few hundred rows (no
  history row, no full save); the job page polls it.
"""

from __future__ import annotations

import errno
import hashlib
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

CHUNK = 1 << 16
# A .part file older than this belongs to an upload that died mid-write.
PART_STALE_SECONDS = 3600


def import_dir() -> Path:
    path = Path(getattr(settings, "CLAIMS_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class StagingError(Exception):
    """The file cannot be kept on the server (quota, disk); nothing was stored."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ImportJobQuerySet(models.QuerySet):
    def staged(self) -> ImportJobQuerySet:
        """Return the jobs whose file is still on the server."""
        return self.filter(file_deleted_at__isnull=True)

    def staged_bytes(self) -> int:
        return self.staged().aggregate(total=Sum("size"))["total"] or 0

    def expired(self, now=None) -> ImportJobQuerySet:
        """Return the staged jobs past their expiry that no worker is busy with.

        A job a worker started longer ago than the expiry is taken as
        abandoned (its worker died: the time budget is far shorter).
        """
        now = now or timezone.now()
        cutoff = now - timedelta(hours=settings.CLAIMS_IMPORT_EXPIRY_HOURS)
        busy = Q(state__in=[ImportJob.State.CHECKING, ImportJob.State.IMPORTING]) & (
            Q(started_at__isnull=True) | Q(started_at__gte=cutoff)
        )
        return self.staged().filter(created_at__lt=cutoff).exclude(busy)


class ImportJob(models.Model):
    """One uploaded spreadsheet, checked and then imported by the worker."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked: ready to import"
        REFUSED = "refused", "Checked: cannot be imported"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Not imported"
        EXPIRED = "expired", "Expired"

    RUNNING = (State.QUEUED, State.CHECKING, State.IMPORTING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    approve = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    # What the worker is doing now ("reading", "checking", "writing") and how far.
    phase = models.CharField(max_length=20, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    # The report: summary, counts, errors and the rows shown (claims.tasks.report_result).
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_newest_idx")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("claims:import_job", args=[self.pk])

    @property
    def path(self) -> Path:
        return import_dir() / f"{self.pk}.upload"

    @property
    def running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    # Staging -----------------------------------------------------------------

    @classmethod
    def stage(cls, upload, *, user, approve: bool) -> ImportJob:
        """Keep an uploaded file for the worker and return its queued job.

        Expired files are cleaned first; the quota is checked before a byte is
        written; the file is written as .part, hashed on the way, and renamed
        only once complete. On any failure nothing is left behind.
        """
        clean_imports()
        size = upload.size
        user_quota = settings.CLAIMS_IMPORT_USER_QUOTA_BYTES
        total_quota = settings.CLAIMS_IMPORT_TOTAL_QUOTA_BYTES
        mine = cls.objects.filter(user=user).staged_bytes()
        if mine + size > user_quota:
            raise StagingError(
                f"Your files waiting to be imported take {mb(mine)}; with this one "
                f"({mb(size)}) they would pass your quota of {mb(user_quota)} "
                "(CLAIMS_IMPORT_USER_QUOTA_MB). Import or let expire the files already "
                "checked, then upload again; nothing was stored.",
                413,
            )
        everyone = cls.objects.staged_bytes()
        if everyone + size > total_quota:
            raise StagingError(
                f"The files waiting to be imported take {mb(everyone)}; with this one "
                f"({mb(size)}) they would pass the server's quota of {mb(total_quota)} "
                "(CLAIMS_IMPORT_TOTAL_QUOTA_MB). Try again later; nothing was stored.",
                507,
            )
        job = cls(user=user, filename=upload.name[:255], size=size, approve=approve)
        part = job.path.with_suffix(".part")
        digest = hashlib.sha256()
        try:
            with open(part, "xb") as out:
                for chunk in upload.chunks(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
            part.rename(job.path)
        except OSError as exc:
            part.unlink(missing_ok=True)
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
            reason = (
                "the server's disk is full"
                if full
                else f"the server cannot write it ({exc.strerror})"
            )
            raise StagingError(
                f"The file could not be kept for checking: {reason}. Nothing was stored; "
                "try again later, or tell an administrator.",
                507,
            ) from None
        job.sha256 = digest.hexdigest()
        try:
            job.save()
        except BaseException:
            job.path.unlink(missing_ok=True)
            raise
        return job

    def file_matches(self) -> bool:
        """Return whether the staged file is still the one uploaded (same SHA-256)."""
        digest = hashlib.sha256()
        with open(self.path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == self.sha256

    def delete_file(self) -> None:
        """Remove the staged file (the job row stays, with when its file went)."""
        self.path.unlink(missing_ok=True)
        now = timezone.now()
        ImportJob.objects.filter(pk=self.pk, file_deleted_at__isnull=True).update(
            file_deleted_at=now
        )
        self.file_deleted_at = self.file_deleted_at or now

    # The worker's steps --------------------------------------------------------

    def begin(self, expected: str, state: str) -> bool:
        """Move the job from `expected` to `state`, unless another step already moved it."""
        now = timezone.now()
        won = ImportJob.objects.filter(pk=self.pk, state=expected).update(
            state=state, started_at=now, phase="", rows_done=0, rows_total=0
        )
        if won:
            self.state, self.started_at = state, now
        return bool(won)

    def confirm(self, *, by) -> bool:
        """Ask for the import; return False if this job was already confirmed (or cannot be).

        One conditional UPDATE: of two simultaneous confirmations, one wins.
        """
        won = ImportJob.objects.filter(pk=self.pk, user=by, state=self.State.CHECKED).update(
            state=self.State.IMPORTING, confirmed_at=timezone.now(), started_at=None
        )
        return bool(won)

    def take_import(self) -> bool:
        """Claim a confirmed job for the worker (once, however often the task is delivered)."""
        now = timezone.now()
        won = ImportJob.objects.filter(
            pk=self.pk, state=self.State.IMPORTING, started_at__isnull=True
        ).update(started_at=now, phase="", rows_done=0, rows_total=0)
        return bool(won)

    def progress(self, phase: str, done: int, total: int) -> None:
        """Record how far the worker is (a queryset UPDATE: no history, no full save)."""
        ImportJob.objects.filter(pk=self.pk).update(
            phase=phase, rows_done=done, rows_total=max(total, done)
        )

    def finish(self, state: str, result: dict) -> None:
        now = timezone.now()
        fields = {"state": state, "result": result, "finished_at": now, "phase": ""}
        if state in (self.State.CHECKED, self.State.REFUSED):
            fields["checked_at"] = now
        ImportJob.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def clean_imports(now=None) -> dict[str, int]:
    """Delete expired staged files and leftovers; return how many of each went.

    Expired jobs not yet imported become `expired`; a file in the folder no
    job names (left by an older version, or by a crash) goes once it is past
    the expiry, a .part file once it is an hour old.
    """
    now = now or timezone.now()
    expired = 0
    for job in ImportJob.objects.expired(now):
        job.delete_file()
        ImportJob.objects.filter(
            pk=job.pk, state__in=[*ImportJob.RUNNING, ImportJob.State.CHECKED]
        ).update(state=ImportJob.State.EXPIRED, finished_at=now)
        expired += 1
    folder = import_dir()
    horizon = time.time() - settings.CLAIMS_IMPORT_EXPIRY_HOURS * 3600
    orphans = 0
    known = None
    for path in folder.iterdir():
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if path.suffix == ".part" and modified < time.time() - PART_STALE_SECONDS:
            path.unlink(missing_ok=True)
            orphans += 1
        elif path.suffix == ".upload" and modified < horizon:
            if known is None:
                known = {str(pk) for pk in ImportJob.objects.staged().values_list("pk", flat=True)}
            if path.stem not in known:
                path.unlink(missing_ok=True)
                orphans += 1
    return {"expired": expired, "orphans": orphans}
