"""Store each claim's search vector, and index that column (PostgreSQL only; issue 16).

`search_vector` is a generated column, `to_tsvector('simple', search_text)`,
computed by PostgreSQL whenever a row is written with its `search_text`
(PostgreSQL 13 and later skip it on an UPDATE that leaves `search_text` out
of its SET list, as approval does). The GIN index `claim_search_gin` moves
from the expression to the column: the same entries, so the same matches.

Why: the index answers which rows match, but it stores no row's vector, so
every query that ranks (`ts_rank`) or tests a row (`@@` on a row read
another way, as the newest-first page does) parsed that row's text again,
about 25-35 µs a claim: topic + search ranked 1,608 matches in ~370 ms, and
a half-typed last word tested thousands of rows so (docs/benchmarks.md,
"Search at 1,000,000 claims, the stored vector"). A stored vector is read,
not parsed.

Not a model field: Django would load every claim's vector with the claim.
claims.search.StoredVector names the column in the search queries. SQLite
searches with LIKE (claims.search) and gets nothing here.

At a million claims the ADD COLUMN rewrites the claims table and rebuilds
its indexes (minutes, under an exclusive lock): run it in a quiet hour.
"""

from django.db import migrations

INDEX_NAME = "claim_search_gin"
COLUMN = "search_vector"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("claims", "Claim")._meta.db_table)
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD COLUMN {COLUMN} tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX_NAME} ON {table} USING gin ({COLUMN})")
    schema_editor.execute(f"ANALYZE {table}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("claims", "Claim")._meta.db_table)
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {COLUMN}")
    schema_editor.execute(
        f"CREATE INDEX {INDEX_NAME} ON {table} "
        "USING gin (to_tsvector('simple'::regconfig, search_text))"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0018_counters_topic_detainee"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
