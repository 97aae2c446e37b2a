"""
Run the real background worker in tests: django_tasks_db's own worker loop
(what `manage.py db_worker` runs), in this process, on the test database.

In-process rather than as a subprocess because a TestCase's data lives in a
transaction no other process can see, and because SQLite's test database
is in memory: the worker then reads the very rows the test wrote, on SQLite
and on PostgreSQL alike. `batch=True` makes it run every task waiting and
return, so a test knows the work is done when the call returns; signals
are left alone (the loop's own handlers are for a terminal). The loop's
close_old_connections() is made a no-op meanwhile, as Django's test client
does for the request signals: inside a TestCase's transaction it would
close the test's own connection (autocommit is off there).
"""

from __future__ import annotations

from unittest import mock

from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_worker() -> int:
    """Run every task waiting in the queue, as `db_worker --batch` would; return how many ran."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()
    return worker._run_tasks


def tasks_named(name: str):
    """Return the queued and finished tasks of one task function (claims.tasks.<name>)."""
    return DBTaskResult.objects.filter(task_path=f"claims.tasks.{name}")
