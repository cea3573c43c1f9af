"""The purge job: credentials and pending rows that can no longer be used are deleted, not kept for ever.

Sessions expired, revoked or idle past `SIGHTLINE_SESSION_IDLE_HOURS`; sign-in and sign-up throttle
counters whose window closed; replay records (Idempotency-Key) past their time; sign-up links expired or
used; authenticator enrolments never confirmed; mail handed over more than MAIL_RETENTION ago. One call of
the `purge_expired` function (SECURITY DEFINER, owned by the auth role: it deletes across organisations
and returns counts only), repeated while a kind still had a full batch. Runs in `serve` and `worker`.

Spent invitation and password-reset links (used, revoked or expired) go too, two days on like sign-up links; an
invitation that only expired stays a week, as an admin may resend it (`purge_spent_links`, the same kind of
function).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time
from sightline.config import Settings

log = structlog.get_logger("sightline.worker")

BATCH = 5_000  # rows per kind per call: short transactions, short locks
MAX_ROUNDS = 20  # per pass; the rest waits for the next pass
MAIL_RETENTION = timedelta(days=7)

_PURGE = text("SELECT kind, purged FROM purge_expired(:now, :idle, :throttle_before, :mail_before, :limit)")
_PURGE_LINKS = text("SELECT kind, purged FROM purge_spent_links(:now, :limit)")


async def purge_expired(
    factory: async_sessionmaker[AsyncSession], *, settings: Settings, now: datetime, batch: int = BATCH
) -> dict[str, int]:
    """One pass; how many rows of each kind went."""
    throttle_window = max(settings.login_window_seconds, settings.signup_window_seconds)
    parameters = {
        "now": now,
        "idle": round(settings.session_idle_hours * 3600),
        "throttle_before": now - timedelta(seconds=throttle_window),
        "mail_before": now - MAIL_RETENTION,
        "limit": batch,
    }
    return await _rounds(factory, _PURGE, parameters, batch)


async def purge_spent_links(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, batch: int = BATCH
) -> dict[str, int]:
    """One pass over spent invitation and password-reset links; how many of each went."""
    return await _rounds(factory, _PURGE_LINKS, {"now": now, "limit": batch}, batch)


async def _rounds(
    factory: async_sessionmaker[AsyncSession], statement: Any, parameters: dict[str, Any], batch: int
) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _ in range(MAX_ROUNDS):
        async with factory() as session, session.begin():
            rows = (await session.execute(statement, parameters)).all()
        for row in rows:
            totals[row.kind] = totals.get(row.kind, 0) + row.purged
        if all(row.purged < batch for row in rows):
            break
    return totals


async def run_purge(
    factory: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = current_time,
) -> None:
    """Purge now and then every `SIGHTLINE_PURGE_INTERVAL_SECONDS`, until `stop` is set."""
    while not stop.is_set():
        try:
            now = clock()
            totals = await purge_expired(factory, settings=settings, now=now)
            totals.update(await purge_spent_links(factory, now=now))
            if any(totals.values()):
                log.info("expired_rows_purged", **totals)
        except Exception:  # a bad pass is logged and retried next time; the loop must live on
            log.exception("periodic_job_failed", job="purge_expired")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.purge_interval_seconds)
