"""Export a cycle's objectives, key results, check-ins, initiatives, their links and spend as CSV (a zip of
one file per table) or JSON.

Streamed: rows come from a server-side cursor in batches and leave as they are encoded, so a large
cycle never sits in memory. The stream reads in its own REPEATABLE READ, READ ONLY transaction (the
request's transaction has ended by the time the body is sent), so every table is one snapshot.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.db.tenancy import set_tenant
from sightline.insights.csv_formulas import CsvFormulas, escape
from sightline.okrs.cycles import cycle_public, get_cycle
from sightline.okrs.models import Cycle

ExportFormat = Literal["csv", "json"]
BATCH = 1000
FORMAT_VERSION = "sightline.cycle-export.v1"

_IN_CYCLE = """i.org_id = :org AND (
            EXISTS (
                SELECT 1 FROM initiative_key_results l
                JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
                JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
                WHERE l.org_id = i.org_id AND l.initiative_id = i.id AND o.cycle_id = :cycle
            )
            OR EXISTS (
                SELECT 1 FROM cycles c
                WHERE c.org_id = i.org_id AND c.id = :cycle
                  AND (i.start_date IS NULL OR i.start_date <= c.end_date)
                  AND (i.end_date IS NULL OR i.end_date >= c.start_date)
            )
        )"""

# The columns are the file headers; the import reads the same names (see csv_import.py).
TABLES: dict[str, str] = {
    "objectives": """
        SELECT o.id, o.title, o.description, o.level, t.name AS team, o.team_id, u.email AS owner_email,
               o.owner_id, o.kind, o.state, o.progress_from, o.created_at
        FROM objectives o
        JOIN users u ON u.org_id = o.org_id AND u.id = o.owner_id
        LEFT JOIN teams t ON t.org_id = o.org_id AND t.id = o.team_id
        WHERE o.org_id = :org AND o.cycle_id = :cycle
        ORDER BY o.created_at, o.id""",
    "key_results": """
        SELECT kr.id, kr.objective_id, o.title AS objective, kr.title, u.email AS owner_email, kr.owner_id,
               kr.metric, kr.unit, kr.direction, kr.start_value, kr.target_value, kr.stretch_value,
               kr.previous_value, kr.weight, kr.cadence, kr.milestone_plan::text AS milestone_plan,
               kr.data_source, kr.external_key, kr.archived_at IS NOT NULL AS archived,
               kr.current_value, kr.progress, kr.score, kr.status, kr.latest_confidence, kr.last_check_in_at,
               kr.created_at, kr.accumulation, k.name AS follows_kpi, kr.follows_kpi_id, kr.carried_from
        FROM key_results kr
        JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
        JOIN users u ON u.org_id = kr.org_id AND u.id = kr.owner_id
        LEFT JOIN kpis k ON k.org_id = kr.org_id AND k.id = kr.follows_kpi_id
        WHERE kr.org_id = :org AND o.cycle_id = :cycle
        ORDER BY kr.created_at, kr.id""",
    # Recording order: a correction always follows the check-in it corrects.
    "check_ins": """
        SELECT c.id, c.key_result_id, c.value, c.confidence, c.note, c.checked_in_at, c.created_at, c.source,
               c.backdated, c.corrects, c.reason, u.email AS author_email, c.actor
        FROM check_ins c
        JOIN key_results kr ON kr.org_id = c.org_id AND kr.id = c.key_result_id
        JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
        LEFT JOIN users u ON u.org_id = c.org_id AND u.id = c.author_id
        WHERE c.org_id = :org AND o.cycle_id = :cycle
        ORDER BY c.seq""",
    # The cycle's initiatives: those linked to one of its key results, and those whose dates overlap it
    # (missing dates are open-ended), as the coverage report counts them.
    "initiatives": f"""
        SELECT i.id, i.title, i.description, i.kind, i.state, u.email AS owner_email, i.owner_id, t.name AS team,
               i.team_id, i.start_date, i.end_date, i.planned_budget, i.currency, i.created_at
        FROM initiatives i
        JOIN users u ON u.org_id = i.org_id AND u.id = i.owner_id
        LEFT JOIN teams t ON t.org_id = i.org_id AND t.id = i.team_id
        WHERE {_IN_CYCLE}
        ORDER BY i.created_at, i.id""",
    "initiative_key_results": """
        SELECT l.initiative_id, l.key_result_id, l.share, l.created_at
        FROM initiative_key_results l
        JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
        JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
        WHERE l.org_id = :org AND o.cycle_id = :cycle
        ORDER BY l.initiative_id, l.key_result_id""",
    # Every entry of the exported initiatives, whenever spent: the initiative's whole spend to date.
    "spend": f"""
        SELECT s.id, s.initiative_id, s.amount, i.currency, s.spent_on, s.note, s.reason, u.email AS author_email,
               s.actor, s.created_at
        FROM spend_entries s
        JOIN initiatives i ON i.org_id = s.org_id AND i.id = s.initiative_id
        LEFT JOIN users u ON u.org_id = s.org_id AND u.id = s.author_id
        WHERE s.org_id = :org AND i.id IN (SELECT i.id FROM initiatives i WHERE {_IN_CYCLE})
        ORDER BY s.seq""",
}
JSON_COLUMNS = {"milestone_plan"}  # JSON text in CSV, a JSON value in the JSON export


async def exportable_cycle(session: AsyncSession, *, org_id: UUID, cycle_id: UUID) -> Cycle:
    """Checked before the stream starts, so a missing cycle is a proper 404."""
    return await get_cycle(session, org_id=org_id, cycle_id=cycle_id)


def file_name(cycle: Cycle, fmt: ExportFormat) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", cycle.name).strip("_") or "cycle"
    return f"{slug}.{'zip' if fmt == 'csv' else 'json'}"


def csv_cell(value: Any, formulas: CsvFormulas = "escaped") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):  # only text can carry a formula; numbers stay numbers
        return escape(value) if formulas == "escaped" else value
    return str(value)  # floats: repr, the shortest text that reads back to the same number


class _Chunks(io.RawIOBase):
    """A write-only, unseekable file for zipfile: collects what it writes until the stream takes it."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


