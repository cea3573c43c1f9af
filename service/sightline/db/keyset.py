"""Keyset pagination: stable order on (moment, id), opaque cursors, bounded pages. No HTTP here: the edge
reads the page parameters (`sightline.http.pagination`) and services page their queries with these."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlalchemy.sql import Select

# A cursor is a keyset position: "<microseconds since 1970 UTC>.<hex of the tie-breaking id or sequence>".
# Any string of this shape is a valid position (it need not name an existing row), so the contract's
# pattern is the whole rule.
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9a-f]{1,32}$"
S = TypeVar("S", bound="Select[*tuple[Any, ...]]")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(BaseModel):
    limit: int
    cursor: str | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_BIGINT = 2**63 - 1


def encode_cursor(moment: datetime | date, tie: UUID | int) -> str:
    if not isinstance(moment, datetime):  # a day (spend by date spent): its midnight UTC
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{tie.hex if isinstance(tie, UUID) else format(tie, 'x')}"


def decode_cursor(cursor: str, moment_type: type, tie_type: type) -> tuple[datetime | date, UUID | int]:
    micros, _, tie = cursor.partition(".")
    moment = _EPOCH + timedelta(microseconds=int(micros))
    number = int(tie, 16)
    return (
        moment.date() if moment_type is date else moment,
        UUID(int=number) if tie_type is UUID else min(number, _MAX_BIGINT),
    )


def paginate(statement: S, moment_key: Any, tie_key: Any, *, params: PageParams, descending: bool = False) -> S:
    """Keyset order on (moment, unique tie-breaker) after the cursor; one extra row tells if more follow.

    `descending` lists newest first (logs), with the same cursors.
    """
    if params.cursor:
        moment, tie = decode_cursor(params.cursor, moment_key.type.python_type, tie_key.type.python_type)
        position = tuple_(moment_key, tie_key)
        statement = statement.where(position < tuple_(moment, tie) if descending else position > tuple_(moment, tie))
    order = (moment_key.desc(), tie_key.desc()) if descending else (moment_key, tie_key)
    return statement.order_by(*order).limit(params.limit + 1)


def page_of(rows: list[Any], params: PageParams, key: Any) -> tuple[list[Any], str | None]:
    """Split the fetched rows into the page and the next cursor (`key(row)` gives the keyset values)."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(*key(rows[-1]))
