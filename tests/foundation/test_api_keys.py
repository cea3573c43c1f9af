"""API keys: secret shown once, hash only stored, scopes enforced, revocation immediate."""

from __future__ import annotations

import hashlib

import asyncpg
from fastapi import FastAPI
from tests.support import Tenant


async def test_secret_shown_once_and_only_hash_stored(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    created = await tenant.client.post("/api/v1/api-keys", json={"name": "CRM sync", "scopes": ["write", "read"]})
    assert created.status_code == 201
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("sl_") and len(secret) > 40
    assert body["prefix"] == secret[:11]
    assert body["scopes"] == ["read", "write"]
    listing = await tenant.client.get("/api/v1/api-keys")
    assert secret not in listing.text
    assert listing.json()["items"][0]["prefix"] == body["prefix"]
    single = await tenant.client.get(f"/api/v1/api-keys/{body['id']}")
    assert "secret" not in single.json()
    row = await owner_connection.fetchrow(
        "SELECT key_hash FROM api_keys WHERE id = $1", __import__("uuid").UUID(body["id"])
    )
    assert bytes(row["key_hash"]) == hashlib.sha256(secret.encode()).digest()


async def test_bearer_key_works_and_records_last_use(app: FastAPI, tenant: Tenant) -> None:
    client, key_id = await tenant.api_key_client(app, ["read"])
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["auth"] == "api_key" and me.json()["scopes"] == ["read"]
    key = await tenant.client.get(f"/api/v1/api-keys/{key_id}")
    assert key.json()["last_used_at"] is not None


async def test_read_scope_gets_403_on_writes(app: FastAPI, tenant: Tenant) -> None:
    client, _ = await tenant.api_key_client(app, ["read"])
    response = await client.post("/api/v1/members", json={"email": "x@example.test", "name": "X"})
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_revoked_key_gets_401_on_next_request(app: FastAPI, tenant: Tenant) -> None:
    client, key_id = await tenant.api_key_client(app, ["read", "write"])
    assert (await client.get("/api/v1/me")).status_code == 200
    assert (await tenant.client.delete(f"/api/v1/api-keys/{key_id}")).status_code == 204
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
