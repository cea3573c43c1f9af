"""A KPI's values over time, and the key results following it: each new value is checked in on every key
result that follows the KPI, in the same transaction, through the OKR core's batch check-in (source `kpi`).

Writing a value locks the KPI row, so values of one KPI serialise: "one value per time point" is checked
before the insert without a race, and the latest value and status kept on the row match the history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.errors import Conflict, Invalid, NotFound
from sightline.events import service as events
from sightline.kpis.models import Kpi, KpiValue
from sightline.kpis.schemas import KpiValueCreate, KpiValuePublic
from sightline.kpis.service import bounds, event, get_kpi, kpi_public
from sightline.kpis.status import status_of
from sightline.okrs import key_results
from sightline.okrs.check_in_batch import create_batch
from sightline.okrs.check_in_rules import (
    BY_KPI,
    locked_target,
    locked_targets,
    reported_moment,
    value_problem,
    writable,
)
from sightline.okrs.models import CheckIn
from sightline.okrs.schemas import BATCH_LIMIT, CheckInBatch, CheckInBatchItem

CLOCK_SKEW = timedelta(minutes=1)  # a client clock slightly ahead is not "the future"
SOURCE = "kpi"  # the source of the check-ins a KPI's value makes on the key results following it


def value_public(row: KpiValue) -> KpiValuePublic:
    return KpiValuePublic(
        id=row.id,
        kpi_id=row.kpi_id,
        value=row.value,
        recorded_at=row.recorded_at,
        note=row.note,
        author_id=row.author_id,
        actor=row.actor,
        source=row.source,
        created_at=row.created_at,
    )


async def record_value(
    session: AsyncSession, *, principal: Principal, kpi_id: UUID, body: KpiValueCreate, now: datetime
) -> KpiValuePublic:
    org_id = principal.org_id
    kpi = await get_kpi(session, org_id=org_id, kpi_id=kpi_id, lock=True)
    if kpi.archived_at is not None:
        raise Conflict("the KPI is archived; restore it (PATCH archived false) before recording values")
    moment = body.recorded_at or now
    if moment > now + CLOCK_SKEW:
        raise Invalid("body.recorded_at", "lies in the future")
    if await _taken(session, kpi, moment):
        raise Conflict(f"the KPI already has a value for {moment.isoformat()}; one value per time point")
    row = new_value(
        principal, kpi, body, moment, source=body.source or ("api" if principal.api_key_id else "manual"), now=now
    )
    session.add(row)
    before = kpi_public(kpi)
    if kpi.latest_recorded_at is None or moment >= kpi.latest_recorded_at:
        kpi.latest_value, kpi.latest_recorded_at = body.value, moment
        kpi.status = status_of(body.value, bounds(kpi))
    await session.flush()
    public = value_public(row)
    changes = [event(principal, kpi, "kpi.value_recorded", now, after=public)]
    if before.status != kpi.status:
        changes.append(event(principal, kpi, "kpi.status_changed", now, before=before, after=kpi_public(kpi)))
    await events.emit(session, *changes)
    await _check_in_followers(session, principal, kpi, row, now)
    return public


def new_value(
    principal: Principal, kpi: Kpi, body: KpiValueCreate, moment: datetime, *, source: str, now: datetime
) -> KpiValue:
    """A value row as the API and the import write it: by a person (author) or a key (none), for `moment`."""
    return KpiValue(
        org_id=principal.org_id,
        id=uuid4(),
        kpi_id=kpi.id,
        value=body.value,
        recorded_at=moment,
        note=body.note,
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        source=source,
        created_at=now,
    )


async def _taken(session: AsyncSession, kpi: Kpi, moment: datetime) -> bool:
    taken = exists().where(
        col(KpiValue.org_id) == kpi.org_id, col(KpiValue.kpi_id) == kpi.id, col(KpiValue.recorded_at) == moment
    )
    return bool((await session.execute(select(taken))).scalar())


async def _check_in_followers(
    session: AsyncSession, principal: Principal, kpi: Kpi, row: KpiValue, now: datetime
) -> None:
    """The value as a check-in on every key result following the KPI that can take it now: in an active cycle
    whose dates hold the time point, not archived. Others are left as they are (a closed cycle is frozen, one in
    planning takes no check-ins). A constant number of statements, however many key results follow."""
    targets = await locked_targets(session, kpi.org_id, BY_KPI, kpi.id)
    items = [
        CheckInBatchItem(key_result_id=t.key_result.id, value=row.value, note=row.note, checked_in_at=row.recorded_at)
        for t in targets
        if writable(t) is None
        and value_problem(t, row.value) is None
        and reported_moment(t, row.recorded_at, now)[1] is None
    ]
    for start in range(0, len(items), BATCH_LIMIT):
        batch = CheckInBatch(items=items[start : start + BATCH_LIMIT], source=SOURCE)
        await create_batch(session, principal=principal, body=batch, now=now)


async def list_values(
    session: AsyncSession, *, org_id: UUID, kpi_id: UUID, params: PageParams
) -> tuple[list[KpiValuePublic], str | None]:
    """Newest time point first."""
    known = (await session.execute(select(col(Kpi.id)).where(col(Kpi.org_id) == org_id, col(Kpi.id) == kpi_id))).first()
    if known is None:
        raise NotFound("KPI")
    statement = select(KpiValue).where(col(KpiValue.org_id) == org_id, col(KpiValue.kpi_id) == kpi_id)
    paged = paginate(statement, KpiValue.recorded_at, KpiValue.id, params=params, descending=True)
    rows = list((await session.execute(paged)).scalars())
    page, cursor = page_of(rows, params, lambda value: (value.recorded_at, value.id))
    return [value_public(value) for value in page], cursor


async def take_latest_value(session: AsyncSession, principal: Principal, key_result_id: UUID, now: datetime) -> None:
    """A key result that starts following a KPI takes the KPI's latest value it can take, as the KPI's next values
    reach it (a check-in with source `kpi`, at the value's time point): the newest one in its cycle and not after
    now. Nothing when its cycle takes no check-ins (in planning, closed), it is archived, the KPI has no such value,
    or it already has a check-in at that moment (following again after a pause adds nothing twice).
    Registered on `okrs.key_results.on_follow`."""
    target = await locked_target(session, principal.org_id, key_result_id)
    if target is None or writable(target) is not None:
        return
    kr, calendar = target.key_result, target.calendar
    latest = (
        await session.execute(
            select(KpiValue)
            .where(
                col(KpiValue.org_id) == kr.org_id,
                col(KpiValue.kpi_id) == kr.follows_kpi_id,
                col(KpiValue.recorded_at) >= calendar.start,
                col(KpiValue.recorded_at) < calendar.end,
                col(KpiValue.recorded_at) <= now,
            )
            .order_by(col(KpiValue.recorded_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if latest is None or value_problem(target, latest.value) or reported_moment(target, latest.recorded_at, now)[1]:
        return
    at_that_moment = exists().where(
        col(CheckIn.org_id) == kr.org_id,
        col(CheckIn.key_result_id) == kr.id,
        col(CheckIn.checked_in_at) == latest.recorded_at,
    )
    if (await session.execute(select(at_that_moment))).scalar():
        return
    item = CheckInBatchItem(key_result_id=kr.id, value=latest.value, note=latest.note, checked_in_at=latest.recorded_at)
    await create_batch(session, principal=principal, body=CheckInBatch(items=[item], source=SOURCE), now=now)


if take_latest_value not in key_results.on_follow:
    key_results.on_follow.append(take_latest_value)
