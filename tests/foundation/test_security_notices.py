"""A person is told by email when their password or second factor changes (ASVS 2.2.3, 2.5.5), whoever changed
it, in the transaction of the change: a refused change sends nothing, and no notice carries a secret."""

from __future__ import annotations

import uuid

import asyncpg
import pyotp
from fastapi import FastAPI
from tests.support import PASSWORD, Tenant, enrol

NEW_PASSWORD = "a fresh passphrase 42"


async def _notices(conn: asyncpg.Connection, tenant: Tenant, to: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT subject, body_text, body_html FROM mail_outbox WHERE org_id = $1 AND to_address = $2 "
        "AND kind = 'security_notice' ORDER BY created_at, subject",
        uuid.UUID(tenant.org_id),
        to,
    )


async def test_own_changes_of_password_and_second_factor_are_mailed(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    client = tenant.client
    refused = await client.post("/api/v1/me/password", json={"current_password": "wrong", "new_password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert await _notices(owner_connection, tenant, tenant.email) == []  # rolled back: nothing to tell

    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = await client.post("/api/v1/me/password", json=change)
    assert changed.status_code == 204
    secret, codes = await enrol(client)
    assert (await client.post("/api/v1/me/mfa/recovery-codes")).status_code == 200
    assert (await client.delete("/api/v1/me/mfa/totp")).status_code == 204

    notices = await _notices(owner_connection, tenant, tenant.email)
    assert sorted(n["subject"] for n in notices) == sorted(
        [
            "Sightline: your password was changed",
            "Sightline: two-step sign-in was turned on",
            "Sightline: new recovery codes were made (the earlier ones no longer work)",
            "Sightline: two-step sign-in was turned off",
        ]
    )
    for notice in notices:
        body = notice["body_text"]
        assert "/forgot-password" in body and "UTC" in body
        assert NEW_PASSWORD not in body and secret not in body and not any(code in body for code in codes)
        assert pyotp.TOTP(secret).now() not in body


async def test_a_reset_by_an_admin_is_mailed_to_the_member_only(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    admin, _ = await tenant.member_client(app, "admin")
    member, member_id = await tenant.member_client(app, "member")
    member_email = (await member.get("/api/v1/me")).json()["member"]["email"]
    admin_email = (await admin.get("/api/v1/me")).json()["member"]["email"]
    reset = await admin.post(f"/api/v1/members/{member_id}/password-reset")
    assert reset.status_code == 200
    notices = await _notices(owner_connection, tenant, member_email)
    assert [n["subject"] for n in notices] == ["Sightline: your password was reset"]
    assert reset.json()["password"] not in notices[0]["body_text"]
    assert await _notices(owner_connection, tenant, admin_email) == []
