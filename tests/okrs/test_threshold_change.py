"""A threshold change recomputes key-result status in the settings change's own transaction, with
`key_result.status_changed` events, not at the next scheduled pass."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective
from tests.support import FixedClock, Tenant

from sightline.auth import Principal
from sightline.db.tenancy import set_tenant
from sightline.identity.schemas import OrganisationUpdate
from sightline.identity.service import update_org


async def _stored_status(connection: asyncpg.Connection, kr_id: str) -> str:
    return str(await connection.fetchval("SELECT status FROM key_results WHERE id = $1", uuid.UUID(kr_id)))


async def _status_events(tenant: Tenant, kr_id: str) -> list[dict[str, object]]:
    response = await tenant.client.get(
        "/api/v1/events", params={"object_id": kr_id, "type": "key_result.status_changed"}
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def _patch_settings(tenant: Tenant, settings: dict[str, object]) -> None:
    etag = (await tenant.client.get("/api/v1/organisation")).headers["ETag"]
    response = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": settings}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.text


async def test_a_threshold_change_recomputes_status_at_once(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-04-01T09:00:00+02:00")
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    goal = await objective(tenant, q2["id"], "Grow")
    kr = await key_result(
        tenant,
        goal,
        title="Signups",
        metric="number",
        direction="increase",
        start_value=0,
        target_value=100,
        cadence="weekly",
    )
    # Mid-May about 48 % of the quarter has passed: 30 % done is 0.18 behind pace, at risk by the defaults.
    await check_in_at(tenant, clock, "2026-05-15T10:00:00+02:00", kr, 30, confidence=8)
    assert await _stored_status(owner_connection, kr["id"]) == "at_risk"
    before = await _status_events(tenant, kr["id"])

    await _patch_settings(tenant, {"on_track_gap": 0.25, "at_risk_gap": 0.5})

    # Stored at once (no scheduled pass ran), with an event by the person who changed the settings.
    assert await _stored_status(owner_connection, kr["id"]) == "on_track"
    events = await _status_events(tenant, kr["id"])
    assert len(events) == len(before) + 1
    newest = events[0] if events[0] not in before else events[-1]
    assert newest["actor"] == f"user:{tenant.owner_id}"
    assert newest["before"]["status"] == "at_risk" and newest["after"]["status"] == "on_track"  # type: ignore[index]
    listed = (await tenant.client.get("/api/v1/key-results", params={"status": "on_track"})).json()["items"]
    assert [k["id"] for k in listed] == [kr["id"]]

    # A change that leaves the rule alone writes no status event.
    await _patch_settings(tenant, {"default_cadence": "monthly"})
    assert len(await _status_events(tenant, kr["id"])) == len(events)

    # Tightening again moves it back, again at once.
    await _patch_settings(tenant, {"on_track_gap": 0.05, "at_risk_gap": 0.1})
    assert await _stored_status(owner_connection, kr["id"]) == "off_track"
    assert len(await _status_events(tenant, kr["id"])) == len(events) + 1


async def test_check_ins_go_on_while_the_organisation_is_being_changed(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    """Changing the organisation locks its row for no-key update: rows that reference it (a check-in, its
    event) are written meanwhile. A full FOR UPDATE held them all until the change committed, and deadlocked
    with a writer holding a key result when the change went on to lock key results."""
    clock.set("2026-04-01T09:00:00+02:00")
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    kr = await key_result(tenant, await objective(tenant, q2["id"], "Grow"), title="Signups", target_value=100)
    org_id = uuid.UUID(tenant.org_id)
    owner = Principal(
        org_id=org_id,
        scopes=frozenset({"read", "write", "admin", "owner"}),
        user_id=uuid.UUID(tenant.owner_id),
        role="owner",
    )
    etag = (await tenant.client.get("/api/v1/organisation")).headers["ETag"]
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org_id)
        await update_org(
            session, principal=owner, body=OrganisationUpdate(name="Renamed"), if_match=etag, now=clock.now
        )
        answer = await asyncio.wait_for(
            tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 30}), timeout=10
        )
        assert answer.status_code == 201, answer.text
    assert (await tenant.client.get("/api/v1/organisation")).json()["name"] == "Renamed"
