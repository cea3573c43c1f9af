"""The outbox: deliveries are written with the events, for matching enabled endpoints, in bounded statements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import SignUp, StatementCounter, Tenant
from tests.webhooks.support import check_in, endpoint_at, key_result

from sightline.db.tenancy import set_tenant
from sightline.events import service as events

URL = "https://hooks.example.com/"


async def _count(connection: asyncpg.Connection, endpoint: dict[str, str], type: str | None = None) -> int:
    query = "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2::text IS NULL OR event_type = $2)"
    return int(await connection.fetchval(query, uuid.UUID(endpoint["id"]), type))


async def test_each_event_goes_to_each_enabled_endpoint_whose_filter_matches(
    signup: SignUp, owner_connection: asyncpg.Connection
) -> None:
    tenant = await signup()
    other = await signup("Other org")
    exact = await endpoint_at(tenant.client, URL, event_types=["check_in.created"])
    family = await endpoint_at(tenant.client, URL, event_types=["key_result.*"])
    everything = await endpoint_at(tenant.client, URL)
    disabled = await endpoint_at(tenant.client, URL, enabled=False)
    elsewhere = await endpoint_at(other.client, URL)
    kr = await key_result(tenant.client)
    await check_in(tenant.client, kr)

    log = await owner_connection.fetch(
        "SELECT type, object_id FROM events WHERE org_id = $1 ORDER BY seq", uuid.UUID(tenant.org_id)
    )
    written = [row["type"] for row in log]
    assert {"cycle.created", "objective.created", "key_result.created", "check_in.created"} <= set(written)
    assert await _count(owner_connection, exact) == 1
    assert await _count(owner_connection, exact, "check_in.created") == 1
    assert await _count(owner_connection, family) == sum(t.startswith("key_result.") for t in written) >= 1
    # Everything written after it was created (including the next endpoint's creation), not its own creation.
    created_at = next(i for i, row in enumerate(log) if row["object_id"] == uuid.UUID(everything["id"]))
    assert await _count(owner_connection, everything) == len(log) - created_at - 1
    assert await _count(owner_connection, disabled) == 0
    assert await _count(owner_connection, elsewhere) == 0
    pending = await owner_connection.fetch(
        "SELECT d.status, d.next_attempt_at = e.occurred_at AS due_at_once FROM webhook_deliveries d "
        "JOIN events e ON e.org_id = d.org_id AND e.id = d.event_id WHERE d.endpoint_id = $1",
        uuid.UUID(everything["id"]),
    )
    assert {(row["status"], row["due_at_once"]) for row in pending} == {("pending", True)}


async def test_a_rolled_back_change_leaves_no_delivery(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    endpoint = await endpoint_at(tenant.client, URL)
    org_id = uuid.UUID(tenant.org_id)
    event = events.NewEvent(
        org_id=org_id,
        type="objective.updated",
        actor="test",
        object_type="objective",
        object_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
    )

    async def failing_change() -> None:
        async with app.state.session_factory() as session, session.begin():
            await set_tenant(session, org_id)
            await events.emit(session, event)
            assert await _count(owner_connection, endpoint) == 0  # not visible before the commit
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert await _count(owner_connection, endpoint) == 0
    assert await owner_connection.fetchval("SELECT count(*) FROM events WHERE id = $1", event.id) == 0

    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org_id)
        await events.emit(session, event)
    assert await _count(owner_connection, endpoint) == 1


async def test_a_big_fan_out_takes_as_many_statements_as_a_small_one(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    subscribed = [
        await endpoint_at(tenant.client, URL, event_types=["check_in.created"]),
        await endpoint_at(tenant.client, URL, event_types=["check_in.*"]),
        await endpoint_at(tenant.client, URL),
    ]
    kr = await key_result(tenant.client)
    start = datetime.now(UTC) - timedelta(days=3)

    def at(second: int) -> str:
        return (start + timedelta(seconds=second)).isoformat()

    def items(count: int, offset: int) -> list[dict[str, object]]:
        return [{"key_result_id": kr["id"], "value": i, "checked_in_at": at(offset + i)} for i in range(count)]

    with StatementCounter(app) as small:
        one = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items(1, 0)})
    with StatementCounter(app) as large:
        thousand = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items(1000, 10)})
    assert one.status_code == thousand.status_code == 201
    # With the roll-up mark and the drain after the commit (okrs/rollups.py): eleven, whatever the size.
    assert large.count == small.count <= 20
    for endpoint in subscribed:
        assert await _count(owner_connection, endpoint, "check_in.created") == 1001
    total = await owner_connection.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE org_id = $1 AND event_type = 'check_in.created'",
        uuid.UUID(tenant.org_id),
    )
    assert total == 3 * 1001
