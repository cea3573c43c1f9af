"""Webhook fixtures: a real HTTP receiver on 127.0.0.1, a policy allowing it, dispatchers on the test clock.

Dispatchers serve every organisation, so each test starts and ends with no delivery left waiting: another
test's dispatcher must never pick up this one's work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import FixedClock
from tests.webhook_receiver import LocalReceiver, Reply, Responder

from sightline.config import DEFAULT_RETRY_SCHEDULE
from sightline.url_guard import UrlPolicy
from sightline.webhooks.dispatcher import DispatchConfig, Dispatcher
from sightline.webhooks.sender import WebhookSender

LOCAL = UrlPolicy.of(["127.0.0.1"], allow_http=True)
CONFIG = DispatchConfig(
    schedule=tuple(DEFAULT_RETRY_SCHEDULE),
    lease=timedelta(seconds=60),
    poll_seconds=30.0,
    max_in_flight=32,
    disable_after=timedelta(days=5),
)


async def _settle_leftovers(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_token = NULL "
        "WHERE status IN ('pending', 'paused')"
    )
    # Nor may a worker process's scheduler events fan out to endpoints of finished tests.
    await connection.execute(
        "UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = 'test over' WHERE enabled"
    )


@pytest.fixture(autouse=True)
async def _isolated_queue(owner_connection: asyncpg.Connection) -> AsyncIterator[None]:
    await _settle_leftovers(owner_connection)
    yield
    await _settle_leftovers(owner_connection)


@pytest.fixture(autouse=True)
async def local_hooks(app: FastAPI) -> AsyncIterator[WebhookSender]:
    """The API (endpoint URLs, pings) allows http://127.0.0.1 for these tests, as an operator would."""
    saved = app.state.webhook_policy, app.state.webhook_sender
    sender = WebhookSender(LOCAL, timeout=5.0, deadline=10.0)
    app.state.webhook_policy, app.state.webhook_sender = LOCAL, sender
    yield sender
    app.state.webhook_policy, app.state.webhook_sender = saved
    await sender.aclose()


@pytest.fixture
def strict_api(app: FastAPI) -> Iterator[None]:
    """The API with the default policy: https only, no internal address allowed."""
    saved = app.state.webhook_policy
    app.state.webhook_policy = UrlPolicy()
    yield
    app.state.webhook_policy = saved


@pytest.fixture
async def receiver() -> AsyncIterator[LocalReceiver]:
    async with LocalReceiver() as running:
        yield running


MakeReceiver = Callable[[Responder], Any]


@pytest.fixture
async def make_receiver() -> AsyncIterator[Callable[..., Any]]:
    started: list[LocalReceiver] = []

    async def make(respond: Responder | None = None, port: int = 0) -> LocalReceiver:
        async def ok(_: Any) -> Reply:
            return Reply()

        receiver = await LocalReceiver(respond or ok).start(port)
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def dispatcher(app: FastAPI, clock: FixedClock) -> AsyncIterator[Dispatcher]:
    """A dispatcher on the test clock, stepped by hand with `drain()`."""
    sender = WebhookSender(LOCAL, timeout=5.0, deadline=10.0)
    yield Dispatcher(app.state.session_factory, sender, CONFIG, clock=lambda: clock.now)
    await sender.aclose()
