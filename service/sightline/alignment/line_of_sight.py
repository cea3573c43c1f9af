"""Line of sight: every path from an objective up its links, where each chain stops short of the company, and
the share of the top each path accounts for.

A hot read (a fifth of a busy mix): the answer is built as plain JSON values and encoded once (the route keeps
`LineOfSight` as its contract; the tests validate answers against it). The nodes take the stored roll-ups of
the objectives on the paths while they are fresh; only a stale one makes it compute from below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.alignment.graph import node_fields
from sightline.db.rows import fetch_named, fetch_rows
from sightline.errors import NotFound
from sightline.okrs.subgraph import NO_DATA, OBJECTIVES_BY_ID, ROLLUP_COLUMNS, is_fresh, load_subgraph, stored

MAX_PATHS = 500  # a DAG can hold many paths; beyond this many the answer says so by truncating

_PATHS_UP = """
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
"""
_LINKS_BY_ID = "SELECT * FROM alignments WHERE org_id = $1 AND id = ANY($2::uuid[])"
_ARCHIVED_KEY_RESULTS = (
    "SELECT id FROM key_results WHERE org_id = $1 AND id = ANY($2::uuid[]) AND archived_at IS NOT NULL"
)
Json = dict[str, Any]


async def line_of_sight(session: AsyncSession, *, org_id: UUID, objective_id: UUID, now: datetime) -> Json:
    """Every path from the objective up its links; paths end at company level or where the chain stops. The
    JSON values of `LineOfSight`."""
    found = await fetch_rows(session, OBJECTIVES_BY_ID, org_id, [objective_id])
    if not found:
        raise NotFound("objective")
    start = found[0]
    rows = await fetch_named(session, _PATHS_UP, {"org": org_id, "start": start.id, "cap": MAX_PATHS * 20})
    complete = [row for row in rows if row.level == "company" or row.top]
    link_ids = list({link_id for row in complete for link_id in row.links})
    # Plain rows (read-only here): links and objectives as named tuples with the models' attribute names.
    links = {link.id: link for link in await fetch_rows(session, _LINKS_BY_ID, org_id, link_ids)} if link_ids else {}
    objectives: dict[UUID, Any] = {start.id: start}
    if parents := list({link.parent_node_id for link in links.values()} - {start.id}):
        objectives.update({o.id: o for o in await fetch_rows(session, OBJECTIVES_BY_ID, org_id, parents)})
    nodes = await _nodes(session, org_id, objectives, now)
    via = [link.parent_key_result_id for link in links.values() if link.parent_key_result_id]
    archived = {row.id for row in await fetch_rows(session, _ARCHIVED_KEY_RESULTS, org_id, via)} if via else set()
    paths = [_path([links[i] for i in row.links], nodes, objectives, archived) for row in complete[:MAX_PATHS]]
    return {
        "objective": nodes[start.id],
        "paths": paths,
        "reaches_company": start.level == "company" or any(path["reaches_company"] for path in paths),
        "stops": _stops(start, paths, aligned=bool(rows)),
    }


async def _nodes(session: AsyncSession, org_id: UUID, objectives: dict[UUID, Any], now: datetime) -> dict[UUID, Json]:
    """Each objective's node: its stored roll-up while fresh, as every read takes it (okrs/subgraph.py); when
    one is stale, all computed from below (the descendants' key results; nodes only for these objectives)."""
    if all(is_fresh(o.rollup_at, now) for o in objectives.values()):
        return {i: node_fields(o, stored(o)) for i, o in objectives.items()}
    graph = await load_subgraph(session, org_id=org_id, roots=objectives.values(), key_result_columns=ROLLUP_COLUMNS)
    rollups = graph.rollups(now)
    return {i: node_fields(o, rollups.get(i, NO_DATA)) for i, o in objectives.items()}


def _path(links: list[Any], nodes: dict[UUID, Json], objectives: dict[UUID, Any], archived: set[UUID]) -> Json:
    """One path up: its hops, the product of their weights, and where (and why) it stops short of company level."""
    hops, contribution = [], 1.0
    for link in links:
        contribution *= link.weight
        hops.append(
            {
                "link_id": link.id,
                "child": nodes[link.child_objective_id],
                "parent": nodes[link.parent_node_id],
                "via_key_result_id": link.parent_key_result_id,
                "kind": link.kind,
                "weight": link.weight,
            }
        )
    stop = _stop(links, objectives, archived)
    return {
        "hops": hops,
        "contribution": contribution,
        "reaches_company": stop is None,
        "stops_at": stop["stops_at"] if stop else None,
        "stop_reason": stop["reason"] if stop else None,
    }


def _stops(start: Any, paths: list[Json], *, aligned: bool) -> list[Json]:
    """Each place the chain stops, once, with its reason."""
    stops: dict[tuple[UUID, str], Json] = {}
    if start.level != "company" and not aligned:  # aligned to nothing: the chain stops where it starts
        stops[(start.id, "not_aligned")] = {"stops_at": _ref(start), "reason": "not_aligned"}
    for path in paths:
        if path["stops_at"] is not None:
            key = (path["stops_at"]["id"], path["stop_reason"])
            stops.setdefault(key, {"stops_at": path["stops_at"], "reason": path["stop_reason"]})
    return list(stops.values())


def _ref(objective: Any) -> Json:
    return {"id": objective.id, "title": objective.title, "level": objective.level}


def _stop(chain: list[Any], objectives: dict[UUID, Any], archived_key_results: set[UUID]) -> Json | None:
    """Where a chain (its links from the bottom up) stops short of a live company objective, or None.

    It stops below the first archived parent (objective or key result): nothing above an archived link
    counts. Otherwise it stops at its top when that is not company-level: the top is aligned to nothing.
    """
    for link in chain:
        child = objectives[link.child_objective_id]
        if objectives[link.parent_node_id].state == "archived":
            return {"stops_at": _ref(child), "reason": "aligned_to_archived_objective"}
        if link.parent_key_result_id in archived_key_results:
            return {"stops_at": _ref(child), "reason": "aligned_to_archived_key_result"}
    top = objectives[chain[-1].parent_node_id]
    return None if top.level == "company" else {"stops_at": _ref(top), "reason": "not_aligned"}
