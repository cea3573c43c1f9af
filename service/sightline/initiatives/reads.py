"""Initiatives as the API shows them: with their links, allocations, spend to date and pacing; one, or a page."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.identity.service import get_org, org_settings
from sightline.initiatives import pacing
from sightline.initiatives.allocation import Link, effective_shares, split, unallocated_share
from sightline.initiatives.models import Initiative, InitiativeKeyResult, SpendEntry
from sightline.initiatives.schemas import InitiativePublic, KeyResultAllocation
from sightline.okrs.models import KeyResult, Objective


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def initiative_public(
    initiative: Initiative,
    links: list[Link],
    spend: Decimal,
    as_of: date | None,
    *,
    names: dict[UUID, tuple[str, UUID, str]],
    today: date,
) -> InitiativePublic:
    """`names`: each linked key result's title, objective id and objective title."""
    day = as_of or today
    pace = pacing.pace(
        planned=initiative.planned_budget, spent=spend, start=initiative.start_date, end=initiative.end_date, day=day
    )
    shares = effective_shares(links)
    spend_split = split(spend, links)
    budget_split = split(initiative.planned_budget, links)
    return InitiativePublic(
        id=initiative.id,
        title=initiative.title,
        description=initiative.description,
        kind=initiative.kind,  # type: ignore[arg-type]
        owner_id=initiative.owner_id,
        team_id=initiative.team_id,
        state=initiative.state,  # type: ignore[arg-type]
        start_date=initiative.start_date,
        end_date=initiative.end_date,
        currency=initiative.currency,
        planned_budget=initiative.planned_budget,
        actual_spend=spend,
        remaining_budget=initiative.planned_budget - spend,
        as_of=as_of,
        key_results=[
            KeyResultAllocation(
                key_result_id=link.key_result_id,
                key_result_title=names[link.key_result_id][0],
                objective_id=names[link.key_result_id][1],
                objective_title=names[link.key_result_id][2],
                share=link.share,
                effective_share=_decimal(shares[link.key_result_id]),
                allocated_budget=budget_split.allocated[link.key_result_id],
                allocated_spend=spend_split.allocated[link.key_result_id],
            )
            for link in links
        ],
        unallocated_share=_decimal(unallocated_share(links)),
        unallocated_spend=spend_split.unallocated,
        pacing_day=day,
        elapsed_share=pace.elapsed_share,
        expected_spend=pace.expected_spend,
        spend_vs_expected=pace.spend_vs_expected,
        version=initiative.version,
        created_at=initiative.created_at,
        updated_at=initiative.updated_at,
    )


async def spend_totals(
    session: AsyncSession, *, org_id: UUID, initiative_ids: list[UUID], as_of: date | None
) -> dict[UUID, Decimal]:
    """Spend to date per initiative (entries dated on or before `as_of`, or all): one statement."""
    statement = (
        select(col(SpendEntry.initiative_id), func.sum(col(SpendEntry.amount)))
        .where(col(SpendEntry.org_id) == org_id, col(SpendEntry.initiative_id).in_(initiative_ids))
        .group_by(col(SpendEntry.initiative_id))
    )
    if as_of is not None:
        statement = statement.where(col(SpendEntry.spent_on) <= as_of)
    totals = {initiative_id: Decimal("0.00") for initiative_id in initiative_ids}
    for initiative_id, total in (await session.execute(statement)).all():
        totals[initiative_id] = total
    return totals


