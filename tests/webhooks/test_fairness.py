"""Fair delivery: one organisation's hanging endpoint cannot delay another organisation's deliveries.

Each organisation has at most `max_in_flight_per_org` deliveries in flight (across dispatchers); a claim
skips organisations at their cap, so the other slots stay free for everyone else.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import SignUp, Tenant, create, okr_setup
from tests.webhook_receiver import LocalReceiver, Received, Reply
from tests.webhooks.conftest import CONFIG, LOCAL
from tests.webhooks.support import endpoint_at

from sightline.db.urls import asyncpg_dsn
from sightline.webhooks.dispatcher import Dispatcher
from sightline.webhooks.sender import WebhookSender

FAIR = replace(CONFIG, max_in_flight=32, max_in_flight_per_org=4, poll_seconds=5.0)
HANGING_EVENTS = 64


@pytest.fixture
async def pair(signup: SignUp) -> tuple[Tenant, Tenant]:
    return await signup("Hangs"), await signup("Waits")


async def key_result(tenant: Tenant) -> dict[str, object]:
    today = datetime.now(UTC).date()
    okr = await okr_setup(tenant.client, start=str(today - timedelta(days=30)), end=str(today + timedelta(days=30)))
    return await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 1000},
    )


class Hanging:
    """An endpoint that accepts the connection and never answers until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0

    async def __call__(self, _: Received) -> Reply:
        self.waiting += 1
        await self.release.wait()
        return Reply()


@pytest.fixture
async def running(app: FastAPI, database_url: str) -> AsyncIterator[Dispatcher]:
    """A dispatcher loop on the real clock, woken by NOTIFY, as `sightline worker` runs it."""
    sender = WebhookSender(LOCAL, timeout=30.0, deadline=30.0)
    dispatcher = Dispatcher(app.state.session_factory, sender, FAIR, listen_dsn=asyncpg_dsn(database_url))
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    await asyncio.wait_for(dispatcher.listening.wait(), timeout=10)
    yield dispatcher
    stop.set()
    await asyncio.wait_for(task, timeout=40)
    await sender.aclose()


async def test_a_hanging_endpoint_does_not_delay_another_organisations_delivery(
    pair: tuple[Tenant, Tenant], running: Dispatcher, owner_connection: asyncpg.Connection
) -> None:
    hangs, waits = pair
    hanging = Hanging()
    async with LocalReceiver(hanging) as stuck, LocalReceiver() as fast:
        await endpoint_at(hangs.client, stuck.url, event_types=["check_in.created"])
        await endpoint_at(waits.client, fast.url, event_types=["check_in.created"])
        hangs_kr, waits_kr = await key_result(hangs), await key_result(waits)
        try:
            # 64 events to the endpoint that hangs, through the API, in one batch.
            batch = {"items": [{"key_result_id": hangs_kr["id"], "value": n} for n in range(HANGING_EVENTS)]}
            assert (await hangs.client.post("/api/v1/check-ins:batch", json=batch)).status_code == 201
            for _ in range(100):  # the dispatcher has taken what it may of them
                if hanging.waiting >= FAIR.max_in_flight_per_org:
                    break
                await asyncio.sleep(0.05)
            sent_at = time.perf_counter()
            await create(waits.client, "/api/v1/check-ins", {"key_result_id": waits_kr["id"], "value": 1})
            await fast.wait_for(lambda received: len(received) >= 1, within=10.0)
            delay = min(fast.first_arrival.values()) - sent_at
            # Seconds, not the hanging endpoint's 30: 5 s leaves room for a loaded machine.
            assert delay < 5.0, f"the other organisation's delivery took {delay:.2f} s"
            # The hanging organisation holds no more than its share of the slots, across every dispatcher.
            await asyncio.sleep(0.3)
            assert hanging.waiting == FAIR.max_in_flight_per_org
            leased = await owner_connection.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE org_id = $1 AND status = 'pending' "
                "AND lease_token IS NOT NULL AND next_attempt_at > now()",
                uuid.UUID(hangs.org_id),
            )
            assert leased == FAIR.max_in_flight_per_org
        finally:
            hanging.release.set()
        # Released, the backlog drains, still at most four at a time.
        await stuck.wait_for(lambda received: len(received) >= HANGING_EVENTS, within=20.0)