async def _batches(
    session: AsyncSession, statement: str, params: dict[str, Any]
) -> AsyncIterator[tuple[list[str], Sequence[Any]]]:
    result = await session.stream(text(statement).execution_options(yield_per=BATCH), params)
    columns = list(result.keys())
    async for partition in result.partitions(BATCH):
        yield columns, partition


def _csv_lines(rows: Sequence[Sequence[Any]], formulas: CsvFormulas = "escaped") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([csv_cell(v, formulas) for v in row] for row in rows)
    return buffer.getvalue().encode()


async def csv_zip(
    session: AsyncSession, tables: dict[str, str], params: dict[str, Any], formulas: CsvFormulas
) -> AsyncIterator[bytes]:
    """One CSV file per statement of `tables` (file name: its key), header first, rows as they come."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, statement in tables.items():
            with archive.open(f"{table}.csv", mode="w", force_zip64=True) as entry:
                header_written = False
                async for columns, rows in _batches(session, statement, params):
                    if not header_written:
                        entry.write(_csv_lines([columns]))
                        header_written = True
                    entry.write(_csv_lines(rows, formulas))
                    yield sink.take()
                if not header_written:  # no rows: the header alone, from the statement's columns
                    result = await session.execute(text(f"SELECT * FROM ({statement}) q LIMIT 0"), params)
                    entry.write(_csv_lines([list(result.keys())]))
    yield sink.take()


def _json_default(value: Any) -> Any:
    if isinstance(value, UUID):  # asyncpg's own UUID subclass, which orjson does not take as a UUID
        return str(value)
    if isinstance(value, Decimal):  # money and shares: exact decimal text, as the API writes them
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exportable")


def _json_value(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS and isinstance(value, str):
        return orjson.Fragment(value)
    return value


async def json_document(
    session: AsyncSession, head: dict[str, Any], tables: dict[str, str], params: dict[str, Any]
) -> AsyncIterator[bytes]:
    """`head` and then one array of row objects per statement of `tables`, in one JSON object."""
    yield orjson.dumps(head)[:-1]  # leave the object open for the tables
    for table, statement in tables.items():
        yield f',"{table}":['.encode()
        first = True
        async for columns, rows in _batches(session, statement, params):
            encoded = [
                orjson.dumps({c: _json_value(c, v) for c, v in zip(columns, row, strict=True)}, default=_json_default)
                for row in rows
            ]
            yield (b"" if first else b",") + b",".join(encoded)
            first = False
        yield b"]"
    yield b"}"


async def stream_tables(
    factory: async_sessionmaker[AsyncSession],
    *,
    org_id: UUID,
    head: dict[str, Any],
    tables: dict[str, str],
    params: dict[str, Any],
    fmt: ExportFormat,
    formulas: CsvFormulas = "escaped",
) -> AsyncIterator[bytes]:
    """The statements' rows as a CSV zip or a JSON document (with `head`), from one snapshot of the organisation."""
    async with factory() as session, session.begin():
        # Must be the transaction's first statement: one snapshot for every table of the export.
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        await set_tenant(session, org_id)
        params = {"org": org_id, **params}
        if fmt == "csv":
            chunks = csv_zip(session, tables, params, formulas)
        else:
            chunks = json_document(session, head, tables, params)
        async for chunk in chunks:
            if chunk:
                yield chunk


def stream_export(
    factory: async_sessionmaker[AsyncSession],
    *,
    org_id: UUID,
    cycle: Cycle,
    fmt: ExportFormat,
    formulas: CsvFormulas = "escaped",
) -> AsyncIterator[bytes]:
    head = {"format": FORMAT_VERSION, "cycle": cycle_public(cycle).model_dump(mode="json")}
    return stream_tables(
        factory,
        org_id=org_id,
        head=head,
        tables=TABLES,
        params={"cycle": cycle.id},
        fmt=fmt,
        formulas=formulas,
    )
