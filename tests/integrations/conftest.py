"""Integration fixtures: a real HTTP source on 127.0.0.1, the API and fetchers allowing it, a clean queue.

The integrations scheduler, the digest scheduler and the webhook dispatcher serve every organisation, so
each test starts and ends with no integration due, no digest scheduled and no delivery waiting from another
test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from fastapi import FastAPI
from tests.support import FixedClock
from tests.webhook_receiver import LocalReceiver, Received, Reply

from sightline.integrations.http_source import HttpFetcher
from sightline.integrations.runs import Fetchers
from sightline.integrations.sql_source import SqlRunner
from sightline.url_guard import UrlPolicy
from sightline.webhooks.dispatcher import DispatchConfig, Dispatcher
from sightline.webhooks.sender import WebhookSender

LOCAL = UrlPolicy.of(["127.0.0.1"], allow_http=True)
SQL_TIMEOUT = 1.0
BASE_URL = "https://okr.example.com"


async def _settle_leftovers(connection: asyncpg.Connection) -> None:
    await connection.execute("UPDATE integrations SET enabled = false, next_run_at = NULL WHERE enabled")
    await connection.execute("DELETE FROM team_digests")  # the digest scheduler visits every organisation
    await connection.execute(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_token = NULL "
        "WHERE status IN ('pending', 'paused')"
    )
    await connection.execute(
        "UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = 'test over' WHERE enabled"
    )


@pytest.fixture(autouse=True)
async def _isolated_queues(owner_connection: asyncpg.Connection) -> AsyncIterator[None]:
    await _settle_leftovers(owner_connection)
    yield
    await _settle_leftovers(owner_connection)


class SourceServer(LocalReceiver):
    """A local HTTP server answering every request with `reply` (change it between pulls)."""

    def __init__(self) -> None:
        self.reply = Reply(200, b"{}", {"content-type": "application/json"})
        super().__init__(self._answer)

    async def _answer(self, _: Received) -> Reply:
        return self.reply

    def answer_json(self, body: bytes, status: int = 200) -> None:
        self.reply = Reply(status, body, {"content-type": "application/json"})

    def answer(self, reply: Reply) -> None:
        self.reply = reply

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def source() -> AsyncIterator[SourceServer]:
    server = SourceServer()
    await server.start()
    yield server
    await server.stop()


def make_fetchers(app: FastAPI, policy: UrlPolicy = LOCAL, *, sql_policy: UrlPolicy | None = None) -> Fetchers:
    return Fetchers(
        http=HttpFetcher(policy, timeout=5.0),
        sql=SqlRunner(sql_policy or policy, timeout=SQL_TIMEOUT),
        box=app.state.secret_box,
    )


@pytest.fixture
async def fetchers(app: FastAPI) -> AsyncIterator[Fetchers]:
    """The API (source and endpoint URLs, manual runs, pings) allows http://127.0.0.1, as an operator would."""
    saved = app.state.webhook_policy, app.state.integration_fetchers, app.state.webhook_sender
    local = make_fetchers(app)
    sender = WebhookSender(LOCAL, timeout=5.0, deadline=10.0)
    app.state.webhook_policy, app.state.integration_fetchers, app.state.webhook_sender = LOCAL, local, sender
    yield local
    app.state.webhook_policy, app.state.integration_fetchers, app.state.webhook_sender = saved
    await local.aclose()
    await sender.aclose()


@pytest.fixture
async def dispatcher(app: FastAPI, clock: FixedClock, fetchers: Fetchers) -> AsyncIterator[Dispatcher]:
    """A webhook dispatcher on the test clock (stepped with `drain()`), linking to BASE_URL."""
    sender = WebhookSender(LOCAL, timeout=5.0, deadline=10.0)
    config = DispatchConfig(
        schedule=(0.0, 5.0),
        lease=timedelta(seconds=60),
        poll_seconds=30.0,
        max_in_flight=32,
        disable_after=timedelta(days=5),
        link_base_url=BASE_URL,
    )
    yield Dispatcher(app.state.session_factory, sender, config, clock=lambda: clock.now)
    await sender.aclose()


@pytest.fixture
async def receiver() -> AsyncIterator[LocalReceiver]:
    async with LocalReceiver() as running:
        yield running