async def publics(
    session: AsyncSession, *, org_id: UUID, initiatives: list[Initiative], now: datetime, as_of: date | None = None
) -> list[InitiativePublic]:
    """Initiatives with their links (and the names of what they link to) and spend: two statements for any number
    of initiatives (and the organisation's row for its time zone, which paces the budget)."""
    if not initiatives:
        return []
    ids = [i.id for i in initiatives]
    # Plain columns, not ORM objects: links are replaced with Core statements the identity map would not see.
    link_rows = await session.execute(
        select(
            col(InitiativeKeyResult.initiative_id),
            col(InitiativeKeyResult.key_result_id),
            col(InitiativeKeyResult.share),
            col(KeyResult.title),
            col(Objective.id),
            col(Objective.title),
        )
        .join(
            KeyResult,
            and_(
                col(KeyResult.org_id) == col(InitiativeKeyResult.org_id),
                col(KeyResult.id) == col(InitiativeKeyResult.key_result_id),
            ),
        )
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .where(col(InitiativeKeyResult.org_id) == org_id, col(InitiativeKeyResult.initiative_id).in_(ids))
        .order_by(col(InitiativeKeyResult.created_at), col(InitiativeKeyResult.key_result_id))
    )
    links: dict[UUID, list[Link]] = defaultdict(list)
    names: dict[UUID, tuple[str, UUID, str]] = {}
    for initiative_id, key_result_id, share, kr_title, objective_id, objective_title in link_rows.all():
        links[initiative_id].append(Link(key_result_id=key_result_id, share=share))
        names[key_result_id] = (kr_title, objective_id, objective_title)
    totals = await spend_totals(session, org_id=org_id, initiative_ids=ids, as_of=as_of)
    zone = org_settings(await get_org(session, org_id=org_id)).time_zone
    today = now.astimezone(ZoneInfo(zone)).date()
    return [initiative_public(i, links[i.id], totals[i.id], as_of, names=names, today=today) for i in initiatives]


async def get_initiative(session: AsyncSession, *, org_id: UUID, initiative_id: UUID, lock: bool = False) -> Initiative:
    return await one_of_org(session, Initiative, org_id, initiative_id, what="initiative", lock=lock)


async def read_initiative(
    session: AsyncSession, *, org_id: UUID, initiative_id: UUID, as_of: date | None, now: datetime
) -> InitiativePublic:
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id)
    return (await publics(session, org_id=org_id, initiatives=[initiative], now=now, as_of=as_of))[0]


def _linked_to(org_id: UUID, *conditions: object) -> object:
    """EXISTS a link of the listed initiative to a key result matching `conditions`."""
    return (
        exists()
        .where(
            col(InitiativeKeyResult.org_id) == org_id,
            col(InitiativeKeyResult.initiative_id) == col(Initiative.id),
            *conditions,  # type: ignore[arg-type]
        )
        .correlate(Initiative)
    )


async def list_initiatives(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    as_of: date | None,
    now: datetime,
    team_id: UUID | None = None,
    owner_id: UUID | None = None,
    state: str | None = None,
    kind: str | None = None,
    key_result_id: UUID | None = None,
    objective_id: UUID | None = None,
    cycle_id: UUID | None = None,
    linked: bool | None = None,
) -> tuple[list[InitiativePublic], str | None]:
    statement = scoped(Initiative, org_id)
    for column, value in (
        (Initiative.team_id, team_id),
        (Initiative.owner_id, owner_id),
        (Initiative.state, state),
        (Initiative.kind, kind),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    if key_result_id is not None:
        statement = statement.where(_linked_to(org_id, col(InitiativeKeyResult.key_result_id) == key_result_id))  # type: ignore[arg-type]
    if objective_id is not None or cycle_id is not None:
        key_results = select(col(KeyResult.id)).where(col(KeyResult.org_id) == org_id)
        if objective_id is not None:
            key_results = key_results.where(col(KeyResult.objective_id) == objective_id)
        if cycle_id is not None:
            key_results = key_results.join(
                Objective,
                and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
            ).where(col(Objective.cycle_id) == cycle_id)
        statement = statement.where(_linked_to(org_id, col(InitiativeKeyResult.key_result_id).in_(key_results)))  # type: ignore[arg-type]
    if linked is not None:
        any_link = _linked_to(org_id)
        statement = statement.where(any_link if linked else ~any_link)  # type: ignore[arg-type,operator]
    rows = list(
        (await session.execute(paginate(statement, Initiative.created_at, Initiative.id, params=params))).scalars()
    )
    page, cursor = page_of(rows, params, lambda i: (i.created_at, i.id))
    return await publics(session, org_id=org_id, initiatives=page, now=now, as_of=as_of), cursor
