"""Alignment links, roll-up through the graph, line of sight, and bounded graph reads."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import FixedClock, StatementCounter, Tenant, create, okr_setup

from sightline.alignment.schemas import LineOfSight


async def _objective(tenant: Tenant, cycle: dict[str, Any], title: str, **fields: Any) -> dict[str, Any]:
    body = {"cycle_id": cycle["id"], "title": title, "level": "company", **fields}
    return await create(tenant.client, "/api/v1/objectives", body)


async def _link(tenant: Tenant, child: dict[str, Any], parent: dict[str, Any], **fields: Any) -> Any:
    return await tenant.client.post(
        "/api/v1/alignments", json={"child_objective_id": child["id"], "parent_objective_id": parent["id"], **fields}
    )


@pytest.mark.parametrize("length", [1, 2, 5])
async def test_loops_are_refused_with_the_path(tenant: Tenant, length: int) -> None:
    okr = await okr_setup(tenant.client)
    chain = [await _objective(tenant, okr.cycle, f"O{i}") for i in range(length)]
    for child, parent in itertools.pairwise(chain):
        assert (await _link(tenant, child, parent)).status_code == 201
    closing = await _link(tenant, chain[-1], chain[0])  # O(n-1) → O0 closes O0 → … → O(n-1) → O0
    assert closing.status_code == 422
    problem = closing.json()
    if length == 1:
        assert "itself" in problem["detail"]
    else:
        assert problem["detail"].endswith(" → ".join([f"O{length - 1}", *[f"O{i}" for i in range(length)]]))
    assert problem["errors"][0]["loc"] == ["body", "parent_objective_id"]


async def test_concurrent_link_inserts_never_leave_a_cycle(
    tenant: Tenant,
    owner_connection: asyncpg.Connection,
) -> None:
    okr = await okr_setup(tenant.client)
    nodes = [await _objective(tenant, okr.cycle, f"N{i}") for i in range(30)]
    rng = random.Random(7)
    for _round in range(3):
        pairs = [rng.sample(nodes, 2) for _ in range(20)]
        responses = await asyncio.gather(*[_link(tenant, a, b) for a, b in pairs])
        assert {r.status_code for r in responses} <= {201, 422}
    cycles = await owner_connection.fetchval(
        """WITH RECURSIVE walk(start, node, path) AS (
             SELECT child_objective_id, parent_node_id, ARRAY[child_objective_id]
             FROM alignments WHERE org_id = $1
             UNION ALL
             SELECT w.start, a.parent_node_id, w.path || a.child_objective_id
             FROM walk w JOIN alignments a ON a.org_id = $1 AND a.child_objective_id = w.node
             WHERE NOT a.child_objective_id = ANY(w.path))
           SELECT count(*) FROM walk WHERE node = start""",
        uuid.UUID(tenant.org_id),
    )
    assert cycles == 0
    assert (
        await owner_connection.fetchval("SELECT count(*) FROM alignments WHERE org_id = $1", uuid.UUID(tenant.org_id))
        > 10
    )


async def test_two_concurrent_links_closing_a_loop_together_cannot_both_succeed(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    a, b = await _objective(tenant, okr.cycle, "A"), await _objective(tenant, okr.cycle, "B")
    for _ in range(5):
        first, second = await asyncio.gather(_link(tenant, a, b), _link(tenant, b, a))
        assert sorted([first.status_code, second.status_code]) == [201, 422]
        winner = first if first.status_code == 201 else second
        assert (await tenant.client.delete(f"/api/v1/alignments/{winner.json()['id']}")).status_code == 204


async def test_three_level_roll_up_moves_the_top_by_the_exact_amount(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T00:00:00+02:00")
    okr = await okr_setup(tenant.client)
    top = await _objective(tenant, okr.cycle, "Top", progress_from="children")
    a = await _objective(tenant, okr.cycle, "A", progress_from="children")
    b = await _objective(tenant, okr.cycle, "B")
    c = await _objective(tenant, okr.cycle, "C")
    kr_b = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": b["id"], "title": "B", "target_value": 100}
    )
    kr_c = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": c["id"], "title": "C", "target_value": 100}
    )
    assert (await _link(tenant, a, top, weight=0.5)).status_code == 201
    assert (await _link(tenant, b, top, weight=0.3, kind="contributes")).status_code == 201
    assert (await _link(tenant, c, a, weight=1.0)).status_code == 201
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr_b["id"], "value": 60})
    before = (await tenant.client.get(f"/api/v1/objectives/{top['id']}")).json()
    assert before["progress"] == pytest.approx((0.5 * 0 + 0.3 * 0.6) / 0.8)  # 0.225
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr_c["id"], "value": 40})
    after = (await tenant.client.get(f"/api/v1/objectives/{top['id']}")).json()
    assert after["progress"] == pytest.approx((0.5 * 0.4 + 0.3 * 0.6) / 0.8)  # 0.475
    assert after["progress"] - before["progress"] == pytest.approx(0.25)
    assert (await tenant.client.get(f"/api/v1/objectives/{a['id']}")).json()["progress"] == pytest.approx(0.4)
    # expected progress is weighted the same way: every child is at 181/365 of its (shared) cycle
    assert after["expected_progress"] == pytest.approx(181 / 365)
    assert after["status"] == "on_track"  # gap 0.496 − 0.475 = 0.021 ≤ 0.10


async def test_both_mode_counts_key_results_and_children_equally(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-07-01T00:00:00+02:00")
    okr = await okr_setup(tenant.client)
    parent = await _objective(tenant, okr.cycle, "Parent", progress_from="both")
    child = await _objective(tenant, okr.cycle, "Child")
    own = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": parent["id"], "title": "Own", "target_value": 10}
    )
    child_kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": child["id"], "title": "Child KR", "target_value": 10}
    )
    await _link(tenant, child, parent, weight=0.7)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": own["id"], "value": 8})
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": child_kr["id"], "value": 2})
    read = (await tenant.client.get(f"/api/v1/objectives/{parent['id']}")).json()
    assert read["progress"] == pytest.approx((0.8 + 0.2) / 2)


async def test_line_of_sight_from_demand_gen_through_marketing_and_sales(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    teams = {
        name: await create(tenant.client, "/api/v1/teams", {"name": name})
        for name in ("Marketing", "Sales", "Demand Gen")
    }
    company = okr.objective
    marketing = await _objective(
        tenant, okr.cycle, "Marketing drives demand", level="team", team_id=teams["Marketing"]["id"]
    )
    sales = await _objective(tenant, okr.cycle, "Sales closes revenue", level="team", team_id=teams["Sales"]["id"])
    pipeline = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": sales["id"], "title": "Pipeline", "target_value": 5_000_000, "metric": "currency"},
    )
    demand = await _objective(
        tenant, okr.cycle, "Demand gen fills the funnel", level="team", team_id=teams["Demand Gen"]["id"]
    )
    mine = await _objective(tenant, okr.cycle, "My webinars", level="individual", team_id=teams["Demand Gen"]["id"])
    assert (await _link(tenant, marketing, company, weight=0.6)).status_code == 201
    assert (await _link(tenant, sales, company, weight=0.8)).status_code == 201
    assert (await _link(tenant, demand, marketing, weight=0.5)).status_code == 201
    claim = await tenant.client.post(
        "/api/v1/alignments",
        json={
            "child_objective_id": demand["id"],
            "parent_key_result_id": pipeline["id"],
            "kind": "contributes",
            "weight": 0.3,
        },
    )
    assert claim.status_code == 201
    assert claim.json()["warnings"] == []
    assert (await _link(tenant, mine, demand, weight=1.0)).status_code == 201

    sight = (await tenant.client.get(f"/api/v1/objectives/{mine['id']}/line-of-sight")).json()
    assert LineOfSight.model_validate(sight).model_dump(mode="json") == sight  # plain JSON, exactly the contract
    paths = sorted(
        ([h["parent"]["title"] for h in p["hops"]], p["contribution"], p["reaches_company"]) for p in sight["paths"]
    )
    assert paths == sorted(
        [
            (
                ["Demand gen fills the funnel", "Marketing drives demand", "Grow demand"],
                pytest.approx(1.0 * 0.5 * 0.6),
                True,
            ),
            (
                ["Demand gen fills the funnel", "Sales closes revenue", "Grow demand"],
                pytest.approx(1.0 * 0.3 * 0.8),
                True,
            ),
        ],
        key=lambda p: p[0],
    )
    via_sales = next(p for p in sight["paths"] if p["hops"][1]["parent"]["title"] == "Sales closes revenue")
    assert via_sales["hops"][1]["via_key_result_id"] == pipeline["id"]
    assert via_sales["hops"][1]["kind"] == "contributes"


async def test_link_rules_cycle_overlap_duplicate_self_and_over_claim(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client, start="2026-01-01", end="2026-12-31")
    next_year = await okr_setup(tenant.client, start="2027-01-01", end="2027-12-31")
    child = await _objective(tenant, okr.cycle, "Child")
    other_year = await _objective(tenant, next_year.cycle, "2027 goal")
    no_overlap = await _link(tenant, child, other_year)
    assert no_overlap.status_code == 422
    assert "do not overlap" in no_overlap.json()["detail"]
    assert (await _link(tenant, child, okr.objective)).status_code == 201
    duplicate = await _link(tenant, child, okr.objective)
    assert duplicate.status_code == 422
    assert "already aligned" in duplicate.json()["detail"]
    assert (await _link(tenant, child, child)).status_code == 422
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Revenue", "target_value": 100},
    )
    claims = []
    for i, weight in enumerate([0.6, 0.5]):
        claimant = await _objective(tenant, okr.cycle, f"Team {i}")
        claims.append(
            await tenant.client.post(
                "/api/v1/alignments",
                json={
                    "child_objective_id": claimant["id"],
                    "parent_key_result_id": kr["id"],
                    "kind": "contributes",
                    "weight": weight,
                },
            )
        )
    assert [c.status_code for c in claims] == [201, 201]
    assert claims[0].json()["warnings"] == []
    assert "1.10" in claims[1].json()["warnings"][0]
    both = await tenant.client.post(
        "/api/v1/alignments",
        json={
            "child_objective_id": child["id"],
            "parent_objective_id": okr.objective["id"],
            "parent_key_result_id": kr["id"],
        },
    )
    assert both.status_code == 422
    events = (await tenant.client.get("/api/v1/events", params={"type": "alignment.*"})).json()["items"]
    assert len(events) == 3


async def test_other_orgs_objectives_cannot_be_linked(tenant: Tenant, signup: Any) -> None:
    other = await signup("Other")
    theirs = await okr_setup(other.client)
    mine = await okr_setup(tenant.client)
    assert (await _link(tenant, mine.objective, theirs.objective)).status_code == 404
    assert (await _link(tenant, theirs.objective, mine.objective)).status_code == 404
    assert (await tenant.client.get(f"/api/v1/objectives/{theirs.objective['id']}/tree")).status_code == 404


async def _big_graph(owner_connection: asyncpg.Connection, tenant: Tenant, cycle_id: str, size: int) -> tuple[str, str]:
    """`size` objectives in six levels, each linked to a random objective one level up, 2 KRs each."""
    org, owner = uuid.UUID(tenant.org_id), uuid.UUID(tenant.owner_id)
    rng = random.Random(size)
    levels: list[list[uuid.UUID]] = [[uuid.uuid4()]]
    per_level = (size - 1) // 5
    for _ in range(5):
        levels.append([uuid.uuid4() for _ in range(per_level)])
    team = uuid.uuid4()
    await owner_connection.execute("INSERT INTO teams (org_id, id, name) VALUES ($1, $2, 'Everyone')", org, team)
    objectives = [
        (
            org,
            o,
            uuid.UUID(cycle_id),
            f"Objective {depth}.{i}",
            "company" if depth == 0 else "team",
            None if depth == 0 else team,
            owner,
            "key_results" if depth == 5 else "children",
        )
        for depth, level in enumerate(levels)
        for i, o in enumerate(level)
    ]
    await owner_connection.executemany(
        "INSERT INTO objectives (org_id, id, cycle_id, title, level, team_id, owner_id, progress_from) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        objectives,
    )
    links = [
        (org, uuid.uuid4(), child, parent, parent, "cascade", 0.5, "test")
        for depth in range(1, 6)
        for child in levels[depth]
        for parent in [rng.choice(levels[depth - 1])]
    ]
    await owner_connection.executemany(
        "INSERT INTO alignments (org_id, id, child_objective_id, parent_objective_id, parent_node_id, kind, weight, "
        "actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        links,
    )
    await owner_connection.execute(
        "INSERT INTO key_results (org_id, id, objective_id, title, owner_id, metric, direction, start_value, "
        "target_value, cadence, current_value, progress) SELECT $1, gen_random_uuid(), o, 'KR', $2, 'number', "
        "'increase', 0, 100, 'weekly', 50, 0.5 FROM unnest($3::uuid[]) o, generate_series(1, 2)",
        org,
        owner,
        [o for level in levels for o in level],
    )
    return str(levels[0][0]), str(levels[5][0])


async def test_graph_reads_issue_a_constant_number_of_statements(
    app: FastAPI, signup: Any, owner_connection: asyncpg.Connection
) -> None:
    counts = {}
    for size in (201, 2001):
        tenant = await signup(f"Graph {size}")
        okr = await okr_setup(tenant.client)
        root, leaf = await _big_graph(owner_connection, tenant, okr.cycle["id"], size)
        reads = {
            "tree": f"/api/v1/objectives/{root}/tree",
            "map": f"/api/v1/cycles/{okr.cycle['id']}/alignment-map",
        }
        reads["line_of_sight"] = f"/api/v1/objectives/{leaf}/line-of-sight"
        for name, path in reads.items():
            with StatementCounter(app) as counter:
                response = await tenant.client.get(path)
            assert response.status_code == 200, response.text
            counts[(name, size)] = counter.count
        tree = (await tenant.client.get(reads["tree"])).json()
        assert len(tree["nodes"]) == size - 1
        assert tree["root"]["progress"] == pytest.approx(0.5)  # every leaf at 0.5 rolls up unchanged
        sight = (await tenant.client.get(reads["line_of_sight"])).json()
        assert len(sight["paths"]) == 1
        assert len(sight["paths"][0]["hops"]) == 5
        assert sight["paths"][0]["contribution"] == pytest.approx(0.5**5)
        graph = (await tenant.client.get(reads["map"])).json()
        assert len(graph["objectives"]) == size + 1  # plus the setup's own objective
        assert len(graph["edges"]) == size - 1
    for name in ("tree", "map", "line_of_sight"):
        assert counts[(name, 201)] == counts[(name, 2001)], counts
