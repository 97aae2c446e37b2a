"""Counts kept on write: no page counts claims or conflicts at read time.

The counters (docs/scaling.md, "Counters kept on write"):

- `Topic.open_conflict_count`: its open conflicts; `Topic.claim_count`: its approved claims.
- `Source.claim_count`, `confirmed_count`, `refuted_count`: its own approved
  claims, and those a resolution confirmed or refuted; `Source.open_conflict_count`:
  the open conflicts one of its claims is in, once per side (a conflict between
  two of its claims counts twice), as the track record always counted them.
  A source's own, not its affiliates': what its row on the sources list and
  its record on its page show.
- `Detainee.claim_count`: the approved claims about the detainee;
  `Detainee.open_conflict_count`: the open conflicts about them.

Triggers on the claims and conflicts tables keep them in the writing
transaction, whatever the path (Claim.save, detection's bulk writes, COPY,
generate_volume, the admin), each as `n = n + delta`, so that two
transactions writing at once never lose a count:

- PostgreSQL: statement-level triggers with transition tables, one UPDATE
  per counted table per statement, grouped by row, however many rows the
  statement wrote; a statement that changes nothing counted writes nothing.
- SQLite: row-level triggers to the same rules.

A claim whose source changes carries its open conflicts to the new source.

Django never writes a counter (crosscheck.counts.KeepsCounters); `recount`
compares each counter with a count from scratch, and repairs and reports the
drift (`manage.py recompute_conflicts --counters`). The migration that made
them (0018) fills them with the same statements.

SQLite drops a table's triggers when Django rebuilds the table: a migration
that rebuilds the claims or conflicts table must call `drop_triggers` first
and `create_triggers` after, as it does for the open-conflict marks (0005).
"""

from __future__ import annotations

from dataclasses import dataclass

APPROVED, OPEN = "approved", "open"
CONFIRMED, REFUTED = "confirmed", "refuted"

CLAIM_TRIGGERS = (
    "claims_claim_counters_insert",
    "claims_claim_counters_update",
    "claims_claim_counters_delete",
)
CONFLICT_TRIGGERS = (
    "claims_conflict_counters_insert",
    "claims_conflict_counters_update",
    "claims_conflict_counters_delete",
)


@dataclass(frozen=True)
class Tables:
    claim: str
    conflict: str
    topic: str
    source: str
    detainee: str


def tables(apps) -> Tables:
    table = lambda app, model: apps.get_model(app, model)._meta.db_table  # noqa: E731
    return Tables(
        claim=table("claims", "Claim"),
        conflict=table("claims", "Conflict"),
        topic=table("claims", "Topic"),
        source=table("sources", "Source"),
        detainee=table("claims", "Detainee"),
    )


# PostgreSQL ------------------------------------------------------------------


