"""
The fault and load suite runs only when asked: `CROSSCHECK_OPS=1 pytest -m ops tests/ops`.

It starts real servers (a throwaway PostgreSQL and gunicorn) and runs for
minutes, so the ordinary test runs (.ci/run runs the suite twice, on SQLite
and PostgreSQL) leave it out; .ci/run runs it once, on its own. Left out
means deselected, not skipped: nothing is reported for it at all.
"""

import os


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CROSSCHECK_OPS") == "1":
        return
    ops = [item for item in items if item.get_closest_marker("ops")]
    if ops:
        config.hook.pytest_deselected(items=ops)
        items[:] = [item for item in items if not item.get_closest_marker("ops")]
