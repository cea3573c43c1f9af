"""Sessions people manage: the list, ending one or all others, the idle timeout, a new id on every privilege
change, recent sign-in for sensitive actions, and API keys that expire."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pyotp
from fastapi import FastAPI
from tests.support import PASSWORD, FixedClock, Tenant, _no_server_errors, create

from sightline.db.urls import asyncpg_dsn
from sightline.http.deps import SESSION_COOKIE
from sightline.identity.secrets import token_hash

RECENT = "/problems/recent-sign-in-required"
SEEN = "SELECT now() - last_seen_at FROM auth_sessions WHERE id = $1"


def client_from(app: FastAPI, **kwargs: object) -> httpx.AsyncClient:
    address = f"198.19.{random.randrange(256)}.{random.randrange(1, 255)}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
        **kwargs,  # type: ignore[arg-type]
    )


async def browser(app: FastAPI, email: str, agent: str = "Firefox/140.0") -> httpx.AsyncClient:
    client = client_from(app, headers={"User-Agent": agent})
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


async def test_people_list_their_sessions_and_end_one_or_all_others(app: FastAPI, tenant: Tenant) -> None:
    firefox = await browser(app, tenant.email, "Firefox/140.0")
    safari = await browser(app, tenant.email, "Safari/18")
    try:
        listed = (await firefox.get("/api/v1/me/sessions")).json()
        assert len(listed) == 3
        current = [s for s in listed if s["current"]]
        assert len(current) == 1 and current[0]["user_agent"] == "Firefox/140.0"
        assert current[0]["address"].startswith("198.19.") and current[0]["last_seen_at"] is not None
        assert set(current[0]) == {"id", "current", "created_at", "last_seen_at", "user_agent", "address"}

        safari_id = next(s["id"] for s in listed if s["user_agent"] == "Safari/18")
        assert (await firefox.delete(f"/api/v1/me/sessions/{safari_id}")).status_code == 204
        assert (await safari.get("/api/v1/me")).status_code == 401
        assert len((await firefox.get("/api/v1/me/sessions")).json()) == 2

        assert (await firefox.post("/api/v1/me/sessions/end-others")).status_code == 204
        assert (await tenant.client.get("/api/v1/me")).status_code == 401
        assert [s["current"] for s in (await firefox.get("/api/v1/me/sessions")).json()] == [True]
        events = (await firefox.get("/api/v1/events", params={"type": "session.ended"})).json()["items"]
        assert len(events) == 2
    finally:
        await firefox.aclose()
        await safari.aclose()


async def test_the_end_others_path_is_not_a_session_id(tenant: Tenant) -> None:
    """DELETE /me/sessions/end-others is a method the path does not have (405), not a malformed id (422)."""
    assert (await tenant.client.delete("/api/v1/me/sessions/end-others")).status_code == 405
    assert (await tenant.client.delete("/api/v1/me/sessions/not-a-session")).status_code == 404


async def test_nobody_ends_another_persons_session(app: FastAPI, tenant: Tenant) -> None:
    member, _ = await tenant.member_client(app, "member")
    theirs = (await member.get("/api/v1/me/sessions")).json()[0]["id"]
    assert (await tenant.client.delete(f"/api/v1/me/sessions/{theirs}")).status_code == 404
    assert (await member.get("/api/v1/me")).status_code == 200
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    assert (await key.get("/api/v1/me/sessions")).status_code == 403


async def test_an_idle_session_ends(app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    client = await browser(app, tenant.email)
    try:
        session_id = next(s["id"] for s in (await client.get("/api/v1/me/sessions")).json() if s["current"])
        # Used 30 s ago: not written again (at most once a minute).
        await owner_connection.execute(
            "UPDATE auth_sessions SET last_seen_at = now() - interval '30 seconds' WHERE id = $1", session_id
        )
        assert (await client.get("/api/v1/me")).status_code == 200
        seen = await owner_connection.fetchval(
            "SELECT now() - last_seen_at FROM auth_sessions WHERE id = $1", session_id
        )
        assert seen >= timedelta(seconds=29)
        # Used 5 minutes ago: noted now.
        await owner_connection.execute(
            "UPDATE auth_sessions SET last_seen_at = now() - interval '5 minutes' WHERE id = $1", session_id
        )
        assert (await client.get("/api/v1/me")).status_code == 200
        seen = await owner_connection.fetchval(
            "SELECT now() - last_seen_at FROM auth_sessions WHERE id = $1", session_id
        )
        assert seen < timedelta(seconds=5)
        # Unused for 13 hours (SIGHTLINE_SESSION_IDLE_HOURS is 12): over, although far from its absolute expiry.
        await owner_connection.execute(
            "UPDATE auth_sessions SET last_seen_at = now() - interval '13 hours' WHERE id = $1", session_id
        )
        assert (await client.get("/api/v1/me")).status_code == 401
    finally:
        await client.aclose()


async def test_the_idle_timeout_is_a_setting(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    client = await browser(app, tenant.email)
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"session_idle_hours": 1})
    try:
        session_id = next(s["id"] for s in (await client.get("/api/v1/me/sessions")).json() if s["current"])
        idle = "UPDATE auth_sessions SET last_seen_at = now() - $2::interval WHERE id = $1"
        await owner_connection.execute(idle, session_id, timedelta(minutes=50))
        assert (await client.get("/api/v1/me")).status_code == 200
        await owner_connection.execute(idle, session_id, timedelta(hours=2))  # well within the default 12 h
        assert (await client.get("/api/v1/me")).status_code == 401
    finally:
        app.state.settings = saved
        await client.aclose()


async def test_a_password_change_gives_the_session_a_new_id(app: FastAPI, tenant: Tenant) -> None:
    other = await browser(app, tenant.email)
    old = tenant.client.cookies[SESSION_COOKIE]
    changed = await tenant.client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "a new and long passphrase 42"}
    )
    assert changed.status_code == 204, changed.text
    assert tenant.client.cookies[SESSION_COOKIE] != old
    assert (await tenant.client.get("/api/v1/me")).status_code == 200
    async with client_from(app, cookies={SESSION_COOKIE: old}) as stale:
        assert (await stale.get("/api/v1/me")).status_code == 401
    assert (await other.get("/api/v1/me")).status_code == 401
    await other.aclose()


async def test_a_role_change_ends_that_members_sessions(app: FastAPI, tenant: Tenant) -> None:
    member, member_id = await tenant.member_client(app, "member")
    renamed = await tenant.client.patch(f"/api/v1/members/{member_id}", json={"name": "Still a member"})
    assert renamed.status_code == 200
    assert (await member.get("/api/v1/me")).status_code == 200  # a rename is no privilege change
    promoted = await tenant.client.patch(f"/api/v1/members/{member_id}", json={"role": "admin"})
    assert promoted.status_code == 200
    assert (await member.get("/api/v1/me")).status_code == 401


async def test_sensitive_actions_need_a_recent_sign_in(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    clock.now = datetime.now(UTC)
    member, member_id = await tenant.member_client(app, "member")
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])  # fresh sign-in: allowed
    laptop = await browser(app, tenant.email)
    tenant.extra_clients.append(laptop)
    sessions = (await tenant.client.get("/api/v1/me/sessions")).json()
    other_session = next(s["id"] for s in sessions if not s["current"])
    hook = await create(tenant.client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.com/in"})
    clock.now += timedelta(minutes=11)
    client = tenant.client
    for method, path, body in [
        ("POST", "/api/v1/api-keys", {"name": "late", "scopes": ["read"]}),
        ("PATCH", f"/api/v1/members/{member_id}", {"role": "viewer"}),
        ("POST", "/api/v1/members", {"email": "new-admin@example.com", "name": "New Admin", "role": "admin"}),
        ("POST", "/api/v1/invitations", {"email": "invited-owner@example.com", "role": "owner"}),
        ("GET", f"/api/v1/webhook-endpoints/{hook['id']}/secret", None),
        ("POST", f"/api/v1/webhook-endpoints/{hook['id']}/rotate-secret", None),
        ("POST", f"/api/v1/members/{member_id}/password-reset", None),
        ("POST", "/api/v1/me/mfa/totp", None),
        ("PUT", "/api/v1/organisation/sso", {}),
        ("DELETE", "/api/v1/organisation/sso", None),
        ("POST", "/api/v1/me/sessions/end-others", None),
        ("DELETE", f"/api/v1/me/sessions/{other_session}", None),
    ]:
        refused = await client.request(method, path, json=body)
        assert refused.status_code == 403 and refused.json()["type"] == RECENT, (path, refused.text)
    # What is not sensitive goes on, and so do API keys (they cannot re-authenticate, and never hold owner powers).
    assert (await client.patch(f"/api/v1/members/{member_id}", json={"name": "Renamed"})).status_code == 200
    plain = {"email": "new-member@example.com", "name": "New Member", "role": "member"}
    assert (await client.post("/api/v1/members", json=plain)).status_code == 201
    assert (await client.post("/api/v1/invitations", json={"email": "invited@example.com"})).status_code == 201
    assert (await key.post("/api/v1/api-keys", json={"name": "by key", "scopes": ["read"]})).status_code == 201
    # A member lacking the role hears about the role, not about signing in again.
    assert (await member.post("/api/v1/api-keys", json={"name": "x", "scopes": ["read"]})).json()["type"] == (
        "/problems/forbidden"
    )

    wrong = await client.post("/api/v1/auth/reauthenticate", json={"password": "not the password"})
    assert wrong.status_code == 403
    assert (await client.post("/api/v1/auth/reauthenticate", json={})).status_code == 422
    assert (await client.post("/api/v1/auth/reauthenticate", json={"password": PASSWORD})).status_code == 204
    created = await client.post("/api/v1/api-keys", json={"name": "now", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    assert (await client.delete(f"/api/v1/me/sessions/{other_session}")).status_code == 204
    assert (await laptop.get("/api/v1/me")).status_code == 401
    clock.now += timedelta(minutes=11)
    assert (await client.post("/api/v1/api-keys", json={"name": "late", "scopes": ["read"]})).status_code == 403
    # Signing oneself out never needs the password again.
    own = next(s["id"] for s in (await client.get("/api/v1/me/sessions")).json() if s["current"])
    assert (await client.delete(f"/api/v1/me/sessions/{own}")).status_code == 204


async def test_reauthentication_with_a_code(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    clock.now = datetime.now(UTC)
    started = await tenant.client.post("/api/v1/me/mfa/totp")
    secret = started.json()["secret"]
    confirmed = await tenant.client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(time.time() - 30)}
    )
    assert confirmed.status_code == 200
    clock.now += timedelta(minutes=11)
    assert (await tenant.client.post("/api/v1/me/mfa/recovery-codes")).json()["type"] == RECENT
    assert (await tenant.client.delete("/api/v1/me/mfa/totp")).json()["type"] == RECENT
    assert (await tenant.client.post("/api/v1/auth/reauthenticate", json={"code": "000000"})).status_code == 403
    code = pyotp.TOTP(secret).at(clock.now.timestamp())
    assert (await tenant.client.post("/api/v1/auth/reauthenticate", json={"code": code})).status_code == 204
    assert (await tenant.client.post("/api/v1/me/mfa/recovery-codes")).status_code == 200


async def test_the_mfa_requirement_is_an_owners_recent_decision(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    clock.now = datetime.now(UTC) + timedelta(minutes=11)
    etag = (await tenant.client.get("/api/v1/organisation")).headers["etag"]
    refused = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"mfa_required_for_admins": True}}, headers={"If-Match": etag}
    )
    assert refused.status_code == 403 and refused.json()["type"] == RECENT
    # Other settings need no fresh sign-in.
    other = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"currency": "USD"}}, headers={"If-Match": etag}
    )
    assert other.status_code == 200


async def test_api_keys_can_expire(app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    now = datetime.now(UTC)
    for when in (now - timedelta(minutes=1), now + timedelta(days=800)):
        refused = await tenant.client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": ["read"], "expires_at": when.isoformat()}
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "expires_at"]
    naive = await tenant.client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["read"], "expires_at": "2030-01-01T00:00:00"}
    )
    assert naive.status_code == 422
    expires = (now + timedelta(days=30)).replace(microsecond=0)
    created = await tenant.client.post(
        "/api/v1/api-keys", json={"name": "for a month", "scopes": ["read"], "expires_at": expires.isoformat()}
    )
    assert created.status_code == 201, created.text
    key_id = created.json()["id"]
    assert datetime.fromisoformat(created.json()["expires_at"]) == expires
    assert (
        datetime.fromisoformat((await tenant.client.get(f"/api/v1/api-keys/{key_id}")).json()["expires_at"]) == expires
    )
    listed = (await tenant.client.get("/api/v1/api-keys")).json()["items"]
    assert [k["expires_at"] is not None for k in listed if k["id"] == key_id] == [True]

    async with client_from(app, headers={"Authorization": f"Bearer {created.json()['secret']}"}) as key:
        assert (await key.get("/api/v1/me")).status_code == 200
        await owner_connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", key_id
        )
        assert (await key.get("/api/v1/me")).status_code == 401


async def _resolves_beside_a_touch(database_url: str, call: str, *args: object) -> float:
    """Seconds `call` takes on a second connection while a first one has just touched the same credential's
    last-use time in a transaction still open. It must not wait for that transaction: before, it waited to the
    end of it and then touched the row again, so with one busy credential requests queued behind each other
    once a minute. A wait here fails at the lock timeout."""
    first = await asyncpg.connect(asyncpg_dsn(database_url))  # the app role, as the service connects
    second = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with first.transaction():
            assert len(await first.fetch(call, *args)) == 1  # touches the row and holds it until the end
            async with second.transaction():
                await second.execute("SET LOCAL lock_timeout = '3s'")
                started = time.perf_counter()
                assert len(await second.fetch(call, *args)) == 1
                return time.perf_counter() - started
    finally:
        await first.close()
        await second.close()


async def test_a_busy_credential_is_never_queued_behind_its_own_last_use(
    app: FastAPI, tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    secret = (await tenant.client.post("/api/v1/api-keys", json={"name": "busy", "scopes": ["read"]})).json()
    await owner_connection.execute(
        "UPDATE api_keys SET last_used_at = now() - interval '5 minutes' WHERE id = $1", uuid.UUID(secret["id"])
    )
    call = "SELECT * FROM auth_resolve_api_key($1)"
    assert await _resolves_beside_a_touch(database_url, call, token_hash(secret["secret"])) < 1
    used = await owner_connection.fetchval(
        "SELECT now() - last_used_at FROM api_keys WHERE id = $1", uuid.UUID(secret["id"])
    )
    assert used < timedelta(seconds=5)  # touched once, by the first

    client = await browser(app, tenant.email)
    try:
        session_id = next(s["id"] for s in (await client.get("/api/v1/me/sessions")).json() if s["current"])
        await owner_connection.execute(
            "UPDATE auth_sessions SET last_seen_at = now() - interval '5 minutes' WHERE id = $1", session_id
        )
        call = "SELECT * FROM auth_resolve_session($1, 3600)"
        assert await _resolves_beside_a_touch(database_url, call, token_hash(client.cookies[SESSION_COOKIE])) < 1
        assert await owner_connection.fetchval(SEEN, session_id) < timedelta(seconds=5)
    finally:
        await client.aclose()
