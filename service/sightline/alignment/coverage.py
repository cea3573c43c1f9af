"""The coverage report: where line of sight is broken, and where the money goes.

Spend rolls up without double counting: an objective's spend is what its key results receive from
initiatives (by allocation share); a company objective's rolled-up spend is the spend of the set of
objectives aligned below it, each counted ONCE even when it reaches the company objective by several
paths. Link weights say how much of a parent a child claims; they do not scale euros.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.alignment.models import Alignment
from sightline.db.tenancy import scoped
from sightline.initiatives.reporting import UnalignedInitiative, allocations_by_key_result, unaligned_initiatives
from sightline.initiatives.schemas import MoneyText
from sightline.okrs.cycles import get_cycle
from sightline.okrs.models import Objective, Team
from sightline.okrs.subgraph import LinkRow, load_subgraph

ZERO = Decimal("0.00")


class CoverageObjective(BaseModel):
    id: UUID
    title: str
    level: str
    team_id: UUID | None
    owner_id: UUID


class CoverageKeyResult(BaseModel):
    id: UUID
    title: str
    objective_id: UUID
    owner_id: UUID


class UnalignedWork(BaseModel):
    id: UUID
    title: str
    kind: str
    state: str
    planned_budget: MoneyText
    actual_spend: MoneyText
    unaligned_spend: MoneyText = Field(description="The part of the spend that reaches no key result")
    partial: bool = Field(description="Linked, but its shares leave part of the money unallocated")


class CoverageTeam(BaseModel):
    id: UUID
    name: str


class Claim(BaseModel):
    child_objective_id: UUID
    weight: float


class OverClaim(BaseModel):
    key_result_id: UUID
    title: str
    claimed: float = Field(description="Sum of the contributes weights claimed on it (over 1)")
    claims: list[Claim]


class KeyResultSpend(BaseModel):
    key_result_id: UUID
    spend: MoneyText


class ObjectiveSpend(BaseModel):
    objective_id: UUID
    title: str
    level: str
    spend: MoneyText = Field(description="Spend reaching its own key results")
    rolled_up_spend: MoneyText = Field(description="Its spend plus that of every objective aligned below it, once")


class TeamSpend(BaseModel):
    team_id: UUID
    spend: MoneyText


class Coverage(BaseModel):
    cycle_id: UUID
    currency: str
    as_of: date | None
    objectives_without_parent: list[CoverageObjective] = Field(description="Below company level, aligned to nothing")
    key_results_without_initiative: list[CoverageKeyResult]
    unaligned_work: list[UnalignedWork] = Field(description="Initiatives whose money reaches no key result")
    unaligned_spend: MoneyText
    teams_without_objectives: list[CoverageTeam] = Field(
        description="Teams with no objective in the cycle, neither their own nor in a sub-team"
    )
    over_claimed_key_results: list[OverClaim]
    spend_by_key_result: list[KeyResultSpend]
    spend_by_objective: list[ObjectiveSpend]
    spend_by_team: list[TeamSpend]
    spend_by_company_objective: list[ObjectiveSpend]


class CoverageSummary(BaseModel):
    """Line of sight in figures: the coverage report's counts and the spend per objective."""

    currency: str
    objectives: int
    objectives_without_parent: int = Field(description="Below company level, aligned to nothing")
    key_results: int
    key_results_without_initiative: int
    unaligned_initiatives: int = Field(description="Initiatives whose money (or part of it) reaches no key result")
    unaligned_spend: MoneyText
    spend: MoneyText = Field(description="Spend reaching the cycle's key results")
    teams_without_objectives: int
    over_claimed_key_results: int
    spend_by_objective: list[ObjectiveSpend]


def summarise(report: Coverage) -> CoverageSummary:
    return CoverageSummary(
        currency=report.currency,
        objectives=len(report.spend_by_objective),
        objectives_without_parent=len(report.objectives_without_parent),
        key_results=len(report.spend_by_key_result),
        key_results_without_initiative=len(report.key_results_without_initiative),
        unaligned_initiatives=len(report.unaligned_work),
        unaligned_spend=report.unaligned_spend,
        spend=sum((Decimal(k.spend) for k in report.spend_by_key_result), ZERO),
        teams_without_objectives=len(report.teams_without_objectives),
        over_claimed_key_results=len(report.over_claimed_key_results),
        spend_by_objective=report.spend_by_objective,
    )


