"""The rules every check-in write shares: the key results locked for writing, and what may be checked in.

Writing a check-in locks its key-result row, so concurrent check-ins on one key result serialise and
the derived fields (current value, progress, score, status) always match the check-in history.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline import scoring
from sightline.auth import Principal
from sightline.db.rows import fetch_rows
from sightline.events import service as events
from sightline.okrs.bodies import Row
from sightline.okrs.calendars import settings_of
from sightline.okrs.derive import Calendar, derive, key_result_public
from sightline.okrs.models import Cycle, KeyResult
from sightline.scoring import Metric

BACKDATED_AFTER = timedelta(hours=1)  # recorded this long after the moment it reports → flagged
CLOCK_SKEW = timedelta(minutes=1)  # a client clock slightly ahead is not "the future"


@dataclass
class Target:
    """A key result locked for writing, with the calendar of its cycle."""

    key_result: KeyResult
    calendar: Calendar


# The key results for writing, each with its cycle's columns (prefixed `cycle_`) and the organisation's settings
# (as text: parsed once per text by `settings_of`), on the driver: as ORM entities these rows cost about four times
# the statement's own time in Python. Ordered by id, one lock order for everyone: concurrent batches never
# deadlock. The key result for writing (no key update: a comment or link that references it need not wait); the
# cycle shared, so a concurrent close (which locks the cycle after the key results) is waited for and its `closed`
# state seen here — never a check-in after grading.
_KR_NAMES = tuple(c.name for c in KeyResult.__table__.c)  # type: ignore[attr-defined]
_CYCLE_NAMES = tuple(c.name for c in Cycle.__table__.c)  # type: ignore[attr-defined]
_LOCKED = f"""
    SELECT {", ".join(f"k.{name}" for name in _KR_NAMES)},
           {", ".join(f"c.{name} AS cycle_{name}" for name in _CYCLE_NAMES)},
           g.settings::text AS settings_text
    FROM key_results k
    JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
    JOIN cycles c ON c.org_id = o.org_id AND c.id = o.cycle_id
    JOIN orgs g ON g.org_id = c.org_id
    WHERE k.org_id = $1 AND {{which}}
    ORDER BY k.id
    FOR NO KEY UPDATE OF k FOR KEY SHARE OF c
