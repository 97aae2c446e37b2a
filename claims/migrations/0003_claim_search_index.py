"""Index the claims' folded search text for PostgreSQL full-text search.

A GIN index on to_tsvector('simple', search_text): the expression
claims.search.SearchTextVector writes in every search query, so that the
planner can use it. PostgreSQL only; SQLite searches with LIKE and has no use
for it, so on other databases this migration does nothing.
"""

from django.db import migrations

INDEX_NAME = "claim_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("claims", "Claim")._meta.db_table)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON {table} "
        "USING gin (to_tsvector('simple'::regconfig, search_text))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
