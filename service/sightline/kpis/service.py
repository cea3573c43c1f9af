"""KPIs: create, edit (If-Match), archive, read and list. Values and the key results following a KPI: values.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org
from sightline.errors import FieldError, Invalid
from sightline.events import service as events
from sightline.kpis.models import Kpi
from sightline.kpis.schemas import KpiCreate, KpiPublic, KpiUpdate
from sightline.kpis.status import Range, range_problems, status_of
from sightline.okrs.teams import ensure_users, get_team
from sightline.versions import check_if_match, if_match_after

EDITABLE = (
    "name",
    "description",
    "unit",
    "direction",
    "owner_id",
    "team_id",
    "healthy_min",
    "healthy_max",
    "critical_min",
    "critical_max",
    "cadence",
)
NULLABLE = {"team_id", "healthy_min", "healthy_max", "critical_min", "critical_max"}


def bounds(kpi: Kpi) -> Range:
    return Range(kpi.healthy_min, kpi.healthy_max, kpi.critical_min, kpi.critical_max)


def kpi_public(kpi: Kpi) -> KpiPublic:
    return KpiPublic(
        id=kpi.id,
        name=kpi.name,
        description=kpi.description,
        unit=kpi.unit,
        direction=kpi.direction,  # type: ignore[arg-type]
        owner_id=kpi.owner_id,
        team_id=kpi.team_id,
        healthy_min=kpi.healthy_min,
        healthy_max=kpi.healthy_max,
        critical_min=kpi.critical_min,
        critical_max=kpi.critical_max,
        cadence=kpi.cadence,  # type: ignore[arg-type]
        latest_value=kpi.latest_value,
        latest_recorded_at=kpi.latest_recorded_at,
        status=kpi.status,  # type: ignore[arg-type]
        archived=kpi.archived_at is not None,
        version=kpi.version,
        created_at=kpi.created_at,
        updated_at=kpi.updated_at,
    )


def event(principal: Principal, kpi: Kpi, type: str, now: datetime, **change: Any) -> events.NewEvent:
    return events.NewEvent(
        org_id=kpi.org_id,
        type=type,
        actor=principal.actor,
        object_type="kpi",
        object_id=kpi.id,
        occurred_at=now,
        **change,
    )


async def get_kpi(session: AsyncSession, *, org_id: UUID, kpi_id: UUID, lock: bool = False) -> Kpi:
    return await one_of_org(session, Kpi, org_id, kpi_id, what="KPI", lock=lock)


async def _validate(session: AsyncSession, kpi: Kpi, *, owner_changed: bool, team_changed: bool) -> None:
    problems = range_problems(kpi.direction, bounds(kpi))
    if problems:
        raise Invalid(errors=[FieldError(("body", field), message) for field, message in problems])
    if owner_changed:
        await ensure_users(session, kpi.org_id, {kpi.owner_id}, "body.owner_id")
    if team_changed and kpi.team_id is not None:
        team = await get_team(session, org_id=kpi.org_id, team_id=kpi.team_id)
        if team.archived_at is not None:
            raise Invalid("body.team_id", "the team is archived")


async def create_kpi(session: AsyncSession, *, principal: Principal, body: KpiCreate, now: datetime) -> KpiPublic:
    owner_id = body.owner_id or principal.user_id
    if owner_id is None:
        raise Invalid("body.owner_id", "required when the API key has no creating member")
    kpi = Kpi(
        org_id=principal.org_id,
        **body.model_dump(include=set(EDITABLE) - {"owner_id"}),
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
    )
    await _validate(session, kpi, owner_changed=True, team_changed=True)
    session.add(kpi)
    await session.flush()
    public = kpi_public(kpi)
    await events.emit(session, event(principal, kpi, "kpi.created", now, after=public))
    return public


async def update_kpi(
    session: AsyncSession,
    *,
    principal: Principal,
    kpi_id: UUID,
    body: KpiUpdate,
    if_match: str | None,
    now: datetime,
) -> KpiPublic:
    """An edit; a changed range re-derives the status of the latest value (`kpi.status_changed` if it moves)."""
    kpi = await get_kpi(session, org_id=principal.org_id, kpi_id=kpi_id, lock=True)
    with if_match_after(if_match, kpi.version, required=True):  # a bad body is a 422 even when stale
        before = kpi_public(kpi)
        fields = body.model_fields_set
        for field in EDITABLE:
            if field in fields:
                value = getattr(body, field)
                if value is None and field not in NULLABLE:
                    raise Invalid(f"body.{field}", "cannot be null")
                setattr(kpi, field, value)
        if "archived" in fields:
            if body.archived is None:
                raise Invalid("body.archived", "cannot be null")
            kpi.archived_at = (kpi.archived_at or now) if body.archived else None
        await _validate(session, kpi, owner_changed="owner_id" in fields, team_changed="team_id" in fields)
    kpi.status = status_of(kpi.latest_value, bounds(kpi))
    kpi.version += 1
    kpi.updated_at = now
    await session.flush()
    after = kpi_public(kpi)
    changes = [event(principal, kpi, "kpi.updated", now, before=before, after=after)]
    if before.status != after.status:
        changes.append(event(principal, kpi, "kpi.status_changed", now, before=before, after=after))
    await events.emit(session, *changes)
    return after


async def archive_kpi(
    session: AsyncSession, *, principal: Principal, kpi_id: UUID, if_match: str | None, now: datetime
) -> None:
    """Values are history (and key results may name the KPI), so a KPI is archived, never deleted."""
    kpi = await get_kpi(session, org_id=principal.org_id, kpi_id=kpi_id, lock=True)
    check_if_match(if_match, kpi.version, required=True)
    if kpi.archived_at is not None:
        return
    before = kpi_public(kpi)
    kpi.archived_at = now
    kpi.version += 1
    kpi.updated_at = now
    await session.flush()
    await events.emit(session, event(principal, kpi, "kpi.updated", now, before=before, after=kpi_public(kpi)))


async def read_kpi(session: AsyncSession, *, org_id: UUID, kpi_id: UUID) -> KpiPublic:
    return kpi_public(await get_kpi(session, org_id=org_id, kpi_id=kpi_id))


async def list_kpis(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    team_id: UUID | None,
    owner_id: UUID | None,
    status: str | None,
    include_archived: bool,
) -> tuple[list[KpiPublic], str | None]:
    """One statement per page: the status is kept on the row, so filtering by it is plain SQL."""
    statement = select(Kpi).where(col(Kpi.org_id) == org_id)
    if team_id is not None:
        statement = statement.where(col(Kpi.team_id) == team_id)
    if owner_id is not None:
        statement = statement.where(col(Kpi.owner_id) == owner_id)
    if status is not None:
        statement = statement.where(col(Kpi.status) == status)
    if not include_archived:
        statement = statement.where(col(Kpi.archived_at).is_(None))
    rows = list((await session.execute(paginate(statement, Kpi.created_at, Kpi.id, params=params))).scalars())
    page, cursor = page_of(rows, params, lambda kpi: (kpi.created_at, kpi.id))
    return [kpi_public(kpi) for kpi in page], cursor
