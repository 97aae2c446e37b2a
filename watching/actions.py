"""Start and stop a watch: what the watch button and the API's watches both do.

Nothing is deleted: stopping sets `stopped_at`, watching again clears it and
restarts `started_at`; the history (django-simple-history) keeps each state,
with the user who made the request.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from watching.models import Watch, kind_of


def start(user, target) -> tuple[Watch, bool]:
    """Watch `target`; return (the watch, whether it was not being watched before)."""
    kind, now = kind_of(target), timezone.now()
    with transaction.atomic():
        row, created = Watch.objects.get_or_create(
            user=user, **{kind: target}, defaults={"started_at": now}
        )
        if not created and row.stopped_at is not None:
            row.started_at, row.stopped_at = now, None
            row.save()
            return row, True
    return row, created


def stop(watch: Watch) -> None:
    """Stop an active watch; the row stays, with when it stopped."""
    if watch.stopped_at is None:
        watch.stopped_at = timezone.now()
        watch.save()
