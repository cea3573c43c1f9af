"""The rules every check-in write shares: the key results locked for writing, and what may be checked in.

Writing a check-in locks its key-result row, so concurrent check-ins on one key result serialise and
the derived fields (current value, progress, score, status) always match the check-in history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Text, and_, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.events import service as events
from sightline.identity.models import Org
from sightline.okrs.calendars import settings_of
from sightline.okrs.derive import Calendar, derive, key_result_public
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.scoring import Metric

BACKDATED_AFTER = timedelta(hours=1)  # recorded this long after the moment it reports → flagged
CLOCK_SKEW = timedelta(minutes=1)  # a client clock slightly ahead is not "the future"


@dataclass
class Target:
    """A key result locked for writing, with the calendar of its cycle."""

    key_result: KeyResult
    calendar: Calendar


def _locked_targets_statement(org_id: Any) -> Any:
    return (
        # The settings joined (one round trip less per check-in), as text: parsed once per text (`settings_of`).
        select(KeyResult, Cycle, cast(col(Org.settings), Text))
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
        .join(Org, col(Org.org_id) == col(Cycle.org_id))
        .where(col(KeyResult.org_id) == org_id)
        .order_by(col(KeyResult.id))  # one lock order for everyone: concurrent batches never deadlock
        # The key result for writing; the cycle shared, so a concurrent close (which locks the cycle after
        # the key results) is waited for and its `closed` state seen here — never a check-in after grading.
        .suffix_with("FOR UPDATE OF key_results FOR KEY SHARE OF cycles")
    )


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
    INSERT: one round trip for both). From here on the instance counts as stored, so no ORM flush sends the
    same change a second time."""
    values = {name: getattr(kr, name) for name in CURRENT_FIELDS}
    for name, value in values.items():
        set_committed_value(kr, name, value)
    return values


def is_newest(kr: KeyResult, moment: datetime) -> bool:
    return kr.last_check_in_at is None or moment >= kr.last_check_in_at


async def locked_targets(session: AsyncSession, org_id: UUID, condition: Any) -> list[Target]:
    rows = (await session.execute(_locked_targets_statement(org_id).where(condition))).all()
    return _targets(rows)


# One key result's target (every single check-in): the statement built once, its values bound per call.
_ONE_TARGET = _locked_targets_statement(bindparam("org")).where(col(KeyResult.id) == bindparam("key_result"))


async def locked_target(session: AsyncSession, org_id: UUID, key_result_id: UUID) -> Target | None:
    rows = (await session.execute(_ONE_TARGET, {"org": org_id, "key_result": key_result_id})).all()
    return _targets(rows)[0] if rows else None


def _targets(rows: Any) -> list[Target]:
    return [Target(key_result=kr, calendar=Calendar.of(settings_of(settings), cycle)) for kr, cycle, settings in rows]
