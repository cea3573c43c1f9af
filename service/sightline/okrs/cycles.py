"""Cycles: named date ranges (a year and its quarters) moving only forward: planning → active → closed.

Closing is `sightline.insights.close` (POST /cycles/{id}/close): it grades and freezes, so PATCH cannot close.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.arrays import in_uuids
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.identity.models import Org
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.derive import Calendar
from sightline.okrs.models import Cycle, Objective
from sightline.okrs.schemas import CycleCreate, CyclePublic, CycleUpdate
from sightline.versions import check_if_match

STATE_ORDER = {"planning": 0, "active": 1, "closed": 2}


def cycle_public(cycle: Cycle) -> CyclePublic:
    return CyclePublic.model_validate(cycle, from_attributes=True)


async def get_cycle(session: AsyncSession, *, org_id: UUID, cycle_id: UUID, lock: bool = False) -> Cycle:
    return await one_of_org(session, Cycle, org_id, cycle_id, what="cycle", lock=lock)


async def list_cycles(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    state: str | None,
    parent_id: UUID | None,
) -> tuple[list[Cycle], str | None]:
    statement = scoped(Cycle, org_id)
    if state is not None:
        statement = statement.where(col(Cycle.state) == state)
    if parent_id is not None:
        statement = statement.where(col(Cycle.parent_id) == parent_id)
    rows = list((await session.execute(paginate(statement, Cycle.created_at, Cycle.id, params=params))).scalars())
    return page_of(rows, params, lambda c: (c.created_at, c.id))


MAX_YEARS = 5  # a cycle is a year, a quarter, at most a multi-year plan; never open-ended


def latest_end(start: date) -> date:
    """The last day a cycle starting on `start` may end: the day before its fifth anniversary."""
    try:
        anniversary = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February: the anniversary falls on 1 March
        anniversary = date(start.year + MAX_YEARS, 3, 1)
    return anniversary - timedelta(days=1)


async def _validate(session: AsyncSession, org_id: UUID, cycle: Cycle) -> None:
    if cycle.end_date <= cycle.start_date:
        raise Invalid("body.end_date", "must be after start_date")
    if cycle.end_date > (last := latest_end(cycle.start_date)):
        raise Invalid("body.end_date", f"a cycle lasts at most {MAX_YEARS} years: end it on or before {last}")
    if cycle.parent_id is None:
        return
    if cycle.parent_id == cycle.id:
        raise Invalid("body.parent_id", "a cycle cannot be its own parent")
    parent = await get_cycle(session, org_id=org_id, cycle_id=cycle.parent_id)
    if parent.parent_id == cycle.id:
        raise Invalid("body.parent_id", "the parent cycle is a child of this one")
    if cycle.start_date < parent.start_date or cycle.end_date > parent.end_date:
        raise Invalid(
            "body.parent_id", f"the dates must lie within {parent.name} ({parent.start_date} to {parent.end_date})"
        )


async def _name_free(session: AsyncSession, org_id: UUID, name: str, cycle_id: UUID | None) -> None:
    taken = (
        await session.execute(
            select(exists().where(col(Cycle.org_id) == org_id, col(Cycle.name) == name, col(Cycle.id) != cycle_id))
        )
    ).scalar()
    if taken:
        raise Conflict(f"a cycle named {name!r} already exists")


async def create_cycle(session: AsyncSession, *, principal: Principal, body: CycleCreate, now: datetime) -> Cycle:
    cycle = Cycle(
        org_id=principal.org_id,
        name=body.name,
        start_date=body.start_date,
        end_date=body.end_date,
        parent_id=body.parent_id,
        state=body.state,
        created_at=now,
        updated_at=now,
    )
    await _validate(session, principal.org_id, cycle)
    await _name_free(session, principal.org_id, body.name, None)
    session.add(cycle)
    await session.flush()
    await events.record(
        session,
        org_id=principal.org_id,
        type="cycle.created",
        actor=principal.actor,
        object_type="cycle",
        object_id=cycle.id,
        now=now,
        after=cycle_public(cycle),
    )
    return cycle


async def update_cycle(
    session: AsyncSession,
    *,
    principal: Principal,
    cycle_id: UUID,
    body: CycleUpdate,
    if_match: str | None,
    now: datetime,
) -> Cycle:
    cycle = await get_cycle(session, org_id=principal.org_id, cycle_id=cycle_id, lock=True)
    check_if_match(if_match, cycle.version, required=False)
    before = cycle_public(cycle)
    if cycle.state == "closed" and body.model_fields_set - {"name"}:
        raise Conflict("the cycle is closed; only its name can change")
    if body.state is not None and STATE_ORDER[body.state] < STATE_ORDER[cycle.state]:
        raise Invalid("body.state", f"a cycle only moves forward (planning → active → closed); it is {cycle.state}")
    if body.name is not None:  # checked before the row changes: a query now would flush the new name
        await _name_free(session, principal.org_id, body.name, cycle.id)
    for field in ("name", "start_date", "end_date"):
        if (value := getattr(body, field)) is not None:
            setattr(cycle, field, value)
    if "parent_id" in body.model_fields_set:
        cycle.parent_id = body.parent_id
    with session.no_autoflush:  # validate before the changed row may be flushed
        await _validate(session, principal.org_id, cycle)
    state_changed = body.state is not None and body.state != cycle.state
    if body.state is not None:
        cycle.state = body.state  # closing goes through insights.close (grades, retrospective)
    cycle.version += 1
    cycle.updated_at = now
    await session.flush()
    after = cycle_public(cycle)
    event_type = "cycle.activated" if state_changed else "cycle.updated"
    await events.record(
        session,
        org_id=principal.org_id,
        type=event_type,
        actor=principal.actor,
        object_type="cycle",
        object_id=cycle.id,
        now=now,
        before=before,
        after=after,
    )
    return cycle


async def delete_cycle(
    session: AsyncSession,
    *,
    principal: Principal,
    cycle_id: UUID,
    if_match: str | None,
    now: datetime,
) -> None:
    """Only an empty cycle in planning can be deleted; anything else has history to keep."""
    cycle = await get_cycle(session, org_id=principal.org_id, cycle_id=cycle_id, lock=True)
    check_if_match(if_match, cycle.version, required=False)
    used = (
        await session.execute(
            select(exists().where(col(Objective.org_id) == principal.org_id, col(Objective.cycle_id) == cycle.id))
        )
    ).scalar()
    children = (
        await session.execute(
            select(exists().where(col(Cycle.org_id) == principal.org_id, col(Cycle.parent_id) == cycle.id))
        )
    ).scalar()
    if cycle.state != "planning" or used or children:
        raise Conflict("only an empty cycle still in planning can be deleted")
    await session.delete(cycle)
    await session.flush()
    await events.record(
        session,
        org_id=principal.org_id,
        type="cycle.deleted",
        actor=principal.actor,
        object_type="cycle",
        object_id=cycle.id,
        now=now,
        before=cycle_public(cycle),
    )


async def load_calendars(session: AsyncSession, *, org_id: UUID, cycle_ids: set[UUID]) -> dict[UUID, Calendar]:
    """Calendars (settings + bounds) for several cycles in one statement, whatever their number
    (the organisation's settings come joined: every read of an objective needs them)."""
    if not cycle_ids:
        return {}
    rows = (
        await session.execute(
            select(Cycle, col(Org.settings))
            .join(Org, col(Org.org_id) == col(Cycle.org_id))
            .where(col(Cycle.org_id) == org_id, in_uuids(col(Cycle.id), cycle_ids))
        )
    ).all()
    settings: OrganisationSettings | None = None
    calendars: dict[UUID, Calendar] = {}
    for cycle, raw_settings in rows:
        settings = settings or OrganisationSettings.model_validate(raw_settings)
        calendars[cycle.id] = Calendar.of(settings, cycle)
    return calendars
