"""Throttling of sign-ins (per account and per client address) and sign-ups (per client address), kept in
PostgreSQL so replicas share it.

An attempt is counted BEFORE the password is checked, in one statement that increments and returns the count:
concurrent attempts cannot all read "under the limit" and then all check a password. A sign-in that turns out
right takes its attempt back. Counts are written in their own short transaction: the request that fails rolls
back, the count must not.

Only an account's own limit refuses (429). A client address past its limit is slowed, never refused: many
people share one address (an office, a carrier's NAT), and a hard limit there would let anyone who guesses at
other accounts from it lock them all out. The address is the one uvicorn resolved (SIGHTLINE_TRUSTED_PROXIES).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.config import Settings
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
    slowed: dict[str, int] | None = None,
) -> dict[str, int]:
    """Count one attempt against every key of `limits` (429 with Retry-After when one is past its limit) and of
    `slowed` (never refused); the counts of the `slowed` keys are returned."""
    keys = sorted({*limits, *(slowed or {})})
    async with factory() as session, session.begin():
        rows = (await session.execute(_COUNT, {"keys": keys, "now": now, "cutoff": now - window})).all()
    blocked = [row for row in rows if row.key in limits and row.failures > limits[row.key]]
    if blocked:
        reopens = max(row.window_start for row in blocked) + window
        retry_after = max(1, math.ceil((reopens - now).total_seconds()))
        raise TooManyRequests(refusal, headers={"Retry-After": str(retry_after)})
    return {row.key: row.failures for row in rows if slowed and row.key in slowed}


async def count_sign_in(
    factory: async_sessionmaker[AsyncSession], *, email: str, address: str, settings: Settings, now: datetime
) -> None:
    """A password sign-in: the account's limit refuses, the address's limit only slows (see the module's text)."""
    address_limit = settings.login_max_failures_per_address
    counts = await count_attempt(
        factory,
        limits={account_key(email): settings.login_max_failures_per_account},
        slowed={address_key(address): address_limit},
        window=timedelta(seconds=settings.login_window_seconds),
        now=now,
    )
    pause = address_delay(counts[address_key(address)] - address_limit, limit=address_limit, settings=settings)
    if pause > 0:
        # Before the password is checked and while no database connection is held: a script from this address
        # gets one answer per delay at most, a person behind it waits a little and is let in.
        await asyncio.sleep(pause)


def address_delay(excess: int, *, limit: int, settings: Settings) -> float:
    """Seconds to wait for an attempt `excess` past the address's limit: the base delay, doubled for every
    further limit's worth of attempts, at most the maximum."""
    if excess <= 0:
        return 0.0
    doublings = min((excess - 1) // max(limit, 1), 16)
    return float(min(settings.login_address_max_delay_seconds, settings.login_address_delay_seconds * 2**doublings))


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
