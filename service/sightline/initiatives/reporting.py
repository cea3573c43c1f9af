"""Money per key result and unaligned work, for the coverage report and the alignment map.

Each function issues ONE statement whatever the number of initiatives, links and entries, and
applies the split rule of `allocation.py`, so every screen shows the same cents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline.db.arrays import in_uuids
from sightline.identity.models import Org
from sightline.initiatives.allocation import Link, allocated_total, split
from sightline.initiatives.models import Initiative, InitiativeKeyResult, SpendEntry
from sightline.initiatives.schemas import SHARE_QUANTUM
from sightline.okrs.models import Cycle, KeyResult, Objective

ZERO = Decimal("0.00")


@dataclass
class KeyResultMoney:
    """What the initiatives linked to one key result put into it, in one currency."""

    key_result_id: UUID
    currency: str
    initiative_ids: list[UUID] = field(default_factory=list)  # every linked initiative, any currency or state
    budget: Decimal = ZERO  # allocated planned budget (dropped initiatives count 0)
    spend: Decimal = ZERO  # allocated spend to date


@dataclass(frozen=True)
class UnalignedInitiative:
    """An initiative whose money reaches no key result (wholly, or in part when `include_partial`)."""

    id: UUID
    title: str
    kind: str
    state: str
    owner_id: UUID
    team_id: UUID | None
    start_date: date | None
    end_date: date | None
    currency: str
    planned_budget: Decimal
    actual_spend: Decimal  # spend to date (as of the date asked)
    key_result_count: int
    unaligned_share: Decimal  # 1 without links; 1 − Σ shares when every link has a share
    unaligned_spend: Decimal  # the part of actual_spend linked to no key result, in exact cents
    created_at: datetime


def _spend_to_date(org_id: UUID, as_of: date | None, initiative_ids: Any = None) -> Any:
    statement: Any = (
        select(col(SpendEntry.initiative_id).label("initiative_id"), func.sum(col(SpendEntry.amount)).label("total"))
        .where(col(SpendEntry.org_id) == org_id)
        .group_by(col(SpendEntry.initiative_id))
    )
    if initiative_ids is not None:
        statement = statement.where(col(SpendEntry.initiative_id).in_(initiative_ids))
    if as_of is not None:
        statement = statement.where(col(SpendEntry.spent_on) <= as_of)
    return statement.subquery("spend")


def _cycle_key_results(org_id: UUID, cycle_ids: Collection[UUID]) -> Any:
    return (
        select(col(KeyResult.id))
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .where(col(KeyResult.org_id) == org_id, in_uuids(col(Objective.cycle_id), cycle_ids))
    )


def _allocation_rows(
    org_id: UUID, key_result_ids: Collection[UUID] | None, cycle_ids: Collection[UUID] | None, as_of: date | None
) -> Any:
    """Every link of every initiative touching the scope, each with whether it is in scope, its initiative's
    budget, state, currency and spend to date, and the organisation's currency; by initiative, links in order."""
    link = InitiativeKeyResult

    def scope(table: Any) -> Any:
        condition: Any = true()
        if key_result_ids is not None:
            condition = and_(condition, in_uuids(col(table.key_result_id), key_result_ids))
        if cycle_ids is not None:
            condition = and_(condition, col(table.key_result_id).in_(_cycle_key_results(org_id, cycle_ids)))
        return condition

    # Every link of every initiative touching the scope: the split of an initiative depends on all its links.
    # (Its own alias, so the subquery never correlates with the outer link rows.)
    scoped_link = aliased(InitiativeKeyResult, name="scoped_link")
    touched = select(col(scoped_link.initiative_id)).where(col(scoped_link.org_id) == org_id, scope(scoped_link))
    spend = _spend_to_date(org_id, as_of, touched)
    org_currency = (
        select(func.coalesce(col(Org.settings)["currency"].astext, "EUR")).where(col(Org.org_id) == org_id)
    ).scalar_subquery()
    return (
        select(
            col(link.initiative_id),
            col(link.key_result_id),
            col(link.share),
            case((scope(link), true()), else_=false()).label("in_scope"),
            col(Initiative.planned_budget),
            col(Initiative.state),
            col(Initiative.currency),
            func.coalesce(spend.c.total, 0).label("spend"),
            org_currency.label("org_currency"),
        )
        .join(
            Initiative, and_(col(Initiative.org_id) == col(link.org_id), col(Initiative.id) == col(link.initiative_id))
        )
        .outerjoin(spend, spend.c.initiative_id == col(link.initiative_id))
        .where(col(link.org_id) == org_id, col(link.initiative_id).in_(touched))
        .order_by(col(link.initiative_id), col(link.created_at), col(link.key_result_id))
    )


def _allocate(result: dict[UUID, KeyResultMoney], initiative_id: UUID, links: list[Any], currency: str | None) -> None:
    """Add one initiative's money to its in-scope key results: split by its links, in the currency asked."""
    head = links[0]
    wanted = currency or head.org_currency
    for row in links:
        if row.in_scope:
            result.setdefault(row.key_result_id, KeyResultMoney(row.key_result_id, wanted)).initiative_ids.append(
                initiative_id
            )
    if head.currency != wanted:
        return
    rules = [Link(key_result_id=row.key_result_id, share=row.share) for row in links]
    spend_split = split(Decimal(head.spend), rules)
    budget_split = split(ZERO if head.state == "dropped" else head.planned_budget, rules)
    for row in links:
        if row.in_scope:
            money = result[row.key_result_id]
            money.spend += spend_split.allocated[row.key_result_id]
            money.budget += budget_split.allocated[row.key_result_id]


