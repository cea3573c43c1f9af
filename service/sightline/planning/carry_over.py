"""Carry-over: objectives and key results of one cycle copied into another, linked to their originals, with the
value each key result reached as its `previous_value` (ambition's baseline); alignments re-created where both ends
are carried; unfinished initiatives moved on request. docs/planning.md, docs/decisions/planning-carry-over.md.

One request, a fixed number of statements whatever the number of objectives; serialised per organisation with
alignment writes (the same lock), so a retry or a concurrent twin finds the copies and creates nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.alignment.graph import link_public
from sightline.alignment.models import Alignment
from sightline.alignment.schemas import AlignmentCreated
from sightline.auth import Principal
from sightline.db.arrays import in_uuids
from sightline.db.tenancy import wait_org_lock
from sightline.errors import Conflict, Invalid, NotFound
from sightline.events import service as events
from sightline.identity.models import User
from sightline.initiatives.models import Initiative, InitiativeKeyResult
from sightline.initiatives.reads import publics as initiative_publics
from sightline.okrs import objectives, rollups
from sightline.okrs.calendars import load_calendars
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import key_result_public
from sightline.okrs.models import Cycle, KeyResult, Objective, Team
from sightline.planning.carry_over_plan import (
    Existing,
    Plan,
    answer,
    closed_preview,
    plan_links,
    plan_moves,
    plan_objectives,
)
from sightline.planning.carry_over_schemas import MAX_OBJECTIVES, CarryOverRequest, CarryOverResult

# Every objective above the given ones, as (child, parent node) edges: where a re-created link could close a loop.
_ABOVE = text("""
    WITH RECURSIVE up(node) AS (
        SELECT unnest(CAST(:ids AS uuid[]))
        UNION
        SELECT a.parent_node_id FROM up JOIN alignments a ON a.org_id = :org AND a.child_objective_id = up.node
    )
    SELECT a.child_objective_id, a.parent_node_id FROM alignments a
    WHERE a.org_id = :org AND a.child_objective_id IN (SELECT node FROM up)
