"""Check-ins: append-only values with confidence; corrections and backdating; batch imports.

Writing a check-in locks its key-result row, so concurrent check-ins on one key result serialise and
the derived fields (current value, progress, score, status) always match the check-in history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from sqlalchemy import and_, exists, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.errors import Conflict, FieldError, Invalid, NotFound
from sightline.events import service as events
from sightline.identity.models import Org
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.derive import Calendar, derive, key_result_public
from sightline.okrs.models import CheckIn, Cycle, KeyResult, Objective
from sightline.okrs.schemas import CheckInBatch, CheckInCreate, CheckInPublic
from sightline.scoring import Metric

BACKDATED_AFTER = timedelta(hours=1)  # recorded this long after the moment it reports → flagged
CLOCK_SKEW = timedelta(minutes=1)  # a client clock slightly ahead is not "the future"


def check_in_public(check_in: CheckIn, corrected_by: UUID | None = None) -> CheckInPublic:
    return CheckInPublic(
        id=check_in.id,
        key_result_id=check_in.key_result_id,
        value=check_in.value,
        confidence=check_in.confidence,
        note=check_in.note,
        author_id=check_in.author_id,
        actor=check_in.actor,
        source=check_in.source,
        checked_in_at=check_in.checked_in_at,
        created_at=check_in.created_at,
        backdated=check_in.backdated,
        corrects=check_in.corrects,
        reason=check_in.reason,
        corrected_by=corrected_by,
    )


@dataclass
class Target:
    """A key result locked for writing, with the calendar of its cycle."""

    key_result: KeyResult
    calendar: Calendar


def _locked_targets_statement(org_id: UUID) -> Any:
    return (
        select(KeyResult, Cycle, col(Org.settings))  # the settings joined: one round trip less per check-in
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


def _writable(target: Target) -> str | None:
    """Why nothing can be checked in on this key result, or None."""
    if target.calendar.cycle.state == "closed":
        return "the cycle is closed: its check-ins are frozen"
    if target.calendar.cycle.state == "planning":
        return "the cycle is still in planning; activate it before checking in"
    if target.key_result.archived_at is not None:
        return "the key result is archived"
    return None


def _value_problem(target: Target, value: float) -> str | None:
    """Why this value cannot be checked in on this key result (a milestone takes its steps only), or None."""
    kr = target.key_result
    if kr.metric == Metric.milestone:
        return scoring.milestone_value_problem(value, kr.target_value)
    return None


def _moment(target: Target, checked_in_at: datetime | None, now: datetime) -> tuple[datetime | None, str | None]:
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


async def _apply(
    session: AsyncSession,
    target: Target,
    *,
    principal: Principal,
    now: datetime,
    candidate: CheckIn | None,
) -> list[events.NewEvent]:
    """Recompute the key result's derived fields after new check-ins; return status-change events.

    `candidate` is the newest new check-in of this key result when it is known to be the current one
    (no correction involved and not older than the latest); otherwise the history decides.
    """
    kr = target.key_result
    current = candidate if candidate is not None else await _current_check_in(session, kr)
    return _set_current(target, current, principal=principal, now=now)


class Current(Protocol):
    """The check-in that sets a key result's current value: a CheckIn, or a batch's row."""

    @property
    def value(self) -> float: ...
    @property
    def confidence(self) -> int | None: ...
    @property
    def checked_in_at(self) -> datetime: ...


def _set_current(
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


async def _current_check_in(session: AsyncSession, kr: KeyResult) -> CheckIn | None:
    """The latest check-in by reported time (then recording time) that no correction replaced."""
    correction = aliased(CheckIn)
    return (
        await session.execute(
            select(CheckIn)
            .where(
                col(CheckIn.org_id) == kr.org_id,
                col(CheckIn.key_result_id) == kr.id,
                ~exists().where(
                    col(correction.org_id) == col(CheckIn.org_id), col(correction.corrects) == col(CheckIn.id)
                ),
            )
            .order_by(col(CheckIn.checked_in_at).desc(), col(CheckIn.seq).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def _is_newest(kr: KeyResult, moment: datetime) -> bool:
    return kr.last_check_in_at is None or moment >= kr.last_check_in_at


async def _targets(session: AsyncSession, org_id: UUID, condition: Any) -> list[Target]:
    rows = (await session.execute(_locked_targets_statement(org_id).where(condition))).all()
    settings: OrganisationSettings | None = None
    targets = []
    for kr, cycle, raw_settings in rows:
        settings = settings or OrganisationSettings.model_validate(raw_settings)
        targets.append(Target(key_result=kr, calendar=Calendar.of(settings, cycle)))
    return targets


async def create_check_in(
    session: AsyncSession,
    *,
    principal: Principal,
    body: CheckInCreate,
    now: datetime,
) -> CheckInPublic:
    org_id = principal.org_id
    targets = await _targets(session, org_id, col(KeyResult.id) == body.key_result_id)
    if not targets:
        raise NotFound("key result")
    target = targets[0]
    if reason := _writable(target):
        raise Conflict(reason)
    if problem := _value_problem(target, body.value):
        raise Invalid("body.value", problem)
    corrected: CheckIn | None = None
    if body.corrects is not None:
        corrected = await _corrected(session, org_id, body)
    elif body.reason is not None:
        raise Invalid("body.reason", "only a correction (with `corrects`) takes a reason")
    if corrected is not None:
        moment: datetime | None = corrected.checked_in_at  # a correction replaces the value at its time
    else:
        moment, problem = _moment(target, body.checked_in_at, now)
        if problem:
            raise Invalid("body.checked_in_at", problem)
    assert moment is not None
    check_in = CheckIn(
        org_id=org_id,
        key_result_id=target.key_result.id,
        value=body.value,
        confidence=body.confidence,
        note=body.note,
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        source=body.source or ("api" if principal.api_key_id else "manual"),
        checked_in_at=moment,
        created_at=now,
        backdated=corrected is None and now - moment > BACKDATED_AFTER,
        corrects=body.corrects,
        reason=body.reason,
    )
    session.add(check_in)
    await session.flush()
    newest = corrected is None and _is_newest(target.key_result, moment)
    status_events = await _apply(session, target, principal=principal, now=now, candidate=check_in if newest else None)
    public = check_in_public(check_in)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="check_in.created",
            actor=principal.actor,
            object_type="check_in",
            object_id=check_in.id,
            occurred_at=now,
            after=public,
        ),
        *status_events,
    )
    return public


async def _corrected(session: AsyncSession, org_id: UUID, body: CheckInCreate) -> CheckIn:
    if body.reason is None:
        raise Invalid("body.reason", "a correction needs a reason")
    if body.checked_in_at is not None:
        raise Invalid("body.checked_in_at", "a correction takes the time of the check-in it corrects")
    original = (
        await session.execute(select(CheckIn).where(col(CheckIn.org_id) == org_id, col(CheckIn.id) == body.corrects))
    ).scalar_one_or_none()
    if original is None or original.key_result_id != body.key_result_id:
        raise Invalid("body.corrects", "not a check-in of this key result")
    already = (
        await session.execute(
            select(col(CheckIn.id)).where(col(CheckIn.org_id) == org_id, col(CheckIn.corrects) == original.id)
        )
    ).scalar_one_or_none()
    if already is not None:
        raise Conflict(f"check-in {original.id} was already corrected by {already}; correct that one instead")
    return original


async def create_batch(
    session: AsyncSession,
    *,
    principal: Principal,
    body: CheckInBatch,
    now: datetime,
) -> list[CheckInPublic]:
    """All-or-nothing: every item is checked first, on its own; any bad one fails the batch.

    The one 422 names every bad item by its index (`["body", "items", <index>, <field>]`): items whose own
    fields are malformed (set aside by the schema) and items that break a rule (unknown key result, closed
    cycle, a time outside the cycle, a value no milestone takes), however many there are and however mixed.
    """
    org_id = principal.org_id
    errors: list[FieldError] = list(body.malformed)
    indexed = body.indexed_items()
    ids = {item.key_result_id for _, item in indexed if item.key_result_id}
    keys = {item.external_key for _, item in indexed if item.external_key}
    condition = or_(col(KeyResult.id).in_(ids), col(KeyResult.external_key).in_(keys))
    targets = await _targets(session, org_id, condition) if ids or keys else []
    by_id = {t.key_result.id: t for t in targets}
    by_key = {t.key_result.external_key: t for t in targets if t.key_result.external_key}
    planned: list[tuple[Target, datetime]] = []
    for index, item in indexed:
        where = ("body", "items", index)
        if (item.key_result_id is None) == (item.external_key is None):
            errors.append(FieldError((*where, "key_result_id"), "give exactly one of key_result_id and external_key"))
            continue
        target = by_id.get(item.key_result_id) if item.key_result_id else by_key.get(item.external_key or "")
        field = "key_result_id" if item.key_result_id else "external_key"
        if target is None:
            errors.append(FieldError((*where, field), "no such key result"))
            continue
        if reason := _writable(target):
            errors.append(FieldError((*where, field), reason))
            continue
        item_errors = []
        if problem := _value_problem(target, item.value):
            item_errors.append(FieldError((*where, "value"), problem))
        moment, problem = _moment(target, item.checked_in_at, now)
        if problem or moment is None:
            item_errors.append(FieldError((*where, "checked_in_at"), problem or "invalid"))
        if item_errors or moment is None:
            errors += item_errors
            continue
        planned.append((target, moment))
    if errors:
        errors.sort(key=lambda error: int(error.loc[2]))  # stable: each item's errors in the order found
        bad = len({error.loc[2] for error in errors})
        raise Invalid(errors=errors, detail=f"{bad} of {body.count} items are invalid; nothing was written")
    items = [item for _, item in indexed]

    source = body.source or ("api" if principal.api_key_id else "import")
    author_id = principal.user_id if principal.api_key_id is None else None
    # Plain rows and Core statements: a thousand CheckIn/Event models cost ~0.1 ms each to build, and the
    # ORM flush would send one UPDATE per key result.
    rows: list[dict[str, Any]] = [
        {
            "org_id": org_id,
            "id": uuid4(),
            "key_result_id": target.key_result.id,
            "value": item.value,
            "confidence": item.confidence,
            "note": item.note,
            "author_id": author_id,
            "actor": principal.actor,
            "source": source,
            "checked_in_at": moment,
            "created_at": now,
            "backdated": now - moment > BACKDATED_AFTER,
            "corrects": None,
            "reason": None,
        }
        for item, (target, moment) in zip(items, planned, strict=True)
    ]
    await session.execute(insert(CheckIn.__table__), rows)  # type: ignore[attr-defined]
    newest: dict[UUID, BatchCheckIn] = {}
    # Later items win ties, like later check-ins do.
    for item, (target, moment) in zip(items, planned, strict=True):
        best = newest.get(target.key_result.id)
        if best is None or moment >= best.checked_in_at:
            newest[target.key_result.id] = BatchCheckIn(item.value, item.confidence, moment)
    new_events: list[events.NewEvent] = []
    changed: list[KeyResult] = []
    for kr_id, check_in in newest.items():
        target = by_id.get(kr_id) or next(t for t in targets if t.key_result.id == kr_id)
        if not _is_newest(target.key_result, check_in.checked_in_at):
            continue  # only older values arrived: the current value stands
        new_events += _set_current(target, check_in, principal=principal, now=now)
        changed.append(target.key_result)
    await _write_current(session, org_id, changed, now)
    publics = [CheckInPublic(**{k: v for k, v in row.items() if k != "org_id"}) for row in rows]
    await events.emit(
        session,
        *(
            events.NewEvent(
                org_id=org_id,
                type="check_in.created",
                actor=principal.actor,
                object_type="check_in",
                object_id=p.id,
                occurred_at=now,
                after=p,
            )
            for p in publics
        ),
        *new_events,
    )
    return publics


@dataclass(frozen=True)
class BatchCheckIn:
    value: float
    confidence: int | None
    checked_in_at: datetime


_WRITE_CURRENT = text("""
    UPDATE key_results k
    SET current_value = u.current_value, latest_confidence = u.latest_confidence,
        last_check_in_at = u.last_check_in_at, progress = u.progress, score = u.score, status = u.status,
        updated_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:current_value AS float8[]), CAST(:latest_confidence AS int[]),
                CAST(:last_check_in_at AS timestamptz[]), CAST(:progress AS float8[]), CAST(:score AS float8[]),
                CAST(:status AS text[]))
         AS u(id, current_value, latest_confidence, last_check_in_at, progress, score, status)
    WHERE k.org_id = :org AND k.id = u.id
