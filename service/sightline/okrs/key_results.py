"""Key results: validation against the cycle, derived state kept on the row, archive instead of delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org
from sightline.errors import Conflict, FieldError, Invalid
from sightline.events import service as events
from sightline.okrs import rollups
from sightline.okrs.calendars import load_calendars
from sightline.okrs.derive import Calendar, derive_stored, key_result_public
from sightline.okrs.models import KeyResult, Objective
from sightline.okrs.schemas import KeyResultCreate, KeyResultPublic, KeyResultUpdate
from sightline.okrs.teams import ensure_users
from sightline.scoring import Direction, Metric
from sightline.versions import check_if_match, if_match_after

EDITABLE = (
    "title",
    "owner_id",
    "metric",
    "unit",
    "direction",
    "start_value",
    "target_value",
    "stretch_value",
    "previous_value",
    "weight",
    "accumulation",
    "cadence",
    "milestone_plan",
    "data_source",
    "external_key",
    "follows_kpi_id",
)


async def get_key_result(session: AsyncSession, *, org_id: UUID, key_result_id: UUID, lock: bool = False) -> KeyResult:
    """`lock`: FOR NO KEY UPDATE. A key result is archived, never deleted or re-keyed: the rows that reference it
    (check-ins, comments, links) are written meanwhile (docs/decisions/db-row-lock-strengths.md)."""
    return await one_of_org(session, KeyResult, org_id, key_result_id, what="key result", lock=lock, key_share=True)


async def _objective_and_calendar(
    session: AsyncSession, org_id: UUID, objective_id: UUID
) -> tuple[Objective, Calendar]:
    objective = await one_of_org(session, Objective, org_id, objective_id, what="objective")
    calendar = (await load_calendars(session, org_id=org_id, cycle_ids={objective.cycle_id}))[objective.cycle_id]
    return objective, calendar


def _validate(kr: KeyResult, calendar: Calendar) -> None:
    plan_dates = [p["date"] for p in kr.milestone_plan]
    problems = scoring.validate_key_result(
        metric=Metric(kr.metric),
        direction=Direction(kr.direction),
        start=kr.start_value,
        target=kr.target_value,
        stretch=kr.stretch_value,
        cycle_start_date=calendar.cycle.start_date,
        cycle_end_date=calendar.cycle.end_date,
        plan_dates=[datetime.fromisoformat(str(d)).date() for d in plan_dates],
        plan_values=[float(p["value"]) for p in kr.milestone_plan],
        previous=kr.previous_value,
        current=kr.current_value if kr.last_check_in_at is not None else None,
    )
    if problems:
        raise Invalid(
            errors=[
                FieldError(("body", *[int(p) if p.isdigit() else p for p in field.split(".")]), msg)
                for field, msg in problems
            ]
        )


async def _external_key_free(session: AsyncSession, org_id: UUID, key: str | None, kr_id: UUID) -> None:
    if key is None:
        return
    taken = (
        await session.execute(
            select(col(KeyResult.id)).where(
                col(KeyResult.org_id) == org_id, col(KeyResult.external_key) == key, col(KeyResult.id) != kr_id
            )
        )
    ).first()
    if taken:
        raise Conflict(f"another key result already uses external_key {key!r}")


# The kpis domain is above this one: the KPI a key result follows is checked with SQL, in this organisation.
_KPI_ACTIVE = text("SELECT archived_at IS NULL FROM kpis WHERE org_id = :org AND id = :id")


async def _kpi_followable(session: AsyncSession, kr: KeyResult) -> None:
    """422 unless the KPI the key result follows (if any) is an active KPI of its organisation."""
    if kr.follows_kpi_id is None:
        return
    if kr.metric == Metric.milestone:
        raise Invalid("body.follows_kpi_id", "a milestone key result takes its steps only; it cannot follow a KPI")
    active = (await session.execute(_KPI_ACTIVE, {"org": kr.org_id, "id": kr.follows_kpi_id})).scalar_one_or_none()
    if active is None:
        raise Invalid("body.follows_kpi_id", "no such KPI")
    if not active:
        raise Invalid("body.follows_kpi_id", "the KPI is archived")


# Starting to follow a KPI (created with one, or switched to another) also takes the KPI's latest value. The kpis
# domain sits above this one and registers that step (kpis/values.py `take_latest_value`); it runs in the change's
# transaction, before the answer is built, so the answer shows the value taken.
FollowHook = Callable[[AsyncSession, Principal, UUID, datetime], Awaitable[None]]
on_follow: list[FollowHook] = []


async def _follow_started(
    session: AsyncSession, principal: Principal, kr: KeyResult, calendar: Calendar, now: datetime
) -> KeyResultPublic:
    """The key result's answer once every follow step ran."""
    for hook in on_follow:
        await hook(session, principal, kr.id, now)
    if on_follow:  # a step checks in on the row (check_in_rules.locked_targets), not on this instance
        await session.flush()
        await session.refresh(kr)
    return key_result_public(kr, calendar=calendar, now=now)