def _pg_claim_body(t: Tables, op: str) -> str:
    """One statement: the claims' net deltas, applied to topics, detainees, sources."""
    cols = "topic_id, source_id, detainee_id, verdict"
    if op == "UPDATE":
        # Only the rows whose counted columns changed (detection rewrites
        # supersessions and marks on many claims, counting nothing).
        changed = (
            "ch AS MATERIALIZED (SELECT o.id, o.state AS o_state, n.state AS n_state, "
            "o.topic_id AS o_topic, n.topic_id AS n_topic, o.source_id AS o_source, "
            "n.source_id AS n_source, o.detainee_id AS o_detainee, n.detainee_id AS n_detainee, "
            "o.verdict AS o_verdict, n.verdict AS n_verdict "
            "FROM gone AS o JOIN changed AS n ON n.id = o.id "
            f"WHERE {counted_change(True)}), "
        )
        rows = (
            "SELECT n_topic AS topic_id, n_source AS source_id, n_detainee AS detainee_id, "
            f"n_verdict AS verdict, 1 AS w FROM ch WHERE n_state = '{APPROVED}' UNION ALL "
            "SELECT o_topic, o_source, o_detainee, o_verdict, -1 FROM ch "
            f"WHERE o_state = '{APPROVED}'"
        )
        # A claim moved to another source takes its open conflicts along.
        conflicts = " + ".join(
            f'(SELECT COUNT(*) FROM "{t.conflict}" AS f WHERE f.{side} = ch.id '
            f"AND f.status = '{OPEN}')"
            for side in ("claim_a_id", "claim_b_id")
        )
        moved = (
            "moved AS MATERIALIZED (SELECT o_source, n_source, "
            f"{conflicts} AS k FROM ch WHERE o_source <> n_source), "
            "moves AS (SELECT n_source AS source_id, k FROM moved WHERE k <> 0 UNION ALL "
            "SELECT o_source, -k FROM moved WHERE k <> 0), "
        )
        moves = "UNION ALL SELECT source_id, 0, 0, 0, k FROM moves"
    else:
        table, w = ("changed", 1) if op == "INSERT" else ("gone", -1)
        changed = ""
        rows = f"SELECT {cols}, {w} AS w FROM {table} WHERE state = '{APPROVED}'"
        moved = ""
        moves = ""
    return f"""
        WITH {changed}{moved}d AS MATERIALIZED (
            SELECT {cols}, SUM(w) AS n FROM ({rows}) AS x
            GROUP BY {cols} HAVING SUM(w) <> 0
        ),
        topics AS (
            UPDATE "{t.topic}" AS t SET claim_count = t.claim_count + s.n
            FROM (SELECT topic_id, SUM(n) AS n FROM d GROUP BY topic_id HAVING SUM(n) <> 0) AS s
            WHERE t.id = s.topic_id
        ),
        detainees AS (
            UPDATE "{t.detainee}" AS t SET claim_count = t.claim_count + s.n
            FROM (SELECT detainee_id, SUM(n) AS n FROM d WHERE detainee_id IS NOT NULL
                  GROUP BY detainee_id HAVING SUM(n) <> 0) AS s
            WHERE t.id = s.detainee_id
        )
        UPDATE "{t.source}" AS t SET
            claim_count = t.claim_count + s.n,
            confirmed_count = t.confirmed_count + s.c,
            refuted_count = t.refuted_count + s.r,
            open_conflict_count = t.open_conflict_count + s.k
        FROM (
            SELECT source_id, SUM(n) AS n, SUM(c) AS c, SUM(r) AS r, SUM(k) AS k FROM (
                SELECT source_id, n,
                    CASE WHEN verdict = '{CONFIRMED}' THEN n ELSE 0 END AS c,
                    CASE WHEN verdict = '{REFUTED}' THEN n ELSE 0 END AS r,
                    0 AS k
                FROM d {moves}
            ) AS y GROUP BY source_id
        ) AS s
        WHERE t.id = s.source_id AND (s.n, s.c, s.r, s.k) <> (0, 0, 0, 0);
    """


def _pg_conflict_body(t: Tables, op: str) -> str:
    """One statement: the open conflicts' net deltas, applied to topics, detainees, sources."""
    cols = "topic_id, detainee_id, claim_a_id, claim_b_id"
    parts = []
    if op in ("INSERT", "UPDATE"):
        parts.append(f"SELECT {cols}, 1 AS w FROM changed WHERE status = '{OPEN}'")
    if op in ("UPDATE", "DELETE"):
        parts.append(f"SELECT {cols}, -1 AS w FROM gone WHERE status = '{OPEN}'")
    rows = " UNION ALL ".join(parts)
    return f"""
        WITH d AS MATERIALIZED (
            SELECT {cols}, SUM(w) AS n FROM ({rows}) AS x
            GROUP BY {cols} HAVING SUM(w) <> 0
        ),
        topics AS (
            UPDATE "{t.topic}" AS t SET open_conflict_count = t.open_conflict_count + s.n
            FROM (SELECT topic_id, SUM(n) AS n FROM d GROUP BY topic_id HAVING SUM(n) <> 0) AS s
            WHERE t.id = s.topic_id
        ),
        detainees AS (
            UPDATE "{t.detainee}" AS t SET open_conflict_count = t.open_conflict_count + s.n
            FROM (SELECT detainee_id, SUM(n) AS n FROM d WHERE detainee_id IS NOT NULL
                  GROUP BY detainee_id HAVING SUM(n) <> 0) AS s
            WHERE t.id = s.detainee_id
        )
        UPDATE "{t.source}" AS t SET open_conflict_count = t.open_conflict_count + s.n
        FROM (
            SELECT c.source_id, SUM(x.n) AS n
            FROM (SELECT claim_a_id AS id, n FROM d UNION ALL SELECT claim_b_id, n FROM d) AS x
            JOIN "{t.claim}" AS c ON c.id = x.id
            GROUP BY c.source_id HAVING SUM(x.n) <> 0
        ) AS s
        WHERE t.id = s.source_id;
    """


