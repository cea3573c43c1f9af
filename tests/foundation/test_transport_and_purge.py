"""Data in transit and at rest (issue 20, point 9): SQL sources verify TLS by default, SQL parameters stay out
of logs, expired rows are purged by a scheduled job, Teams messages escape Markdown."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.integrations.test_sql_source import crm_database, sql_fetchers  # noqa: F401  (fixtures)
from tests.support import Tenant, create

from sightline import worker
from sightline.identity import purge
from sightline.integrations import chat
from sightline.integrations.runs import Fetchers

VERIFIED = "postgresql://ro:pw@db.example.com/crm"


# SQL sources: TLS verified unless the admin says otherwise --------------------------------------------------
async def test_a_connection_without_sslmode_verifies_the_server_and_weaker_modes_need_the_flag(
    tenant: Tenant,
) -> None:
    verified = await create(tenant.client, "/api/v1/sql-connections", {"name": "warehouse", "dsn": VERIFIED})
    assert (verified["sslmode"], verified["allow_weak_tls"], verified["tls_warning"]) == ("verify-full", False, None)

    for mode in ("disable", "prefer", "require", "verify-ca"):
        refused = await tenant.client.post(
            "/api/v1/sql-connections", json={"name": f"weak-{mode}", "dsn": f"{VERIFIED}?sslmode={mode}"}
        )
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["loc"] == ["body", "dsn"] and "allow_weak_tls" in error["message"]

    weak = await create(
        tenant.client,
        "/api/v1/sql-connections",
        {"name": "legacy", "dsn": f"{VERIFIED}?sslmode=require", "allow_weak_tls": True},
    )
    assert (weak["sslmode"], weak["allow_weak_tls"]) == ("require", True)
    assert "not verified" in weak["tls_warning"]
    listed = (await tenant.client.get("/api/v1/sql-connections")).json()["items"]
    assert {c["name"]: c["tls_warning"] is not None for c in listed} == {"warehouse": False, "legacy": True}

    # The flag cannot be turned off while the stored string names a weaker mode; with a new string it can.
    stuck = await tenant.client.patch(f"/api/v1/sql-connections/{weak['id']}", json={"allow_weak_tls": False})
    assert stuck.status_code == 422 and stuck.json()["errors"][0]["loc"] == ["body", "allow_weak_tls"]
    null = await tenant.client.patch(f"/api/v1/sql-connections/{weak['id']}", json={"allow_weak_tls": None})
    assert null.status_code == 422
    fixed = await tenant.client.patch(
        f"/api/v1/sql-connections/{weak['id']}", json={"allow_weak_tls": False, "dsn": VERIFIED}
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["sslmode"], fixed.json()["allow_weak_tls"], fixed.json()["tls_warning"]) == (
        "verify-full",
        False,
        None,
    )


async def test_runs_hold_to_the_flag_and_verify_full_refuses_a_server_without_tls(
    app: FastAPI,
    tenant: Tenant,
    crm_database: str,  # noqa: F811
    sql_fetchers: Fetchers,  # noqa: F811
    owner_connection: asyncpg.Connection,
) -> None:
    # The suite's server speaks no TLS: by default (verify-full) the check fails as tls_failed, never plain text.
    plain = crm_database.replace("?sslmode=prefer", "").replace("&sslmode=prefer", "")
    verified = await create(tenant.client, "/api/v1/sql-connections", {"name": "strict", "dsn": plain})
    check = await tenant.client.post(f"/api/v1/sql-connections/{verified['id']}/check")
    assert check.json() == {"ok": False, "error": "tls_failed"}

    weak = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "lenient", "dsn": crm_database, "allow_weak_tls": True}
    )
    assert (await tenant.client.post(f"/api/v1/sql-connections/{weak['id']}/check")).json()["ok"] is True
    # A flag turned off behind the API's back (in the database): the stored weak string is refused at run time.
    await owner_connection.execute(
        "UPDATE sql_connections SET allow_weak_tls = false WHERE id = $1", uuid.UUID(weak["id"])
    )
    again = await tenant.client.post(f"/api/v1/sql-connections/{weak['id']}/check")
    assert again.json() == {"ok": False, "error": "invalid_connection_string"}


# SQL parameters never reach a log -----------------------------------------------------------------------------
async def test_sql_errors_never_carry_their_parameters(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        with pytest.raises(DBAPIError) as failure:
            # The server's message names no value; SQLAlchemy would append "[parameters: ('s3cret…',)]".
            await session.execute(text("SELECT 1 / 0 WHERE CAST(:value AS text) <> ''"), {"value": "s3cret-parameter"})
    assert "s3cret-parameter" not in str(failure.value)
    assert "hidden" in str(failure.value)


# The purge job ------------------------------------------------------------------------------------------------
async def _session_row(
    connection: asyncpg.Connection,
    tenant: Tenant,
    *,
    created: datetime,
    expires: datetime,
    revoked: datetime | None = None,
    seen: datetime | None = None,
) -> uuid.UUID:
    session_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO auth_sessions (org_id, id, user_id, token_hash, created_at, expires_at, revoked_at, last_seen_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        uuid.UUID(tenant.org_id),
        session_id,
        uuid.UUID(tenant.owner_id),
        hashlib.sha256(session_id.bytes).digest(),
        created,
        expires,
        revoked,
        seen,
    )
    return session_id


async def test_the_purge_deletes_expired_sessions_closed_throttle_windows_and_old_replays(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    settings = app.state.settings
    now = datetime.now(UTC)
    idle = timedelta(hours=settings.session_idle_hours)
    gone = [
        await _session_row(owner_connection, tenant, created=now - timedelta(days=3), expires=now - timedelta(days=1)),
        await _session_row(
            owner_connection, tenant, created=now - timedelta(hours=1), expires=now + timedelta(days=1), revoked=now
        ),
        await _session_row(
            owner_connection,
            tenant,
            created=now - idle - timedelta(hours=2),
            expires=now + timedelta(days=1),
            seen=now - idle - timedelta(minutes=1),
        ),
    ]
    kept = await _session_row(
        owner_connection, tenant, created=now - timedelta(hours=1), expires=now + timedelta(days=1), seen=now
    )
    window = timedelta(seconds=max(settings.login_window_seconds, settings.signup_window_seconds))
    old_key, fresh_key = f"addr:purge-{uuid.uuid4().hex}", f"addr:purge-{uuid.uuid4().hex}"
    await owner_connection.executemany(
        "INSERT INTO auth_throttle (key, window_start, failures) VALUES ($1, $2, 3)",
        [(old_key, now - window - timedelta(seconds=1)), (fresh_key, now - timedelta(seconds=5))],
    )
    old_replay, fresh_replay = f"purge-{uuid.uuid4().hex}", f"purge-{uuid.uuid4().hex}"
    await owner_connection.executemany(
        "INSERT INTO idempotency_keys (org_id, key, request_hash, state, created_at, expires_at) "
        "VALUES ($1, $2, '\\x00', 'done', $3, $4)",
        [
            (uuid.UUID(tenant.org_id), old_replay, now - timedelta(days=2), now - timedelta(days=1)),
            (uuid.UUID(tenant.org_id), fresh_replay, now, now + timedelta(days=1)),
        ],
    )

    # As the worker runs it: the app role, through the SECURITY DEFINER function.
    stop = asyncio.Event()
    job = asyncio.create_task(purge.run_purge(app.state.session_factory, settings=settings, stop=stop))
    for _ in range(100):
        if not await owner_connection.fetchval("SELECT count(*) FROM auth_sessions WHERE id = ANY($1)", gone):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(job, 5)

    sessions = {
        r["id"]
        for r in await owner_connection.fetch(
            "SELECT id FROM auth_sessions WHERE org_id = $1", uuid.UUID(tenant.org_id)
        )
    }
    assert not sessions & set(gone) and kept in sessions
    keys = {r["key"] for r in await owner_connection.fetch("SELECT key FROM auth_throttle")}
    assert old_key not in keys and fresh_key in keys
    replays = {r["key"] for r in await owner_connection.fetch("SELECT key FROM idempotency_keys")}
    assert old_replay not in replays and fresh_replay in replays
    # Nothing live went: the owner's own session still answers.
    assert (await tenant.client.get("/api/v1/me")).status_code == 200

    # Batches: a small batch loops until the backlog is gone.
    await owner_connection.executemany(
        "INSERT INTO auth_throttle (key, window_start, failures) VALUES ($1, $2, 1)",
        [(f"addr:batch-{n}-{uuid.uuid4().hex}", now - window - timedelta(minutes=1)) for n in range(7)],
    )
    totals = await purge.purge_expired(app.state.session_factory, settings=settings, now=now, batch=2)
    assert totals["throttle"] >= 7
    assert set(totals) == {"sessions", "throttle", "idempotency_keys", "email_verifications", "mfa_enrolments", "mail"}


async def test_the_purge_is_one_of_the_background_jobs_and_goes_through_a_narrow_function(
    owner_connection: asyncpg.Connection,
) -> None:
    assert "run_purge" in inspect.getsource(worker.background_jobs)
    row = await owner_connection.fetchrow(
        "SELECT pg_get_userbyid(proowner) AS owner, prosecdef FROM pg_proc WHERE proname = 'purge_expired'"
    )
    owner, definer = row["owner"], row["prosecdef"]
    assert (owner, definer) == ("sightline_auth", True)
    # Only the app role may call it (not PUBLIC).
    signature = "purge_expired(timestamptz, integer, timestamptz, timestamptz, integer)"
    allowed = await owner_connection.fetchval("SELECT has_function_privilege('public', $1, 'EXECUTE')", signature)
    assert allowed is False


# Teams messages are text, not Markdown ------------------------------------------------------------------------
def test_teams_messages_escape_markdown_like_slack_messages_escape_markup() -> None:
    title = "**Win** [the prize](https://evil.example) {{DATE(2030-01-01T00:00:00Z, SHORT)}} _now_ <b>"
    body = orjson.loads(
        chat.render(
            "teams",
            "objective.created",
            {"id": str(uuid.uuid4()), "title": title},
            chat.ChatContext(organisation="Acme"),
            base_url="https://okr.example.com",
        )
    )
    text_block = body["attachments"][0]["content"]["body"][0]["text"]
    assert "**Win**" not in text_block and "[the prize](" not in text_block and "{{DATE" not in text_block
    assert r"\*\*Win\*\*" in text_block and r"\[the prize\]\(https://evil.example\)" in text_block
    assert r"\_now\_" in text_block and r"\<b\>" in text_block
    # The words themselves stay readable.
    assert "Win" in text_block and "the prize" in text_block
    # A line of a digest that starts like a list item stays a line.
    lines = chat.teams_body(chat.Message("Digest", ("- not a list", "1. not numbered")), "https://x.example")
    assert [b["text"] for b in lines["attachments"][0]["content"]["body"][1:]] == [
        r"- \- not a list",
        r"- 1\. not numbered",
    ]
    slack = orjson.loads(
        chat.render("slack", "objective.created", {"title": "<!channel>"}, chat.ChatContext(), base_url="https://x")
    )
    assert "<!channel>" not in slack["text"]
