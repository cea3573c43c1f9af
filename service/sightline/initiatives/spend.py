"""Spend entries: append-only money spent on an initiative; corrections are negative entries with a reason.

Recording locks the initiative row, so concurrent entries on one initiative serialise and the rule
"spend to date is never negative on any date" holds under concurrency.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped
from sightline.errors import Invalid
from sightline.events import service as events
from sightline.identity.service import get_org, org_settings
from sightline.initiatives.models import SpendEntry
from sightline.initiatives.reads import get_initiative
from sightline.initiatives.schemas import SpendCreate, SpendEntryPublic, money_text


def spend_entry_public(entry: SpendEntry, currency: str) -> SpendEntryPublic:
    return SpendEntryPublic(
        id=entry.id,
        initiative_id=entry.initiative_id,
        amount=entry.amount,
        currency=currency,
        spent_on=entry.spent_on,
        note=entry.note,
        reason=entry.reason,
        author_id=entry.author_id,
        actor=entry.actor,
        created_at=entry.created_at,
    )


async def _lowest_spend_from(session: AsyncSession, org_id: UUID, initiative_id: UUID, day: date) -> Decimal:
    """The lowest spend to date on any date from `day` on (the totals a correction dated `day` lowers)."""
    of_initiative = (col(SpendEntry.org_id) == org_id, col(SpendEntry.initiative_id) == initiative_id)
    at_day = (
        select(func.coalesce(func.sum(col(SpendEntry.amount)), 0))
        .where(*of_initiative, col(SpendEntry.spent_on) <= day)
        .scalar_subquery()
    )
    daily = (
        select(
            col(SpendEntry.spent_on).label("spent_on"),
            func.sum(func.sum(col(SpendEntry.amount))).over(order_by=col(SpendEntry.spent_on)).label("to_date"),
        )
        .where(*of_initiative)
        .group_by(col(SpendEntry.spent_on))
        .subquery()
    )
    later = select(func.min(daily.c.to_date)).where(daily.c.spent_on >= day).scalar_subquery()
    # least() ignores NULL: with no entry after `day`, the total at `day` decides.
    lowest = (await session.execute(select(func.least(at_day, later)))).scalar_one()
    return Decimal(lowest)


async def record_spend(
    session: AsyncSession,
    *,
    principal: Principal,
    initiative_id: UUID,
    body: SpendCreate,
    now: datetime,
) -> SpendEntryPublic:
    org_id = principal.org_id
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id, lock=True)
    if body.currency is not None and body.currency != initiative.currency:
        raise Invalid("body.currency", f"the initiative is budgeted in {initiative.currency}; record spend in it")
    if body.amount == 0:
        raise Invalid("body.amount", "must not be zero")
    if body.amount < 0 and body.reason is None:
        raise Invalid("body.reason", "a correction (negative amount) needs a reason")
    if body.amount > 0 and body.reason is not None:
        raise Invalid("body.reason", "only a correction (negative amount) takes a reason; use note")
    today = now.astimezone(ZoneInfo(org_settings(await get_org(session, org_id=org_id)).time_zone)).date()
    spent_on = body.spent_on or today
    if spent_on > today:
        raise Invalid("body.spent_on", f"lies in the future (today is {today} in the organisation's time zone)")
    if body.amount < 0:
        lowest = await _lowest_spend_from(session, org_id, initiative.id, spent_on)
        if lowest + body.amount < 0:
            raise Invalid(
                "body.amount",
                f"the correction exceeds the spend recorded: spend to date from {spent_on} on is as low as "
                f"{money_text(lowest)} {initiative.currency}",
            )
    entry = SpendEntry(
        org_id=org_id,
        initiative_id=initiative.id,
        amount=body.amount,
        spent_on=spent_on,
        note=body.note,
        reason=body.reason,
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    public = spend_entry_public(entry, initiative.currency)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="initiative.spend_recorded",
            actor=principal.actor,
            object_type="initiative",
            object_id=initiative.id,
            occurred_at=now,
            after=public,
        ),
    )
    return public


async def list_spend(
    session: AsyncSession,
    *,
    org_id: UUID,
    initiative_id: UUID,
    params: PageParams,
    until: date | None,
) -> tuple[list[SpendEntryPublic], str | None]:
    """An initiative's spend entries by date spent (then recording order)."""
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id)
    statement = scoped(SpendEntry, org_id).where(col(SpendEntry.initiative_id) == initiative.id)
    if until is not None:
        statement = statement.where(col(SpendEntry.spent_on) <= until)
    rows = list(
        (await session.execute(paginate(statement, SpendEntry.spent_on, SpendEntry.seq, params=params))).scalars()
    )
    page, cursor = page_of(rows, params, lambda e: (e.spent_on, e.seq))
    return [spend_entry_public(e, initiative.currency) for e in page], cursor
