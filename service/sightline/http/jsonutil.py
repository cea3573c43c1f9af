"""Fast JSON encoding (orjson) shared by responses and problem documents."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from fastapi import Response


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def answer(body: Any) -> Response:
    """A 200 with a body the service built as plain JSON values (datetimes in UTC, written with Z), encoded once
    without validating it again; the route keeps its `response_model` for the contract."""
    return Response(orjson.dumps(body, default=_uuid, option=orjson.OPT_UTC_Z), media_type="application/json")


def _uuid(value: Any) -> str:
    """asyncpg's own UUID type (a subclass orjson does not take as uuid.UUID)."""
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
