"""Manual runs against a source that never answers: they hold no database connection, and one at a time.

Found by an organisation starting 25 runs against a silent source: each held its request's transaction and
pooled connection while waiting, so another organisation's `GET /me` waited 30 s for the pool and failed.
Here the service has a pool of two connections, so a few waiting runs would be enough to starve it. An
organisation may have `SIGHTLINE_INTEGRATION_CONCURRENCY` runs in flight at once across every process (counted
from the runs' leases), and pulls share a small pool of outgoing connections.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from fastapi import FastAPI
from tests.integrations.conftest import SourceServer
from tests.integrations.support import http_integration, key_result, runs_of
from tests.support import FixedClock, Tenant, make_client, sign_up

from sightline.app import create_app
from sightline.config import get_settings
from sightline.http.deps import utcnow
from sightline.integrations.http_source import HttpFetcher
from sightline.integrations.runs import Fetchers
from sightline.integrations.scheduler import pull_due

RUNS = 4  # twice the pool


class SilentSource:
    """An HTTP server on 127.0.0.1 that accepts connections and answers nothing until released."""

    def __init__(self) -> None:
        self.connections = 0
        self._released = asyncio.Event()
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self._arrived:
            self.connections += 1
            self._arrived.notify_all()
        await self._released.wait()
        writer.close()

    async def wait_for(self, count: int, *, within: float) -> None:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: self.connections >= count)

    def release(self) -> None:
        self._released.set()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> SilentSource:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def silent() -> AsyncIterator[SilentSource]:
    async with SilentSource() as source:
        yield source


async def test_runs_waiting_on_a_silent_source_starve_nobody_and_a_second_run_is_refused(
    database_url: str, silent: SilentSource
) -> None:
    settings = get_settings().model_copy(
        update={
            "db_pool_size": 2,
            "db_max_overflow": 0,
            "webhook_allowed_hosts": ["127.0.0.1"],
            "webhook_allow_http": True,
            "integration_timeout_seconds": 3.0,  # a run gives up after twice this
            "integration_concurrency": RUNS,  # manual runs one organisation may have waiting at once
        }
    )
    application = create_app(database_url, settings)
    async with (
        application.router.lifespan_context(application),
        make_client(application) as admin,
        make_client(application) as bystander,
    ):
        await sign_up(admin, "Busy pipeline")
        await sign_up(bystander, "Bystander")
        clock = FixedClock(datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Berlin")))  # inside the key results' cycle
        application.dependency_overrides[utcnow] = lambda: clock.now
        integrations = [
            await http_integration(admin, await key_result(admin, title=f"KR {n}"), f"{silent.url}/report/{n}")
            for n in range(RUNS + 1)
        ]
        extra = integrations.pop()
        running = [asyncio.create_task(admin.post(f"/api/v1/integrations/{i['id']}/run")) for i in integrations]
        try:
            await silent.wait_for(RUNS, within=5)  # every run is waiting on the source now

            started = time.monotonic()
            async with asyncio.timeout(5):
                me = await bystander.get("/api/v1/me")
            assert me.status_code == 200, me.text
            assert time.monotonic() - started < 2

            again = await admin.post(f"/api/v1/integrations/{integrations[0]['id']}/run")
            assert again.status_code == 409, again.text
            assert again.headers["content-type"].startswith("application/problem+json")
            assert "running already" in again.json()["detail"]

            # The organisation has as many runs waiting as it may: another integration's run is refused, not queued.
            crowded = await admin.post(f"/api/v1/integrations/{extra['id']}/run")
            assert crowded.status_code == 429, crowded.text
            assert crowded.headers["retry-after"] == "5"
        finally:
            silent.release()
            answers = await asyncio.gather(*running)

        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert answer.json()["outcome"] == "failed"
            assert answer.json()["error"] == "the request failed (RemoteProtocolError)"  # no remote text
        # The lease went back with each run's record: the next run goes ahead (and fails fast now).
        after = await admin.post(f"/api/v1/integrations/{integrations[0]['id']}/run")
        assert after.status_code == 200, after.text
        assert len(await runs_of(admin, integrations[0]["id"])) == 2


async def test_the_scheduler_leaves_an_integration_another_run_holds_until_its_lease_ends(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    source.answer_json(b'{"data": {"pipeline": 9400}}')
    integration = await http_integration(tenant.client, await key_result(tenant.client), f"{source.base}/report")
    held_until = clock.now + timedelta(minutes=5)
    await owner_connection.execute(
        "UPDATE integrations SET run_token = $1, run_lease_until = $2 WHERE id = $3",
        uuid.uuid4(),
        held_until,
        uuid.UUID(integration["id"]),
    )
    busy = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert busy.status_code == 409, busy.text
    assert await pull_due(app.state.session_factory, fetchers, now=clock.now) == 0
    assert await runs_of(tenant.client, integration["id"]) == []

    # The run holding it died: once its lease has passed, the next round runs it and frees it again.
    later = held_until + timedelta(minutes=10)  # past the scheduler's own claim on it too
    assert await pull_due(app.state.session_factory, fetchers, now=later) == 1
    [run] = await runs_of(tenant.client, integration["id"])
    assert (run["outcome"], run["value"]) == ("recorded", 9400)
    lease = await owner_connection.fetchval(
        "SELECT run_lease_until FROM integrations WHERE id = $1", uuid.UUID(integration["id"])
    )
    assert lease is None


async def test_the_organisations_cap_counts_runs_another_process_holds(
    tenant: Tenant, source: SourceServer, fetchers: Fetchers, owner_connection: asyncpg.Connection
) -> None:
    """Each process used to count its own manual runs only, so N workers let one organisation hold N times the
    cap. The leases are in the database: runs another process has in flight (their leases, set here as that
    process would) fill the organisation's places for this one too."""
    source.answer_json(b'{"data": {"pipeline": 9400}}')
    held = [
        await http_integration(tenant.client, await key_result(tenant.client, title=f"KR {n}"), f"{source.base}/r/{n}")
        for n in range(fetchers.per_org)
    ]
    mine = await http_integration(tenant.client, await key_result(tenant.client, title="Mine"), f"{source.base}/r")
    for integration in held:  # far in the future: whatever clock the request reads, these runs are still going
        await owner_connection.execute(
            "UPDATE integrations SET run_token = $1, run_lease_until = now() + interval '100 years' WHERE id = $2",
            uuid.uuid4(),
            uuid.UUID(integration["id"]),
        )

    crowded = await tenant.client.post(f"/api/v1/integrations/{mine['id']}/run")
    assert crowded.status_code == 429, crowded.text
    assert crowded.headers["retry-after"] == "5"
    lease = await owner_connection.fetchval(
        "SELECT run_lease_until FROM integrations WHERE id = $1", uuid.UUID(mine["id"])
    )
    assert lease is None  # refused before its source was read, and its lease went back with the refusal
    assert await runs_of(tenant.client, mine["id"]) == []

    # One of the other process's runs ends: there is a place again.
    await owner_connection.execute(
        "UPDATE integrations SET run_token = NULL, run_lease_until = NULL WHERE id = $1", uuid.UUID(held[0]["id"])
    )
    ran = await tenant.client.post(f"/api/v1/integrations/{mine['id']}/run")
    assert ran.status_code == 200, ran.text
    assert (ran.json()["outcome"], ran.json()["value"]) == ("recorded", 9400)


async def test_pulls_share_a_small_pool_of_connections(silent: SilentSource) -> None:
    """The pull client opens at most `SIGHTLINE_INTEGRATION_PULL_CONNECTIONS` connections; further pulls
    wait for one (httpx's default would open 100)."""
    settings = get_settings().model_copy(
        update={
            "webhook_allowed_hosts": ["127.0.0.1"],
            "webhook_allow_http": True,
            "integration_timeout_seconds": 3.0,
            "integration_pull_connections": 2,
        }
    )
    fetcher = HttpFetcher.from_settings(settings)
    pulls = [
        asyncio.create_task(fetcher.get(f"{silent.url}/report/{n}", accept="application/json", headers={}))
        for n in range(5)
    ]
    try:
        await silent.wait_for(2, within=5)
        await asyncio.sleep(0.5)  # time enough for more connections, had the pool allowed them
        assert silent.connections == 2
    finally:
        silent.release()
        await asyncio.gather(*pulls, return_exceptions=True)
        await fetcher.aclose()
