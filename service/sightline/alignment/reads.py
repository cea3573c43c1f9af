"""Graph reads, each in a bounded number of statements: tree, line of sight, alignment map."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.alignment.graph import link_public, node, node_fields
from sightline.alignment.models import Alignment
from sightline.alignment.schemas import (
    ChainStop,
    Hop,
    LineOfSight,
    LineOfSightPath,
    ObjectiveNode,
    ObjectiveRef,
    Tree,
    TreeNode,
)
from sightline.db.rows import fetch_rows
from sightline.db.tenancy import scoped
from sightline.initiatives.reporting import ZERO, allocations_by_key_result
from sightline.initiatives.schemas import money_text
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import Rollup
from sightline.okrs.mine import enclosing_cycle_ids
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.okrs.objectives import get_objective
from sightline.okrs.subgraph import NO_DATA, OBJECTIVES_BY_ID, ROLLUP_COLUMNS, is_fresh, load_subgraph, stored

MAX_PATHS = 500  # a DAG can hold many paths; beyond this many the answer says so by truncating

_PATHS_UP = text("""
    WITH RECURSIVE up(node, links, visited) AS (
        SELECT CAST(:start AS uuid), ARRAY[]::uuid[], ARRAY[CAST(:start AS uuid)]
        UNION ALL
        SELECT a.parent_node_id, up.links || a.id, up.visited || a.parent_node_id
        FROM up JOIN alignments a ON a.org_id = :org AND a.child_objective_id = up.node
        WHERE NOT a.parent_node_id = ANY(up.visited)
    )
    SELECT up.links, up.node, o.level,
           NOT EXISTS (SELECT 1 FROM alignments p WHERE p.org_id = :org AND p.child_objective_id = up.node) AS top
    FROM up JOIN objectives o ON o.org_id = :org AND o.id = up.node
    WHERE cardinality(up.links) > 0
    LIMIT :cap
""")


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


async def line_of_sight(session: AsyncSession, *, org_id: UUID, objective_id: UUID, now: datetime) -> LineOfSight:
    """Every path from the objective up its links; paths end at company level or where the chain stops."""
    start = await get_objective(session, org_id=org_id, objective_id=objective_id)
    rows = (await session.execute(_PATHS_UP, {"org": org_id, "start": start.id, "cap": MAX_PATHS * 20})).all()
    complete = [row for row in rows if row.level == "company" or row.top]
    link_ids = {link_id for row in complete for link_id in row.links}
    # Plain rows (read-only here): links and objectives come back as named tuples with the models' names.
    links = (
        {link.id: link for link in await fetch_rows(session, _LINKS_BY_ID, org_id, list(link_ids))} if link_ids else {}
    )
    nodes_on_paths = {start.id} | {link.parent_node_id for link in links.values()}
    objectives: dict[UUID, Any] = {
        o.id: o for o in await fetch_rows(session, OBJECTIVES_BY_ID, org_id, list(nodes_on_paths))
    }
    nodes = {i: node(o, r) for i, o in objectives.items() if (r := _fresh_or_none(o, now)) is not None}
    if len(nodes) < len(objectives):
        # A stored roll-up is stale: computed from below (the descendants' key results; only the nodes on the
        # paths are built). Every node on a path is an objective of `objectives` (the start or a link's parent).
        graph = await load_subgraph(
            session, org_id=org_id, roots=objectives.values(), key_result_columns=ROLLUP_COLUMNS
        )
        rollups = graph.rollups(now)
        nodes = {i: node(o, rollups.get(i, NO_DATA)) for i, o in objectives.items()}
    archived_key_results = await _archived_key_results(
        session, org_id, {link.parent_key_result_id for link in links.values() if link.parent_key_result_id}
    )
    paths = [
        _path([links[link_id] for link_id in row.links], nodes, objectives, archived_key_results)
        for row in complete[:MAX_PATHS]
    ]
    return LineOfSight(
        objective=nodes[start.id],
        paths=paths,
        reaches_company=start.level == "company" or any(path.reaches_company for path in paths),
        stops=_stops(start, paths, aligned=bool(rows)),
    )


_LINKS_BY_ID = "SELECT * FROM alignments WHERE org_id = $1 AND id = ANY($2::uuid[])"


def _fresh_or_none(objective: Any, now: datetime) -> Rollup | None:
    """The objective's stored roll-up while it may be shown, as every read takes it (okrs/subgraph.py)."""
    return stored(objective) if is_fresh(objective.rollup_at, now) else None


def _path(
    path_links: list[Alignment],
    nodes: dict[UUID, ObjectiveNode],
    objectives: dict[UUID, Objective],
    archived_key_results: set[UUID],
) -> LineOfSightPath:
    """One path up: its hops, the product of their weights, and where (and why) it stops short of company level."""
    hops, contribution = [], 1.0
    for link in path_links:
        contribution *= link.weight
        hops.append(
            Hop(
                link_id=link.id,
                child=nodes[link.child_objective_id],
                parent=nodes[link.parent_node_id],
                via_key_result_id=link.parent_key_result_id,
                kind=link.kind,  # type: ignore[arg-type]
                weight=link.weight,
            )
        )
    stop = _stop(path_links, objectives, archived_key_results)
    return LineOfSightPath(
        hops=hops,
        contribution=contribution,
        reaches_company=stop is None,
        stops_at=stop.stops_at if stop else None,
        stop_reason=stop.reason if stop else None,
    )


def _stops(start: Objective, paths: list[LineOfSightPath], *, aligned: bool) -> list[ChainStop]:
    """Each place the chain stops, once, with its reason."""
    stops: dict[tuple[UUID, str], ChainStop] = {}
    if start.level != "company" and not aligned:  # aligned to nothing: the chain stops where it starts
        stops[(start.id, "not_aligned")] = ChainStop(stops_at=_ref(start), reason="not_aligned")
    for path in paths:
        if path.stops_at is not None and path.stop_reason is not None:
            key = (path.stops_at.id, path.stop_reason)
            stops.setdefault(key, ChainStop(stops_at=path.stops_at, reason=path.stop_reason))
    return list(stops.values())


def _ref(objective: Objective) -> ObjectiveRef:
    return ObjectiveRef(id=objective.id, title=objective.title, level=objective.level)  # type: ignore[arg-type]


def _stop(
    chain: list[Alignment], objectives: dict[UUID, Objective], archived_key_results: set[UUID]
) -> ChainStop | None:
    """Where a chain (its links from the bottom up) stops short of a live company objective, or None.

    It stops below the first archived parent (objective or key result): nothing above an archived link
    counts. Otherwise it stops at its top when that is not company-level: the top is aligned to nothing.
    """
    for link in chain:
        child = objectives[link.child_objective_id]
        if objectives[link.parent_node_id].state == "archived":
            return ChainStop(stops_at=_ref(child), reason="aligned_to_archived_objective")
        if link.parent_key_result_id in archived_key_results:
            return ChainStop(stops_at=_ref(child), reason="aligned_to_archived_key_result")
    top = objectives[chain[-1].parent_node_id]
    return None if top.level == "company" else ChainStop(stops_at=_ref(top), reason="not_aligned")


async def _archived_key_results(session: AsyncSession, org_id: UUID, ids: set[UUID | None]) -> set[UUID]:
    if not ids:
        return set()
    rows = await session.execute(
        scoped(KeyResult, org_id)
        .with_only_columns(col(KeyResult.id))
        .where(col(KeyResult.id).in_(ids), col(KeyResult.archived_at).is_not(None))
    )
    return set(rows.scalars())


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
    money = await allocations_by_key_result(
        session, org_id=org_id, key_result_ids=[kr.id for kr in map_krs], currency=currency
    )
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
