"""The async engine. Every pooled connection runs as the restricted role, whoever DATABASE_URL names.

Superusers and table owners with BYPASSRLS would skip row-level security, so each new connection
switches to `sightline_app` (created by the migrations: no login, not owner, not BYPASSRLS).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from sightline.db.urls import sqlalchemy_url

APP_ROLE = "sightline_app"


def _json_loads(document: str | bytes) -> Any:
    """JSON/JSONB columns decoded with orjson (key results' milestone plans: 5,000 per alignment map).

    orjson refuses integers beyond 64 bits, which PostgreSQL's JSON accepts: those few go through json.
    """
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)


def _json_dumps(value: Any) -> str:
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
        json_deserializer=_json_loads,
        json_serializer=_json_dumps,
        connect_args={"server_settings": {"application_name": "sightline"}},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _restrict(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(lambda conn: conn.execute(f"SET ROLE {APP_ROLE}"))

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are built from the rows after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