def _refresh(kr: KeyResult, calendar: Calendar, now: datetime) -> None:
    """Recompute the derived fields from the row's current value (no new check-in)."""
    if kr.last_check_in_at is None:
        kr.current_value = kr.start_value
    if calendar.cycle.state == "closed":
        return  # closed cycles are frozen
    derived = derive_stored(kr, calendar=calendar, now=now)
    kr.progress, kr.score, kr.status = derived.progress, derived.score, derived.status


def new_key_result(
    body: KeyResultCreate,
    *,
    org_id: UUID,
    objective_id: UUID,
    owner_id: UUID,
    calendar: Calendar,
    now: datetime,
    archived: bool = False,
) -> KeyResult:
    """A key result row from a create request (API or import), at its start value, not yet checked."""
    return KeyResult(
        org_id=org_id,
        id=uuid4(),
        objective_id=objective_id,
        title=body.title,
        owner_id=owner_id,
        metric=body.metric,
        unit=body.unit,
        direction=body.direction,
        start_value=body.start_value,
        target_value=body.target_value,
        stretch_value=body.stretch_value,
        previous_value=body.previous_value,
        weight=body.weight,
        accumulation=body.accumulation,
        cadence=body.cadence or calendar.settings.default_cadence,
        milestone_plan=[p.model_dump(mode="json") for p in body.milestone_plan],
        data_source=body.data_source,
        external_key=body.external_key,
        follows_kpi_id=body.follows_kpi_id,
        archived_at=now if archived else None,
        current_value=body.start_value,
        created_at=now,
        updated_at=now,
    )


async def create_key_result(
    session: AsyncSession,
    *,
    principal: Principal,
    body: KeyResultCreate,
    now: datetime,
) -> KeyResultPublic:
    org_id = principal.org_id
    objective, calendar = await _objective_and_calendar(session, org_id, body.objective_id)
    if calendar.cycle.state == "closed":
        raise Conflict("the objective's cycle is closed")
    owner_id = body.owner_id or objective.owner_id
    await ensure_users(session, org_id, {owner_id}, "body.owner_id")
    kr = new_key_result(body, org_id=org_id, objective_id=objective.id, owner_id=owner_id, calendar=calendar, now=now)
    _validate(kr, calendar)
    await _external_key_free(session, org_id, kr.external_key, kr.id)
    await _kpi_followable(session, kr)
    _refresh(kr, calendar, now)
    session.add(kr)
    await session.flush()
    public = key_result_public(kr, calendar=calendar, now=now)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="key_result.created",
            actor=principal.actor,
            object_type="key_result",
            object_id=kr.id,
            occurred_at=now,
            after=public,
        ),
    )
    if kr.follows_kpi_id is not None:
        public = await _follow_started(session, principal, kr, calendar, now)
    await rollups.refresh(session, org_id=org_id, objective_ids=[kr.objective_id], now=now, actor=principal.actor)
    return public


