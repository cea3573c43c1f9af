"""Check-ins roll up after their commit: a mark in the check-in's transaction, a drain right after it.

A check-in inserts a mark (`rollup_pending`: the objective it changed; insert only, no shared row) and, once
its transaction has committed and before its answer is sent (db/after_commit.py), waits for a drain: one
transaction that takes every mark of the organisation committed so far, refreshes all their chains at once
(`rollups.refresh`: one write per ancestor for many check-ins) and deletes those marks.

Within a process, check-ins join drains in generations instead of queueing on a lock: a check-in whose commit
returned joins the organisation's next drain, one that has not read the marks yet, so the marks it reads
include that check-in's. One drain runs per organisation per process at a time; the next one starts when it
ends, with every check-in that joined meanwhile (many check-ins, one drain, no statement of their own).
Across processes, drains take the organisation's advisory lock (`rollups.DRAIN_LOCK`) in turn.

A mark whose drain never ran (the process died after the commit) is taken by the next drain of the
organisation, or by the jobs' sweep (`sweep`). docs/decisions/api-stored-rollups.md has the why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from sightline.config import SESSION_SETTINGS
from sightline.db import after_commit
from sightline.db.collisions import collided, pause, sqlstate
from sightline.db.engine import session_factory
from sightline.db.rows import fetch_rows
from sightline.okrs.rollups import DRAIN_LOCK, refresh

MARK = """
    INSERT INTO rollup_pending (org_id, objective_id, actor, created_at)
    SELECT :org, unnest(CAST(:ids AS uuid[])), :actor, :at
    RETURNING id
"""
# Marks older than this are the sweep's: younger ones belong to drains about to run after their commits.
SWEEP_AFTER = timedelta(seconds=10)
DRAIN_ATTEMPTS = 3
log = structlog.get_logger("sightline.rollups")


@dataclass
class _Generation:
    """A drain that has not read the marks yet: every check-in that joins it committed before it reads them."""

    now: datetime
    info: dict[str, Any]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


_next: dict[UUID, _Generation] = {}  # per organisation: the drain to start once the running one ends
_running: dict[UUID, asyncio.Task[None]] = {}


async def later(
    session: AsyncSession, *, org_id: UUID, objective_ids: Iterable[UUID], now: datetime, actor: str
) -> None:
    """Mark the objectives a check-in changed; their chains are refreshed right after the commit."""
    ids = sorted(set(objective_ids))
    if not ids:
        return
    await session.execute(text(MARK), {"org": org_id, "ids": ids, "actor": actor, "at": now})
    settle_after_commit(session, org_id=org_id, now=now)


def settle_after_commit(session: AsyncSession, *, org_id: UUID, now: datetime) -> None:
    """Once this session commits, join the organisation's next drain (after its marks were written)."""
    assert isinstance(session.bind, AsyncEngine)
    engine = session.bind
    settle = after_commit.defer(
        session, f"{DRAIN_LOCK}:{org_id}", lambda: _Settle(engine, org_id, now, info=_carried(session))
    )
    settle.now = max(settle.now, now)


def _carried(session: AsyncSession) -> dict[str, Any]:
    """What the drain's session takes from the check-in's: the application's settings (mail its events queue)."""
    return {key: session.info[key] for key in (SESSION_SETTINGS,) if key in session.info}


@dataclass
class _Settle:
    """After the commit: join the organisation's next drain and wait for it (the answer then shows the chain)."""

    engine: AsyncEngine
    org_id: UUID
    now: datetime
    info: dict[str, Any]  # the request session's (the application's settings, for mail the drain's events queue)

    async def __call__(self, session: AsyncSession) -> None:
        loop = asyncio.get_running_loop()
        running = _running.get(self.org_id)
        if running is not None and (running.done() or running.get_loop() is not loop):
            del _running[self.org_id]  # left by an event loop that ended (tests)
            _next.pop(self.org_id, None)
        generation = _next.get(self.org_id)
        if generation is None or generation.done.get_loop() is not loop:
            generation = _next[self.org_id] = _Generation(self.now, self.info)
        generation.now = max(generation.now, self.now)
        if self.org_id not in _running:
            _start(self.engine, self.org_id)
        await asyncio.shield(generation.done)


def _start(engine: AsyncEngine, org_id: UUID) -> None:
    generation = _next.pop(org_id)
    _running[org_id] = asyncio.create_task(_run(engine, org_id, generation))


async def _run(engine: AsyncEngine, org_id: UUID, generation: _Generation) -> None:
    try:
        await _drain_again_after_collisions(engine, org_id, generation)
    except Exception as exc:  # the marks stay: the next drain or the sweep takes them
        log.exception("rollup_drain_failed", org_id=str(org_id))
        generation.done.set_exception(exc)
        generation.done.exception()  # retrieved: the joiners that still wait see it, nobody else must
    else:
        generation.done.set_result(None)
    finally:
        if _running.get(org_id) is asyncio.current_task():
            del _running[org_id]
            if org_id in _next:
                _start(engine, org_id)


async def _drain_again_after_collisions(engine: AsyncEngine, org_id: UUID, generation: _Generation) -> None:
    """The generation's drain, in a transaction of its own; again after a deadlock or serialisation failure
    (rolled back, it wrote nothing), so that the check-ins waiting for it answer with their chains refreshed."""
    for attempt in range(1, DRAIN_ATTEMPTS + 1):
        try:
            async with session_factory(engine)() as session, session.begin():
                session.info.update(generation.info)
                await drain(session, org_id=org_id, now=generation.now)
            return
        except DBAPIError as exc:
            if attempt == DRAIN_ATTEMPTS or not collided(exc):
                raise
            log.warning("rollup_drain_collided", org_id=str(org_id), attempt=attempt, sqlstate=sqlstate(exc))
            await pause(attempt)


# The drain's first statement: the tenant (row-level security) and the organisation's drain lock, together.
_TENANT_AND_LOCK = "SELECT set_config('app.org_id', :org, true), pg_advisory_xact_lock(hashtext(:lock))"
# Take every mark committed so far: deleted in the drain's transaction, so a drain that fails leaves them.
_TAKE = "DELETE FROM rollup_pending WHERE org_id = $1 RETURNING id, objective_id, actor"


async def drain(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """In a new transaction: refresh the chains of every mark in the organisation and remove those marks; how
    many were taken."""
    await session.execute(text(_TENANT_AND_LOCK), {"org": str(org_id), "lock": f"{DRAIN_LOCK}:{org_id}"})
    marks = sorted(await fetch_rows(session, _TAKE, org_id))
    if marks:
        objective_ids = {mark.objective_id for mark in marks}
        await refresh(session, org_id=org_id, objective_ids=objective_ids, now=now, actor=marks[-1].actor)
    return len(marks)


async def sweep(factory: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Drain every organisation with a mark left behind (a process died between a commit and its drain)."""
    async with factory() as session, session.begin():
        stale = text("SELECT * FROM rollup_pending_org_ids(:t)")
        org_ids = list((await session.execute(stale, {"t": now - SWEEP_AFTER})).scalars())
    taken = 0
    for org_id in org_ids:
        async with factory() as session, session.begin():
            taken += await drain(session, org_id=org_id, now=now)
    return taken