"""
# Which key results (one statement text each, so each plan uses its own index). One key result has its own text:
# PostgreSQL plans `= ANY($2)` for ten elements whatever the array holds, so the generic plan always looked dearer
# than a custom one and a single check-in's lock was planned again on every call (0.5 ms of the database's CPU).
BY_ID = _LOCKED.format(which="k.id = $2")
BY_IDS = _LOCKED.format(which="k.id = ANY($2::uuid[])")
BY_IDS_OR_KEYS = _LOCKED.format(which="(k.id = ANY($2::uuid[]) OR k.external_key = ANY($3::text[]))")
BY_KPI = _LOCKED.format(which="k.follows_kpi_id = $2")
_CycleRow = namedtuple("_CycleRow", _CYCLE_NAMES)  # type: ignore[misc]


def writable(target: Target) -> str | None:
    """Why nothing can be checked in on this key result, or None."""
    if target.calendar.cycle.state == "closed":
        return "the cycle is closed: its check-ins are frozen"
    if target.calendar.cycle.state == "planning":
        return "the cycle is still in planning; activate it before checking in"
    if target.key_result.archived_at is not None:
        return "the key result is archived"
    return None


def value_problem(target: Target, value: float) -> str | None:
    """Why this value cannot be checked in on this key result (a milestone takes its steps only), or None."""
    kr = target.key_result
    if kr.metric == Metric.milestone:
        return scoring.milestone_value_problem(value, kr.target_value)
    return None


def reported_moment(
    target: Target, checked_in_at: datetime | None, now: datetime
) -> tuple[datetime | None, str | None]:
    """The time a check-in reports, or the reason it is refused (future or outside the cycle)."""
    calendar = target.calendar
    moment = checked_in_at or now
    if moment.tzinfo is None:
        return None, "give a time zone offset (ISO 8601, e.g. 2026-03-01T09:00:00+01:00)"
    if moment > now + CLOCK_SKEW:
        return None, "lies in the future"
    if not calendar.start <= moment < calendar.end:
        return None, (
            f"lies outside the cycle {calendar.cycle.name} ({calendar.cycle.start_date} to {calendar.cycle.end_date})"
        )
    return moment, None


class Current(Protocol):
    """The check-in that sets a key result's current value: a CheckIn, or a batch's row."""

    @property
    def value(self) -> float: ...
    @property
    def confidence(self) -> int | None: ...
    @property
    def checked_in_at(self) -> datetime: ...


def set_current(
    target: Target, current: Current | None, *, principal: Principal, now: datetime
) -> list[events.NewEvent]:
    """Set the key result's current value and derived fields (in memory); the status-change event, if any."""
    kr = target.key_result
    value, confidence = (current.value, current.confidence) if current is not None else (kr.current_value, None)
    derived = derive(
        kr,
        current_value=value,
        latest_confidence=confidence if current is not None else kr.latest_confidence,
        has_check_in=current is not None,
        calendar=target.calendar,
        now=now,
    )
    # The public "before" shape only when the status changes (the only case with an event).
    before = key_result_public(kr, calendar=target.calendar, now=now) if derived.status != kr.status else None
    if current is not None:
        kr.current_value = current.value
        kr.latest_confidence = current.confidence
        kr.last_check_in_at = current.checked_in_at
    kr.progress, kr.score, kr.status = derived.progress, derived.score, derived.status
    kr.updated_at = now
    if before is None:
        return []
    after = key_result_public(kr, calendar=target.calendar, now=now)
    return [
        events.NewEvent(
            org_id=kr.org_id,
            type="key_result.status_changed",
            actor=principal.actor,
            object_type="key_result",
            object_id=kr.id,
            occurred_at=now,
            before=before,
            after=after,
        )
    ]


# What `set_current` changes on a key result.
CURRENT_FIELDS = (
    "current_value",
    "latest_confidence",
    "last_check_in_at",
    "progress",
    "score",
    "status",
    "updated_at",
)


def store_current(kr: KeyResult) -> dict[str, Any]:
    """What `set_current` left in memory (`CURRENT_FIELDS`), for the caller to write (with the check-in's own
    INSERT: one round trip for both). The key result is a plain row (`locked_targets`): no ORM flush writes it."""
    return {name: getattr(kr, name) for name in CURRENT_FIELDS}


def is_newest(kr: KeyResult, moment: datetime) -> bool:
    return kr.last_check_in_at is None or moment >= kr.last_check_in_at


async def locked_targets(session: AsyncSession, org_id: UUID, which: str, *args: Any) -> list[Target]:
    """The key results `which` selects (BY_ID, BY_IDS, BY_IDS_OR_KEYS or BY_KPI, with its parameters after the
    organisation's), locked for writing."""
    return _targets(await fetch_rows(session, which, org_id, *args))


async def locked_target(session: AsyncSession, org_id: UUID, key_result_id: UUID) -> Target | None:
    targets = await locked_targets(session, org_id, BY_ID, key_result_id)
    return targets[0] if targets else None


def _targets(rows: list[Any]) -> list[Target]:
    """Each row as a key result (its columns as attributes, changed in memory by `set_current` and written by
    the caller) and its cycle's calendar."""
    return [
        Target(
            key_result=cast(KeyResult, Row({name: getattr(row, name) for name in _KR_NAMES})),
            calendar=Calendar.of(
                settings_of(row.settings_text),
                cast(Cycle, _CycleRow(*(getattr(row, f"cycle_{name}") for name in _CYCLE_NAMES))),
            ),
        )
        for row in rows
    ]
