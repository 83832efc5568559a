"""Two statements of the OAuth hot path, written once per model and database instead of on every call.

The ORM compiles a query's SQL each time it runs. For a client-credentials token request that was the
largest share of its CPU: looking the app up by its client id (about forty columns to quote and alias)
and inserting the access token cost more to compile than to run, about 0.6 of 2.3 ms in-process on
PostgreSQL (benchmarks/README.md). The statements never change, so each is written once from the model's
metadata, and only values are bound per call. What goes in and comes out goes through the same field
methods the ORM uses (`get_db_prep_value`, `pre_save`, `get_db_prep_save`, the database converters and
`Model.from_db`), so a caller gets what `Model.objects.get()` or `instance.save()` would give.

Only for models without save() overrides or signal receivers that matter (no signal is sent here), and
only where a test pins the result against the ORM's (tests/perf/test_statements.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


@dataclass(frozen=True)
class _Select:
    sql: str
    attnames: tuple[str, ...]
    lookup: Field
    # (position in the row, the converters the ORM would apply, the column expression they expect)
    converters: tuple[tuple[int, tuple, Any], ...]


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Field, ...]
    returning: bool


def _column(field: Any) -> str:
    # Concrete fields always have a column; the model metadata's types allow None for the others.
    assert field.column is not None, field
    return field.column


@functools.cache
def _select(model: type[Model], field_name: str, alias: str) -> _Select:
    connection = connections[alias]
    qn = connection.ops.quote_name
    meta = model._meta
    fields = meta.concrete_fields
    lookup = meta.get_field(field_name)
    assert isinstance(lookup, Field), field_name
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = tuple(connection.ops.get_db_converters(column)) + tuple(field.get_db_converters(connection))
        if found:
            converters.append((position, found, column))
    # Only quoted names from the model go into the text; the value is a parameter.
    sql = (
        f"SELECT {', '.join(qn(_column(f)) for f in fields)} FROM {qn(meta.db_table)}"  # noqa: S608
        f" WHERE {qn(_column(lookup))} = %s"
    )
    return _Select(sql, tuple(f.attname for f in fields), lookup, tuple(converters))


def get_by(model: type[Model], field_name: str, value: Any) -> Model | None:
    """The instance whose unique `field_name` equals `value`, or None: `model.objects.get()` without
    compiling the query each time."""
    alias = router.db_for_read(model)
    statement = _select(model, field_name, alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [statement.lookup.get_db_prep_value(value, connection, prepared=False)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, converters, column in statement.converters:
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    return model.from_db(alias, statement.attnames, values)


@functools.cache
def _insert(model: type[Model], alias: str) -> _Insert:
    connection = connections[alias]
    qn = connection.ops.quote_name
    meta = model._meta
    if meta.auto_field is not meta.pk:
        raise TypeError(f"{meta.label}: only models with a database-generated primary key")
    fields = tuple(f for f in meta.local_concrete_fields if f is not meta.pk)
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(_column(f)) for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returning = connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {qn(_column(meta.pk))}"
    return _Insert(sql, fields, returning)


def insert(instance: Model) -> None:
    """`instance.save()` for a new row, without compiling the INSERT each time: the same values (each
    field's pre_save, auto_now dates included), and the instance gets its primary key."""
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    statement = _insert(model, alias)
    connection = connections[alias]
    fields = statement.fields
    values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        if statement.returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, _column(model._meta.pk))
    setattr(instance, model._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = alias
