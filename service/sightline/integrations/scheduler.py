"""The integrations scheduler: claims due integrations across organisations and pulls them.

`integration_claim_due` (SKIP LOCKED) leases due integrations to one worker for 10 minutes (their due time
moves to the end of the lease, so a crashed worker's pulls come back); each source is read outside any
transaction (no database connection held while it answers) and its result recorded in a tenant-scoped one.
An integration another run holds (a manual one, say) is left to the next round. Any number of workers may
run this.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time
from sightline.db import after_commit
from sightline.db.tenancy import set_tenant
from sightline.errors import NotFound
from sightline.integrations.recording import record
from sightline.integrations.runs import SCHEDULER_ACTOR, Fetchers, fetch, give_back, prepare, take_lease
from sightline.integrations.service import get_integration

log = structlog.get_logger("sightline.integrations")
LEASE = timedelta(minutes=10)
_CLAIM = text("SELECT org_id, integration_id FROM integration_claim_due(:now, :lease_until, :limit)")


async def _run_claimed(
    factory: async_sessionmaker[AsyncSession], fetchers: Fetchers, org_id: UUID, integration_id: UUID, now: datetime
) -> bool:
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        try:
            integration = await get_integration(session, org_id=org_id, integration_id=integration_id)
        except NotFound:
            return False
        lease = await take_lease(session, integration, fetchers=fetchers, now=now)
        if lease is None:
            return False  # another run holds it; the claim brings it back after the claim's lease
        plan = await prepare(session, integration, fetchers.box, now=now)
    try:
        pulled = await fetch(plan, fetchers, now=now)
        async with after_commit.transaction(factory) as session:  # the check-in's roll-ups follow its commit
            await set_tenant(session, org_id)
            run = await record(
                session,
                plan=plan,
                pulled=pulled,
                trigger="schedule",
                actor=SCHEDULER_ACTOR,
                started_at=now,
                now=now,
                lease=lease,
            )
    except BaseException:
        await asyncio.shield(give_back(factory, org_id=org_id, integration_id=integration_id, token=lease))
        raise
    return run is not None


async def pull_due(
    factory: async_sessionmaker[AsyncSession],
    fetchers: Fetchers,
    *,
    now: datetime,
    concurrency: int = 4,
    batch: int = 50,
) -> int:
    """Run every integration due at `now` (across organisations); return how many ran."""
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(org_id: UUID, integration_id: UUID) -> bool:
        async with semaphore:
            try:
                return await _run_claimed(factory, fetchers, org_id, integration_id, now)
            except Exception:  # one broken integration must not stop the others; its lease brings it back
                log.exception("integration_run_crashed", integration_id=str(integration_id))
                return False

    total = 0
    while True:
        async with factory() as session, session.begin():
            claimed = (await session.execute(_CLAIM, {"now": now, "lease_until": now + LEASE, "limit": batch})).all()
        if not claimed:
            return total
        results = await asyncio.gather(*(guarded(org_id, integration_id) for org_id, integration_id in claimed))
        total += sum(results)


async def run_scheduler(
    factory: async_sessionmaker[AsyncSession],
    fetchers: Fetchers,
    *,
    poll_seconds: float,
    concurrency: int,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = current_time,
) -> None:
    """The worker's loop: pull what is due, then wait `poll_seconds` (or until `stop`)."""
    while not stop.is_set():
        try:
            count = await pull_due(factory, fetchers, now=clock(), concurrency=concurrency)
            if count:
                log.info("integrations_pulled", count=count)
        except Exception:
            log.exception("integration_scheduler_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
