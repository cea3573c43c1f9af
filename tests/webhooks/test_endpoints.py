"""Webhook endpoints over HTTP: admin only, secrets shown on creation and on explicit reveal, the catalogue."""

from __future__ import annotations

import base64
import uuid

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import StatementCounter, Tenant
from tests.webhooks.support import check_in, endpoint_at, key_result

from sightline.webhooks.catalogue import CATALOGUE
from sightline.webhooks.service import MAX_ENDPOINTS

URL = "https://hooks.example.com/sightline"


async def test_the_secret_is_shown_on_creation_and_on_explicit_reveal_only(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    response = await tenant.client.post(
        "/api/v1/webhook-endpoints", json={"url": URL, "description": "Chat bot", "event_types": ["check_in.created"]}
    )
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert (created["url"], created["description"], created["event_types"], created["enabled"]) == (
        URL,
        "Chat bot",
        ["check_in.created"],
        True,
    )
    read = await tenant.client.get(f"/api/v1/webhook-endpoints/{created['id']}")
    assert "secret" not in read.json() and read.headers["etag"] == '"1"'
    listed = (await tenant.client.get("/api/v1/webhook-endpoints")).json()["items"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    revealed = await tenant.client.get(f"/api/v1/webhook-endpoints/{created['id']}/secret")
    assert revealed.json()["secret"] == secret and revealed.headers["cache-control"] == "no-store"
    # The audit log has the endpoint's life, never its secret.
    logged = await owner_connection.fetch(
        "SELECT type, after::text FROM events WHERE org_id = $1 AND object_type = 'webhook_endpoint'",
        uuid.UUID(tenant.org_id),
    )
    # (The reveal is an event too since issue 20's audit trail.)
    assert sorted(row["type"] for row in logged) == ["endpoint.created", "endpoint.secret_revealed"]
    assert all("whsec_" not in (row["after"] or "") for row in logged)


async def test_a_retried_creation_does_not_replay_the_secret(tenant: Tenant) -> None:
    headers = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    first = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": URL}, headers=headers)
    assert first.status_code == 201
    again = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": URL}, headers=headers)
    assert again.status_code == 409 and "whsec_" not in again.text
    assert len((await tenant.client.get("/api/v1/webhook-endpoints")).json()["items"]) == 1


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_only_admins_manage_endpoints(app: FastAPI, tenant: Tenant, role: str) -> None:
    endpoint = await endpoint_at(tenant.client, URL)
    client, _ = await tenant.member_client(app, role)
    for method, path in [
        ("GET", "/api/v1/webhook-endpoints"),
        ("POST", "/api/v1/webhook-endpoints"),
        ("GET", f"/api/v1/webhook-endpoints/{endpoint['id']}/secret"),
        ("POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"),
        ("GET", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"),
        ("POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/ping"),
        ("DELETE", f"/api/v1/webhook-endpoints/{endpoint['id']}"),
    ]:
        response = await client.request(method, path, json={"url": URL} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.text)
    # The catalogue is not a secret: any member may read it.
    assert (await client.get("/api/v1/event-types")).status_code == 200


async def test_unknown_event_types_are_a_422_and_families_are_accepted(tenant: Tenant) -> None:
    refused = await tenant.client.post(
        "/api/v1/webhook-endpoints",
        json={"url": URL, "event_types": ["check_in.created", "check_in.deleted", "nothing.*"]},
    )
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "event_types", 1], ["body", "event_types", 2]]
    accepted = await endpoint_at(tenant.client, URL, event_types=["objective.*", "check_in.created", "objective.*"])
    assert accepted["event_types"] == ["objective.*", "check_in.created"]
    empty = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": URL, "event_types": []})
    assert empty.status_code == 422  # null means all; an empty list would mean none


async def test_the_event_type_catalogue_has_a_json_schema_per_type(tenant: Tenant) -> None:
    items = (await tenant.client.get("/api/v1/event-types")).json()["items"]
    types = [item["type"] for item in items]
    assert types == [kind.type for kind in CATALOGUE]
    for wanted in (
        "check_in.created",
        "key_result.status_changed",
        "key_result.checkin_overdue",
        "cycle.closed",
        "endpoint.disabled",
        "webhook.ping",
    ):
        assert wanted in types
    by_type = {item["type"]: item for item in items}
    check_in_schema = by_type["check_in.created"]["schema"]
    assert check_in_schema["required"] == ["id", "type", "timestamp", "data"]
    assert check_in_schema["properties"]["type"] == {"const": "check_in.created"}
    assert {"id", "key_result_id", "value", "confidence", "checked_in_at"} <= set(
        check_in_schema["properties"]["data"]["properties"]
    )
    overdue = by_type["key_result.checkin_overdue"]["schema"]["properties"]["data"]["properties"]
    assert {"overdue_since", "overdue_periods", "owner_id", "last_check_in_at"} <= set(overdue)
    changed = by_type["key_result.status_changed"]["schema"]["properties"]["data"]["properties"]
    assert "previous" in changed and "status" in changed


async def test_editing_with_a_stale_etag_is_refused_and_edits_are_logged(tenant: Tenant) -> None:
    endpoint = await endpoint_at(tenant.client, URL)
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    edited = await tenant.client.patch(
        path, json={"description": "CRM sync", "event_types": ["key_result.*"]}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200 and edited.headers["etag"] == '"2"'
    assert edited.json()["event_types"] == ["key_result.*"]
    stale = await tenant.client.patch(path, json={"description": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    internal = await tenant.client.patch(path, json={"url": "https://10.0.0.1/hooks"})
    assert internal.status_code == 422
    everything = await tenant.client.patch(path, json={"event_types": None})
    assert everything.json()["event_types"] is None
    log = (await tenant.client.get("/api/v1/events", params={"object_id": endpoint["id"]})).json()["items"]
    assert [e["type"] for e in log] == ["endpoint.created", "endpoint.updated", "endpoint.updated"]
    assert log[1]["before"]["description"] == "" and log[1]["after"]["description"] == "CRM sync"


async def test_deleting_an_endpoint_removes_it_and_its_delivery_log(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    endpoint = await endpoint_at(tenant.client, URL, event_types=["check_in.created"])
    await check_in(tenant.client, await key_result(tenant.client))
    query = "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1"
    assert await owner_connection.fetchval(query, uuid.UUID(endpoint["id"])) == 1
    assert (await tenant.client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}")).status_code == 204
    assert (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}")).status_code == 404
    assert await owner_connection.fetchval(query, uuid.UUID(endpoint["id"])) == 0
    log = (await tenant.client.get("/api/v1/events", params={"type": "endpoint.*"})).json()["items"]
    assert [e["type"] for e in log] == ["endpoint.created", "endpoint.deleted"]


async def test_an_organisation_has_a_bounded_number_of_endpoints(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    await owner_connection.execute(
        """INSERT INTO webhook_endpoints (org_id, id, url, secret)
           SELECT $1, gen_random_uuid(), 'https://hooks.example.com/' || n, 'whsec_AAAA'
           FROM generate_series(1, $2) n""",
        uuid.UUID(tenant.org_id),
        MAX_ENDPOINTS - 1,
    )
    await endpoint_at(tenant.client, URL)
    refused = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": URL})
    assert refused.status_code == 409


async def test_the_delivery_log_filters_pages_and_counts_statements_boundedly(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    endpoint = await endpoint_at(tenant.client, URL)
    await tenant.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    kr = await key_result(tenant.client)  # no deliveries while disabled: make some in bulk
    await owner_connection.execute(
        """WITH e AS (
             INSERT INTO events (org_id, id, type, actor, object_type, object_id, occurred_at)
             SELECT $1, gen_random_uuid(), CASE WHEN n % 3 = 0 THEN 'key_result.updated' ELSE 'check_in.created' END,
                    'test', 'check_in', $3, now() - n * interval '1 minute'
             FROM generate_series(1, 250) n RETURNING id, type, occurred_at)
           INSERT INTO webhook_deliveries (org_id, id, endpoint_id, event_id, event_type, status, created_at)
           SELECT $1, gen_random_uuid(), $2, e.id, e.type, 'failed', e.occurred_at FROM e""",
        uuid.UUID(tenant.org_id),
        uuid.UUID(endpoint["id"]),
        uuid.UUID(kr["id"]),
    )
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    with StatementCounter(app) as small:
        few = await tenant.client.get(path, params={"limit": 2})
    with StatementCounter(app) as large:
        many = await tenant.client.get(path, params={"limit": 200})
    assert len(few.json()["items"]) == 2 and len(many.json()["items"]) == 200
    assert large.count == small.count <= 6
    # Newest first, and the cursor goes on from there.
    times = [d["created_at"] for d in many.json()["items"]]
    assert times == sorted(times, reverse=True)
    rest = (await tenant.client.get(path, params={"limit": 200, "cursor": many.json()["next_cursor"]})).json()
    assert len(rest["items"]) == 50 and rest["next_cursor"] is None
    assert not {d["id"] for d in rest["items"]} & {d["id"] for d in many.json()["items"]}

    updated = (await tenant.client.get(path, params={"event_type": "key_result.updated", "limit": 200})).json()
    assert len(updated["items"]) == 83 and {d["event_type"] for d in updated["items"]} == {"key_result.updated"}
    family = (await tenant.client.get(path, params={"event_type": "check_in.*", "limit": 200})).json()
    assert len(family["items"]) == 167
    pending = (await tenant.client.get(path, params={"status": "pending"})).json()
    assert pending["items"] == []
    unknown = await tenant.client.get(path, params={"event_type": "check_in.deleted"})
    assert unknown.status_code == 422
    bad_status = await tenant.client.get(path, params={"status": "lost"})
    assert bad_status.status_code == 422


async def test_recovery_needs_an_enabled_endpoint_and_a_past_time_with_its_offset(tenant: Tenant) -> None:
    endpoint = await endpoint_at(tenant.client, URL)
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}/recover"
    assert (await tenant.client.post(path, json={"since": "2026-01-01T00:00:00Z"})).json() == {"redelivered": 0}
    naive = await tenant.client.post(path, json={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["loc"] == ["body", "since"]
    future = await tenant.client.post(path, json={"since": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422
    await tenant.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    assert (await tenant.client.post(path, json={"since": "2026-01-01T00:00:00Z"})).status_code == 409


async def test_urls_with_spaces_or_control_characters_are_refused(tenant: Tenant) -> None:
    for url in ("https://hooks.example.com/a b", "https://hooks.example.com/\x00", " https://hooks.example.com/"):
        response = await tenant.client.post("/api/v1/webhook-endpoints", json={"url": url})
        assert response.status_code == 422, url
