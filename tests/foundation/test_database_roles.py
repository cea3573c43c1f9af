"""`sightline create-roles` and `migrate` on an existing server: the service's logins never bypass row-level
security."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from tests.support import SIGHTLINE, drop_database

from sightline.config import get_settings
from sightline.db.ddl import APP_ROLE
from sightline.db.migrate import upgrade
from sightline.db.roles import OWNER_ROLE, UnsafeDatabaseRole, as_login
from sightline.db.urls import asyncpg_dsn, with_database
from sightline.worker import run_worker

pytestmark = pytest.mark.slow  # runs the `sightline` CLI and migrates fresh databases


@pytest.fixture
def fresh_database(server_url: str) -> Iterator[str]:
    """The administrator's URL of a database name that does not exist yet; dropped afterwards."""
    name = f"sightline_roles_{uuid.uuid4().hex[:8]}"
    yield with_database(server_url, name)
    asyncio.run(drop_database(server_url, name))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run([SIGHTLINE, *args], env={**base, **env}, capture_output=True, text=True, timeout=120)


async def _facts(admin_url: str) -> dict[str, object]:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        roles = {
            r["rolname"]: (r["rolcanlogin"], r["rolsuper"], r["rolbypassrls"])
            for r in await conn.fetch(
                "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ANY($1)",
                [APP_ROLE, OWNER_ROLE],
            )
        }
        owners = {
            r["tableowner"] for r in await conn.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
        database_owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        )
        return {"roles": roles, "table_owners": owners, "database_owner": database_owner}
    finally:
        await conn.close()


def test_create_roles_then_migrate_as_the_owner(fresh_database: str) -> None:
    env = {
        "DATABASE_URL": as_login(fresh_database, APP_ROLE),
        "SIGHTLINE_MIGRATION_DATABASE_URL": as_login(fresh_database, OWNER_ROLE),
    }
    created = _cli("create-roles", "--admin-url", with_database(fresh_database, "postgres"), env=env)
    assert created.returncode == 0, created.stderr
    # Without the owner's URL nothing migrates, and the service says what to do instead of starting half-ready.
    missing_owner = _cli("migrate", env={"DATABASE_URL": env["DATABASE_URL"]})
    assert missing_owner.returncode == 2
    assert "SIGHTLINE_MIGRATION_DATABASE_URL" in missing_owner.stderr
    migrated = _cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr

    facts = asyncio.run(_facts(fresh_database))
    assert facts["roles"] == {APP_ROLE: (True, False, False), OWNER_ROLE: (True, False, False)}
    assert facts["table_owners"] == {OWNER_ROLE}
    assert facts["database_owner"] == OWNER_ROLE


def test_print_sql_needs_no_administrator(fresh_database: str) -> None:
    env = {
        "DATABASE_URL": as_login(fresh_database, APP_ROLE),
        "SIGHTLINE_MIGRATION_DATABASE_URL": as_login(fresh_database, OWNER_ROLE),
    }
    printed = _cli("create-roles", "--print-sql", env=env)
    assert printed.returncode == 0, printed.stderr
    assert f"ALTER ROLE {APP_ROLE}" in printed.stdout or f'ALTER ROLE "{APP_ROLE}"' in printed.stdout
    assert "NOBYPASSRLS" in printed.stdout
    assert "NOSUPERUSER" in printed.stdout


def test_an_install_migrated_by_a_superuser_is_handed_to_the_owner(fresh_database: str) -> None:
    """Earlier versions migrated as whatever DATABASE_URL named; create-roles moves those tables to the owner."""

    async def create() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(with_database(fresh_database, "postgres")))
        try:
            await conn.execute(f'CREATE DATABASE "{fresh_database.rsplit("/", 1)[1].split("?")[0]}"')
        finally:
            await conn.close()

    asyncio.run(create())
    upgrade(fresh_database, "0040")  # as the superuser, the way version 1.0 did
    env = {
        "DATABASE_URL": as_login(fresh_database, APP_ROLE),
        "SIGHTLINE_MIGRATION_DATABASE_URL": as_login(fresh_database, OWNER_ROLE),
    }
    assert _cli("create-roles", "--admin-url", fresh_database, env=env).returncode == 0
    migrated = _cli("migrate", env=env)  # the later revisions, as the owner
    assert migrated.returncode == 0, migrated.stderr
    assert asyncio.run(_facts(fresh_database))["table_owners"] == {OWNER_ROLE}


@pytest.mark.parametrize("login", ["superuser", "owner"])
async def test_the_worker_refuses_a_login_that_bypasses_row_level_security(
    database_url: str,  # the database, created and migrated
    admin_database_url: str,
    owner_database_url: str,
    login: str,
) -> None:
    """`sightline worker` checks its login as `serve` does, before any job starts: a superuser (RLS bypassed) or
    the tables' owner would run every organisation's jobs unisolated. (Without the check it would run until
    the timeout.)"""
    url = admin_database_url if login == "superuser" else owner_database_url
    with pytest.raises(UnsafeDatabaseRole, match="tenants would not be isolated"):
        async with asyncio.timeout(30):
            await run_worker(url, get_settings())
