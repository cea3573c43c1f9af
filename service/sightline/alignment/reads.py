"""Graph reads, each in a bounded number of statements: tree and alignment map (line of sight: line_of_sight.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.alignment.graph import link_public, node, node_fields
from sightline.alignment.schemas import (
    Tree,
    TreeNode,
)
from sightline.db.rows import fetch_rows
from sightline.db.tenancy import scoped
from sightline.initiatives.reporting import ZERO, allocations_by_key_result
from sightline.initiatives.schemas import money_text
from sightline.okrs.cycles import get_cycle
from sightline.okrs.mine import enclosing_cycle_ids
from sightline.okrs.models import Cycle
from sightline.okrs.objectives import get_objective
from sightline.okrs.subgraph import NO_DATA, ROLLUP_COLUMNS, load_subgraph


async def tree(session: AsyncSession, *, org_id: UUID, objective_id: UUID, now: datetime) -> Tree:
    root = await get_objective(session, org_id=org_id, objective_id=objective_id)
    graph = await load_subgraph(session, org_id=org_id, roots=[root], full=True, key_result_columns=ROLLUP_COLUMNS)
    rollups = graph.rollups(now)
    below = graph.children_of()
    depth = {root.id: 0}
    queue = deque([root.id])
    while queue:  # breadth first: each node at its shortest distance from the root
        current = queue.popleft()
        for link in below.get(current, ()):
            if link.child_objective_id not in depth:
                depth[link.child_objective_id] = depth[current] + 1
                queue.append(link.child_objective_id)
    nodes = [
        TreeNode(**node(graph.objectives[i], rollups.get(i, NO_DATA)).model_dump(), depth=d)
        for i, d in sorted(depth.items(), key=lambda item: item[1])
        if i != root.id
    ]
    return Tree(root=node(root, rollups[root.id]), nodes=nodes, links=[link_public(link) for link in graph.links])


async def alignment_map(session: AsyncSession, *, org_id: UUID, cycle_id: UUID, now: datetime) -> dict[str, Any]:
    """Objectives, key results and links of a cycle and every cycle overlapping it, ready for a layout: the JSON
    values of `AlignmentMap`, encoded once by the route (never validated again on this hot path; the tests
    check them against the model)."""
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    cycle_ids, roots = await _map_roots(session, org_id, cycle)
    graph = await load_subgraph(
        session,
        org_id=org_id,
        roots=roots,
        full=True,
        key_result_columns=(*ROLLUP_COLUMNS, "id", "title", "current_value", "unit"),
    )
    rollups = graph.rollups(now)
    in_map = {o.id for o in roots}
    currency = next(iter(graph.calendars.values())).settings.currency if graph.calendars else "EUR"
    enclosing = set(await enclosing_cycle_ids(session, org_id=org_id, cycle=cycle))
    map_krs = [kr for objective_id in in_map for kr in graph.key_results.get(objective_id, ())]
    # Named by their cycles (the map's key results are those of its cycles' live objectives; the others' entries
    # go unread): thousands of ids as a parameter cost more than the statement.
    money = await allocations_by_key_result(session, org_id=org_id, cycle_ids=cycle_ids, currency=currency)
    kr_spend = {kr.id: money[kr.id].spend if kr.id in money else ZERO for kr in map_krs}
    objectives = [
        {
            **node_fields(graph.objectives[i], rollups.get(i, NO_DATA)),
            "spend": money_text(sum((kr_spend[kr.id] for kr in graph.key_results.get(i, ())), ZERO)),
            "inherited": graph.objectives[i].cycle_id in enclosing,
        }
        for i in in_map
    ]
    return {
        "cycle_ids": cycle_ids,
        "currency": currency,
        "objectives": objectives,
        "key_results": [_map_key_result(kr, kr_spend[kr.id]) for kr in map_krs],
        "edges": _map_edges(graph.links, in_map),
    }


async def _map_roots(session: AsyncSession, org_id: UUID, cycle: Cycle) -> tuple[list[UUID], Sequence[Any]]:
    """The cycles overlapping `cycle`, and their objectives that are not archived (plain rows)."""
    cycle_ids = list(
        (
            await session.execute(
                scoped(Cycle, org_id)
                .with_only_columns(col(Cycle.id))
                .where(col(Cycle.start_date) <= cycle.end_date, col(Cycle.end_date) >= cycle.start_date)
            )
        ).scalars()
    )
    # Plain rows: a thousand ORM objects would cost more than the query.
    roots = await fetch_rows(
        session,
        "SELECT * FROM objectives WHERE org_id = $1 AND cycle_id = ANY($2::uuid[]) AND state <> 'archived'",
        org_id,
        cycle_ids,
    )
    return cycle_ids, roots


def _map_key_result(kr: Any, spend: Decimal) -> dict[str, Any]:
    return {
        "id": kr.id,
        "objective_id": kr.objective_id,
        "title": kr.title,
        "progress": kr.progress,
        "score": kr.score,
        "status": kr.status,
        "current_value": kr.current_value,
        "target_value": kr.target_value,
        "unit": kr.unit,
        "spend": money_text(spend),
    }


def _map_edges(links: Iterable[Any], in_map: set[UUID]) -> list[dict[str, Any]]:
    """The links whose both ends are on the map."""
    return [
        {
            "id": link.id,
            "source": link.child_objective_id,
            "target": link.parent_key_result_id or link.parent_node_id,
            "target_type": "key_result" if link.parent_key_result_id else "objective",
            "kind": link.kind,
            "weight": link.weight,
        }
        for link in links
        if link.child_objective_id in in_map and link.parent_node_id in in_map
    ]
