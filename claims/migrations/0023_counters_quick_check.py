"""The counters' UPDATE triggers look for a counted change by a hashed set difference.

Their first look (claims/counters.py, `unchanged`) was a join of the two
transition tables with LIMIT 1, planned as a nested loop: an UPDATE of n
claims or conflicts that changed nothing counted (the open-conflict marks
detection writes, supersessions) compared n x n rows. Made again from
claims/counters.py, as 0018 made them. PostgreSQL only: SQLite's row-level
triggers are unchanged.
"""

from django.db import migrations

from claims import counters


def remake_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    counters.drop_triggers(apps, schema_editor)
    counters.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0022_topic_speakers"),
    ]

    operations = [
        migrations.RunPython(remake_triggers, migrations.RunPython.noop, elidable=False),
    ]
