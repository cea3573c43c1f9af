"""Helpers of the webhook tests: endpoints, check-ins, stepping the clock through retries, verifying."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from standardwebhooks import webhooks as standard
from tests.support import FixedClock, create, free_port, okr_setup
from tests.webhook_receiver import Received

from sightline.webhooks.dispatcher import Dispatcher

__all__ = ["free_port"]  # re-exported: webhook tests import it from here


async def endpoint_at(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    return await create(client, "/api/v1/webhook-endpoints", {"url": url, **fields})


async def key_result(client: httpx.AsyncClient) -> dict[str, Any]:
    okr = await okr_setup(client)
    return await create(
        client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Qualified leads", "target_value": 1000},
    )


async def check_in(client: httpx.AsyncClient, kr: dict[str, Any], value: float = 100) -> dict[str, Any]:
    return await create(client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value, "confidence": 7})


async def deliveries(connection: asyncpg.Connection, endpoint_id: str) -> list[asyncpg.Record]:
    return list(
        await connection.fetch(
            "SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at, event_id",
            uuid.UUID(endpoint_id),
        )
    )


async def step_to_next_attempt(
    connection: asyncpg.Connection, clock: FixedClock, dispatcher: Dispatcher, endpoint_id: str
) -> datetime | None:
    """Move the clock to the latest due time among the endpoint's pending deliveries, then dispatch."""
    due = await connection.fetchval(
        "SELECT max(next_attempt_at) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'",
        uuid.UUID(endpoint_id),
    )
    if due is None:
        return None
    clock.now = max(clock.now, due)
    await dispatcher.drain()
    return clock.now


async def run_until(
    connection: asyncpg.Connection, clock: FixedClock, dispatcher: Dispatcher, endpoint_id: str, until: datetime
) -> int:
    """Dispatch every attempt falling due up to `until`, each at its own due time; return the attempts made."""
    attempts = 0
    while True:
        due = await connection.fetchval(
            "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'",
            uuid.UUID(endpoint_id),
        )
        if due is None or due > until:
            clock.now = max(clock.now, until)
            return attempts
        clock.now = max(clock.now, due)
        attempts += await dispatcher.drain()


class _Frozen(datetime):
    moment: datetime

    @classmethod
    def now(cls, tz: Any = None) -> _Frozen:  # type: ignore[override]
        return cls.fromtimestamp(cls.moment.timestamp(), tz)


def verify(secret: str, request: Received, *, at: datetime | None = None) -> Any:
    """The standardwebhooks verifier on a received request, at the real time or at `at`."""
    hook = standard.Webhook(secret)
    if at is None:
        return hook.verify(request.body, request.headers)
    saved = standard.datetime
    _Frozen.moment = at
    standard.datetime = _Frozen  # type: ignore[misc]
    try:
        return hook.verify(request.body, request.headers)
    finally:
        standard.datetime = saved  # type: ignore[misc]


def within_jitter(delay: timedelta, nominal_seconds: float, *, slack: float = 1.0) -> bool:
    """±20 % of the schedule's delay (and a second of rounding)."""
    seconds = delay.total_seconds()
    return nominal_seconds * 0.8 - slack <= seconds <= nominal_seconds * 1.2 + slack
