"""The async engine. It logs in as the restricted app role directly (see db/roles.py).

No superuser login followed by `SET ROLE`: any statement could `RESET ROLE` back to the superuser.
`assert_restricted` refuses to serve with a login that could bypass row-level security.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from sightline.db.ddl import APP_ROLE
from sightline.db.roles import RESTRICTION_QUERY, check_restricted
from sightline.db.urls import sqlalchemy_url

__all__ = ["APP_ROLE", "assert_restricted", "create_engine", "session_factory"]


def _json_loads(document: str | bytes) -> Any:
    """JSON/JSONB columns decoded with orjson (key results' milestone plans: 5,000 per alignment map).

    orjson refuses integers beyond 64 bits, which PostgreSQL's JSON accepts: those few go through json.
    """
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)


def json_dumps(value: Any) -> str:
    """JSON/JSONB parameters encoded with orjson (event snapshots: a thousand per check-in batch); json for
    what orjson refuses (non-string keys, integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,  # no pre-ping: it costs a round trip on every request
        hide_parameters=True,  # SQL errors and echo never carry values (emails, hashes, tokens) into logs
        json_deserializer=_json_loads,
        json_serializer=json_dumps,
        connect_args={"server_settings": {"application_name": "sightline"}},
    )
    return engine


async def assert_restricted(engine: AsyncEngine) -> None:
    """Raise UnsafeDatabaseRole when the engine's login is a superuser, has BYPASSRLS or owns the tables."""
    async with engine.connect() as connection:
        row = (await connection.execute(text(RESTRICTION_QUERY))).one()
    check_restricted(row.rolname, row.rolsuper, row.rolbypassrls, row.owns_tables)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are built from the rows after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
