"""GET objective, key result and cycle: one round trip to PostgreSQL each, the same answers as the full path.

Round trips are counted on the wire: a second application instance talks to PostgreSQL through a proxy that
counts what the client sends for a reply (a simple `Query`, or a `Sync` ending an extended-protocol exchange),
so SQLAlchemy's BEGIN/COMMIT and anything else would show too.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from sightline.app import create_app
from sightline.config import get_settings
from sightline.db.tenancy import set_tenant
from sightline.http.deps import utcnow
from sightline.okrs import objectives
from sightline.okrs.cycles import cycle_public, get_cycle
from sightline.okrs.key_results import read_key_result
from tests.support import FixedClock, Tenant, create, make_client, okr_setup

SSL_REQUEST = 80877103


class WireCounter:
    """A TCP proxy to PostgreSQL counting the client's round trips (Query and Sync messages)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.count = host, port, 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        down = asyncio.create_task(self._pipe(up_reader, writer))
        try:
            await self._client_messages(reader, up_writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            down.cancel()

    async def _client_messages(self, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter) -> None:
        while True:  # untyped start-up messages: SSLRequest (refused by a trust server), then the start-up
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            upstream.write(head + await reader.readexactly(length - 8))
            if code != SSL_REQUEST:
                break
        while True:
            head = await reader.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            upstream.write(head + await reader.readexactly(length - 4))
            await upstream.drain()
            if kind in (b"Q", b"S"):
                self.count += 1

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture(scope="module")
async def counted(database_url: str) -> AsyncIterator[tuple[FastAPI, WireCounter]]:
    """A second application on the same database, every connection through the counting proxy."""
    url = make_url(database_url)
    counter = WireCounter(url.host or "127.0.0.1", url.port or 5432)
    port = await counter.start()
    proxied = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    application = create_app(proxied, get_settings())
    async with application.router.lifespan_context(application):
        yield application, counter
    assert counter.server is not None
    counter.server.close()


@pytest.fixture
def pinned(counted: tuple[FastAPI, WireCounter], clock: FixedClock) -> FixedClock:
    """The counted application on the suite's pinned clock."""
    counted[0].dependency_overrides[utcnow] = lambda: clock.now
    return clock


async def _round_trips(counter: WireCounter, client: httpx.AsyncClient, path: str) -> tuple[int, httpx.Response]:
    await client.get(path)  # each pooled connection prepares a statement on first use
    before = counter.count
    response = await client.get(path)
    return counter.count - before, response


async def _graph(tenant: Tenant) -> dict[str, Any]:
    """A cycle, a company objective rolling up from its key results and one rolling up from a child."""
    c = tenant.client
    okr = await okr_setup(c, start="2026-01-01", end="2026-12-31")
    kr = await create(
        c,
        "/api/v1/key-results",
        {
            "objective_id": okr.objective["id"],
            "title": "Leads",
            "start_value": 10,
            "target_value": 110.5,
            "stretch_value": 150,
            "weight": 2,
        },
    )
    planned = await create(
        c,
        "/api/v1/key-results",
        {
            "objective_id": okr.objective["id"],
            "title": "Launch",
            "metric": "percent",
            "target_value": 80,
            "milestone_plan": [{"date": "2026-03-31", "value": 20}, {"date": "2026-09-30", "value": 60}],
        },
    )
    await create(c, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 47.25, "confidence": 6})
    parent = await create(
        c,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Win", "level": "company", "progress_from": "children"},
    )
    await create(
        c, "/api/v1/alignments", {"parent_objective_id": parent["id"], "child_objective_id": okr.objective["id"]}
    )
    return {"cycle": okr.cycle, "objective": okr.objective, "kr": kr, "planned": planned, "parent": parent}


async def _slow(app: FastAPI, tenant: Tenant, kind: str, row_id: str, clock: FixedClock) -> dict[str, Any]:
    """The full path's answer for the same row at the same clock."""
    org = uuid.UUID(tenant.org_id)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org)
        if kind == "objective":
            public: Any = await objectives.read_objective(
                session, org_id=org, objective_id=uuid.UUID(row_id), now=clock.now
            )
        elif kind == "key_result":
            public = await read_key_result(session, org_id=org, key_result_id=uuid.UUID(row_id), now=clock.now)
        else:
            public = cycle_public(await get_cycle(session, org_id=org, cycle_id=uuid.UUID(row_id)))
    result: dict[str, Any] = public.model_dump(mode="json")
    return result


async def test_each_single_read_is_one_round_trip_and_the_full_paths_answer(
    app: FastAPI, tenant: Tenant, counted: tuple[FastAPI, WireCounter], pinned: FixedClock
) -> None:
    proxied, counter = counted
    graph = await _graph(tenant)
    key, _ = await tenant.api_key_client(app, ["read"])
    bearer = {"Authorization": key.headers["Authorization"]}
    reads = [
        ("objective", f"/api/v1/objectives/{graph['objective']['id']}", graph["objective"]["id"]),
        ("key_result", f"/api/v1/key-results/{graph['kr']['id']}", graph["kr"]["id"]),
        ("key_result", f"/api/v1/key-results/{graph['planned']['id']}", graph["planned"]["id"]),
        ("cycle", f"/api/v1/cycles/{graph['cycle']['id']}", graph["cycle"]["id"]),
    ]
    async with (
        make_client(proxied, headers=bearer) as by_key,
        make_client(proxied, cookies=tenant.client.cookies) as by_session,
    ):
        for client in (by_key, by_session):
            for kind, path, row_id in reads:
                trips, response = await _round_trips(counter, client, path)
                assert trips == 1, (path, trips)
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "application/json"
                body = response.json()
                assert body == await _slow(app, tenant, kind, row_id, pinned), path
                assert response.headers["etag"] == f'"{body["version"]}"'
        # The counter sees the full path's statements: a list is more than one round trip.
        trips, _ = await _round_trips(counter, by_key, "/api/v1/objectives")
        assert trips > 1
