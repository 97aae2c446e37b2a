"""Indexes for the lists newsroom staff read logged in (issue 16).

- `claim_own_idx`: an editor's claims in the works (draft, pending,
  rejected) by author, state and newest first: "My claims" counts each state
  and reads one page of each from it, whatever else the editor wrote.
- `claim_language_idx`: the approved claims' languages, which the claims
  list's language filter lists: walked from one language to the next (a
  recursive query, claims.filters.approved_languages) instead of reading
  every approved claim for a DISTINCT.
- `claim_pending_queue_idx`: the pending claims in the moderation queue's
  order (submission time, nulls first, then creation and id), so that the
  queue's page is read from the index instead of sorting every pending
  claim. Written in SQL: Django's model indexes cannot say NULLS FIRST on
  every database (SQLite refuses it in an index, and puts nulls first
  anyway), so the model does not declare it.

Built with plain CREATE INDEX (a migration runs in a transaction, where
CONCURRENTLY is not allowed): at a million claims both are partial indexes
over a few percent of the rows, built in seconds; the language index
covers the approved claims (docs/benchmarks.md).
"""

from django.db import migrations, models
from django.db.models import Q

QUEUE_INDEX = "claim_pending_queue_idx"


def create_queue_index(apps, schema_editor):
    table = apps.get_model("claims", "Claim")._meta.db_table
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE INDEX "{QUEUE_INDEX}" ON "{table}" '
        f"(\"state_changed_at\" ASC{nulls}, \"created_at\", \"id\") WHERE \"state\" = 'pending'"
    )


def drop_queue_index(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{QUEUE_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0016_lists_parties_lists_and_parties"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["created_by", "state", "-created_at", "-id"],
                condition=Q(state__in=["draft", "pending", "rejected"]),
                name="claim_own_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["language"],
                condition=Q(state="approved"),
                name="claim_language_idx",
            ),
        ),
        migrations.RunPython(create_queue_index, drop_queue_index),
    ]
