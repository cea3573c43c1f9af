"""Check-in reminders: `key_result.checkin_overdue` once per overdue period for stale key results.

A key result is stale when it has had no check-in within its cadence period plus 2 days of grace
(`sightline.scoring.is_stale`); the reminder goes out when it turns stale and again after each further
period without a check-in. What was announced is kept in `checkin_reminders`, so a second scheduler
pass, or a second worker, sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline import scoring
from sightline.db.tenancy import try_org_lock
from sightline.events import service as events
from sightline.identity.service import get_org, org_settings
from sightline.observability import skip_row
from sightline.okrs.derive import Calendar, key_result_public
from sightline.okrs.models import KeyResult, Objective
from sightline.okrs.recompute import SCHEDULER_ACTOR, live_key_results
from sightline.okrs.schemas import KeyResultPublic
from sightline.scoring import Cadence
from sightline.timestamps import UtcDateTime


class CheckInOverdue(KeyResultPublic):
    overdue_since: UtcDateTime = Field(
        description="The deadline missed: last check-in (or cycle start) + cadence + 2 d"
    )
    overdue_periods: int = Field(description="1 when the check-in first became overdue, one more per further period")


_ANNOUNCED = text("""
    SELECT key_result_id, reference_at, periods FROM checkin_reminders
    WHERE org_id = :org AND key_result_id = ANY (CAST(:ids AS uuid[]))
""")
_REMEMBER = text("""
    INSERT INTO checkin_reminders (org_id, key_result_id, reference_at, periods, notified_at)
    VALUES (:org, :key_result_id, :reference_at, :periods, :now)
    ON CONFLICT (org_id, key_result_id) DO UPDATE
        SET reference_at = EXCLUDED.reference_at, periods = EXCLUDED.periods, notified_at = EXCLUDED.notified_at
""")


def _overdue(
    kr: KeyResult, calendar: Calendar, previous: tuple[datetime, int] | None, now: datetime
) -> tuple[CheckInOverdue, datetime] | None:
    """The reminder due for this key result now (and the reference it counts from), or None."""
    cadence = Cadence(kr.cadence)
    last, start = kr.last_check_in_at, calendar.start
    if not scoring.is_stale(last_check_in_at=last, cycle_start=start, cadence=cadence, now=now):
        return None
    periods = scoring.overdue_periods(last_check_in_at=last, cycle_start=start, cadence=cadence, now=now)
    reference = last or start
    if previous is not None and previous[0] == reference and previous[1] >= periods:
        return None
    overdue = CheckInOverdue(
        **key_result_public(kr, calendar=calendar, now=now).model_dump(),
        overdue_since=scoring.check_in_deadline(last_check_in_at=last, cycle_start=start, cadence=cadence),
        overdue_periods=periods,
    )
    return overdue, reference


async def remind_org(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """Emit the check-in reminders due in this organisation now; return how many."""
    if not await try_org_lock(session, "remind", org_id):
        return 0  # another scheduler is on this organisation now
    settings = org_settings(await get_org(session, org_id=org_id))
    rows = (await session.execute(live_key_results(org_id).where(col(Objective.state) == "active"))).all()
    if not rows:
        return 0
    announced = {
        row.key_result_id: (row.reference_at, row.periods)
        for row in await session.execute(_ANNOUNCED, {"org": org_id, "ids": [kr.id for kr, _ in rows]})
    }
    reminders: list[events.NewEvent] = []
    remembered: list[dict[str, Any]] = []
    for kr, cycle in rows:
        try:
            due = _overdue(kr, Calendar.of(settings, cycle), announced.get(kr.id), now)
        except Exception:  # a stored row the rules cannot read: skip it, the others are still reminded
            skip_row("checkin_reminders", org_id=org_id, key_result_id=kr.id)
            continue
        if due is None:
            continue
        overdue, reference = due
        reminders.append(
            events.NewEvent(
                org_id=org_id,
                type="key_result.checkin_overdue",
                actor=SCHEDULER_ACTOR,
                object_type="key_result",
                object_id=kr.id,
                occurred_at=now,
                after=overdue,
            )
        )
        remembered.append(
            {
                "org": org_id,
                "key_result_id": kr.id,
                "reference_at": reference,
                "periods": overdue.overdue_periods,
                "now": now,
            }
        )
    if remembered:
        await session.execute(_REMEMBER, remembered)
        await events.emit(session, *reminders)
    return len(reminders)
