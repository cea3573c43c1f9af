"""Throttling of sign-ins (per account and per client address) and sign-ups (per client address), kept in
PostgreSQL so replicas share it.

An attempt is counted BEFORE the password is checked, in one statement that increments and returns the count:
concurrent attempts cannot all read "under the limit" and then all check a password. A sign-in that turns out
right takes its attempt back. Counts are written in their own short transaction: the request that fails rolls
back, the count must not.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.errors import TooManyRequests

# Keys sorted in the statement: two attempts sharing keys lock their rows in the same order (no deadlock).
_COUNT = text("""
    INSERT INTO auth_throttle AS t (key, window_start, failures)
    SELECT k, :now, 1 FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.window_start <= :cutoff THEN 1 ELSE t.failures + 1 END,
        window_start = CASE WHEN t.window_start <= :cutoff THEN :now ELSE t.window_start END
    RETURNING key, window_start, failures
""")


def account_key(email: str) -> str:
    return "acct:" + hashlib.sha256(email.lower().encode()).hexdigest()


def address_key(address: str) -> str:
    return "addr:" + address


def signup_key(address: str) -> str:
    return "signup:" + address


async def count_attempt(
    factory: async_sessionmaker[AsyncSession],
    *,
    limits: dict[str, int],
    window: timedelta,
    now: datetime,
    refusal: str = "too many failed sign-ins; wait before trying again",
) -> None:
    """Count one attempt against every key; 429 with Retry-After when any key is past its limit."""
    async with factory() as session, session.begin():
        rows = (await session.execute(_COUNT, {"keys": sorted(limits), "now": now, "cutoff": now - window})).all()
    blocked = [row for row in rows if row.failures > limits[row.key]]
    if blocked:
        reopens = max(row.window_start for row in blocked) + window
        retry_after = max(1, math.ceil((reopens - now).total_seconds()))
        raise TooManyRequests(refusal, headers={"Retry-After": str(retry_after)})


async def take_back(factory: async_sessionmaker[AsyncSession], *, account: str, address: str | None = None) -> None:
    """A right password: the account starts afresh (as before), the address forgets this one attempt."""
    async with factory() as session, session.begin():
        await clear(session, key=account)
        if address is not None:
            await session.execute(
                text("UPDATE auth_throttle SET failures = greatest(failures - 1, 0) WHERE key = :key"),
                {"key": address},
            )


async def clear(session: AsyncSession, *, key: str) -> None:
    await session.execute(text("DELETE FROM auth_throttle WHERE key = :key"), {"key": key})
