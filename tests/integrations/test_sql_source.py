"""SQL sources against a second database on the test server: values arrive, writes and slow queries fail cleanly.

SQL sources reach TCP hosts only; when the test server listens on a Unix socket alone (the embedded one), the
CRM database is reached through a small TCP relay on 127.0.0.1, as a database on this machine would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from tests.integrations.conftest import LOCAL, SQL_TIMEOUT, make_fetchers
from tests.integrations.support import check_ins_of, key_result, runs_of
from tests.support import FixedClock, Tenant, create

from sightline.db.urls import asyncpg_dsn, with_database
from sightline.integrations.runs import Fetchers
from sightline.integrations.scheduler import pull_due
from sightline.integrations.sql_source import parse_dsn
from sightline.url_guard import UrlPolicy


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def tcp_url(url: str) -> AsyncIterator[str]:
    """`url` itself when it names a TCP host; else the same database through a relay on 127.0.0.1."""
    parsed = make_url(url)
    socket_dir = parsed.query.get("host")
    if parsed.host or not isinstance(socket_dir, str):
        yield url
        return
    path = f"{socket_dir}/.s.PGSQL.{parsed.port or 5432}"

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_unix_connection(path)
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield parsed.set(host="127.0.0.1", port=port, query={}).render_as_string(hide_password=False)
    finally:
        server.close()


@pytest.fixture(scope="module")
async def crm_database(server_url: str) -> AsyncIterator[str]:
    """A separate database (a CRM's, say) with leads; its URL (the server's superuser, like a careless admin)."""
    name = f"crm_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    direct = asyncpg_dsn(with_database(server_url, name))
    crm = await asyncpg.connect(direct)
    try:
        await crm.execute("""
            CREATE TABLE leads (id serial PRIMARY KEY, stage text NOT NULL, became_mql_at timestamptz);
            INSERT INTO leads (stage, became_mql_at) VALUES
                ('MQL', '2026-06-03T10:00:00Z'), ('MQL', '2026-06-20T10:00:00Z'), ('MQL', '2026-06-28T10:00:00Z'),
                ('MQL', '2026-05-30T10:00:00Z'), ('SQL', '2026-06-10T10:00:00Z');
        """)
    finally:
        await crm.close()
    async with tcp_url(direct) as url:
        # The test server speaks no TLS: the connections that use it say so (allow_weak_tls).
        yield f"{url}{'&' if '?' in url else '?'}sslmode=prefer"
    admin = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def sql_fetchers(app: FastAPI, crm_database: str) -> AsyncIterator[Fetchers]:
    """The operator allows the test server's host (a loopback address)."""
    allowing = UrlPolicy.of([parse_dsn(crm_database, allow_weak_tls=True).host, "127.0.0.1"], allow_http=True)
    saved = app.state.webhook_policy, app.state.integration_fetchers
    fetchers = make_fetchers(app, LOCAL, sql_policy=allowing)
    app.state.webhook_policy, app.state.integration_fetchers = allowing, fetchers
    yield fetchers
    app.state.webhook_policy, app.state.integration_fetchers = saved
    await fetchers.aclose()


MQLS_THIS_MONTH = (
    "SELECT count(*) FROM leads WHERE stage = 'MQL' "
    "AND became_mql_at >= date_trunc('month', $1::timestamptz - interval '1 day') AND became_mql_at < $1"
)


async def _sql_integration(tenant: Tenant, kr: dict[str, object], connection_id: str, query: str) -> dict[str, object]:
    return await create(
        tenant.client,
        "/api/v1/integrations",
        {
            "name": f"warehouse-{uuid.uuid4().hex[:6]}",
            "key_result_id": kr["id"],
            "schedule": "daily",
            "source": {"kind": "sql", "connection_id": connection_id, "query": query},
        },
    )