async def update_key_result(
    session: AsyncSession,
    *,
    principal: Principal,
    key_result_id: UUID,
    body: KeyResultUpdate,
    if_match: str | None,
    now: datetime,
) -> KeyResultPublic:
    org_id = principal.org_id
    kr = await get_key_result(session, org_id=org_id, key_result_id=key_result_id, lock=True)
    with if_match_after(if_match, kr.version, required=True):  # a bad body is a 422 even when stale
        _, calendar = await _objective_and_calendar(session, org_id, kr.objective_id)
        if calendar.cycle.state == "closed":
            raise Conflict("the cycle is closed; its key results are frozen")
        before = key_result_public(kr, calendar=calendar, now=now)
        for field in EDITABLE:
            if field not in body.model_fields_set:
                continue
            value: Any = getattr(body, field)
            if value is None and field not in ("stretch_value", "previous_value", "external_key", "follows_kpi_id"):
                raise Invalid(f"body.{field}", "cannot be null")
            if field == "milestone_plan":
                value = [p.model_dump(mode="json") for p in body.milestone_plan or []]
            setattr(kr, field, value)
        with session.no_autoflush:  # validate before the changed row may be flushed
            if body.owner_id is not None:
                await ensure_users(session, org_id, {body.owner_id}, "body.owner_id")
            _validate(kr, calendar)
            await _external_key_free(session, org_id, kr.external_key, kr.id)
            if {"follows_kpi_id", "metric"} & body.model_fields_set:
                await _kpi_followable(session, kr)
    _refresh(kr, calendar, now)
    kr.version += 1
    kr.updated_at = now
    await session.flush()
    after = key_result_public(kr, calendar=calendar, now=now)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="key_result.updated",
            actor=principal.actor,
            object_type="key_result",
            object_id=kr.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )
    if before.status != after.status:
        await events.emit(
            session,
            events.NewEvent(
                org_id=org_id,
                type="key_result.status_changed",
                actor=principal.actor,
                object_type="key_result",
                object_id=kr.id,
                occurred_at=now,
                before=before,
                after=after,
            ),
        )
    if kr.follows_kpi_id not in (None, before.follows_kpi_id):
        after = await _follow_started(session, principal, kr, calendar, now)
    await rollups.refresh(session, org_id=org_id, objective_ids=[kr.objective_id], now=now, actor=principal.actor)
    return after


async def archive_key_result(
    session: AsyncSession,
    *,
    principal: Principal,
    key_result_id: UUID,
    if_match: str | None,
    now: datetime,
) -> None:
    """Check-ins are never deleted, so neither is the key result they belong to: it is archived."""
    kr = await get_key_result(session, org_id=principal.org_id, key_result_id=key_result_id, lock=True)
    check_if_match(if_match, kr.version, required=True)
    if kr.archived_at is None:
        kr.archived_at = now
        kr.version += 1
        kr.updated_at = now
        await session.flush()
        await events.emit(
            session,
            events.NewEvent(
                org_id=principal.org_id,
                type="key_result.archived",
                actor=principal.actor,
                object_type="key_result",
                object_id=kr.id,
                occurred_at=now,
            ),
        )
        await rollups.refresh(
            session, org_id=principal.org_id, objective_ids=[kr.objective_id], now=now, actor=principal.actor
        )


async def read_key_result(
    session: AsyncSession, *, org_id: UUID, key_result_id: UUID, now: datetime
) -> KeyResultPublic:
    kr = await get_key_result(session, org_id=org_id, key_result_id=key_result_id)
    _, calendar = await _objective_and_calendar(session, org_id, kr.objective_id)
    return key_result_public(kr, calendar=calendar, now=now)


async def publics(
    session: AsyncSession,
    *,
    org_id: UUID,
    rows: list[tuple[KeyResult, UUID]],
    now: datetime,
) -> list[KeyResultPublic]:
    """Public shapes for (key result, cycle id) pairs: one statement for all their calendars."""
    calendars = await load_calendars(session, org_id=org_id, cycle_ids={cycle_id for _, cycle_id in rows})
    return [key_result_public(kr, calendar=calendars[cycle_id], now=now) for kr, cycle_id in rows]


async def list_key_results(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    now: datetime,
    objective_id: UUID | None,
    owner_id: UUID | None,
    status: str | None,
    cycle_id: UUID | None,
    include_archived: bool,
) -> tuple[list[KeyResultPublic], str | None]:
    statement = (
        select(KeyResult, col(Objective.cycle_id))
        .join(
            Objective,
            (col(Objective.org_id) == col(KeyResult.org_id)) & (col(Objective.id) == col(KeyResult.objective_id)),
        )
        .where(col(KeyResult.org_id) == org_id)
    )
    if objective_id is not None:
        statement = statement.where(col(KeyResult.objective_id) == objective_id)
    if owner_id is not None:
        statement = statement.where(col(KeyResult.owner_id) == owner_id)
    if status is not None:
        statement = statement.where(col(KeyResult.status) == status)
    if cycle_id is not None:
        statement = statement.where(col(Objective.cycle_id) == cycle_id)
    if not include_archived:
        statement = statement.where(col(KeyResult.archived_at).is_(None))
    rows = [
        (kr, cycle)
        for kr, cycle in (
            await session.execute(paginate(statement, KeyResult.created_at, KeyResult.id, params=params))
        ).all()
    ]
    page, cursor = page_of(rows, params, lambda row: (row[0].created_at, row[0].id))
    return await publics(session, org_id=org_id, rows=page, now=now), cursor
