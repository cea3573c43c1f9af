"""Teams, cycles, objectives and key results: rules, validation problems, ETags, pagination, query counts."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import StatementCounter, Tenant, create, okr_setup


async def test_team_tree_refuses_a_move_under_its_own_descendant(tenant: Tenant) -> None:
    company = await create(tenant.client, "/api/v1/teams", {"name": "Company"})
    marketing = await create(
        tenant.client,
        "/api/v1/teams",
        {"name": "Marketing", "parent_id": company["id"], "lead_id": tenant.owner_id, "member_ids": [tenant.owner_id]},
    )
    demand = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen", "parent_id": marketing["id"]})
    assert marketing["member_ids"] == [tenant.owner_id]
    loop = await tenant.client.patch(f"/api/v1/teams/{company['id']}", json={"parent_id": demand["id"]})
    assert loop.status_code == 422
    assert loop.json()["errors"][0]["loc"] == ["body", "parent_id"]
    itself = await tenant.client.patch(f"/api/v1/teams/{company['id']}", json={"parent_id": company["id"]})
    assert itself.status_code == 422
    moved = await tenant.client.patch(f"/api/v1/teams/{demand['id']}", json={"parent_id": company["id"]})
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == company["id"]
    children = await tenant.client.get("/api/v1/teams", params={"parent_id": company["id"]})
    assert {t["name"] for t in children.json()["items"]} == {"Marketing", "Demand Gen"}


async def test_cycle_states_only_move_forward(tenant: Tenant) -> None:
    year = await create(
        tenant.client, "/api/v1/cycles", {"name": "FY2026", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    )
    q1 = await create(
        tenant.client,
        "/api/v1/cycles",
        {"name": "2026-Q1", "start_date": "2026-01-01", "end_date": "2026-03-31", "parent_id": year["id"]},
    )
    assert q1["state"] == "planning"
    outside = await tenant.client.post(
        "/api/v1/cycles",
        json={"name": "2027-Q1", "start_date": "2027-01-01", "end_date": "2027-03-31", "parent_id": year["id"]},
    )
    assert outside.status_code == 422
    active = await tenant.client.patch(f"/api/v1/cycles/{q1['id']}", json={"state": "active"})
    assert active.json()["state"] == "active"
    back = await tenant.client.patch(f"/api/v1/cycles/{q1['id']}", json={"state": "planning"})
    assert back.status_code == 422
    assert back.json()["errors"][0]["loc"] == ["body", "state"]
    # Closing grades the cycle, so it has one way in: POST /close (tests/insights/test_close.py), never PATCH.
    patched_closed = await tenant.client.patch(f"/api/v1/cycles/{q1['id']}", json={"state": "closed"})
    assert patched_closed.status_code == 422
    assert patched_closed.json()["errors"][0]["loc"] == ["body", "state"]
    assert (await tenant.client.post(f"/api/v1/cycles/{q1['id']}/close")).status_code == 200
    closed = await tenant.client.get(f"/api/v1/cycles/{q1['id']}")
    assert closed.json()["state"] == "closed"
    assert closed.json()["closed_at"] is not None
    reopened = await tenant.client.patch(f"/api/v1/cycles/{q1['id']}", json={"state": "active"})
    assert reopened.status_code == 409
    duplicate = await tenant.client.post(
        "/api/v1/cycles", json={"name": "FY2026", "start_date": "2026-01-01", "end_date": "2026-12-31"}
    )
    assert duplicate.status_code == 409


async def test_objective_level_team_rules(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    no_team = await tenant.client.post(
        "/api/v1/objectives", json={"cycle_id": okr.cycle["id"], "title": "Team goal", "level": "team"}
    )
    assert no_team.status_code == 422
    assert no_team.json()["errors"][0]["loc"] == ["body", "team_id"]
    team = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    ok = await create(
        tenant.client,
        "/api/v1/objectives",
        {
            "cycle_id": okr.cycle["id"],
            "title": "Team goal",
            "level": "team",
            "team_id": team["id"],
            "kind": "aspirational",
            "progress_from": "both",
        },
    )
    assert ok["owner_id"] == tenant.owner_id
    assert ok["kind"] == "aspirational"
    assert ok["progress_from"] == "both"
    assert ok["status"] == "no_data"
    assert ok["progress"] is None


# docs/concepts.md validation examples: each a 422 problem naming the field.
VALIDATION: list[tuple[str, str, dict[str, Any], list[Any]]] = [
    ("increase-needs-target-above-start", "kr", {"start_value": 10, "target_value": 5}, ["body", "target_value"]),
    (
        "decrease-needs-target-below-start",
        "kr",
        {"direction": "decrease", "start_value": 3, "target_value": 5},
        ["body", "target_value"],
    ),
    ("stretch-beyond-target", "kr", {"target_value": 100, "stretch_value": 90}, ["body", "stretch_value"]),
    (
        "milestone-date-inside-cycle",
        "kr",
        {
            "target_value": 100,
            "milestone_plan": [{"date": "2026-03-01", "value": 10}, {"date": "2027-02-01", "value": 50}],
        },
        ["body", "milestone_plan", 1, "date"],
    ),
    ("weight-positive", "kr", {"target_value": 100, "weight": 0}, ["body", "weight"]),
    ("value-finite", "kr", {"target_value": "NaN"}, ["body", "target_value"]),
    ("unknown-metric", "kr", {"target_value": 100, "metric": "vibes"}, ["body", "metric"]),
    (
        "cycle-ends-after-it-starts",
        "cycle",
        {"start_date": "2026-05-01", "end_date": "2026-04-01"},
        ["body", "end_date"],
    ),
    ("confidence-0-to-10", "check_in", {"value": 5, "confidence": 11}, ["body", "confidence"]),
    ("confidence-integer", "check_in", {"value": 5, "confidence": 4.5}, ["body", "confidence"]),
    (
        "check-in-in-the-future",
        "check_in",
        {"value": 5, "checked_in_at": "2099-01-01T00:00:00Z"},
        ["body", "checked_in_at"],
    ),
    (
        "check-in-outside-the-cycle",
        "check_in",
        {"value": 5, "checked_in_at": "2025-06-01T00:00:00Z"},
        ["body", "checked_in_at"],
    ),
    (
        "check-in-needs-offset",
        "check_in",
        {"value": 5, "checked_in_at": "2026-06-01T00:00:00"},
        ["body", "checked_in_at"],
    ),
]


@pytest.mark.parametrize(("kind", "fields", "loc"), [v[1:] for v in VALIDATION], ids=[v[0] for v in VALIDATION])
async def test_validation_examples_are_422_with_field_path(
    tenant: Tenant, kind: str, fields: dict[str, Any], loc: list[Any]
) -> None:
    okr = await okr_setup(tenant.client, start="2026-01-01", end="2026-12-31")
    if kind == "kr":
        response = await tenant.client.post(
            "/api/v1/key-results", json={"objective_id": okr.objective["id"], "title": "KR", **fields}
        )
    elif kind == "cycle":
        response = await tenant.client.post("/api/v1/cycles", json={"name": "Bad", **fields})
    else:
        kr = await create(
            tenant.client,
            "/api/v1/key-results",
            {"objective_id": okr.objective["id"], "title": "KR", "target_value": 10},
        )
        response = await tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], **fields})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_check_in_on_closed_cycle_is_409_and_writes_nothing(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client, start="2026-01-01", end="2026-12-31")
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "KR", "target_value": 10}
    )
    assert (await tenant.client.post(f"/api/v1/cycles/{okr.cycle['id']}/close")).status_code == 200
    response = await tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 4})
    assert response.status_code == 409
    assert (
        await owner_connection.fetchval("SELECT count(*) FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"]))
        == 0
    )


async def test_no_update_or_delete_route_for_check_ins(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert set(paths["/api/v1/check-ins/{check_in_id}"]) == {"get"}
    assert set(paths["/api/v1/check-ins"]) == {"get", "post"}


async def test_concurrent_patches_with_one_etag_one_wins(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    etag = (await tenant.client.get(f"/api/v1/objectives/{okr.objective['id']}")).headers["etag"]
    first, second = await asyncio.gather(
        tenant.client.patch(
            f"/api/v1/objectives/{okr.objective['id']}", json={"title": "Mine"}, headers={"If-Match": etag}
        ),
        tenant.client.patch(
            f"/api/v1/objectives/{okr.objective['id']}", json={"title": "Yours"}, headers={"If-Match": etag}
        ),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    current = await tenant.client.get(f"/api/v1/objectives/{okr.objective['id']}")
    assert current.json()["title"] == winner.json()["title"]
    assert current.headers["etag"] == winner.headers["etag"] != etag
    missing = await tenant.client.patch(f"/api/v1/objectives/{okr.objective['id']}", json={"title": "No etag"})
    assert missing.status_code == 428


async def test_pagination_returns_each_objective_once_while_inserting(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    await owner_connection.execute(
        """INSERT INTO objectives (org_id, id, cycle_id, title, level, owner_id, created_at)
           SELECT $1, gen_random_uuid(), $2, 'Objective ' || n, 'company', $3,
                  now() - interval '1 day' + n * interval '1 millisecond'
           FROM generate_series(1, 999) AS n""",
        uuid.UUID(tenant.org_id),
        uuid.UUID(okr.cycle["id"]),
        uuid.UUID(tenant.owner_id),
    )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7, "cycle_id": okr.cycle["id"]}
        if cursor:
            params["cursor"] = cursor
        page = (await tenant.client.get("/api/v1/objectives", params=params)).json()
        seen += [o["id"] for o in page["items"]]
        pages += 1
        if pages % 20 == 0:  # new objectives arrive while the client pages through
            await create(
                tenant.client,
                "/api/v1/objectives",
                {"cycle_id": okr.cycle["id"], "title": f"New {pages}", "level": "company"},
            )
        cursor = page["next_cursor"]
        if not cursor:
            break
    original = {
        r["id"]
        for r in await owner_connection.fetch(
            "SELECT id::text FROM objectives WHERE cycle_id = $1 AND title NOT LIKE 'New %'", uuid.UUID(okr.cycle["id"])
        )
    }
    assert len(original) == 1000
    assert len(seen) == len(set(seen)), "an objective came twice"
    assert original <= set(seen), "an objective was skipped"


async def test_listing_200_objectives_with_key_results_costs_a_fixed_number_of_queries(
    app: FastAPI,
    tenant: Tenant,
    owner_connection: asyncpg.Connection,
) -> None:
    okr = await okr_setup(tenant.client)
    await owner_connection.execute(
        """WITH o AS (
             INSERT INTO objectives (org_id, id, cycle_id, title, level, owner_id)
             SELECT $1, gen_random_uuid(), $2, 'Objective ' || n, 'company', $3 FROM generate_series(1, 199) n
             RETURNING id)
           INSERT INTO key_results (org_id, id, objective_id, title, owner_id, metric, direction, start_value,
                                    target_value, cadence, current_value)
           SELECT $1, gen_random_uuid(), o.id, 'KR ' || k, $3, 'number', 'increase', 0, 100, 'weekly', 0
           FROM o, generate_series(1, 3) k""",
        uuid.UUID(tenant.org_id),
        uuid.UUID(okr.cycle["id"]),
        uuid.UUID(tenant.owner_id),
    )
    with StatementCounter(app) as small:
        few = await tenant.client.get("/api/v1/objectives", params={"limit": 2, "cycle_id": okr.cycle["id"]})
    assert len(few.json()["items"]) == 2

    with StatementCounter(app) as large:
        many = await tenant.client.get("/api/v1/objectives", params={"limit": 200, "cycle_id": okr.cycle["id"]})
    assert len(many.json()["items"]) == 200
    assert sum(len(o["key_results"]) for o in many.json()["items"]) == 597
    assert large.count == small.count
    assert large.count <= 6
