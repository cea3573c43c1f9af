"""Accounts: nobody grants above their own role, credentials follow their person, passwords change and reset,
a removed member's email comes back, and the operator's way back in (`sightline admin reset-password`)."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.integrations.oidc_provider import (
    TestProvider,
    configure,
    email_at,
    local_idp,
    provider,
    to_provider_and_back,
)
from tests.support import PASSWORD, SIGHTLINE, SignUp, Tenant, enrol, make_client

__all__ = ["local_idp", "provider"]  # fixtures

NEW_PASSWORD = "a fresh passphrase 42"


async def _login(app: FastAPI, email: str, password: str, **extra: str) -> httpx.Response:
    async with make_client(app) as client:
        return await client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


async def _events(tenant: Tenant, type: str) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v1/events", params={"type": type, "limit": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- 3. Nobody gives a role above their own --------------------------------------------------------------


async def test_admin_can_neither_make_an_owner_nor_touch_one(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    _, member_id = await tenant.member_client(app, "member")
    attempts = [
        await admin.post("/api/v1/members", json={"email": "boss@example.test", "name": "Boss", "role": "owner"}),
        await admin.patch(f"/api/v1/members/{member_id}", json={"role": "owner"}),
        await admin.patch(f"/api/v1/members/{admin_id}", json={"role": "owner"}),
        await admin.patch(f"/api/v1/members/{tenant.owner_id}", json={"role": "admin"}),
        await admin.patch(f"/api/v1/members/{tenant.owner_id}", json={"name": "Renamed by an admin"}),
        await admin.delete(f"/api/v1/members/{tenant.owner_id}"),
        await admin.post(f"/api/v1/members/{tenant.owner_id}/password-reset"),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    owner = (await tenant.client.get(f"/api/v1/members/{tenant.owner_id}")).json()
    assert owner["role"] == "owner" and owner["active"] and owner["name"] != "Renamed by an admin"
    # The owner can.
    promoted = await tenant.client.patch(f"/api/v1/members/{member_id}", json={"role": "owner"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "owner"


async def test_an_admin_key_cannot_make_an_owner(app: FastAPI, tenant: Tenant) -> None:
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    _, member_id = await tenant.member_client(app, "member")
    assert (await key.patch(f"/api/v1/members/{member_id}", json={"role": "owner"})).status_code == 403
    assert (await key.delete(f"/api/v1/members/{tenant.owner_id}")).status_code == 403


async def test_a_key_gives_no_role_with_more_than_it_holds(app: FastAPI, tenant: Tenant) -> None:
    """Members follow the invitations' rule (auth.Principal.require_role_within_own): a role is given, changed or
    taken away only within the credential's own permissions, not just "only an owner makes an owner"."""
    admin_only, _ = await tenant.api_key_client(app, ["admin"])
    full, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    _, viewer_id = await tenant.member_client(app, "viewer")
    added = await admin_only.post(
        "/api/v1/members", json={"email": "new@example.test", "name": "New", "role": "member"}
    )
    assert added.status_code == 403 and "above your own role" in added.json()["detail"]
    assert (await admin_only.patch(f"/api/v1/members/{viewer_id}", json={"role": "member"})).status_code == 403
    assert (await admin_only.delete(f"/api/v1/members/{viewer_id}")).status_code == 403
    promoted = await full.patch(f"/api/v1/members/{viewer_id}", json={"role": "member"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "member"


async def test_a_key_cannot_mint_a_key_with_more_than_it_holds(app: FastAPI, tenant: Tenant) -> None:
    admin_only, _ = await tenant.api_key_client(app, ["admin"])
    wider = await admin_only.post("/api/v1/api-keys", json={"name": "wider", "scopes": ["read", "write"]})
    assert wider.status_code == 403
    assert "write" in wider.json()["detail"]
    same = await admin_only.post("/api/v1/api-keys", json={"name": "same", "scopes": ["admin"]})
    assert same.status_code == 201


# --- 4. Credentials follow their person ------------------------------------------------------------------


async def test_demoting_caps_the_keys_they_made(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    made = await admin.post("/api/v1/api-keys", json={"name": "sync", "scopes": ["read", "write", "admin"]})
    assert made.status_code == 201
    key = make_client(app, headers={"Authorization": f"Bearer {made.json()['secret']}"})
    tenant.extra_clients.append(key)
    assert (await key.get("/api/v1/me")).json()["scopes"] == ["admin", "read", "write"]

    assert (await tenant.client.patch(f"/api/v1/members/{admin_id}", json={"role": "viewer"})).status_code == 200
    me = await key.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["scopes"] == ["read"]
    assert (await key.post("/api/v1/api-keys", json={"name": "x", "scopes": ["read"]})).status_code == 403
    assert (await key.post("/api/v1/teams", json={"name": "Sneaky"})).status_code == 403
    shown = (await tenant.client.get(f"/api/v1/api-keys/{made.json()['id']}")).json()
    assert shown["scopes"] == ["read"] and shown["revoked_at"] is None
    # Capped for good: promoting the person again does not hand the key its old power back.
    assert (await tenant.client.patch(f"/api/v1/members/{admin_id}", json={"role": "admin"})).status_code == 200
    assert (await key.get("/api/v1/me")).json()["scopes"] == ["read"]
    capped = await _events(tenant, "api_key.updated")
    assert [e["object_id"] for e in capped] == [made.json()["id"]]


async def test_removing_a_member_ends_their_sessions_and_keys_at_once(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    made = await admin.post("/api/v1/api-keys", json={"name": "cron", "scopes": ["read"]})
    key = make_client(app, headers={"Authorization": f"Bearer {made.json()['secret']}"})
    tenant.extra_clients.append(key)
    assert (await key.get("/api/v1/me")).status_code == 200
    assert (await tenant.client.delete(f"/api/v1/members/{admin_id}")).status_code == 204
    assert (await key.get("/api/v1/me")).status_code == 401
    assert (await admin.get("/api/v1/me")).status_code == 401
    assert made.json()["id"] not in {k["id"] for k in (await tenant.client.get("/api/v1/api-keys")).json()["items"]}
    revoked = (await tenant.client.get("/api/v1/api-keys", params={"include_revoked": "true"})).json()["items"]
    listed = {k["id"]: k for k in revoked}
    assert listed[made.json()["id"]]["revoked_at"] is not None
    assert listed[made.json()["id"]]["created_by"] == {"id": admin_id, "name": "A admin"}
    assert [e["object_id"] for e in await _events(tenant, "member.removed")] == [admin_id]


async def test_a_deactivated_creators_key_stops_on_the_next_request(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    """Whatever deactivated the person (here the database itself), their key is refused: checked per request."""
    admin, admin_id = await tenant.member_client(app, "admin")
    made = await admin.post("/api/v1/api-keys", json={"name": "etl", "scopes": ["read", "write"]})
    key = make_client(app, headers={"Authorization": f"Bearer {made.json()['secret']}"})
    tenant.extra_clients.append(key)
    assert (await key.get("/api/v1/me")).status_code == 200
    await owner_connection.execute("UPDATE users SET deactivated_at = now() WHERE id = $1", uuid.UUID(admin_id))
    refused = await key.get("/api/v1/me")
    assert refused.status_code == 401
    assert (await admin.get("/api/v1/me")).status_code == 401


async def test_key_list_says_who_made_each_key_and_when_it_was_used(app: FastAPI, tenant: Tenant) -> None:
    client, key_id = await tenant.api_key_client(app, ["read"])
    assert (await client.get("/api/v1/me")).status_code == 200
    listed = {k["id"]: k for k in (await tenant.client.get("/api/v1/api-keys")).json()["items"]}
    one = (await tenant.client.get(f"/api/v1/api-keys/{key_id}")).json()
    for shown in (listed[key_id], one):
        assert shown["created_by"] == {"id": tenant.owner_id, "name": "Olive Owner"}
        assert shown["created_at"] and shown["last_used_at"]
        assert "secret" not in shown
    created = await _events(tenant, "api_key.created")
    assert created[-1]["object_id"] == key_id


# --- 7. Account lifecycle ----------------------------------------------------------------------------------


async def test_member_changes_own_password_and_other_sessions_end(app: FastAPI, tenant: Tenant) -> None:
    member, member_id = await tenant.member_client(app, "member")
    email = (await member.get("/api/v1/me")).json()["member"]["email"]
    other = make_client(app)
    tenant.extra_clients.append(other)
    assert (await other.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 200

    wrong = await member.post(
        "/api/v1/me/password", json={"current_password": "not mine", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 403
    weak = await member.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    same = await member.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422
    changed = await member.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    assert (await member.get("/api/v1/me")).status_code == 200  # this session stays
    assert (await other.get("/api/v1/me")).status_code == 401  # the others end
    assert (await _login(app, email, PASSWORD)).status_code == 401
    assert (await _login(app, email, NEW_PASSWORD)).status_code == 200
    events = await _events(tenant, "member.password_changed")
    assert [e["object_id"] for e in events] == [member_id]
    assert PASSWORD not in str(events) and NEW_PASSWORD not in str(events)


async def test_an_api_key_cannot_change_a_password(app: FastAPI, tenant: Tenant) -> None:
    key, _ = await tenant.api_key_client(app, ["read", "write", "admin"])
    response = await key.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 403
    assert (await _login(app, tenant.email, PASSWORD)).status_code == 200


async def test_guessing_the_current_password_is_throttled(app: FastAPI, tenant: Tenant) -> None:
    member, _ = await tenant.member_client(app, "member")
    for i in range(5):
        guess = await member.post(
            "/api/v1/me/password", json={"current_password": f"guess {i}", "new_password": NEW_PASSWORD}
        )
        assert guess.status_code == 403
    blocked = await member.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert blocked.status_code == 429 and "retry-after" in blocked.headers


async def test_admin_resets_a_members_password(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    member, member_id = await tenant.member_client(app, "member")
    email = (await member.get("/api/v1/me")).json()["member"]["email"]
    reset = await admin.post(f"/api/v1/members/{member_id}/password-reset", headers={"Idempotency-Key": "reset-1"})
    assert reset.status_code == 200
    password = reset.json()["password"]
    assert len(password) >= 16
    assert (await member.get("/api/v1/me")).status_code == 401  # their sessions end
    assert (await _login(app, email, PASSWORD)).status_code == 401
    assert (await _login(app, email, password)).status_code == 200
    # Shown once: a retry with the same key is not a replay of the password.
    again = await admin.post(f"/api/v1/members/{member_id}/password-reset", headers={"Idempotency-Key": "reset-1"})
    assert again.status_code == 409 and password not in again.text
    events = await _events(tenant, "member.password_reset")
    assert [(e["object_id"], e["actor"]) for e in events] == [(member_id, f"user:{admin_id}")]
    assert password not in str(events)


async def test_password_reset_refusals(app: FastAPI, tenant: Tenant) -> None:
    admin, admin_id = await tenant.member_client(app, "admin")
    viewer, viewer_id = await tenant.member_client(app, "viewer")
    assert (await admin.post(f"/api/v1/members/{admin_id}/password-reset")).status_code == 403  # own: /me/password
    assert (await viewer.post(f"/api/v1/members/{admin_id}/password-reset")).status_code == 403
    # Not even another owner resets an owner's password: only that owner, or the operator.
    assert (await tenant.client.post(f"/api/v1/members/{tenant.owner_id}/password-reset")).status_code == 403
    assert (await tenant.client.delete(f"/api/v1/members/{viewer_id}")).status_code == 204
    assert (await tenant.client.post(f"/api/v1/members/{viewer_id}/password-reset")).status_code == 404
    assert (await tenant.client.post(f"/api/v1/members/{uuid.uuid4()}/password-reset")).status_code == 404


async def test_a_removed_members_email_can_be_added_again(app: FastAPI, tenant: Tenant) -> None:
    email = f"comeback-{uuid.uuid4().hex[:6]}@example.test"
    body = {"email": email, "name": "Cam", "role": "member", "password": PASSWORD}
    first = await tenant.client.post("/api/v1/members", json=body)
    assert first.status_code == 201
    assert (await tenant.client.post("/api/v1/members", json=body)).status_code == 409  # still active
    assert (await tenant.client.delete(f"/api/v1/members/{first.json()['id']}")).status_code == 204
    second = await tenant.client.post("/api/v1/members", json={**body, "password": NEW_PASSWORD})
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert (await tenant.client.get(f"/api/v1/members/{first.json()['id']}")).status_code == 404
    removed = await tenant.client.get(f"/api/v1/members/{first.json()['id']}", params={"include_removed": "true"})
    assert removed.json()["active"] is False
    assert (await _login(app, email, NEW_PASSWORD)).status_code == 200
    assert (await tenant.client.post("/api/v1/members", json=body)).status_code == 409


async def test_single_sign_on_finds_the_returning_member_not_the_removed_one(
    app: FastAPI, tenant: Tenant, local_idp: TestProvider
) -> None:
    email = email_at("ruth")
    body = {"email": email, "name": "Ruth", "role": "member", "password": PASSWORD}
    first = (await tenant.client.post("/api/v1/members", json=body)).json()
    assert (await tenant.client.delete(f"/api/v1/members/{first['id']}")).status_code == 204
    second = (await tenant.client.post("/api/v1/members", json=body)).json()
    await configure(tenant, local_idp)
    local_idp.user = {"sub": "idp-ruth", "email": email, "email_verified": True}
    async with make_client(app) as browser:
        callback, _ = await to_provider_and_back(browser, tenant.org_id)
        assert (await browser.get(callback)).status_code == 303
        assert (await browser.get("/api/v1/me")).json()["member"]["id"] == second["id"]


# --- The operator's way back in ----------------------------------------------------------------------------


async def _cli(database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SIGHTLINE_MIGRATION_DATABASE_URL",)}
    env.update(DATABASE_URL=database_url, SIGHTLINE_DATABASE_URL=database_url, SIGHTLINE_LOG_LEVEL="WARNING")
    process = await asyncio.create_subprocess_exec(
        SIGHTLINE,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else b""), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.slow
async def test_operator_resets_a_locked_out_owner(
    app: FastAPI, tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    locked_out = httpx.ASGITransport(app=app, client=(f"192.0.2.{uuid.uuid4().int % 250 + 1}", 4000))
    async with httpx.AsyncClient(transport=locked_out, base_url="http://testserver") as attacker:
        for _ in range(6):
            await attacker.post("/api/v1/auth/login", json={"email": tenant.email, "password": "guess guess"})
    assert (await _login(app, tenant.email, PASSWORD)).status_code == 429

    code, out, err = await _cli(database_url, "admin", "reset-password", tenant.email.upper())
    assert code == 0, err
    password = out.strip()
    assert len(password) >= 16 and "\n" not in password
    assert tenant.org_id in err and "reset" in err
    assert (await tenant.client.get("/api/v1/me")).status_code == 401  # the owner's sessions end
    assert (await _login(app, tenant.email, password)).status_code == 200  # and the throttle is cleared
    row = await owner_connection.fetchrow(
        "SELECT actor, after FROM events WHERE org_id = $1 AND type = 'member.password_reset'", uuid.UUID(tenant.org_id)
    )
    assert row["actor"] == "operator:cli" and password not in str(row["after"])


@pytest.mark.slow
async def test_operator_removes_a_lost_second_factor_only_when_asked(
    app: FastAPI, tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    """An owner who lost the phone and the recovery codes: a password alone would still stop at the second step."""
    await enrol(tenant.client)
    code, out, err = await _cli(database_url, "admin", "reset-password", tenant.email)
    assert code == 0, err
    assert (await _login(app, tenant.email, out.strip())).json() == {
        "mfa_required": True,
        "methods": ["totp", "recovery_code"],
    }
    code, out, err = await _cli(database_url, "admin", "reset-password", tenant.email, "--remove-second-factor")
    assert code == 0 and "second factor and recovery codes were removed" in err, err
    signed_in = await _login(app, tenant.email, out.strip())
    assert signed_in.status_code == 200 and "mfa_required" not in signed_in.json()
    left = await owner_connection.fetchval(
        "SELECT count(*) FROM mfa_recovery_codes WHERE org_id = $1", uuid.UUID(tenant.org_id)
    )
    removed = await owner_connection.fetch(
        "SELECT actor FROM events WHERE org_id = $1 AND type = 'mfa.removed'", uuid.UUID(tenant.org_id)
    )
    assert left == 0 and [r["actor"] for r in removed] == ["operator:cli"]


@pytest.mark.slow
async def test_operator_reset_reads_stdin_and_asks_for_the_organisation(
    app: FastAPI, signup: SignUp, database_url: str
) -> None:
    first, second = await signup("Alpha Corp"), await signup("Beta Corp")
    shared = f"both-{uuid.uuid4().hex[:6]}@example.test"
    for tenant in (first, second):
        created = await tenant.client.post(
            "/api/v1/members", json={"email": shared, "name": "Bo", "role": "member", "password": PASSWORD}
        )
        assert created.status_code == 201

    code, _, err = await _cli(database_url, "admin", "reset-password", shared, "--password-stdin", stdin=NEW_PASSWORD)
    assert code == 1 and "--organisation" in err and first.org_id in err and second.org_id in err
    code, _, err = await _cli(
        database_url, "admin", "reset-password", shared, "--password-stdin", "--organisation", "x", stdin="short\n"
    )
    assert code == 2 and "at least 12 characters" in err
    code, out, err = await _cli(
        database_url,
        "admin",
        "reset-password",
        shared,
        "--password-stdin",
        "--organisation",
        "Beta Corp",  # its name will do, among the organisations of this email
        stdin=NEW_PASSWORD + "\n",
    )
    assert code == 0, err
    assert out == ""  # the password was the operator's own: not echoed
    assert (await _login(app, shared, NEW_PASSWORD, organisation_id=second.org_id)).status_code == 200
    assert (await _login(app, shared, PASSWORD, organisation_id=first.org_id)).status_code == 200
    code, _, err = await _cli(database_url, "admin", "reset-password", f"nobody-{uuid.uuid4().hex[:6]}@x.test")
    assert code == 1 and "not found" in err
