"""What an admin asks for: pull now, the run log, testing a registered database connection.

A manual run takes the integration's lease in the request's transaction and commits it before the source is
read, so no pooled connection is held while a slow source answers; its outcome is recorded by
`sightline.integrations.recording` in a transaction of its own.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import Principal
from sightline.crypto import SecretUnreadable
from sightline.db import after_commit
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import NotFound
from sightline.integrations.connections import get_connection
from sightline.integrations.models import Integration, IntegrationRun
from sightline.integrations.recording import record
from sightline.integrations.runs import Fetchers, fetch, give_back, prepare, take_manual_lease
from sightline.integrations.schemas import ConnectionCheck
from sightline.integrations.service import get_integration
from sightline.integrations.sources import SourceError

log = structlog.get_logger("sightline.integrations")


# Manual runs and the run log ---------------------------------------------------------------------
async def run_now(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    integration_id: UUID,
    fetchers: Fetchers,
    now: datetime,
) -> IntegrationRun:
    """Pull now (even a disabled integration); the run is the answer, 409 while another run holds it, 429
    while the organisation has `integration_concurrency` pulls in flight (in any process).

    The request's transaction takes the lease and is committed before the source is read, so the request
    holds no pooled connection while a slow source answers; the outcome is recorded in a transaction of its
    own from `factory`.
    """
    integration = await get_integration(session, org_id=principal.org_id, integration_id=integration_id)
    # 409 or 429 here rolls the request's transaction back, and the lease with it.
    lease = await take_manual_lease(session, integration, fetchers=fetchers, now=now)
    return await _run_leased(session, factory, integration, lease, principal=principal, fetchers=fetchers, now=now)


async def _run_leased(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    integration: Integration,
    lease: UUID,
    *,
    principal: Principal,
    fetchers: Fetchers,
    now: datetime,
) -> IntegrationRun:
    plan = await prepare(session, integration, fetchers.box, now=now)
    await session.commit()  # ends the request's transaction (and gives its connection back); not used again
    try:
        pulled = await fetch(plan, fetchers, now=now)
        async with after_commit.transaction(factory) as recording:  # the check-in's roll-ups follow its commit
            await set_tenant(recording, plan.org_id)
            run = await record(
                recording,
                plan=plan,
                pulled=pulled,
                trigger="manual",
                actor=principal.actor,
                started_at=now,
                now=now,
                lease=lease,
            )
    except BaseException:
        await asyncio.shield(give_back(factory, org_id=plan.org_id, integration_id=plan.integration_id, token=lease))
        raise
    if run is None:
        raise NotFound("integration")  # deleted while its source was read
    return run


async def list_runs(
    session: AsyncSession, *, org_id: UUID, integration_id: UUID, params: PageParams, outcome: str | None
) -> tuple[list[IntegrationRun], str | None]:
    """The integration's run log, newest first."""
    await get_integration(session, org_id=org_id, integration_id=integration_id)
    statement = scoped(IntegrationRun, org_id).where(col(IntegrationRun.integration_id) == integration_id)
    if outcome is not None:
        statement = statement.where(col(IntegrationRun.outcome) == outcome)
    rows = list(
        (
            await session.execute(
                paginate(statement, IntegrationRun.started_at, IntegrationRun.id, params=params, descending=True)
            )
        ).scalars()
    )
    return page_of(rows, params, lambda r: (r.started_at, r.id))


async def check_connection(
    session: AsyncSession, *, org_id: UUID, connection_id: UUID, fetchers: Fetchers
) -> ConnectionCheck:
    """Connect to a registered database and run `SELECT 1` read-only; the error is a class of failure.

    The request's transaction ends before the database is reached (no pooled connection held meanwhile).
    """
    connection = await get_connection(session, org_id=org_id, connection_id=connection_id)
    encrypted, allow_weak_tls = connection.dsn_encrypted, connection.allow_weak_tls
    await session.commit()  # nothing to write; not used again
    try:
        await fetchers.sql.check_connection(fetchers.box.decrypt(encrypted), allow_weak_tls=allow_weak_tls)
    except SecretUnreadable as exc:
        return ConnectionCheck(ok=False, error=str(exc))
    except SourceError as exc:
        log.warning(
            "sql_connection_check_failed",
            org_id=str(org_id),
            connection_id=str(connection_id),
            error=exc.reason,
            detail=exc.detail,
        )
        return ConnectionCheck(ok=False, error=exc.reason)
    return ConnectionCheck(ok=True, error=None)
