"""The purge job deletes spent invitation and password-reset links (used, revoked, expired) two days on; an
invitation that only expired stays a week (an admin may resend it); open links stay."""

from __future__ import annotations

import hashlib
import inspect
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from fastapi import FastAPI

from sightline.identity import purge
from sightline.worker import background_jobs
from tests.support import Tenant

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


async def _invitation(
    connection: asyncpg.Connection,
    tenant: Tenant,
    *,
    expires: datetime,
    accepted: datetime | None = None,
    revoked: datetime | None = None,
) -> uuid.UUID:
    row_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO invitations (org_id, id, email, role, invited_by, token_hash, created_at, sent_at, expires_at,"
        " accepted_at, revoked_at) VALUES ($1, $2, $3, 'member', $4, $5, $6, $6, $7, $8, $9)",
        uuid.UUID(tenant.org_id),
        row_id,
        f"p-{row_id.hex[:8]}@example.test",
        uuid.UUID(tenant.owner_id),
        hashlib.sha256(row_id.bytes).digest(),
        expires - 7 * DAY,
        expires,
        accepted,
        revoked,
    )
    return row_id


async def _reset(
    connection: asyncpg.Connection, tenant: Tenant, *, created: datetime, used: datetime | None = None
) -> uuid.UUID:
    row_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO password_resets (org_id, id, user_id, token_hash, created_at, expires_at, used_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.UUID(tenant.org_id),
        row_id,
        uuid.UUID(tenant.owner_id),
        hashlib.sha256(row_id.bytes).digest(),
        created,
        created + timedelta(hours=1),
        used,
    )
    return row_id


async def test_spent_links_are_purged_after_their_retention_and_open_ones_stay(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    gone = {
        await _invitation(owner_connection, tenant, expires=NOW + DAY, revoked=NOW - 3 * DAY),
        await _invitation(owner_connection, tenant, expires=NOW - 8 * DAY),  # expired over a week ago
        await _reset(owner_connection, tenant, created=NOW - 3 * DAY),  # expired
        await _reset(owner_connection, tenant, created=NOW - 3 * DAY, used=NOW - 3 * DAY),
    }
    kept = {
        await _invitation(owner_connection, tenant, expires=NOW + 3 * DAY),  # open
        await _invitation(owner_connection, tenant, expires=NOW - 2 * DAY),  # expired, may still be resent
        await _invitation(owner_connection, tenant, expires=NOW + DAY, revoked=NOW - DAY),  # revoked yesterday
        await _reset(owner_connection, tenant, created=NOW - timedelta(minutes=10)),  # open
        await _reset(owner_connection, tenant, created=NOW - DAY, used=NOW - DAY),  # used yesterday
    }
    totals = await purge.purge_spent_links(app.state.session_factory, now=NOW, batch=1)  # several rounds
    assert set(totals) == {"invitations", "password_resets"}
    assert totals["invitations"] >= 2 and totals["password_resets"] >= 2
    left = {
        row["id"]
        for row in await owner_connection.fetch(
            "SELECT id FROM invitations WHERE org_id = $1 UNION ALL SELECT id FROM password_resets WHERE org_id = $1",
            uuid.UUID(tenant.org_id),
        )
    }
    assert kept <= left and not (gone & left)


async def test_the_link_purge_runs_with_the_purge_job_through_a_narrow_function(
    owner_connection: asyncpg.Connection,
) -> None:
    assert "run_purge" in inspect.getsource(background_jobs)
    assert "purge_spent_links" in inspect.getsource(purge.run_purge)
    row = await owner_connection.fetchrow(
        "SELECT pg_get_userbyid(proowner) AS owner, prosecdef FROM pg_proc WHERE proname = 'purge_spent_links'"
    )
    assert (row["owner"], row["prosecdef"]) == ("sightline_auth", True)
    allowed = await owner_connection.fetchval(
        "SELECT has_function_privilege('public', 'purge_spent_links(timestamptz, integer)', 'EXECUTE')"
    )
    assert allowed is False