""")


async def _write_current(session: AsyncSession, org_id: UUID, key_results: list[KeyResult], now: datetime) -> None:
    """One UPDATE for the derived fields of many key results (already locked and set in memory)."""
    if not key_results:
        return
    for kr in key_results:  # written below: the ORM must not flush them too (nor autoflush first)
        session.expunge(kr)
    await session.execute(
        _WRITE_CURRENT,
        {
            "org": org_id,
            "now": now,
            "ids": [kr.id for kr in key_results],
            "current_value": [kr.current_value for kr in key_results],
            "latest_confidence": [kr.latest_confidence for kr in key_results],
            "last_check_in_at": [kr.last_check_in_at for kr in key_results],
            "progress": [kr.progress for kr in key_results],
            "score": [kr.score for kr in key_results],
            "status": [str(kr.status) for kr in key_results],
        },
    )


def _with_corrections(org_id: UUID) -> Any:
    correction = aliased(CheckIn)
    return (
        select(CheckIn, col(correction.id))
        .outerjoin(
            correction, and_(col(correction.org_id) == col(CheckIn.org_id), col(correction.corrects) == col(CheckIn.id))
        )
        .where(col(CheckIn.org_id) == org_id)
    )


async def history(
    session: AsyncSession,
    *,
    org_id: UUID,
    key_result_id: UUID,
    params: PageParams,
) -> tuple[list[CheckInPublic], str | None]:
    """A key result's check-ins in reported-time order, corrections and corrected ones marked."""
    exists_kr = (
        await session.execute(
            select(col(KeyResult.id)).where(col(KeyResult.org_id) == org_id, col(KeyResult.id) == key_result_id)
        )
    ).first()
    if exists_kr is None:
        raise NotFound("key result")
    statement = _with_corrections(org_id).where(col(CheckIn.key_result_id) == key_result_id)
    rows = list((await session.execute(paginate(statement, CheckIn.checked_in_at, CheckIn.seq, params=params))).all())
    page, cursor = page_of(rows, params, lambda row: (row[0].checked_in_at, row[0].seq))
    return [check_in_public(c, corrected_by) for c, corrected_by in page], cursor


async def get_check_in(session: AsyncSession, *, org_id: UUID, check_in_id: UUID) -> CheckInPublic:
    row = (await session.execute(_with_corrections(org_id).where(col(CheckIn.id) == check_in_id))).first()
    if row is None:
        raise NotFound("check-in")
    return check_in_public(row[0], row[1])


async def list_check_ins(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    key_result_ids: Sequence[UUID] | None,
) -> tuple[list[CheckInPublic], str | None]:
    statement = _with_corrections(org_id)
    if key_result_ids:
        statement = statement.where(col(CheckIn.key_result_id).in_(list(key_result_ids)))
    rows = list((await session.execute(paginate(statement, CheckIn.created_at, CheckIn.seq, params=params))).all())
    page, cursor = page_of(rows, params, lambda row: (row[0].created_at, row[0].seq))
    return [check_in_public(c, corrected_by) for c, corrected_by in page], cursor