async def coverage(
    session: AsyncSession, *, org_id: UUID, cycle_id: UUID, as_of: date | None, now: datetime
) -> Coverage:
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    in_cycle = await _objectives_in(session, org_id, cycle.id)
    graph = await load_subgraph(session, org_id=org_id, roots=in_cycle, full=True)
    currency = next(iter(graph.calendars.values())).settings.currency if graph.calendars else "EUR"
    with_parent = await _with_parent(session, org_id, [o.id for o in in_cycle])
    key_results = [kr for objective_krs in graph.key_results.values() for kr in objective_krs]
    # Named by their cycles, not thousands of ids (entries of key results outside the graph go unread).
    money = await allocations_by_key_result(
        session,
        org_id=org_id,
        cycle_ids={o.cycle_id for o in graph.objectives.values()},
        as_of=as_of,
        currency=currency,
    )
    unaligned = await unaligned_initiatives(
        session, org_id=org_id, cycle_id=cycle.id, as_of=as_of, include_partial=True
    )
    teams = list((await session.execute(scoped(Team, org_id).where(col(Team.archived_at).is_(None)))).scalars())

    kr_spend = {kr.id: money[kr.id].spend if kr.id in money else ZERO for kr in key_results}
    own = {o_id: sum((kr_spend[kr.id] for kr in krs), ZERO) for o_id, krs in graph.key_results.items()}
    objective_spend = _objective_spend(graph.children_of(), own)
    covered_teams = _teams_with_objectives(teams, {o.team_id for o in in_cycle if o.team_id})
    cycle_krs = [kr for o in in_cycle for kr in graph.key_results.get(o.id, ())]
    return Coverage(
        cycle_id=cycle.id,
        currency=currency,
        as_of=as_of,
        objectives_without_parent=[
            CoverageObjective(id=o.id, title=o.title, level=o.level, team_id=o.team_id, owner_id=o.owner_id)
            for o in in_cycle
            if o.level != "company" and o.id not in with_parent
        ],
        key_results_without_initiative=[
            CoverageKeyResult(id=kr.id, title=kr.title, objective_id=kr.objective_id, owner_id=kr.owner_id)
            for kr in cycle_krs
            if kr.id not in money
        ],
        unaligned_work=[_unaligned_work(u) for u in unaligned if u.currency == currency],
        unaligned_spend=sum((u.unaligned_spend for u in unaligned if u.currency == currency), ZERO),
        teams_without_objectives=[CoverageTeam(id=t.id, name=t.name) for t in teams if t.id not in covered_teams],
        over_claimed_key_results=_over_claims(graph.links, {kr.id: kr.title for kr in key_results}),
        spend_by_key_result=[KeyResultSpend(key_result_id=kr.id, spend=kr_spend[kr.id]) for kr in cycle_krs],
        spend_by_objective=[objective_spend(o) for o in in_cycle],
        spend_by_team=[
            TeamSpend(team_id=t.id, spend=sum((own.get(o.id, ZERO) for o in in_cycle if o.team_id == t.id), ZERO))
            for t in teams
        ],
        spend_by_company_objective=[objective_spend(o) for o in in_cycle if o.level == "company"],
    )


async def _objectives_in(session: AsyncSession, org_id: UUID, cycle_id: UUID) -> list[Objective]:
    """The cycle's objectives that are not archived."""
    statement = scoped(Objective, org_id).where(col(Objective.cycle_id) == cycle_id, col(Objective.state) != "archived")
    return list((await session.execute(statement)).scalars())


async def _with_parent(session: AsyncSession, org_id: UUID, objective_ids: list[UUID]) -> set[UUID]:
    """Those of the objectives aligned to something."""
    statement = select(col(Alignment.child_objective_id)).where(
        col(Alignment.org_id) == org_id, col(Alignment.child_objective_id).in_(objective_ids)
    )
    return set((await session.execute(statement)).scalars())


def _objective_spend(
    below: dict[UUID, list[LinkRow]], own: dict[UUID, Decimal]
) -> Callable[[Objective], ObjectiveSpend]:
    """An objective's own spend and the spend rolled up from every objective below it (once each)."""

    def rolled_up(root: UUID) -> Decimal:
        seen, queue = {root}, deque([root])
        while queue:  # every objective below, once, however many paths lead to it
            for link in below.get(queue.popleft(), ()):
                if link.child_objective_id not in seen:
                    seen.add(link.child_objective_id)
                    queue.append(link.child_objective_id)
        return sum((own.get(node, ZERO) for node in seen), ZERO)

    def objective_spend(objective: Objective) -> ObjectiveSpend:
        return ObjectiveSpend(
            objective_id=objective.id,
            title=objective.title,
            level=objective.level,
            spend=own.get(objective.id, ZERO),
            rolled_up_spend=rolled_up(objective.id),
        )

    return objective_spend


def _unaligned_work(u: UnalignedInitiative) -> UnalignedWork:
    return UnalignedWork(
        id=u.id,
        title=u.title,
        kind=u.kind,
        state=u.state,
        planned_budget=u.planned_budget,
        actual_spend=u.actual_spend,
        unaligned_spend=u.unaligned_spend,
        partial=u.key_result_count > 0,
    )


def _teams_with_objectives(teams: list[Team], owning: set[UUID]) -> set[UUID]:
    """Teams that have an objective, or a sub-team (at any depth) that has one."""
    parent = {t.id: t.parent_id for t in teams}
    covered: set[UUID] = set()
    for team_id in owning:
        node: UUID | None = team_id
        while node is not None and node not in covered:
            covered.add(node)
            node = parent.get(node)
    return covered


def _over_claims(links: list[Alignment], titles: dict[UUID, str]) -> list[OverClaim]:
    claims: dict[UUID, list[Claim]] = {}
    for link in links:
        if link.kind == "contributes" and link.parent_key_result_id is not None:
            claims.setdefault(link.parent_key_result_id, []).append(
                Claim(child_objective_id=link.child_objective_id, weight=link.weight)
            )
    return [
        OverClaim(
            key_result_id=kr_id, title=titles.get(kr_id, ""), claimed=sum(c.weight for c in kr_claims), claims=kr_claims
        )
        for kr_id, kr_claims in claims.items()
        if sum(c.weight for c in kr_claims) > 1 + 1e-9
    ]