""")


async def carry_over(
    session: AsyncSession, *, principal: Principal, cycle_id: UUID, body: CarryOverRequest, now: datetime
) -> CarryOverResult:
    org_id = principal.org_id
    await wait_org_lock(session, "alignment", org_id)  # alignment writes and carry-overs of the organisation
    target = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    source, originals = await _source(session, org_id, body)
    if source.id == target.id:
        raise Invalid("body.source_cycle_id", "the source cycle is the target cycle")
    if source.state == "planning":
        raise Invalid("body.source_cycle_id", "the source cycle is still in planning: nothing was reached yet")
    if target.state == "closed":
        if not body.dry_run:
            raise Conflict("the target cycle is closed")
        return closed_preview(source, target, originals, body)
    calendar = (await load_calendars(session, org_id=org_id, cycle_ids={target.id}))[target.id]
    existing = await _existing(session, org_id, source, target, originals, body)
    plan = plan_objectives(existing, target=calendar, now=now)
    plan_links(existing, plan, principal_actor=principal.actor, now=now)
    if body.include_initiatives:
        plan_moves(existing, plan)
    linked = [] if body.dry_run else await _write(session, principal, plan, now)
    result = answer(body, source, target, plan)
    if not body.dry_run:
        await _emit(session, principal, plan, result, linked, calendar=calendar, now=now)
    return result


async def _source(session: AsyncSession, org_id: UUID, body: CarryOverRequest) -> tuple[Cycle, list[Any]]:
    """The source cycle and the picks found in it, in request order (a pick from elsewhere stays a skip)."""
    if body.objectives == "all":
        if body.source_cycle_id is None:
            raise Invalid("body.source_cycle_id", "required when carrying all objectives")
        source = await get_cycle(session, org_id=org_id, cycle_id=body.source_cycle_id)
        rows = list(
            (
                await session.execute(
                    select(Objective)
                    .where(col(Objective.org_id) == org_id, col(Objective.cycle_id) == source.id)
                    .where(col(Objective.state) != "archived")
                    .order_by(col(Objective.created_at), col(Objective.id))
                    .limit(MAX_OBJECTIVES + 1)
                )
            ).scalars()
        )
        if len(rows) > MAX_OBJECTIVES:
            raise Invalid("body.objectives", f"the cycle has over {MAX_OBJECTIVES} objectives: pick some")
        return source, rows
    wanted = [pick.objective_id for pick in body.objectives]
    found = {
        o.id: o
        for o in (
            await session.execute(
                select(Objective).where(col(Objective.org_id) == org_id, in_uuids(col(Objective.id), wanted))
            )
        ).scalars()
    }
    source_id = body.source_cycle_id or next((found[i].cycle_id for i in wanted if i in found), None)
    if source_id is None:
        raise NotFound("objective")
    source = await get_cycle(session, org_id=org_id, cycle_id=source_id)
    return source, [found.get(i, i) for i in dict.fromkeys(wanted)]


async def _existing(
    session: AsyncSession, org_id: UUID, source: Cycle, target: Cycle, originals: list[Any], body: CarryOverRequest
) -> Existing:
    plan = Plan()  # collects the picks that are no source objective
    found: list[Objective] = []
    for o in originals:
        if not isinstance(o, Objective):
            plan.skip("objective", o, "not_found", f"no objective {o} in this organisation")
        elif o.cycle_id != source.id:
            plan.skip("objective", o.id, "not_in_source_cycle", f"the objective is in another cycle ({o.cycle_id})")
        else:
            found.append(o)
    ids = [o.id for o in found]
    key_results = await _key_results(session, org_id, ids)
    links = await _links(session, org_id, ids)
    ends = set(ids) | {a.child_objective_id for a in links} | {a.parent_node_id for a in links}
    kr_ends = {kr.id for rows in key_results.values() for kr in rows} | {
        a.parent_key_result_id for a in links if a.parent_key_result_id is not None
    }
    copies = await _copies(session, org_id, target.id, ends)
    copy_ids = [c.id for c in copies.values()]
    existing = Existing(
        objectives=found,
        picks={} if body.objectives == "all" else {p.objective_id: p.key_result_ids for p in body.objectives},
        key_results=key_results,
        copies=copies,
        kr_copies=await _kr_copies(session, org_id, target.id, kr_ends),
        links=links,
        target_links=await _target_links(session, org_id, copy_ids),
        ancestors=await _ancestors(session, org_id, copy_ids),
        archived_teams=await _archived_teams(session, org_id, {o.team_id for o in found if o.team_id is not None}),
        active_users=await _active_users(session, org_id, found, key_results),
        initiatives=await _initiatives(session, org_id, kr_ends) if body.include_initiatives else [],
    )
    existing.refused = plan.skipped
    return existing


async def _key_results(session: AsyncSession, org_id: UUID, objective_ids: list[UUID]) -> dict[UUID, list[KeyResult]]:
    rows = (
        await session.execute(
            select(KeyResult)
            .where(col(KeyResult.org_id) == org_id, in_uuids(col(KeyResult.objective_id), objective_ids))
            .order_by(col(KeyResult.created_at), col(KeyResult.id))
        )
    ).scalars()
    grouped: dict[UUID, list[KeyResult]] = {}
    for kr in rows:
        grouped.setdefault(kr.objective_id, []).append(kr)
    return grouped


async def _links(session: AsyncSession, org_id: UUID, ids: list[UUID]) -> list[Alignment]:
    touching = in_uuids(col(Alignment.child_objective_id), ids) | in_uuids(col(Alignment.parent_node_id), ids)
    statement = (
        select(Alignment)
        .where(col(Alignment.org_id) == org_id, touching)
        .order_by(col(Alignment.created_at), col(Alignment.id))
    )
    return list((await session.execute(statement)).scalars())


async def _copies(session: AsyncSession, org_id: UUID, target_id: UUID, originals: set[UUID]) -> dict[UUID, Objective]:
    rows = (
        await session.execute(
            select(Objective).where(
                col(Objective.org_id) == org_id,
                col(Objective.cycle_id) == target_id,
                col(Objective.state) != "archived",
                in_uuids(col(Objective.carried_from), originals),
            )
        )
    ).scalars()
    return {o.carried_from: o for o in rows if o.carried_from is not None}


async def _kr_copies(
    session: AsyncSession, org_id: UUID, target_id: UUID, originals: set[UUID]
) -> dict[UUID, KeyResult]:
    rows = (
        await session.execute(
            select(KeyResult)
            .join(Objective, (col(Objective.org_id) == org_id) & (col(Objective.id) == col(KeyResult.objective_id)))
            .where(
                col(KeyResult.org_id) == org_id,
                col(Objective.cycle_id) == target_id,
                col(Objective.state) != "archived",
                col(KeyResult.archived_at).is_(None),
                in_uuids(col(KeyResult.carried_from), originals),
            )
        )
    ).scalars()
    return {kr.carried_from: kr for kr in rows if kr.carried_from is not None}


async def _target_links(
    session: AsyncSession, org_id: UUID, copy_ids: list[UUID]
) -> set[tuple[UUID, UUID | None, UUID | None]]:
    if not copy_ids:
        return set()
    rows = await session.execute(
        select(Alignment).where(col(Alignment.org_id) == org_id, in_uuids(col(Alignment.child_objective_id), copy_ids))
    )
    return {(a.child_objective_id, a.parent_objective_id, a.parent_key_result_id) for a in rows.scalars()}


async def _ancestors(session: AsyncSession, org_id: UUID, copy_ids: list[UUID]) -> dict[UUID, set[UUID]]:
    if not copy_ids:
        return {}
    graph: dict[UUID, set[UUID]] = {}
    for child, parent in (await session.execute(_ABOVE, {"org": org_id, "ids": copy_ids})).all():
        graph.setdefault(child, set()).add(parent)
    return graph


async def _archived_teams(session: AsyncSession, org_id: UUID, team_ids: set[UUID]) -> set[UUID]:
    if not team_ids:
        return set()
    statement = select(col(Team.id)).where(
        col(Team.org_id) == org_id, in_uuids(col(Team.id), team_ids), col(Team.archived_at).is_not(None)
    )
    return set((await session.execute(statement)).scalars())


async def _active_users(
    session: AsyncSession, org_id: UUID, found: list[Objective], key_results: dict[UUID, list[KeyResult]]
) -> set[UUID]:
    owners = {o.owner_id for o in found} | {kr.owner_id for rows in key_results.values() for kr in rows}
    if not owners:
        return set()
    statement = select(col(User.id)).where(
        col(User.org_id) == org_id, in_uuids(col(User.id), owners), col(User.deactivated_at).is_(None)
    )
    return set((await session.execute(statement)).scalars())


async def _initiatives(session: AsyncSession, org_id: UUID, kr_ids: set[UUID]) -> list[Any]:
    statement: Any = (
        select(
            col(Initiative.id).label("initiative_id"),
            col(Initiative.title),
            col(Initiative.state),
            col(InitiativeKeyResult.key_result_id),
            col(InitiativeKeyResult.share),
        )
        .join(
            Initiative,
            (col(Initiative.org_id) == col(InitiativeKeyResult.org_id))
            & (col(Initiative.id) == col(InitiativeKeyResult.initiative_id)),
        )
        .where(col(InitiativeKeyResult.org_id) == org_id, in_uuids(col(InitiativeKeyResult.key_result_id), kr_ids))
        .order_by(col(Initiative.created_at), col(Initiative.id), col(InitiativeKeyResult.key_result_id))
    )
    return list((await session.execute(statement)).all())


async def _write(session: AsyncSession, principal: Principal, plan: Plan, now: datetime) -> list[Any]:
    """The copies (objectives, then their key results), the links, the moved initiative links, the roll-ups."""
    org_id = principal.org_id
    if plan.objectives:
        session.add_all(plan.objectives)
        await session.flush()
    if plan.key_results:
        session.add_all(plan.key_results)
        await session.flush()
    if plan.links:
        session.add_all([new for _, new in plan.links])
        await session.flush()
    linked = await _move(session, org_id, plan, now) if plan.moves else []
    touched = {o.id for o in plan.touched if o.id in plan.created} | {kr.objective_id for kr in plan.key_results}
    touched |= {new.parent_node_id for _, new in plan.links}
    await rollups.refresh(session, org_id=org_id, objective_ids=touched, now=now, actor=principal.actor)
    return linked


async def _move(session: AsyncSession, org_id: UUID, plan: Plan, now: datetime) -> list[Any]:
    """Each moved initiative link: off the original key result, onto its copy, with its share; a new version of
    each moved initiative. Returns (before, after) of each, for its `initiative.linked` event."""
    pairs = [(initiative, old) for initiative, _, old, _, _ in plan.moves]
    moved = (
        await session.execute(
            select(Initiative)
            .where(col(Initiative.org_id) == org_id, in_uuids(col(Initiative.id), {i for i, _ in pairs}))
            .order_by(col(Initiative.created_at), col(Initiative.id))
            .with_for_update()
        )
    ).scalars()
    initiatives = list(moved)
    before = await initiative_publics(session, org_id=org_id, initiatives=initiatives, now=now)
    await session.execute(
        delete(InitiativeKeyResult).where(
            col(InitiativeKeyResult.org_id) == org_id,
            text("(initiative_id, key_result_id) IN (SELECT * FROM unnest(CAST(:i AS uuid[]), CAST(:k AS uuid[])))"),
        ),
        {"i": [i for i, _ in pairs], "k": [k for _, k in pairs]},
    )
    await session.execute(
        insert(InitiativeKeyResult),
        [
            {"org_id": org_id, "initiative_id": i, "key_result_id": new, "share": share, "created_at": now}
            for i, _, _, new, share in plan.moves
        ],
    )
    for initiative in initiatives:
        initiative.version += 1
        initiative.updated_at = now
    await session.flush()
    after = await initiative_publics(session, org_id=org_id, initiatives=initiatives, now=now)
    return list(zip(before, after, strict=True))


async def _emit(
    session: AsyncSession,
    principal: Principal,
    plan: Plan,
    result: CarryOverResult,
    linked: list[Any],
    *,
    calendar: Any,
    now: datetime,
) -> None:
    """objective.created, key_result.created, alignment.created and initiative.linked as their own writes emit
    them, then one cycle.carried_over with the whole answer: one INSERT for all of them."""
    org_id, actor = principal.org_id, principal.actor
    created = list(plan.objectives)
    publics = await objectives.publics(session, org_id=org_id, objectives=created, now=now) if created else []

    def event(kind: str, object_type: str, object_id: UUID, after: Any) -> events.NewEvent:
        return events.NewEvent(
            org_id=org_id,
            type=kind,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            occurred_at=now,
            after=after,
        )

    await events.emit(
        session,
        *[event("objective.created", "objective", p.id, p) for p in publics],
        *[
            event("key_result.created", "key_result", kr.id, key_result_public(kr, calendar=calendar, now=now))
            for kr in plan.key_results
        ],
        *[
            event(
                "alignment.created",
                "alignment",
                link.id,
                AlignmentCreated(**link_public(link).model_dump(), warnings=[]),
            )
            for _, link in plan.links
        ],
        *[
            events.NewEvent(
                org_id=org_id,
                type="initiative.linked",
                actor=actor,
                object_type="initiative",
                object_id=after.id,
                occurred_at=now,
                before=before,
                after=after,
            )
            for before, after in linked
        ],
        event("cycle.carried_over", "cycle", result.target_cycle_id, result),
    )