CLAIM_COUNTED = ("state", "topic_id", "source_id", "detainee_id", "verdict")
CONFLICT_COUNTED = ("status", "topic_id", "detainee_id", "claim_a_id", "claim_b_id")


def counted_change(claims: bool) -> str:
    """SQL: whether the old row `o` and the new row `n` differ in what is counted."""
    columns = CLAIM_COUNTED if claims else CONFLICT_COUNTED
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    return f"({old}) IS DISTINCT FROM ({new})"


def unchanged(claims: bool) -> str:
    """SQL: the updated rows (id and counted columns) not found as they were: none, if
    the UPDATE changed nothing counted.

    A set difference, hashed, not a join: `gone JOIN changed ... LIMIT 1` was
    planned as a nested loop over the two transition tables (no index, and
    LIMIT 1 favours the plan that starts fastest), which compared every
    updated row with every other when nothing counted had changed: 8.4
    million comparisons, 3 s under load, for one UPDATE of the 2,901 claims
    an import of bench/import_population.py's file leaves marked.
    """
    columns = ", ".join(("id", *(CLAIM_COUNTED if claims else CONFLICT_COUNTED)))
    return f"SELECT {columns} FROM changed EXCEPT ALL SELECT {columns} FROM gone"


def postgresql_triggers(t: Tables) -> list[str]:
    statements = []
    for table, body, names in (
        (t.claim, _pg_claim_body, CLAIM_TRIGGERS),
        (t.conflict, _pg_conflict_body, CONFLICT_TRIGGERS),
    ):
        for op, name in zip(("INSERT", "UPDATE", "DELETE"), names, strict=True):
            transition = {
                "INSERT": "NEW TABLE AS changed",
                "UPDATE": "OLD TABLE AS gone NEW TABLE AS changed",
                "DELETE": "OLD TABLE AS gone",
            }[op]
            # An UPDATE that changes nothing counted (most of detection's:
            # supersessions, marks, timestamps) stops after one look.
            quick = ""
            if op == "UPDATE":
                quick = f"PERFORM 1 FROM ({unchanged(table == t.claim)}) AS x LIMIT 1; "
                quick += "IF NOT FOUND THEN RETURN NULL; END IF;"
            statements.append(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    {quick}
                    {body(t, op)}
                    RETURN NULL;
                END
                $$
                """
            )
            statements.append(
                f'CREATE TRIGGER {name} AFTER {op} ON "{table}" REFERENCING {transition} '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return statements


# SQLite ----------------------------------------------------------------------


def _sqlite_claim_rows(t: Tables, row: str, sign: str) -> str:
    """The statements adding (sign "+") or taking (sign "-") one approved claim `row`."""
    when = f"{row}.state = '{APPROVED}'"
    return (
        f'UPDATE "{t.topic}" SET claim_count = claim_count {sign} 1 '
        f"WHERE id = {row}.topic_id AND {when}; "
        f'UPDATE "{t.detainee}" SET claim_count = claim_count {sign} 1 '
        f"WHERE id = {row}.detainee_id AND {when}; "
        f'UPDATE "{t.source}" SET claim_count = claim_count {sign} 1, '
        f"confirmed_count = confirmed_count {sign} ({row}.verdict = '{CONFIRMED}'), "
        f"refuted_count = refuted_count {sign} ({row}.verdict = '{REFUTED}') "
        f"WHERE id = {row}.source_id AND {when}; "
    )


def _sqlite_conflict_rows(t: Tables, row: str, sign: str) -> str:
    """The statements adding or taking one open conflict `row`."""
    when = f"{row}.status = '{OPEN}'"
    sides = "".join(
        f'UPDATE "{t.source}" SET open_conflict_count = open_conflict_count {sign} 1 '
        f'WHERE id = (SELECT source_id FROM "{t.claim}" WHERE id = {row}.{side}) AND {when}; '
        for side in ("claim_a_id", "claim_b_id")
    )
    return (
        f'UPDATE "{t.topic}" SET open_conflict_count = open_conflict_count {sign} 1 '
        f"WHERE id = {row}.topic_id AND {when}; "
        f'UPDATE "{t.detainee}" SET open_conflict_count = open_conflict_count {sign} 1 '
        f"WHERE id = {row}.detainee_id AND {when}; {sides}"
    )


def sqlite_triggers(t: Tables) -> list[str]:
    claim_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CLAIM_COUNTED)
    # One parenthesised sum: `n - (a) + (b)` would take the conflicts the
    # claim is the first side of and add back those it is the second side of.
    open_conflicts = (
        f"((SELECT COUNT(*) FROM \"{t.conflict}\" WHERE status = '{OPEN}' AND claim_a_id = NEW.id)"
        f" + (SELECT COUNT(*) FROM \"{t.conflict}\" WHERE status = '{OPEN}' "
        "AND claim_b_id = NEW.id))"
    )
    moved = (
        f'UPDATE "{t.source}" SET open_conflict_count = open_conflict_count - {open_conflicts} '
        "WHERE id = OLD.source_id AND OLD.source_id IS NOT NEW.source_id; "
        f'UPDATE "{t.source}" SET open_conflict_count = open_conflict_count + {open_conflicts} '
        "WHERE id = NEW.source_id AND OLD.source_id IS NOT NEW.source_id; "
    )
    conflict_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in CONFLICT_COUNTED)
    on_claim, on_conflict = t.claim, t.conflict
    insert, update, delete = CLAIM_TRIGGERS
    c_insert, c_update, c_delete = CONFLICT_TRIGGERS
    return [
        f'CREATE TRIGGER {insert} AFTER INSERT ON "{on_claim}" '
        f"BEGIN {_sqlite_claim_rows(t, 'NEW', '+')} END",
        f'CREATE TRIGGER {update} AFTER UPDATE ON "{on_claim}" WHEN {claim_changed} '
        f"BEGIN {_sqlite_claim_rows(t, 'OLD', '-')}{_sqlite_claim_rows(t, 'NEW', '+')}"
        f"{moved} END",
        f'CREATE TRIGGER {delete} AFTER DELETE ON "{on_claim}" '
        f"BEGIN {_sqlite_claim_rows(t, 'OLD', '-')} END",
        f'CREATE TRIGGER {c_insert} AFTER INSERT ON "{on_conflict}" '
        f"BEGIN {_sqlite_conflict_rows(t, 'NEW', '+')} END",
        f'CREATE TRIGGER {c_update} AFTER UPDATE ON "{on_conflict}" WHEN {conflict_changed} '
        f"BEGIN {_sqlite_conflict_rows(t, 'OLD', '-')}{_sqlite_conflict_rows(t, 'NEW', '+')} END",
        f'CREATE TRIGGER {c_delete} AFTER DELETE ON "{on_conflict}" '
        f"BEGIN {_sqlite_conflict_rows(t, 'OLD', '-')} END",
    ]


def create_triggers(apps, schema_editor) -> None:
    t = tables(apps)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = postgresql_triggers(t)
    elif vendor == "sqlite":
        statements = sqlite_triggers(t)
    else:
        raise NotImplementedError(f"No counter triggers written for {vendor}.")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor) -> None:
    t = tables(apps)
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, names in ((t.claim, CLAIM_TRIGGERS), (t.conflict, CONFLICT_TRIGGERS)):
        for name in names:
            on = f' ON "{table}"' if postgresql else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on}", params=None)
            if postgresql:
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)


# Counting from scratch ---------------------------------------------------------


def truths(t: Tables) -> list[tuple[str, str, str]]:
    """(table, counter, SQL giving key and n): each counter's count from scratch, a GROUP BY."""
    approved = f"FROM \"{t.claim}\" WHERE state = '{APPROVED}'"
    side = lambda s: (  # noqa: E731
        f'SELECT c.source_id AS key FROM "{t.conflict}" AS f '
        f"JOIN \"{t.claim}\" AS c ON c.id = f.{s} WHERE f.status = '{OPEN}'"
    )
    return [
        (
            t.topic,
            "open_conflict_count",
            f"SELECT topic_id AS key, COUNT(*) AS n FROM \"{t.conflict}\" WHERE status = '{OPEN}' "
            "GROUP BY topic_id",
        ),
        (t.topic, "claim_count", f"SELECT topic_id AS key, COUNT(*) AS n {approved} GROUP BY 1"),
        (
            t.detainee,
            "open_conflict_count",
            f'SELECT detainee_id AS key, COUNT(*) AS n FROM "{t.conflict}" '
            f"WHERE status = '{OPEN}' AND detainee_id IS NOT NULL GROUP BY detainee_id",
        ),
        (
            t.detainee,
            "claim_count",
            f"SELECT detainee_id AS key, COUNT(*) AS n {approved} "
            "AND detainee_id IS NOT NULL GROUP BY 1",
        ),
        (t.source, "claim_count", f"SELECT source_id AS key, COUNT(*) AS n {approved} GROUP BY 1"),
        (
            t.source,
            "confirmed_count",
            f"SELECT source_id AS key, COUNT(*) AS n {approved} "
            f"AND verdict = '{CONFIRMED}' GROUP BY 1",
        ),
        (
            t.source,
            "refuted_count",
            f"SELECT source_id AS key, COUNT(*) AS n {approved} "
            f"AND verdict = '{REFUTED}' GROUP BY 1",
        ),
        (
            t.source,
            "open_conflict_count",
            f"SELECT key, COUNT(*) AS n FROM ({side('claim_a_id')} UNION ALL "
            f"{side('claim_b_id')}) AS x GROUP BY key",
        ),
    ]


def recount(connection, t: Tables, *, repair: bool = True) -> dict[str, int]:
    """Compare every counter with its count from scratch; repair it; return the drift found.

    Maps "table.counter" to how many rows held a wrong count (0 everywhere on a
    healthy database). One UPDATE (or SELECT, with `repair=False`) per
    counter, each a GROUP BY over the claims or conflicts.
    """
    drift = {}
    with connection.cursor() as cursor:
        for table, column, truth in truths(t):
            wrong = (
                f'SELECT r.id, COALESCE(x.n, 0) AS n FROM "{table}" AS r '
                f"LEFT JOIN ({truth}) AS x ON x.key = r.id "
                f"WHERE r.{column} <> COALESCE(x.n, 0)"
            )
            if repair:
                cursor.execute(
                    f'UPDATE "{table}" SET {column} = w.n FROM ({wrong}) AS w '
                    f'WHERE "{table}".id = w.id'
                )
                drift[f"{table}.{column}"] = cursor.rowcount
            else:
                cursor.execute(f"SELECT COUNT(*) FROM ({wrong}) AS w")
                drift[f"{table}.{column}"] = cursor.fetchone()[0]
    return drift


def live_tables() -> Tables:
    from django.apps import apps

    return tables(apps)