async def test_a_sql_source_value_arrives_as_a_check_in_and_the_connection_string_stays_encrypted(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    crm_database: str,
    sql_fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    connection = await create(
        tenant.client,
        "/api/v1/sql-connections",
        {"name": "CRM replica", "dsn": crm_database, "allow_weak_tls": True},
    )
    target = parse_dsn(crm_database, allow_weak_tls=True)
    assert (connection["host"], connection["database"], connection["username"]) == (
        target.host,
        target.database,
        target.username,
    )
    stored = await owner_connection.fetchval(
        "SELECT dsn_encrypted FROM sql_connections WHERE id = $1", uuid.UUID(connection["id"])
    )
    assert target.database not in stored and app.state.secret_box.decrypt(stored) == crm_database
    assert "dsn" not in connection
    check = await tenant.client.post(f"/api/v1/sql-connections/{connection['id']}/check")
    assert check.json() == {"ok": True, "error": None}

    kr = await key_result(tenant.client, title="MQLs in June", target=40)
    integration = await _sql_integration(tenant, kr, connection["id"], MQLS_THIS_MONTH)
    # The clock says 2026-07-01 00:00 in Berlin: $1 is that moment, so the query counts June's MQLs.
    assert await pull_due(app.state.session_factory, sql_fetchers, now=clock.now) == 1
    [run] = await runs_of(tenant.client, str(integration["id"]))
    assert (run["outcome"], run["value"], run["error"]) == ("recorded", 3, None)
    [check_in] = await check_ins_of(owner_connection, kr["id"])
    assert (check_in["value"], check_in["source"]) == (3, integration["name"])
    # In use: the connection cannot go.
    refused = await tenant.client.delete(f"/api/v1/sql-connections/{connection['id']}")
    assert refused.status_code == 409 and str(integration["name"]) in refused.json()["detail"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        pytest.param(
            "INSERT INTO leads (stage) VALUES ('MQL') RETURNING id",
            "query_failed: 25006",  # read_only_sql_transaction
            id="a-writing-query-fails-read-only",
        ),
        pytest.param(
            "SELECT 1; DELETE FROM leads",
            "query_failed: 42601",  # cannot insert multiple commands into a prepared statement
            id="a-second-statement-is-refused",
        ),
        pytest.param("SELECT count(*) FROM pg_sleep(5)", "statement_timeout", id="a-slow-query-is-cancelled"),
        pytest.param("SELECT stage FROM leads", "not_one_row", id="rows"),
        pytest.param("SELECT stage FROM leads LIMIT 1", "not_a_number", id="text"),
        pytest.param("SELECT secret FROM no_such_table", "query_failed: 42P01", id="undefined-table"),
    ],
)
async def test_a_query_that_writes_or_runs_too_long_fails_cleanly_with_the_reason(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    crm_database: str,
    sql_fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
    query: str,
    reason: str,
) -> None:
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": crm_database, "allow_weak_tls": True}
    )
    kr = await key_result(tenant.client)
    integration = await _sql_integration(tenant, kr, connection["id"], query)
    started = time.monotonic()
    ran = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert time.monotonic() - started < SQL_TIMEOUT + 3
    assert ran.status_code == 200, ran.text
    assert (ran.json()["outcome"], ran.json()["error"]) == ("failed", reason)
    stored = (await tenant.client.get(f"/api/v1/integrations/{integration['id']}")).json()
    assert (stored["status"], stored["last_error"]) == ("failing", reason)
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["data_source_error"] == reason
    assert await check_ins_of(owner_connection, kr["id"]) == []
    crm = await asyncpg.connect(crm_database)
    try:
        assert await crm.fetchval("SELECT count(*) FROM leads") == 5  # nothing written
    finally:
        await crm.close()


async def test_a_connection_to_an_internal_host_is_refused_unless_allowed(app: FastAPI, tenant: Tenant) -> None:
    saved = app.state.webhook_policy
    app.state.webhook_policy = UrlPolicy()
    try:
        for dsn in (
            "postgresql://u:p@127.0.0.1:5432/x",
            "postgresql://u:p@10.1.2.3/x",
            "postgresql://u:p@/x?host=/tmp",
        ):
            refused = await tenant.client.post("/api/v1/sql-connections", json={"name": "inside", "dsn": dsn})
            assert refused.status_code == 422, dsn
            assert refused.json()["errors"][0]["loc"] == ["body", "dsn"]
        bad = await tenant.client.post(
            "/api/v1/sql-connections", json={"name": "x", "dsn": "postgresql://db.example.com"}
        )
        assert bad.status_code == 422 and "no database" in bad.text
    finally:
        app.state.webhook_policy = saved


def test_query_parameters_are_the_pull_moment_and_the_cycle_bounds() -> None:
    from sightline.integrations.sql_source import _argument

    moments = (datetime.fromisoformat("2026-07-01T00:00:00+02:00"),) * 3
    assert _argument("timestamptz", 0, moments) == moments[0]
    assert _argument("date", 1, moments).isoformat() == "2026-07-01"
    assert _argument("timestamp", 2, moments).isoformat() == "2026-06-30T22:00:00"
