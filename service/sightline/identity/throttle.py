"""Sign-in throttling per account and per client address, kept in PostgreSQL so replicas share it.

Failures are recorded in their own short transaction: the request that failed rolls back, the count must not.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.errors import TooManyRequests


def account_key(email: str) -> str:
    return "acct:" + hashlib.sha256(email.lower().encode()).hexdigest()


def address_key(address: str) -> str:
    return "addr:" + address


async def ensure_allowed(session: AsyncSession, *, limits: dict[str, int], window: timedelta, now: datetime) -> None:
    rows = (
        await session.execute(
            text("SELECT key, window_start, failures FROM auth_throttle WHERE key = ANY(:keys)"),
            {"keys": list(limits)},
        )
    ).all()
    for row in rows:
        reopens = row.window_start + window
        if row.failures >= limits[row.key] and reopens > now:
            retry_after = max(1, math.ceil((reopens - now).total_seconds()))
            raise TooManyRequests(
                "too many failed sign-ins; wait before trying again",
                headers={"Retry-After": str(retry_after)},
            )


async def record_failure(
    factory: async_sessionmaker[AsyncSession], *, keys: list[str], window: timedelta, now: datetime
) -> None:
    async with factory() as session, session.begin():
        await session.execute(
            text("""
            INSERT INTO auth_throttle AS t (key, window_start, failures)
            SELECT k, :now, 1 FROM unnest(CAST(:keys AS text[])) AS k
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN t.window_start <= :cutoff THEN 1 ELSE t.failures + 1 END,
                window_start = CASE WHEN t.window_start <= :cutoff THEN :now ELSE t.window_start END
            """),
            {"keys": keys, "now": now, "cutoff": now - window},
        )


async def clear(session: AsyncSession, *, key: str) -> None:
    await session.execute(text("DELETE FROM auth_throttle WHERE key = :key"), {"key": key})
