"""Tenancy enforced underneath: forced row-level security, the restricted role, no rows without a tenant."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from tests.support import SignUp

from sightline.app import create_app
from sightline.config import get_settings
from sightline.db.engine import APP_ROLE
from sightline.db.roles import UnsafeDatabaseRole

GLOBAL_TABLES = {"alembic_version", "auth_throttle"}  # hold no tenant data


async def _tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"""
    )
    return [r["relname"] for r in rows]


async def test_catalog_every_table_with_org_id_has_forced_rls(owner_connection: asyncpg.Connection) -> None:
    tables = await owner_connection.fetch(
        """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                          AND NOT a.attisdropped) AS has_org,
                  (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"""
    )
    assert len(tables) >= 5
    for table in tables:
        if table["relname"] in GLOBAL_TABLES:
            continue
        assert table["has_org"], f"{table['relname']} has no org_id column"
        assert table["relrowsecurity"], f"{table['relname']} lacks ENABLE ROW LEVEL SECURITY"
        assert table["relforcerowsecurity"], f"{table['relname']} lacks FORCE ROW LEVEL SECURITY"
        assert table["policies"] >= 1, f"{table['relname']} has no policy"


async def test_every_primary_and_unique_key_starts_with_org_id(owner_connection: asyncpg.Connection) -> None:
    keys = await owner_connection.fetch(
        """SELECT c.relname, con.conname,
                  (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = con.conkey[1]) AS first
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND con.contype IN ('p', 'u')"""
    )
    tenant_tables = set(await _tenant_tables(owner_connection))
    checked = [k for k in keys if k["relname"] in tenant_tables]
    assert checked
    for key in checked:
        assert key["first"] == "org_id", f"{key['relname']}.{key['conname']} does not start with org_id"


async def test_restricted_role_sees_no_rows_of_another_org(
    signup: SignUp, owner_connection: asyncpg.Connection
) -> None:
    a = await signup("Org A")
    b = await signup("Org B")
    await a.client.post("/api/v1/api-keys", json={"name": "A key", "scopes": ["read"]})
    tables = await _tenant_tables(owner_connection)
    async with owner_connection.transaction():
        await owner_connection.execute(f"SET LOCAL ROLE {APP_ROLE}")
        # No tenant set: not a single row of any organisation is visible.
        for table in tables:
            assert await owner_connection.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        await owner_connection.execute("SELECT set_config('app.org_id', $1, true)", b.org_id)
        seen_b = 0
        for table in tables:
            leaked = await owner_connection.fetchval(
                f"SELECT count(*) FROM {table} WHERE org_id = $1", uuid.UUID(a.org_id)
            )
            assert leaked == 0, f"{table} shows organisation A's rows to B"
            seen_b += await owner_connection.fetchval(f"SELECT count(*) FROM {table}")
        assert seen_b > 0  # B still sees its own rows: the policy filters, it does not just deny
        # Writing a row for another organisation is refused by the policy's WITH CHECK.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await owner_connection.execute(
                "INSERT INTO api_keys (org_id, id, name, prefix, key_hash, scopes) "
                "VALUES ($1, gen_random_uuid(), 'x', 'x', 'x', ARRAY['read'])",
                uuid.UUID(a.org_id),
            )


LOGIN_QUERY = (
    "SELECT session_user AS login, current_user AS role, r.rolsuper, r.rolbypassrls "
    "FROM pg_roles r WHERE r.rolname = session_user"
)


@pytest.mark.parametrize("engine_name", ["engine", "side_session_factory"])
async def test_service_logs_in_as_the_restricted_role(app: FastAPI, engine_name: str) -> None:
    """No superuser login followed by SET ROLE: RESET ROLE must find nothing more privileged underneath."""
    state = app.state.engine if engine_name == "engine" else app.state.side_session_factory.kw["bind"]
    async with state.connect() as connection:
        await connection.execute(text("RESET ROLE"))
        row = (await connection.execute(text(LOGIN_QUERY))).one()
        owns_tables = (
            await connection.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = session_user"))
        ).scalar()
    assert (row.login, row.role) == (APP_ROLE, APP_ROLE)
    assert row.rolsuper is False
    assert row.rolbypassrls is False
    assert owns_tables == 0


@pytest.mark.parametrize("login", ["superuser", "owner"])
async def test_service_refuses_a_login_that_bypasses_row_level_security(
    admin_database_url: str, owner_database_url: str, login: str
) -> None:
    url = admin_database_url if login == "superuser" else owner_database_url
    application = create_app(url, get_settings())
    with pytest.raises(UnsafeDatabaseRole, match="tenants would not be isolated"):
        async with application.router.lifespan_context(application):
            pass


async def test_app_session_without_tenant_returns_nothing(app: FastAPI, signup: SignUp) -> None:
    await signup("Somebody")
    async with app.state.session_factory() as session, session.begin():
        users = (await session.execute(text("SELECT count(*) FROM users"))).scalar()
        orgs = (await session.execute(text("SELECT count(*) FROM orgs"))).scalar()
    assert users == 0
    assert orgs == 0
