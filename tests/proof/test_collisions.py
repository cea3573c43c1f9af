"""A request PostgreSQL rolls back for a serialisation failure or deadlock is run again by the service: the
client sees the answer of a later attempt, or a 503 with Retry-After after three collisions in a row.

The collisions are real PostgreSQL errors (SQLSTATE 40001), raised by a trigger on `check_ins` for rows whose
note asks for them, as many times as the note says (a sequence counts attempts: it is not rolled back).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.support import Tenant, create, okr_setup

SETUP = """
CREATE SEQUENCE IF NOT EXISTS sightline_test_collisions;
CREATE OR REPLACE FUNCTION sightline_test_collide() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF NEW.note LIKE 'collide %'
       AND nextval('sightline_test_collisions') <= split_part(NEW.note, ' ', 2)::int THEN
        RAISE EXCEPTION 'planted collision' USING ERRCODE = '40001';
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS sightline_test_collide ON check_ins;
CREATE TRIGGER sightline_test_collide BEFORE INSERT ON check_ins
    FOR EACH ROW EXECUTE FUNCTION sightline_test_collide();
"""


@pytest.fixture
async def collisions(owner_connection: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    await owner_connection.execute(SETUP)
    await owner_connection.execute("ALTER SEQUENCE sightline_test_collisions RESTART WITH 1")
    try:
        yield owner_connection
    finally:
        await owner_connection.execute("DROP TRIGGER IF EXISTS sightline_test_collide ON check_ins")


async def _key_result(tenant: Tenant) -> dict[str, object]:
    okr = await okr_setup(tenant.client)
    return await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100},
    )


async def test_two_collisions_are_retried_and_the_check_in_lands_once(
    tenant: Tenant, collisions: asyncpg.Connection
) -> None:
    kr = await _key_result(tenant)
    response = await tenant.client.post(
        "/api/v1/check-ins",
        json={"key_result_id": kr["id"], "value": 40, "note": "collide 2"},
        headers={"Idempotency-Key": f"retry-{uuid.uuid4()}"},
    )
    assert response.status_code == 201, response.text
    assert "x-sightline-collision" not in response.headers
    assert await collisions.fetchval("SELECT last_value FROM sightline_test_collisions") == 3  # three attempts
    rows = await collisions.fetch("SELECT id, value FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"]))
    assert [(str(r["id"]), r["value"]) for r in rows] == [(response.json()["id"], 40)]
    current = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["current_value"]
    assert current == 40


async def test_three_collisions_answer_503_with_retry_after_and_write_nothing(
    app: FastAPI, tenant: Tenant, collisions: asyncpg.Connection
) -> None:
    kr = await _key_result(tenant)
    key = f"retry-{uuid.uuid4()}"
    body = {"key_result_id": kr["id"], "value": 40, "note": "collide 3"}
    # The suite's clients fail a test on any 5xx; this one is the answer expected here.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers=tenant.client.headers,
        cookies=tenant.client.cookies,
    ) as plain:
        refused = await plain.post("/api/v1/check-ins", json=body, headers={"Idempotency-Key": key})
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert "x-sightline-collision" not in refused.headers
    assert refused.json()["type"].endswith("/retry")
    assert (
        await collisions.fetchval("SELECT count(*) FROM check_ins WHERE key_result_id = $1", uuid.UUID(kr["id"])) == 0
    )
    # Nothing was written, the key was released: the client's own retry (the collisions are over) lands.
    again = await tenant.client.post("/api/v1/check-ins", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201, again.text
