"""Sign-up, sign-in, sessions, members and roles."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
from fastapi import FastAPI
from tests.support import PASSWORD, SignUp, Tenant, make_client


async def test_signup_creates_org_owner_and_session_cookie(
    anon: httpx.AsyncClient, owner_connection: asyncpg.Connection
) -> None:
    email = f"new-{uuid.uuid4().hex[:6]}@example.test"
    response = await anon.post(
        "/api/v1/signup",
        json={"organisation_name": "Northwind", "name": "Nia", "email": email.upper(), "password": PASSWORD},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["member"]["email"] == email
    assert body["member"]["role"] == "owner"
    cookie = response.headers["set-cookie"]
    assert "sightline_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; https requests get Secure
    me = await anon.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["organisation"]["name"] == "Northwind"
    stored = await owner_connection.fetchrow("SELECT password_hash FROM users WHERE email = $1", email)
    assert stored["password_hash"].startswith("$argon2id$")


async def test_login_logout_and_revoked_session(app: FastAPI, tenant: Tenant) -> None:
    async with make_client(app) as client:
        bad = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "wrong password"})
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
        ok = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert ok.status_code == 200
        token = client.cookies["sightline_session"]
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
    # The old cookie value no longer works: the session is revoked server-side, not just forgotten.
    async with make_client(app, cookies={"sightline_session": token}) as replay:
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_login_with_email_in_two_orgs_asks_for_the_organisation(app: FastAPI, signup: SignUp) -> None:
    first = await signup("First")
    second = await signup("Second")
    shared = f"shared-{uuid.uuid4().hex[:6]}@example.test"
    for tenant in (first, second):
        created = await tenant.client.post(
            "/api/v1/members", json={"email": shared, "name": "Sam", "role": "member", "password": PASSWORD}
        )
        assert created.status_code == 201
    async with make_client(app) as client:
        ambiguous = await client.post("/api/v1/auth/login", json={"email": shared, "password": PASSWORD})
        assert ambiguous.status_code == 409
        offered = {o["id"] for o in ambiguous.json()["organisations"]}
        assert offered == {first.org_id, second.org_id}
        chosen = await client.post(
            "/api/v1/auth/login",
            json={"email": shared, "password": PASSWORD, "organisation_id": second.org_id},
        )
        assert chosen.status_code == 200
        assert chosen.json()["organisation"]["name"] == "Second"


async def test_login_is_throttled_per_account_with_retry_after(app: FastAPI, tenant: Tenant) -> None:
    async with make_client(app) as client:
        for _ in range(5):
            response = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": "nope-nope"})
            assert response.status_code == 401
        blocked = await client.post("/api/v1/auth/login", json={"email": tenant.email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["title"] == "Too many requests"


async def test_login_past_the_client_address_limit_is_slowed_not_refused(app: FastAPI, signup: SignUp) -> None:
    # Refusing a whole address would let anyone lock out everyone behind it (tests/foundation/test_throttle_lockout.py).
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for i in range(30):
            response = await client.post(
                "/api/v1/auth/login", json={"email": f"nobody-{i}@example.test", "password": "whatever1"}
            )
            assert response.status_code == 401
        slowed = await client.post("/api/v1/auth/login", json={"email": "x@example.test", "password": "whatever1"})
        assert slowed.status_code == 401


async def test_members_roles_and_viewer_cannot_write(app: FastAPI, tenant: Tenant) -> None:
    viewer, viewer_id = await tenant.member_client(app, "viewer")
    assert (await viewer.get("/api/v1/members")).status_code == 200
    denied = await viewer.post("/api/v1/api-keys", json={"name": "x", "scopes": ["read"]})
    assert denied.status_code == 403
    assert (await viewer.patch(f"/api/v1/members/{viewer_id}", json={"role": "admin"})).status_code == 403
    promoted = await tenant.client.patch(f"/api/v1/members/{viewer_id}", json={"role": "member"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "member"
    listing = await tenant.client.get("/api/v1/members")
    assert {m["id"] for m in listing.json()["items"]} == {tenant.owner_id, viewer_id}


async def test_nobody_removes_or_demotes_the_last_owner(tenant: Tenant) -> None:
    demote = await tenant.client.patch(f"/api/v1/members/{tenant.owner_id}", json={"role": "admin"})
    assert demote.status_code == 409
    remove = await tenant.client.delete(f"/api/v1/members/{tenant.owner_id}")
    assert remove.status_code == 409
    assert (await tenant.client.get("/api/v1/me")).json()["member"]["role"] == "owner"


async def test_admin_cannot_grant_owner(app: FastAPI, tenant: Tenant) -> None:
    admin, _ = await tenant.member_client(app, "admin")
    response = await admin.post("/api/v1/members", json={"email": "boss@example.test", "name": "Boss", "role": "owner"})
    assert response.status_code == 403


async def test_removed_member_loses_sessions_at_once(app: FastAPI, tenant: Tenant) -> None:
    member, member_id = await tenant.member_client(app, "member")
    assert (await member.get("/api/v1/me")).status_code == 200
    assert (await tenant.client.delete(f"/api/v1/members/{member_id}")).status_code == 204
    assert (await member.get("/api/v1/me")).status_code == 401
    gone = await tenant.client.get("/api/v1/members")
    assert member_id not in {m["id"] for m in gone.json()["items"]}


async def test_generated_initial_password_is_returned_once(app: FastAPI, tenant: Tenant) -> None:
    created = await tenant.client.post("/api/v1/members", json={"email": "gen@example.test", "name": "Gen"})
    assert created.status_code == 201
    password = created.json()["initial_password"]
    assert password and len(password) >= 12
    again = await tenant.client.get(f"/api/v1/members/{created.json()['id']}")
    assert "initial_password" not in again.json()
    async with make_client(app) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": "gen@example.test", "password": password, "organisation_id": tenant.org_id},
        )
        assert login.status_code == 200


async def test_organisation_settings_need_if_match(tenant: Tenant) -> None:
    current = await tenant.client.get("/api/v1/organisation")
    etag = current.headers["etag"]
    missing = await tenant.client.patch("/api/v1/organisation", json={"settings": {"currency": "USD"}})
    assert missing.status_code == 428
    ok = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"currency": "USD"}}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200
    assert ok.json()["settings"]["currency"] == "USD"
    assert ok.json()["settings"]["on_track_gap"] == 0.10
    stale = await tenant.client.patch("/api/v1/organisation", json={"name": "Renamed"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    bad_zone = await tenant.client.patch(
        "/api/v1/organisation",
        json={"settings": {"time_zone": "Mars/Base"}},
        headers={"If-Match": ok.headers["etag"]},
    )
    assert bad_zone.status_code == 422
