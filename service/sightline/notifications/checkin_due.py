"""Check-in due reminders to the person (`check_in_due`): the owner of each live key result, on its cadence.

A key result's check-in falls due one cadence period (in days) after the local day of its last check-in (or of
its cycle's start), then again every period while none is recorded. Its owner is notified once per such period,
at or after 08:00 of the due day in the organisation's time zone (members have no zone of their own), not after
the cycle has ended, and not for a key result that is done. The notification opens the one-screen check-in at
`/my-check-ins?key_result=<id>`.

Unlike `key_result.checkin_overdue` (okrs/reminders.py, an event for webhooks two days after the deadline),
this is a nudge on the day itself, to the owner only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.tenancy import try_org_lock
from sightline.identity.service import get_org, org_settings
from sightline.notifications import schedule
from sightline.notifications.candidates import Candidate
from sightline.notifications.producer import deliver
from sightline.okrs.derive import Calendar
from sightline.okrs.models import KeyResult, Objective
from sightline.okrs.recompute import live_key_results
from sightline.scoring import CADENCE_PERIOD, Cadence, Status

ACTOR = "system:reminders"


def due_day(
    *, last_check_in_at: datetime | None, cycle_start: datetime, cadence: Cadence, zone: ZoneInfo, now: datetime
) -> date | None:
    """The due day of the current period (the latest one on or before today), or None before the first."""
    period = CADENCE_PERIOD[cadence].days
    first = (last_check_in_at or cycle_start).astimezone(zone).date() + timedelta(days=period)
    today = now.astimezone(zone).date()
    if today < first:
        return None
    return first + timedelta(days=(today - first).days // period * period)


def _candidate(kr: KeyResult, org_id: UUID, day: date, today: date, now: datetime) -> Candidate:
    when = "today" if day == today else f"since {day.isoformat()}"
    return Candidate(
        org_id=org_id,
        user_id=kr.owner_id,
        kind="check_in_due",
        object_type="key_result",
        object_id=kr.id,
        title=kr.title,
        summary=f"A check-in of “{kr.title}” is due {when}",
        path=f"/my-check-ins?key_result={kr.id}",
        event_id=schedule.occasion_id("check_in_due", kr.id, day),
        actor=ACTOR,
        created_at=now,
    )


async def remind_due(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """Notify the owners whose check-in fell due in this organisation; returns how many were notified."""
    if not await try_org_lock(session, "check_in_due", org_id):
        return 0  # another worker is on this organisation now
    settings = org_settings(await get_org(session, org_id=org_id))
    zone = ZoneInfo(settings.time_zone)
    rows = (await session.execute(live_key_results(org_id).where(col(Objective.state) == "active"))).all()
    served = await schedule.done(session, org_id=org_id, job="check_in_due", subjects=[kr.id for kr, _ in rows])
    today = now.astimezone(zone).date()
    found: list[Candidate] = []
    periods: dict[UUID, date] = {}
    for kr, cycle in rows:
        if kr.status == Status.done:
            continue  # reached: nothing left to report on it
        calendar = Calendar.of(settings, cycle)
        day = due_day(
            last_check_in_at=kr.last_check_in_at,
            cycle_start=calendar.start,
            cadence=Cadence(kr.cadence),
            zone=zone,
            now=now,
        )
        if day is None or now < schedule.morning_of(day, zone) or now >= calendar.end:
            continue
        if (previous := served.get(kr.id)) is not None and previous >= day:
            continue
        periods[kr.id] = day
        found.append(_candidate(kr, org_id, day, today, now))
    await schedule.record(session, org_id=org_id, job="check_in_due", periods=periods, now=now)
    return await deliver(session, found) if found else 0
