"""Status follows the calendar: recompute key-result status as time passes, not only on check-ins."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.tenancy import try_org_lock, wait_org_lock
from sightline.events import service as events
from sightline.identity import service as identity
from sightline.observability import skip_row
from sightline.okrs import rollups
from sightline.okrs.derive import Calendar, derive_stored, key_result_public
from sightline.okrs.models import Cycle, KeyResult, Objective

SCHEDULER_ACTOR = "system:scheduler"


def live_key_results(org_id: UUID) -> Select[KeyResult, Cycle]:
    """The organisation's key results that are not archived, in active cycles, with their cycle."""
    return (
        select(KeyResult, Cycle)
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
        .where(col(KeyResult.org_id) == org_id, col(Cycle.state) == "active", col(KeyResult.archived_at).is_(None))
    )


async def recompute_org(
    session: AsyncSession, *, org_id: UUID, now: datetime, actor: str = SCHEDULER_ACTOR, wait: bool = False
) -> int:
    """Recompute every live key result of the organisation's active cycles; return how many changed.

    The scheduled pass skips rows being checked in right now (SKIP LOCKED): their check-in recomputes them
    anyway. With `wait` (a change of the rule itself) it waits for them instead, and for a scheduled pass on
    the same organisation, so every row is recomputed under the new rule in the caller's transaction.
    """
    if wait:
        await wait_org_lock(session, "recompute", org_id)
    elif not await try_org_lock(session, "recompute", org_id):
        return 0  # another scheduler is on this organisation now
    settings = identity.org_settings(await identity.get_org(session, org_id=org_id))
    locked = live_key_results(org_id).with_for_update(of=KeyResult, skip_locked=not wait, key_share=True)
    rows = (await session.execute(locked)).all()
    changes: list[events.NewEvent] = []
    for kr, cycle in rows:
        try:
            calendar = Calendar.of(settings, cycle)
            derived = derive_stored(kr, calendar=calendar, now=now)
            before = key_result_public(kr, calendar=calendar, now=now)
        except Exception:  # a stored row the rules cannot read: skip it, the others are still recomputed
            skip_row("recompute", org_id=org_id, key_result_id=kr.id)
            continue
        if derived.status == kr.status:
            continue
        kr.progress, kr.score, kr.status = derived.progress, derived.score, derived.status
        kr.updated_at = now
        changes.append(
            events.NewEvent(
                org_id=org_id,
                type="key_result.status_changed",
                actor=actor,
                object_type="key_result",
                object_id=kr.id,
                occurred_at=now,
                before=before,
                after=key_result_public(kr, calendar=calendar, now=now),
            )
        )
    await session.flush()
    await events.emit(session, *changes)
    await rollups.refresh_org(session, org_id=org_id, now=now, actor=actor)
    return len(changes)


async def after_status_rule_change(session: AsyncSession, org_id: UUID, actor: str, now: datetime) -> int:
    """Thresholds or time zone changed: every live key result's status now, in the same transaction, with
    `key_result.status_changed` events by whoever changed the settings (webhooks and counts follow at once)."""
    return await recompute_org(session, org_id=org_id, now=now, actor=actor, wait=True)


identity.status_rule_changed.append(after_status_rule_change)
