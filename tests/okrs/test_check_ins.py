"""Check-ins under concurrency and in batches: nothing lost, all or nothing, bounded statements."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from fastapi import FastAPI
from tests.support import StatementCounter, Tenant, as_app, create, okr_setup

from sightline.okrs.check_in_rules import BY_ID


async def test_fifty_concurrent_check_ins_on_one_key_result(
    tenant: Tenant,
    owner_connection: asyncpg.Connection,
) -> None:
    okr = await okr_setup(tenant.client, start="2026-01-01", end="2026-12-31")
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Pipeline", "target_value": 1000},
    )
    base = datetime(2026, 3, 1, tzinfo=UTC)
    values = list(range(1, 51))
    responses = await asyncio.gather(
        *[
            tenant.client.post(
                "/api/v1/check-ins",
                json={
                    "key_result_id": kr["id"],
                    "value": v,
                    "confidence": 7,
                    "checked_in_at": (base + timedelta(hours=v * 7 % 50)).isoformat(),
                },
            )
            for v in values
        ]
    )
    assert [r.status_code for r in responses] == [201] * 50
    stored = await owner_connection.fetch(
        "SELECT value, checked_in_at FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"])
    )
    assert sorted(r["value"] for r in stored) == values
    latest = max(stored, key=lambda r: r["checked_in_at"])
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert read["current_value"] == latest["value"]
    assert datetime.fromisoformat(read["last_check_in_at"]) == latest["checked_in_at"]


async def test_batch_with_one_bad_item_writes_nothing(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100000, "external_key": "crm:leads"},
    )
    items = [{"key_result_id": kr["id"], "value": i, "confidence": 6} for i in range(1000)]
    items[617] = {"external_key": "crm:nope", "value": 3}
    items[940]["checked_in_at"] = "2099-01-01T00:00:00Z"
    response = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items})
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert locs == [["body", "items", 617, "external_key"], ["body", "items", 940, "checked_in_at"]]
    assert (
        await owner_connection.fetchval("SELECT count(*) FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"]))
        == 0
    )
    too_many = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items + items[:1]})
    assert too_many.status_code == 422


async def test_valid_batch_of_1000_writes_all_in_bounded_statements(
    app: FastAPI,
    tenant: Tenant,
    owner_connection: asyncpg.Connection,
) -> None:
    okr = await okr_setup(tenant.client)
    krs = [
        await create(
            tenant.client,
            "/api/v1/key-results",
            {
                "objective_id": okr.objective["id"],
                "title": f"KR {i}",
                "target_value": 5000,
                "external_key": f"sheet:{i}",
            },
        )
        for i in range(10)
    ]
    start = datetime.now(UTC) - timedelta(days=5)
    items = [
        {
            "external_key": f"sheet:{i % 10}",
            "value": i,
            "confidence": 5,
            "checked_in_at": (start + timedelta(minutes=i)).isoformat(),
        }
        for i in range(1000)
    ]
    with StatementCounter(app) as counter:
        response = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items})
    assert response.status_code == 201, response.text
    assert len(response.json()["items"]) == 1000
    # Credential, key results, inserts, events, outbox, the roll-up marks; after the commit the drain: tenant,
    # marks still there, drain lock, marks, alignment lock, ancestors, their key results, calendars, the swap,
    # marks removed (okrs/rollups.py). None of it grows with the batch.
    assert counter.count <= 20
    for i, kr in enumerate(krs):
        read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
        assert read["current_value"] == 990 + i  # the latest item per key result
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM check_ins WHERE key_result_id = ANY($1::uuid[])", [uuid.UUID(k["id"]) for k in krs]
        )
        == 1000
    )
    events = await owner_connection.fetchval(
        "SELECT count(*) FROM events WHERE org_id = $1 AND type = 'check_in.created'", uuid.UUID(tenant.org_id)
    )
    assert events == 1000


async def test_every_change_writes_an_event_in_the_same_transaction(tenant: Tenant) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )
    check_in = await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 40})
    log = (await tenant.client.get("/api/v1/events", params={"limit": 200})).json()["items"]
    types = [e["type"] for e in log]
    assert types[:4] == ["cycle.created", "objective.created", "key_result.created", "check_in.created"]
    created = next(e for e in log if e["type"] == "check_in.created")
    assert created["object_id"] == check_in["id"]
    assert created["after"]["value"] == 40
    assert created["actor"] == f"user:{tenant.owner_id}"
    only_kr = (await tenant.client.get("/api/v1/events", params={"object_id": kr["id"]})).json()["items"]
    assert {e["type"] for e in only_kr} <= {"key_result.created", "key_result.status_changed"}
    family = (await tenant.client.get("/api/v1/events", params={"type": "objective.*"})).json()["items"]
    assert [e["type"] for e in family] == ["objective.created", "objective.status_changed"]


async def test_events_and_check_ins_are_immutable_for_the_app_role(owner_connection: asyncpg.Connection) -> None:
    privileges = await owner_connection.fetch(
        """SELECT table_name, privilege_type FROM information_schema.role_table_grants
           WHERE grantee = 'sightline_app' AND table_name IN ('check_ins', 'events')"""
    )
    granted = {(r["table_name"], r["privilege_type"]) for r in privileges}
    assert ("check_ins", "INSERT") in granted
    assert not {p for _, p in granted} & {"UPDATE", "DELETE"}


async def test_a_single_check_ins_lock_keeps_one_plan(
    tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    """A check-in locks its key result with a statement whose generic plan (the one PostgreSQL keeps per
    connection after five calls when it costs no more than planning afresh) expects the one row it finds.
    `k.id = ANY($2)` of one id was planned for ten rows, so PostgreSQL planned it again on every call: 0.5 ms of
    the database's CPU per check-in, the largest single share of it (in an organisation large enough for its
    rows to count in the statistics, as here)."""
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )
    org_id, kr_id = uuid.UUID(tenant.org_id), uuid.UUID(kr["id"])
    await owner_connection.execute(
        """INSERT INTO key_results
           SELECT (jsonb_populate_record(k, jsonb_build_object('id', gen_random_uuid()))).*
           FROM key_results k, generate_series(1, 3000) WHERE k.org_id = $1 AND k.id = $2""",
        org_id,
        kr_id,
    )
    await owner_connection.execute("ANALYZE key_results")
    async with as_app(database_url, tenant.org_id) as connection:
        rows = await connection.fetch(BY_ID, org_id, kr_id)
        await connection.execute(f"PREPARE lock_one AS {BY_ID}")
        await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        explained = await connection.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE lock_one('{org_id}', '{kr_id}')")
    assert [row["id"] for row in rows] == [kr_id]
    assert json.loads(explained)[0]["Plan"]["Plan Rows"] == 1