async def allocations_by_key_result(
    session: AsyncSession,
    *,
    org_id: UUID,
    key_result_ids: Collection[UUID] | None = None,
    cycle_ids: Collection[UUID] | None = None,
    as_of: date | None = None,
    currency: str | None = None,
) -> dict[UUID, KeyResultMoney]:
    """Budget and spend allocated to each key result (of `key_result_ids`, of the cycles' objectives, or all).
    A caller with thousands of key results in a few cycles names the cycles: one small parameter, where the ids
    cost the service about 5 ms to bind (docs/benchmarks.md).

    Amounts are in `currency` (default: the organisation's currency); initiatives in another currency
    count in `initiative_ids` but add nothing to the amounts (call again with that currency). Only key
    results with at least one linked initiative appear. One statement.
    """
    if (key_result_ids is not None and not key_result_ids) or (cycle_ids is not None and not cycle_ids):
        return {}
    rows = (await session.execute(_allocation_rows(org_id, key_result_ids, cycle_ids, as_of))).all()
    by_initiative: dict[UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_initiative[row.initiative_id].append(row)
    result: dict[UUID, KeyResultMoney] = {}
    for initiative_id, links in by_initiative.items():
        _allocate(result, initiative_id, links, currency)
    return result


async def spend_by_key_result(
    session: AsyncSession,
    *,
    org_id: UUID,
    key_result_ids: Collection[UUID] | None = None,
    cycle_id: UUID | None = None,
    as_of: date | None = None,
    currency: str | None = None,
) -> dict[UUID, Decimal]:
    """Allocated spend to date per key result (see `allocations_by_key_result`). One statement."""
    money = await allocations_by_key_result(
        session,
        org_id=org_id,
        key_result_ids=key_result_ids,
        cycle_ids=None if cycle_id is None else [cycle_id],
        as_of=as_of,
        currency=currency,
    )
    return {key_result_id: m.spend for key_result_id, m in money.items()}


def _link_totals(org_id: UUID) -> Any:
    """Per initiative: how many links, how many carry a share, and the shares' sum."""
    link = InitiativeKeyResult
    return (
        select(
            col(link.initiative_id).label("initiative_id"),
            func.count().label("links"),
            func.count(col(link.share)).label("with_share"),
            func.coalesce(func.sum(col(link.share)), 0).label("share_sum"),
        )
        .where(col(link.org_id) == org_id)
        .group_by(col(link.initiative_id))
        .subquery("links")
    )


def _within_cycle(statement: Any, cycle_id: UUID) -> Any:
    """Only initiatives whose dates overlap the cycle (a missing start or end date is open-ended)."""
    return statement.join(Cycle, and_(col(Cycle.org_id) == col(Initiative.org_id), col(Cycle.id) == cycle_id)).where(
        (col(Initiative.start_date).is_(None)) | (col(Initiative.start_date) <= col(Cycle.end_date)),
        (col(Initiative.end_date).is_(None)) | (col(Initiative.end_date) >= col(Cycle.start_date)),
    )


def _unaligned(initiative: Initiative, count: int, share_sum: Any, total: Any) -> UnalignedInitiative:
    spent = Decimal(total)
    explicit = Decimal(share_sum) if count else Decimal(0)
    return UnalignedInitiative(
        id=initiative.id,
        title=initiative.title,
        kind=initiative.kind,
        state=initiative.state,
        owner_id=initiative.owner_id,
        team_id=initiative.team_id,
        start_date=initiative.start_date,
        end_date=initiative.end_date,
        currency=initiative.currency,
        planned_budget=initiative.planned_budget,
        actual_spend=spent + ZERO,
        key_result_count=count,
        unaligned_share=(1 - explicit).quantize(SHARE_QUANTUM),
        unaligned_spend=spent - allocated_total(spent, explicit, 0) + ZERO,
        created_at=initiative.created_at,
    )


async def unaligned_initiatives(
    session: AsyncSession,
    *,
    org_id: UUID,
    cycle_id: UUID | None = None,
    as_of: date | None = None,
    include_partial: bool = False,
    team_ids: Collection[UUID] | None = None,
    created_since: datetime | None = None,
) -> list[UnalignedInitiative]:
    """Initiatives linked to no key result, with budget and spend to date, oldest first. One statement.

    With `cycle_id`: those whose dates overlap the cycle (a missing start or end date is open-ended; an
    unknown cycle gives an empty list). With `include_partial`: also initiatives whose links all carry
    shares summing below 1, with the unallocated part of their spend. Every state is included (a dropped
    campaign's spend was still spent); filter on `state` if needed. `team_ids` and `created_since` narrow
    the list to those teams' initiatives created at or after that time (the review agenda's "new" work).
    """
    links = _link_totals(org_id)
    spend = _spend_to_date(org_id, as_of)
    link_count = func.coalesce(links.c.links, 0)
    unaligned: Any = link_count == 0
    if include_partial:
        unaligned = unaligned | and_(links.c.with_share == links.c.links, links.c.share_sum < 1)
    statement = (
        select(
            Initiative,
            link_count.label("links"),
            func.coalesce(links.c.share_sum, 0).label("share_sum"),
            func.coalesce(spend.c.total, 0).label("spend"),
        )
        .outerjoin(links, links.c.initiative_id == col(Initiative.id))
        .outerjoin(spend, spend.c.initiative_id == col(Initiative.id))
        .where(col(Initiative.org_id) == org_id, unaligned)
        .order_by(col(Initiative.created_at), col(Initiative.id))
    )
    if team_ids is not None:
        statement = statement.where(col(Initiative.team_id).in_(team_ids))
    if created_since is not None:
        statement = statement.where(col(Initiative.created_at) >= created_since)
    if cycle_id is not None:
        statement = _within_cycle(statement, cycle_id)
    rows = (await session.execute(statement)).all()
    return [_unaligned(initiative, count, share_sum, total) for initiative, count, share_sum, total in rows]
