"""
Watching's background tasks (Django's tasks framework, run by `manage.py
db_worker`): e-mail notifications at once, and the daily digest, which puts
itself back on the queue for the next day each time it runs.
"""

from __future__ import annotations

from django.tasks import task
from django.tasks.base import TaskResultStatus
from django.utils import timezone

from watching import mail

DIGEST_TASK = "watching.tasks.send_daily_digests"


@task()
def email_notifications(notification_ids: list[int]) -> int:
    """E-mail the notifications one event batch wrote, to those who want e-mail at once."""
    return mail.send_instant(notification_ids)


@task()
def send_daily_digests() -> int:
    """Send the day's digests, then wait on the queue for the next day's hour."""
    try:
        return mail.send_digests()
    finally:
        schedule_digests()


def schedule_digests(now=None) -> bool:
    """Queue the daily digest for its next hour unless one waits already; return whether queued.

    `manage.py send_digests --schedule` (run before the worker by `make run`
    and docker compose) starts the chain; each run queues the next. Two
    chains would do no harm: a digest is sent once per user and day.
    """
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=DIGEST_TASK, status=TaskResultStatus.READY).exists():
        return False
    send_daily_digests.using(run_after=mail.next_digest_time(now or timezone.now())).enqueue()
    return True
