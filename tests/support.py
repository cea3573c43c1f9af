"""Helpers shared by tests: clients on the in-process app, a signed-up organisation, a live `sightline serve`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
from fastapi import FastAPI

if TYPE_CHECKING:
    from sightline.worker import OrgJob

PASSWORD = "correct horse battery staple"
SIGHTLINE = str(Path(sys.executable).with_name("sightline"))  # the console script of this environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    """Poll a `sightline serve` until /healthz and /readyz answer 200; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
                and httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
            ):
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready within {timeout} s")


async def drop_database(server_url: str, name: str) -> None:
    """Drop a database of the test server (its sessions too), as the server's superuser."""
    from sightline.db.urls import asyncpg_dsn, with_database

    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# Session-level advisory locks of the test fixtures, all taken in the server's `postgres` database (an advisory
# lock's key includes the database): the cluster's roles, and one per claimed worker database name.
ROLES_LOCK = "sightline-test:roles"


async def _admin(server_url: str) -> asyncpg.Connection:
    from sightline.db.urls import asyncpg_dsn, with_database

    return await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))


async def claim_database_name(conn: asyncpg.Connection, name: str) -> str:
    """`name`, or `name_2`, `name_3`, … when another live run holds it: held until `conn` closes."""
    for attempt in range(1, 100):
        candidate = name if attempt == 1 else f"{name}_{attempt}"
        if await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", f"sightline-test:{candidate}"):
            return candidate
    raise AssertionError(f"no free test database name next to {name}")


async def create_cluster_roles(server_url: str) -> None:
    """The roles the suite logs in as (cluster-wide), created once whatever runs at the same time."""
    from sightline.db.ddl import APP_ROLE
    from sightline.db.roles import OWNER_ROLE, as_login, cluster_sql

    conn = await _admin(server_url)
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", ROLES_LOCK)
        await conn.execute(cluster_sql(as_login(server_url, APP_ROLE), as_login(server_url, OWNER_ROLE)))
    finally:
        await conn.close()  # releases the lock


async def create_roles_exclusively(admin_url: str, app_url: str, owner_url: str) -> None:
    """`create_roles` (roles, database, ownership) while no other worker or run touches the roles."""
    from sightline.db.roles import create_roles

    conn = await _admin(admin_url)
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", ROLES_LOCK)
        await create_roles(admin_url, app_url, owner_url)
    finally:
        await conn.close()


def stop_embedded_leftover(pgdata: Path) -> None:
    """Stop an embedded server still running in `pgdata` (its workers died before letting go)."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGQUIT)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)


async def waiting_for_locks(
    connection: asyncpg.Connection, count: int = 1, *, like: str = "%", task: asyncio.Task[Any] | None = None
) -> None:
    """Until `count` sessions of this database wait on a lock with a statement `LIKE like` (pg_stat_activity keeps
    a statement's first kilobyte), or `task` is over; at most 10 s."""
    for _ in range(200):
        await connection.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is cached
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE $1",
            like,
        )
        if waiting >= count or (task is not None and task.done()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} sessions never waited on a lock (statements like {like!r})")


async def run_for_org(app: FastAPI, org_id: str, job: OrgJob, now: datetime) -> int:
    """A scheduled job's work for one organisation, as the scheduler does it for each (its own tenant-scoped
    transaction), errors raised: a test of what a job does to its own organisation does not sweep every
    organisation other tests left in the database (the sweep itself is tests/foundation/test_job_isolation.py's)."""
    from sightline.db.tenancy import set_tenant

    org = uuid.UUID(org_id)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org)
        return await job(session, org_id=org, now=now)


async def _no_server_errors(response: httpx.Response) -> None:
    """Every request of the suite goes through here: a 5xx anywhere fails the test that caused it."""
    if response.status_code >= 500:
        await response.aread()
        raise AssertionError(
            f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        )


def make_client(app: FastAPI, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
        **kwargs,
    )


@dataclass
class Tenant:
    """A signed-up organisation: its owner's client and ids."""

    client: httpx.AsyncClient
    org_id: str
    owner_id: str
    email: str
    extra_clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def member_client(self, app: FastAPI, role: str) -> tuple[httpx.AsyncClient, str]:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        created = await self.client.post(
            "/api/v1/members", json={"email": email, "name": f"A {role}", "role": role, "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        client = make_client(app)
        self.extra_clients.append(client)
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.extra_clients.append(client)
        return client, created.json()["id"]

    async def api_key_client(self, app: FastAPI, scopes: list[str]) -> tuple[httpx.AsyncClient, str]:
        created = await self.client.post("/api/v1/api-keys", json={"name": "tool", "scopes": scopes})
        assert created.status_code == 201, created.text
        client = make_client(app, headers={"Authorization": f"Bearer {created.json()['secret']}"})
        self.extra_clients.append(client)
        return client, created.json()["id"]


SignUp = Callable[..., Awaitable[Tenant]]


@contextlib.asynccontextmanager
async def as_app(database_url: str, org_id: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the application role (as the service connects), in a transaction with the tenant set."""
    from sightline.db.urls import asyncpg_dsn

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.org_id', $1, true)", org_id)
            yield connection
    finally:
        await connection.close()


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST and insist on 201: setup steps must not fail silently."""
    response = await client.post(path, json=body)
    assert response.status_code == 201, f"{path}: {response.status_code} {response.text}"
    result: dict[str, Any] = response.json()
    return result


@dataclass
class Okr:
    """A cycle with one company objective, ready for key results."""

    cycle: dict[str, Any]
    objective: dict[str, Any]


async def sign_up(client: httpx.AsyncClient, organisation: str, name: str = "Olive Owner") -> dict[str, Any]:
    """Sign up a new organisation with a fresh owner email; the signup response (the client is signed in)."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    response = await client.post(
        "/api/v1/signup", json={"organisation_name": organisation, "name": name, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def okr_setup(
    client: httpx.AsyncClient, *, start: str = "2026-01-01", end: str = "2026-12-31", name: str | None = None
) -> Okr:
    cycle = await create(
        client,
        "/api/v1/cycles",
        {"name": name or f"FY-{uuid.uuid4().hex[:6]}", "start_date": start, "end_date": end, "state": "active"},
    )
    objective = await create(
        client, "/api/v1/objectives", {"cycle_id": cycle["id"], "title": "Grow demand", "level": "company"}
    )
    return Okr(cycle=cycle, objective=objective)


class StatementCounter:
    """Counts SQL statements sent through the app's engine while active."""

    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.engine.sync_engine
        self.count = 0

    def _on_execute(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on_execute)


class FixedClock:
    """The service's clock, pinned by a test (time-dependent code takes `now` from it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)


async def enrol(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """Turn TOTP on with the code of the step before now, leaving the current step's code unused; the secret and
    the recovery codes."""
    import pyotp

    started = await client.post("/api/v1/me/mfa/totp")
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = await client.post("/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).at(time.time() - 30)})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes
