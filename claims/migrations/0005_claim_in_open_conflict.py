"""Mark each claim that is in an open conflict, and keep the mark right in the database.

`Claim.in_open_conflict` backs the claims list's "in an open conflict"
filter: with the partial index `claim_open_conflict_idx` (approved claims in
an open conflict, newest first), the first page and the bounded count are
read from one small index, instead of hashing both claims of every open
conflict (110,085 at a million claims) on each request.

The mark is derived from the conflicts, and a conflict's status changes along
many paths: detection (conflict by conflict, and the full recompute's and the
spreadsheet import's bulk inserts), moderators resolving, dismissing and
reopening, the admin's edit form, generate_volume. Triggers on the conflicts
table keep the mark right whatever the path, without one more query from the
application; a trigger on the claims table puts the derived value back when
a write changes the mark, so that a stale instance's full save() cannot
store an old mark.

- PostgreSQL: statement-level triggers with transition tables (one UPDATE of
  the claims per INSERT, UPDATE or DELETE statement on the conflicts, however
  many rows it wrote), and a row-level BEFORE UPDATE trigger on the claims.
- SQLite: row-level triggers to the same rules.

SQLite drops a table's triggers when Django rebuilds the table, as many of
its ALTERs do: tests/claims/test_open_conflict_mark.py fails if a later
migration ever does that to these.
"""

from django.db import migrations, models
from django.db.models import Q

OPEN = "open"
CONFLICT_TRIGGERS = (
    "claims_conflict_marks_insert",
    "claims_conflict_marks_update",
    "claims_conflict_marks_delete",
)
CLAIM_TRIGGER = "claims_claim_keep_mark"


def tables(apps) -> tuple[str, str]:
    return (
        apps.get_model("claims", "Claim")._meta.db_table,
        apps.get_model("claims", "Conflict")._meta.db_table,
    )


def in_open_conflict(conflict: str, claim_id: str) -> str:
    """SQL: whether the claim `claim_id` is one side of an open conflict.

    Two EXISTS, each answered through one index (claim_a_id's, claim_b_id's).
    """
    sides = " OR ".join(
        f'EXISTS (SELECT 1 FROM "{conflict}" AS f WHERE f.{side} = {claim_id} '
        f"AND f.status = '{OPEN}')"
        for side in ("claim_a_id", "claim_b_id")
    )
    return f"({sides})"


def backfill(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Conflict = apps.get_model("claims", "Conflict")
    open_conflicts = Conflict.objects.filter(status=OPEN)
    Claim.objects.filter(
        Q(pk__in=open_conflicts.values("claim_a")) | Q(pk__in=open_conflicts.values("claim_b"))
    ).update(in_open_conflict=True)


def postgresql_triggers(claim: str, conflict: str) -> list[str]:
    # A conflict written open marks its two claims: no need to look further.
    # A conflict that was open and is no longer (or is gone) unmarks its claims
    # unless another open conflict holds them: only those few are looked up.
    mark = (
        f'UPDATE "{claim}" SET in_open_conflict = true WHERE NOT in_open_conflict AND id IN ('
        f"SELECT claim_a_id FROM changed WHERE status = '{OPEN}' UNION "
        f"SELECT claim_b_id FROM changed WHERE status = '{OPEN}');"
    )
    unmark = (
        f'UPDATE "{claim}" AS c SET in_open_conflict = false WHERE c.in_open_conflict AND c.id IN ('
        f"SELECT claim_a_id FROM gone WHERE status = '{OPEN}' UNION "
        f"SELECT claim_b_id FROM gone WHERE status = '{OPEN}') "
        f"AND NOT {in_open_conflict(conflict, 'c.id')};"
    )
    return [
        f"""
        CREATE FUNCTION claims_conflict_marks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                {unmark}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                {mark}
            END IF;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER claims_conflict_marks_insert AFTER INSERT ON "{conflict}"
        REFERENCING NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION claims_conflict_marks()
        """,
        f"""
        CREATE TRIGGER claims_conflict_marks_update AFTER UPDATE ON "{conflict}"
        REFERENCING OLD TABLE AS gone NEW TABLE AS changed
        FOR EACH STATEMENT EXECUTE FUNCTION claims_conflict_marks()
        """,
        f"""
        CREATE TRIGGER claims_conflict_marks_delete AFTER DELETE ON "{conflict}"
        REFERENCING OLD TABLE AS gone
        FOR EACH STATEMENT EXECUTE FUNCTION claims_conflict_marks()
        """,
        f"""
        CREATE FUNCTION claims_claim_keep_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.in_open_conflict := {in_open_conflict(conflict, "NEW.id")};
            RETURN NEW;
        END
        $$
        """,
        # Not when the conflicts' trigger writes the mark (trigger depth 1): it is right.
        f"""
        CREATE TRIGGER {CLAIM_TRIGGER} BEFORE UPDATE OF in_open_conflict ON "{claim}"
        FOR EACH ROW WHEN (
            OLD.in_open_conflict IS DISTINCT FROM NEW.in_open_conflict
            AND pg_trigger_depth() = 0
        )
        EXECUTE FUNCTION claims_claim_keep_mark()
        """,
    ]


def sqlite_triggers(claim: str, conflict: str) -> list[str]:
    def refresh(ids: str) -> str:
        now = in_open_conflict(conflict, f'"{claim}".id')
        return (
            f'UPDATE "{claim}" SET in_open_conflict = {now} '
            f"WHERE id IN ({ids}) AND in_open_conflict IS NOT {now};"
        )

    new, old = "NEW.claim_a_id, NEW.claim_b_id", "OLD.claim_a_id, OLD.claim_b_id"
    return [
        f'CREATE TRIGGER claims_conflict_marks_insert AFTER INSERT ON "{conflict}" '
        f"BEGIN {refresh(new)} END",
        f'CREATE TRIGGER claims_conflict_marks_update AFTER UPDATE ON "{conflict}" '
        f"BEGIN {refresh(f'{new}, {old}')} END",
        f'CREATE TRIGGER claims_conflict_marks_delete AFTER DELETE ON "{conflict}" '
        f"BEGIN {refresh(old)} END",
        # An AFTER trigger (SQLite's BEFORE triggers cannot change NEW); with
        # recursive triggers off, SQLite's default, its UPDATE fires no trigger.
        f'CREATE TRIGGER {CLAIM_TRIGGER} AFTER UPDATE OF in_open_conflict ON "{claim}" '
        "WHEN NEW.in_open_conflict IS NOT OLD.in_open_conflict "
        f'BEGIN UPDATE "{claim}" SET in_open_conflict = '
        f"{in_open_conflict(conflict, 'NEW.id')} WHERE id = NEW.id; END",
    ]


def create_triggers(apps, schema_editor):
    claim, conflict = tables(apps)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = postgresql_triggers(claim, conflict)
    elif vendor == "sqlite":
        statements = sqlite_triggers(claim, conflict)
    else:
        raise NotImplementedError(f"No open-conflict triggers written for {vendor}.")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    claim, conflict = tables(apps)
    for name in CONFLICT_TRIGGERS:
        on = f' ON "{conflict}"' if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on}", params=None)
    on = f' ON "{claim}"' if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {CLAIM_TRIGGER}{on}", params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS claims_conflict_marks()", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS claims_claim_keep_mark()", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0004_claim_topic_newest_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="in_open_conflict",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("in_open_conflict", True), ("state", "approved")),
                fields=["-stated_on", "-id"],
                name="claim_open_conflict_idx",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
