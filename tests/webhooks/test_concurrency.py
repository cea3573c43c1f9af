"""Several dispatchers at once send nothing twice; a worker killed mid-delivery loses nothing on restart."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import SIGHTLINE, Tenant
from tests.webhook_receiver import LocalReceiver, Received, Reply
from tests.webhooks.conftest import CONFIG, LOCAL
from tests.webhooks.support import endpoint_at

from sightline.db.engine import create_engine, session_factory
from sightline.db.tenancy import set_tenant
from sightline.db.urls import asyncpg_dsn
from sightline.events import service as events
from sightline.webhooks.dispatcher import Dispatcher
from sightline.webhooks.sender import WebhookSender


async def write_events(app: FastAPI, org_id: str, count: int) -> set[str]:
    """`count` events in one transaction (one NOTIFY); return their ids."""
    now = datetime.now(UTC)
    batch = [
        events.NewEvent(
            org_id=uuid.UUID(org_id),
            type="objective.updated",
            actor="test",
            object_type="objective",
            object_id=uuid.uuid4(),
            occurred_at=now,
            after={"title": f"Objective {n}"},
        )
        for n in range(count)
    ]
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, uuid.UUID(org_id))
        await events.emit(session, *batch)
    return {str(e.id) for e in batch}


async def succeeded(connection: asyncpg.Connection, endpoint_id: str) -> int:
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'succeeded'",
            uuid.UUID(endpoint_id),
        )
    )


async def wait_until_succeeded(connection: asyncpg.Connection, endpoint_id: str, count: int, within: float) -> None:
    for _ in range(int(within * 10)):
        if await succeeded(connection, endpoint_id) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {await succeeded(connection, endpoint_id)} of {count} recorded as delivered")


async def test_two_dispatchers_over_1000_deliveries_send_none_twice(
    app: FastAPI, tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    async def jittery(_: Received) -> Reply:
        await asyncio.sleep(random.uniform(0, 0.004))
        return Reply()

    async with LocalReceiver(jittery) as receiver:
        endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["objective.updated"])
        engines = [create_engine(database_url, pool_size=5, max_overflow=5) for _ in range(2)]
        senders = [WebhookSender(LOCAL) for _ in range(2)]
        dispatchers = [
            Dispatcher(session_factory(engine), sender, CONFIG, listen_dsn=asyncpg_dsn(database_url))
            for engine, sender in zip(engines, senders, strict=True)
        ]
        stop = asyncio.Event()
        running = [asyncio.create_task(d.run(stop)) for d in dispatchers]
        try:
            await asyncio.wait_for(asyncio.gather(*(d.listening.wait() for d in dispatchers)), 5)
            ids = await write_events(app, tenant.org_id, 1000)
            await receiver.wait_for_ids(ids, within=60)
            await wait_until_succeeded(owner_connection, endpoint["id"], 1000, within=10)
        finally:
            stop.set()
            await asyncio.gather(*running)
            for sender in senders:
                await sender.aclose()
            for engine in engines:
                await engine.dispose()
    counts = Counter(receiver.ids())
    assert set(counts) == ids
    assert max(counts.values()) == 1, [i for i, n in counts.items() if n > 1][:5]
    assert len(receiver.received) == 1000
    assert [d.sent for d in dispatchers] != [1000, 0] and [d.sent for d in dispatchers] != [0, 1000]
    assert sum(d.sent for d in dispatchers) == 1000


def _start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(
        SIGHTLINE_DATABASE_URL=database_url,
        SIGHTLINE_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        SIGHTLINE_WEBHOOK_ALLOW_HTTP="true",
        SIGHTLINE_WEBHOOK_LEASE_SECONDS="4",
        SIGHTLINE_WEBHOOK_POLL_SECONDS="1",
        SIGHTLINE_WEBHOOK_MAX_IN_FLIGHT="16",
        SIGHTLINE_WEBHOOK_MAX_IN_FLIGHT_PER_ORG="16",  # one organisation here: let it have every slot
        SIGHTLINE_RECOMPUTE_INTERVAL_SECONDS="3600",
        SIGHTLINE_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen([SIGHTLINE, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
async def test_kill_9_of_the_worker_mid_delivery_loses_nothing(
    app: FastAPI, tenant: Tenant, database_url: str, owner_connection: asyncpg.Connection
) -> None:
    hold_after = 150
    release = asyncio.Event()

    async def stalls_after_150(request: Received) -> Reply:
        # From the 151st request on, answers wait: those deliveries are in flight when the worker dies.
        if len(receiver.received) > hold_after and not release.is_set():
            await release.wait()
        return Reply()

    receiver = await LocalReceiver(stalls_after_150).start()
    worker: subprocess.Popen[bytes] | None = None
    try:
        endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["objective.updated"])
        ids = await write_events(app, tenant.org_id, 500)
        worker = _start_worker(database_url)
        await receiver.wait_for(lambda got: len(got) > hold_after + 4, within=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        rows = await owner_connection.fetch(
            "SELECT event_id, status, lease_token FROM webhook_deliveries WHERE endpoint_id = $1",
            uuid.UUID(endpoint["id"]),
        )
        recorded = {str(r["event_id"]) for r in rows if r["status"] == "succeeded"}
        in_flight = {str(r["event_id"]) for r in rows if r["status"] == "pending" and r["lease_token"] is not None}
        assert len(in_flight) >= 4 and len(recorded) < 500
        received_before = Counter(receiver.ids())
        release.set()

        worker = _start_worker(database_url)
        await receiver.wait_for_ids(ids, within=30)
        await wait_until_succeeded(owner_connection, endpoint["id"], 500, within=15)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        assert worker.returncode == 0, worker.stderr.read().decode() if worker.stderr else ""
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        await receiver.stop()
    counts = Counter(receiver.ids())
    assert set(counts) == ids  # every event arrived
    # After the restart, only what was in flight at the kill is sent again: nothing recorded as delivered.
    # (Before the kill, a loaded machine may let a lease lapse and resend: at least once, by design.)
    resent_after_restart = {i for i, n in counts.items() if received_before.get(i, 0) and n > received_before[i]}
    assert resent_after_restart <= in_flight
    assert not resent_after_restart & recorded
    assert set(received_before) - recorded <= in_flight  # arrived but not recorded: exactly those in flight
    print(f"kill -9: {len(recorded)} recorded, {len(in_flight)} in flight, {len(resent_after_restart)} resent")
