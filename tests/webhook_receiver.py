"""A webhook receiver for the tests, and event-to-delivery latency over LISTEN/NOTIFY for tests/perf/bench.py.

`measure_latency(database_url, events=1000)` writes events one transaction at a time to a throw-away
organisation whose endpoint is a real HTTP receiver on 127.0.0.1, runs a dispatcher, and reports the
time from each commit to the request's arrival. `LocalReceiver` is that receiver (the tests use it too).
Run alone: `uv run python -m tests.webhook_receiver [EVENTS]` with DATABASE_URL set. Not part of the product
package: nothing in `sightline` imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from uuid import UUID, uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.db.engine import create_engine, session_factory
from sightline.db.tenancy import set_tenant
from sightline.db.urls import asyncpg_dsn
from sightline.events import service as events
from sightline.identity.models import Org
from sightline.identity.schemas import OrganisationSettings
from sightline.url_guard import UrlPolicy
from sightline.webhooks.dispatcher import DispatchConfig, Dispatcher
from sightline.webhooks.models import WebhookEndpoint
from sightline.webhooks.sender import WebhookSender
from sightline.webhooks.signing import new_secret


@dataclass(frozen=True)
class Received:
    """One request as it reached the receiver."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.perf_counter() on arrival

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Received], Awaitable[Reply]]


async def _ok(_: Received) -> Reply:
    return Reply()


class LocalReceiver:
    """A small real HTTP/1.1 server on 127.0.0.1 (keep-alive, Content-Length bodies) recording each request."""

    def __init__(self, respond: Responder = _ok) -> None:
        self.respond = respond
        self.received: list[Received] = []
        self.first_arrival: dict[str, float] = {}  # webhook-id → perf_counter() of its first request
        self.arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self, port: int = 0, *, tls: ssl.SSLContext | None = None) -> LocalReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> LocalReceiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]

    async def wait_for(self, predicate: Callable[[list[Received]], bool], within: float = 10.0) -> None:
        async with asyncio.timeout(within), self.arrived:
            await self.arrived.wait_for(lambda: predicate(self.received))

    async def wait_for_ids(self, webhook_ids: set[str], within: float = 10.0) -> None:
        """Until every one of these webhook-ids has arrived at least once."""
        await self.wait_for(lambda _: webhook_ids <= self.first_arrival.keys(), within)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Received(method, path, headers, body, time.perf_counter())
                async with self.arrived:
                    self.received.append(request)
                    self.first_arrival.setdefault(request.webhook_id, request.at)
                    self.arrived.notify_all()
                reply = await self.respond(request)
                reason = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else "Status"
                extra = "".join(f"{name}: {value}\r\n" for name, value in reply.headers.items())
                writer.write(
                    f"HTTP/1.1 {reply.status} {reason}\r\ncontent-length: {len(reply.body)}\r\n{extra}\r\n".encode()
                    + reply.body
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()


@dataclass(frozen=True)
class LatencyReport:
    events: int
    median_ms: float
    p99_ms: float
    max_ms: float


async def measure_latency(database_url: str, *, events_count: int = 1000, patience: float = 10.0) -> LatencyReport:
    """Median and 99th percentile from an event's commit to its delivery's arrival, one event at a time."""
    engine = create_engine(database_url, pool_size=10, max_overflow=10)
    factory = session_factory(engine)
    sender = WebhookSender(UrlPolicy.of(["127.0.0.1"], allow_http=True))
    config = DispatchConfig(
        schedule=(0.0, 5.0),
        lease=timedelta(seconds=60),
        poll_seconds=30.0,
        max_in_flight=32,
        disable_after=timedelta(days=5),
    )
    stop = asyncio.Event()
    org_id = uuid4()
    latencies: list[float] = []
    async with LocalReceiver() as receiver:
        now = datetime.now(UTC)
        async with factory() as session, session.begin():
            await set_tenant(session, org_id)
            session.add(
                Org(
                    org_id=org_id,
                    name="Latency benchmark",
                    settings=OrganisationSettings().model_dump(),
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            session.add(
                WebhookEndpoint(org_id=org_id, url=receiver.url, secret=new_secret(), created_at=now, updated_at=now)
            )
        dispatcher = Dispatcher(factory, sender, config, listen_dsn=asyncpg_dsn(database_url))
        running = asyncio.create_task(dispatcher.run(stop))
        try:
            async with asyncio.timeout(patience):
                await dispatcher.listening.wait()
            for _ in range(events_count):
                event_id, started = await _write_event(factory, org_id)
                wanted = str(event_id)
                await receiver.wait_for_ids({wanted}, patience)
                latencies.append((receiver.first_arrival[wanted] - started) * 1000)
        finally:
            stop.set()
            await running
            await sender.aclose()
            with contextlib.suppress(Exception):
                async with factory() as session, session.begin():
                    await set_tenant(session, org_id)
                    await session.execute(text("DELETE FROM orgs WHERE org_id = :org"), {"org": org_id})
            await engine.dispose()
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return LatencyReport(
        events=len(latencies), median_ms=statistics.median(latencies), p99_ms=quantiles[98], max_ms=max(latencies)
    )


async def _write_event(factory: async_sessionmaker[AsyncSession], org_id: UUID) -> tuple[UUID, float]:
    """Write one event in its own transaction; return its id and the moment its commit was sent."""
    event = events.NewEvent(
        org_id=org_id,
        type="key_result.updated",
        actor="system:benchmark",
        object_type="key_result",
        object_id=uuid4(),
        occurred_at=datetime.now(UTC),
        after={"title": "Benchmark"},
    )
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        await events.emit(session, event)
        committing = time.perf_counter()  # the commit follows, and NOTIFY goes out with it
    return event.id, committing


def main() -> None:
    url = os.environ.get("DATABASE_URL") or os.environ.get("SIGHTLINE_DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (a migrated Sightline database)")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    report = asyncio.run(measure_latency(url, events_count=count))
    print(
        f"webhook event-to-delivery latency over {report.events} events: median {report.median_ms:.1f} ms, "
        f"p99 {report.p99_ms:.1f} ms, max {report.max_ms:.1f} ms"
    )


if __name__ == "__main__":
    main()
