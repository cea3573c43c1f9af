"""Deletes mean gone: a removed member and a revoked API key answer 404, and lists leave them out, unless
asked for with `include_removed=true` / `include_revoked=true` (history still names them)."""

from __future__ import annotations

from fastapi import FastAPI
from tests.support import Tenant


async def _ids(tenant: Tenant, path: str, **params: str) -> list[str]:
    response = await tenant.client.get(path, params={"limit": "200", **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_removed_member_is_gone(app: FastAPI, tenant: Tenant) -> None:
    _, member_id = await tenant.member_client(app, "member")
    assert (await tenant.client.get(f"/api/v1/members/{member_id}")).status_code == 200
    assert (await tenant.client.delete(f"/api/v1/members/{member_id}")).status_code == 204

    gone = await tenant.client.get(f"/api/v1/members/{member_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"
    assert member_id not in await _ids(tenant, "/api/v1/members")
    assert (await tenant.client.delete(f"/api/v1/members/{member_id}")).status_code == 404

    # Asked for explicitly, the history is still there.
    assert member_id in await _ids(tenant, "/api/v1/members", include_removed="true")
    kept = await tenant.client.get(f"/api/v1/members/{member_id}", params={"include_removed": "true"})
    assert kept.status_code == 200 and kept.json()["id"] == member_id


async def test_a_revoked_api_key_is_gone(app: FastAPI, tenant: Tenant) -> None:
    _, kept_id = await tenant.api_key_client(app, ["read"])
    _, key_id = await tenant.api_key_client(app, ["read"])
    assert (await tenant.client.get(f"/api/v1/api-keys/{key_id}")).status_code == 200
    assert (await tenant.client.delete(f"/api/v1/api-keys/{key_id}")).status_code == 204

    assert (await tenant.client.get(f"/api/v1/api-keys/{key_id}")).status_code == 404
    assert await _ids(tenant, "/api/v1/api-keys") == [kept_id]
    assert (await tenant.client.delete(f"/api/v1/api-keys/{key_id}")).status_code == 404

    assert set(await _ids(tenant, "/api/v1/api-keys", include_revoked="true")) == {kept_id, key_id}
    revoked = await tenant.client.get(f"/api/v1/api-keys/{key_id}", params={"include_revoked": "true"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None


async def test_removing_a_member_hides_the_keys_it_revoked(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    created = await admin.post("/api/v1/api-keys", json={"name": "admin tool", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    assert (await tenant.client.delete(f"/api/v1/members/{admin_id}")).status_code == 204
    assert created.json()["id"] not in await _ids(tenant, "/api/v1/api-keys")
    assert (await tenant.client.get(f"/api/v1/api-keys/{created.json()['id']}")).status_code == 404


async def test_api_keys_have_no_patch(tenant: Tenant, app: FastAPI) -> None:
    _, key_id = await tenant.api_key_client(app, ["read"])
    response = await tenant.client.patch(f"/api/v1/api-keys/{key_id}", json={"name": "x"})
    assert response.status_code == 405
    assert "patch" not in app.openapi()["paths"]["/api/v1/api-keys/{key_id}"]
