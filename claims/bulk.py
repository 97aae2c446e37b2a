"""
Bulk inserts with their history rows: what `bulk_create` followed by
simple_history's `bulk_history_create` write, several times faster on
PostgreSQL.

On PostgreSQL the keys are taken from the table's sequence (as INSERT would
take them) and the rows and their history rows go in by COPY, with the
values the instances hold, as bulk_create would send them; each history row
carries what bulk_history_create would give it: the instance's own
`_history_user` / change reason if set, else the defaults given here, the
date and "+". Django's bulk_create, on PostgreSQL, builds each row as Python
objects and sends the columns as arrays (UNNEST), and bulk_history_create
builds a historical instance per row first: for an import's thousands of
sources, topics, claims and conflicts that was most of the write's time
(bench/import_population.py). Elsewhere (SQLite) it is those two calls.

Used by the spreadsheet import's write (claims.spreadsheet) and by the
batched detection that opens conflicts in bulk (claims.detection).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from django.db import connection, models
from simple_history.utils import get_change_reason_from_object

BATCH = 2000


def take_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` keys from a table's sequence (PostgreSQL), as INSERT would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_with_history(
    model: type[models.Model], objects: Sequence[models.Model], *, user, reason: str, now
) -> None:
    """Insert unsaved instances and one "+" history row each; set their keys."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        model.history.bulk_history_create(
            objects, batch_size=BATCH, default_user=user,
            default_change_reason=reason, default_date=now,
        )  # fmt: skip
        return
    fields = list(model._meta.concrete_fields)
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False)
               or getattr(f, "auto_now_add", False)]  # fmt: skip
    ids = take_ids(model, len(objects))
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
        for name in stamped:
            setattr(obj, name, now)
    history = model.history.model
    tracked = list(history.tracked_fields)
    row_of, history_row_of = values_of(fields), values_of(tracked)
    default_user = user if user is not None else history.get_default_history_user(objects[0])
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = ", ".join(f'"{f.column}"' for f in fields)
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for obj in objects:
                copy.write_row(row_of(obj))
        extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
        history_columns = [f.column for f in tracked] + [
            history._meta.get_field(name).column for name in extra
        ]
        columns = ", ".join(f'"{c}"' for c in history_columns)
        with raw.copy(f'COPY "{history._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for obj in objects:
                who = getattr(obj, "_history_user", default_user)
                copy.write_row([
                    *history_row_of(obj),
                    getattr(obj, "_history_date", now),
                    get_change_reason_from_object(obj) or reason,
                    "+",
                    who.pk if who is not None else None,
                ])  # fmt: skip


def builder(model: type[models.Model]) -> Callable[..., models.Model]:
    """Return a function making an unsaved instance from keyword values, as model(**values) does.

    Model.__init__ with keywords looks each field up by name (about 50 us a
    Conflict); with positional values it only assigns them (a fifth of
    that). The fields not given take their defaults as Model.__init__ gives
    them: a callable default (timezone.now) is called for each instance.
    """
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    static: dict = {}
    dynamic: list = []
    for f in fields:
        default = f.default if f.has_default() else None
        if callable(default) or f.has_db_default():
            dynamic.append(f)
        else:
            static[f.attname] = f.get_default()
    known = set(names) | {f.name for f in fields}

    def make(**values) -> models.Model:
        unknown = values.keys() - known
        if unknown:
            raise TypeError(f"{model.__name__} has no field {sorted(unknown)[0]!r}")
        for f in fields:  # A relation given by name: its key, as Model.__init__ takes it.
            if f.name != f.attname and f.name in values:
                related = values.pop(f.name)
                values[f.attname] = related.pk if related is not None else None
        row = {**static, **values}
        for f in dynamic:
            if f.attname not in values:
                row[f.attname] = f.get_default()
        return model(*[row[name] for name in names])

    return make


def values_of(fields: list) -> Callable[[models.Model], list]:
    """Return a function giving an instance's values of these fields, in order, for COPY."""
    get = attrgetter(*[f.attname for f in fields])
    # JSON (aliases) must be sent as JSON, not as a PostgreSQL array.
    json = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    if len(fields) == 1:
        return lambda obj: (
            [get(obj)] if not json else [fields[0].get_db_prep_save(get(obj), connection)]
        )

    def row(obj: models.Model) -> list:
        values = list(get(obj))
        for index, field in json:
            values[index] = field.get_db_prep_save(values[index], connection)
        return values

    return row
