"""Big reads as plain named tuples, straight from the driver.

The alignment map reads 5,000 key results and 1,000 objectives; a page of objectives 250 key results.
SQLAlchemy's result layer fetched each row with a Python call, ran its processors and built a `Row` whose
attribute access costs again on every read of a column: about half of the map's CPU went there. These
reads need none of it: `fetch_rows` sends one statement on the session's own connection, inside its
transaction (so under the tenant that row-level security reads), and gives each record as a named tuple,
whose fields read at C speed. Values are the driver's, as SQLAlchemy returned them (its json codec is the
connection's). docs/decisions/api-driver-rows.md.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

_SHAPES: dict[tuple[str, ...], Any] = {}  # one tuple class per column list (a handful: the callers' SQL)


async def fetch_rows(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """The rows of `sql` (`$n` parameters) as named tuples, on the session's connection and transaction."""
    async_connection = await session.connection()
    connection = async_connection.sync_connection
    driver = (await async_connection.get_raw_connection()).driver_connection
    assert connection is not None and driver is not None
    if not driver.is_in_transaction():
        # Nothing ran in this session yet, so no tenant is set: the caller forgot to authenticate first.
        raise RuntimeError("fetch_rows runs inside the session's transaction, after the tenant is set")
    # The engine's statement events fire as for any statement (the tests count statements with them).
    watched = connection._has_events or connection.engine._has_events
    marker = object()  # stands for the cursor: what pairs an `after` with its `before`
    if watched:
        connection.dispatch.before_cursor_execute(connection, marker, sql, args, None, False)
    try:
        records = await driver.fetch(sql, *args)
    except asyncpg.PostgresError as error:  # the app's handlers read the database's refusals from SQLAlchemy's
        raise DBAPIError(sql, args, error) from error
    if watched:
        connection.dispatch.after_cursor_execute(connection, marker, sql, args, None, False)
    if not records:
        return []
    make = _shape(tuple(records[0].keys()))._make
    return [make(record) for record in records]


def checked_columns(model: Any, names: Sequence[str]) -> Sequence[str]:
    """`names`, each checked to be a column of `model`'s table: for SQL text these functions run that is written
    from column names (never from a request's text)."""
    table = model.__table__
    for name in names:
        if name not in table.c:
            raise ValueError(f"{name!r} is not a column of {table.name}")
    return names


async def fetch_named(session: AsyncSession, sql: str, params: Mapping[str, Any]) -> list[Any]:
    """`fetch_rows` for SQL written with `:name` parameters, as `session.execute(text(sql), params)` takes it."""
    sql_text, names = positional(sql)
    return await fetch_rows(session, sql_text, *(params[name] for name in names))


_DIALECT = dialect()  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=256)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with `$n` for its `:name` parameters, and the names in `$n` order (compiled once per text)."""
    compiled = text(sql).compile(dialect=_DIALECT)
    return compiled.string, tuple(compiled.positiontup or ())


def _shape(columns: tuple[str, ...]) -> Any:
    shape = _SHAPES.get(columns)
    if shape is None:
        shape = _SHAPES[columns] = namedtuple("Record", columns)  # type: ignore[misc]
    return shape
