"""What the scheduled notification jobs have done: the last period each served per subject.

`notification_schedule` holds one row per (job, subject): the key result of a check-in reminder (the day its
check-in fell due), the team of a weekly summary (Monday of the week), the member of a daily digest (the local
day). A job acts only for a later period than the one recorded, and records it in the same transaction as the
notifications it writes: a second pass, or a second worker, sends nothing twice. The notifications' `event_id`
is derived from (job, subject, period) too, so even two passes racing insert one row per person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Literal
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Job = Literal["check_in_due", "team_weekly_summary", "daily_digest"]
# The person's morning: scheduled notifications wait for it, in the organisation's time zone (members have none).
MORNING = time(8)
_NAMESPACE = UUID("7d1f4e1a-3b7e-4d6c-9a51-6c0f2f0a8b11")

_DONE = text("""
    SELECT subject_id, period FROM notification_schedule
    WHERE org_id = :org AND job = :job AND subject_id = ANY (CAST(:ids AS uuid[]))
""")
_RECORD = text("""
    INSERT INTO notification_schedule (org_id, job, subject_id, period, done_at)
    VALUES (:org, :job, :subject, :period, :now)
    ON CONFLICT (org_id, job, subject_id) DO UPDATE SET period = EXCLUDED.period, done_at = EXCLUDED.done_at
    WHERE notification_schedule.period < EXCLUDED.period
""")


def occasion_id(job: Job, subject_id: UUID, period: date) -> UUID:
    """The stable id of one occasion (the notifications' `event_id`): the same on every pass."""
    return uuid5(_NAMESPACE, f"{job}:{subject_id}:{period.isoformat()}")


def morning_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone)


async def done(session: AsyncSession, *, org_id: UUID, job: Job, subjects: Iterable[UUID]) -> dict[UUID, date]:
    ids = list(subjects)
    if not ids:
        return {}
    rows = await session.execute(_DONE, {"org": org_id, "job": job, "ids": ids})
    return {row.subject_id: row.period for row in rows}


async def record(session: AsyncSession, *, org_id: UUID, job: Job, periods: dict[UUID, date], now: datetime) -> None:
    if periods:
        await session.execute(
            _RECORD,
            [
                {"org": org_id, "job": job, "subject": subject, "period": period, "now": now}
                for subject, period in periods.items()
            ],
        )
