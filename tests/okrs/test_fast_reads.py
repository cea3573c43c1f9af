"""GET objective, key result and cycle: one round trip to PostgreSQL each, the same answers as the full path.

Round trips are counted on the wire: a second application instance talks to PostgreSQL through a proxy that
counts what the client sends for a reply (a simple `Query`, or a `Sync` ending an extended-protocol exchange),
so SQLAlchemy's BEGIN/COMMIT and anything else would show too.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from tests.support import FixedClock, Tenant, create, make_client, okr_setup

from sightline.app import create_app
from sightline.config import get_settings
from sightline.db.tenancy import set_tenant
from sightline.http.deps import utcnow
from sightline.okrs import objectives
from sightline.okrs.cycles import cycle_public, get_cycle
from sightline.okrs.key_results import read_key_result
from sightline.okrs.subgraph import FRESH_SECONDS

SSL_REQUEST = 80877103


class WireCounter:
    """A TCP proxy to PostgreSQL counting the client's round trips (Query and Sync messages)."""

    def __init__(self, host: str, port: int, socket: str | None = None) -> None:
        self.host, self.port, self.socket, self.count = host, port, socket, 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.socket is not None:  # the embedded server listens on a Unix socket
            up_reader, up_writer = await asyncio.open_unix_connection(self.socket)
        else:
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
    port = int(url.query.get("port") or url.port or 5432)  # type: ignore[arg-type]
    directory = url.query.get("host")  # the embedded server: ?host=<socket directory>&port=<port>
    socket = f"{directory}/.s.PGSQL.{port}" if isinstance(directory, str) and directory.startswith("/") else None
    counter = WireCounter(url.host or "127.0.0.1", port, socket)
    proxy_port = await counter.start()
    proxied = (
        url.difference_update_query(["host", "port"])
        .set(host="127.0.0.1", port=proxy_port)
        .render_as_string(hide_password=False)
    )
    application = create_app(proxied, get_settings())
    async with application.router.lifespan_context(application):
        yield application, counter
    assert counter.server is not None
    counter.server.close()


@pytest.fixture
def pinned(counted: tuple[FastAPI, WireCounter], clock: FixedClock) -> Iterator[FixedClock]:
    """The counted application on the suite's pinned clock."""
    counted[0].dependency_overrides[utcnow] = lambda: clock.now
    yield clock
    counted[0].dependency_overrides.pop(utcnow, None)


@pytest.fixture
async def other(signup: Any) -> Tenant:
    """Another organisation (signed up before the clock is pinned: sessions live on the database's clock)."""
    tenant: Tenant = await signup("Other Ltd")
    return tenant


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


async def _store_rollup(conn: asyncpg.Connection, objective_id: str, at: Any, status: str = "at_risk") -> None:
    await conn.execute(
        "UPDATE objectives SET rollup_progress = 0.125, rollup_expected_progress = 0.5, rollup_score = 0.0625, "
        "rollup_status = $2, rollup_at = $3 WHERE id = $1",
        uuid.UUID(objective_id),
        status,
        at,
    )


async def test_a_fresh_stored_roll_up_is_shown_a_stale_one_recomputed(
    app: FastAPI,
    tenant: Tenant,
    counted: tuple[FastAPI, WireCounter],
    pinned: FixedClock,
    owner_connection: asyncpg.Connection,
) -> None:
    proxied, counter = counted
    graph = await _graph(tenant)
    window = FRESH_SECONDS
    async with make_client(proxied, cookies=tenant.client.cookies) as client:
        for which in ("objective", "parent"):  # rolls up from key results; from children
            row_id = graph[which]["id"]
            path = f"/api/v1/objectives/{row_id}"
            await _store_rollup(owner_connection, row_id, pinned.now - timedelta(seconds=window / 2))
            trips, response = await _round_trips(counter, client, path)
            assert trips == 1
            body = response.json()
            shown = {k: body[k] for k in ("progress", "expected_progress", "score", "status")}
            assert shown == {"progress": 0.125, "expected_progress": 0.5, "score": 0.0625, "status": "at_risk"}
            slow = await _slow(app, tenant, "objective", row_id, pinned)
            assert {k: v for k, v in body.items() if k not in shown} == {
                k: v for k, v in slow.items() if k not in shown
            }
            for stale in (pinned.now - timedelta(seconds=window + 1), None, pinned.now + timedelta(seconds=1)):
                await _store_rollup(owner_connection, row_id, stale)
                trips, response = await _round_trips(counter, client, path)
                assert response.json() == await _slow(app, tenant, "objective", row_id, pinned), (which, stale)
                assert response.json()["progress"] != 0.125  # recomputed, not the stored numbers
                # Its own key results are in the statement's document; children need the full path.
                assert (trips == 1) if which == "objective" else (trips > 1)


async def test_refusals_are_the_full_paths_and_take_effect_on_the_very_next_request(
    app: FastAPI,
    tenant: Tenant,
    other: Tenant,
    counted: tuple[FastAPI, WireCounter],
    pinned: FixedClock,
    owner_connection: asyncpg.Connection,
) -> None:
    proxied, _ = counted
    graph = await _graph(tenant)
    elsewhere_graph = await _graph(other)
    paths = [
        f"/api/v1/objectives/{graph['objective']['id']}",
        f"/api/v1/key-results/{graph['kr']['id']}",
        f"/api/v1/cycles/{graph['cycle']['id']}",
    ]
    foreign = [
        f"/api/v1/objectives/{elsewhere_graph['objective']['id']}",
        f"/api/v1/key-results/{elsewhere_graph['kr']['id']}",
        f"/api/v1/cycles/{elsewhere_graph['cycle']['id']}",
    ]

    def problem(response: httpx.Response) -> tuple[int, str, str]:
        body = response.json()
        return response.status_code, body["type"], body["detail"]

    key, key_id = await tenant.api_key_client(app, ["read"])
    writer, _ = await tenant.api_key_client(app, ["write"])
    async with (
        make_client(proxied) as anon,
        make_client(proxied, headers={"Authorization": key.headers["Authorization"]}) as by_key,
        make_client(proxied, headers={"Authorization": writer.headers["Authorization"]}) as by_writer,
        make_client(proxied, headers={"Authorization": "Bearer nope"}) as unknown,
        make_client(proxied, headers={"Authorization": "Basic abc"}) as malformed,
        make_client(proxied, cookies=tenant.client.cookies) as by_session,
    ):
        for path, elsewhere in zip(paths, foreign, strict=True):
            assert (await by_key.get(path)).status_code == 200
            unknown_id = path.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
            assert problem(await by_key.get(elsewhere)) == problem(await by_key.get(unknown_id))
            assert problem(await by_key.get(elsewhere))[0] == 404
            assert (await by_key.get(path.rsplit("/", 1)[0] + "/not-a-uuid")).status_code == 422
            # Refusals: the same problems as an operation on the full path (GET /teams).
            for client in (anon, unknown, malformed, by_writer):
                refused = await client.get(path)
                assert refused.status_code in (401, 403)
                assert problem(refused) == problem(await client.get("/api/v1/teams"))
                if refused.status_code == 401:
                    assert refused.headers["www-authenticate"] == "Bearer"
        # No cache: a revoked key and an ended session are refused on the very next request.
        assert (await tenant.client.delete(f"/api/v1/api-keys/{key_id}")).status_code == 204
        assert problem(await by_key.get(paths[0]))[0] == 401
        assert (await by_session.get(paths[1])).status_code == 200
        await by_session.post("/api/v1/auth/logout")
        assert problem(await by_session.get(paths[1])) == problem(await by_session.get("/api/v1/teams"))
        assert (await by_session.get(paths[1])).status_code == 401


async def test_the_verification_and_second_factor_gates_hold(
    signup: Any, counted: tuple[FastAPI, WireCounter], owner_connection: asyncpg.Connection
) -> None:
    proxied, _ = counted
    owner = await signup("Gated Ltd")
    graph = await _graph(owner)
    path = f"/api/v1/cycles/{graph['cycle']['id']}"
    saved = proxied.state.settings
    async with make_client(proxied, cookies=owner.client.cookies) as client:
        await owner_connection.execute(
            "UPDATE users SET email_verified_at = NULL WHERE id = $1", uuid.UUID(owner.owner_id)
        )
        proxied.state.settings = saved.model_copy(update={"signup_verify_email": True})
        try:
            refused = await client.get(path)
            assert refused.status_code == 403
            assert refused.json()["type"].endswith("email-verification-required")
            await owner_connection.execute(
                "UPDATE users SET email_verified_at = now() WHERE id = $1", uuid.UUID(owner.owner_id)
            )
            assert (await client.get(path)).status_code == 200
        finally:
            proxied.state.settings = saved
        await owner_connection.execute(
            "UPDATE orgs SET settings = settings || '{\"mfa_required_for_admins\": true}' WHERE org_id = $1",
            uuid.UUID(owner.org_id),
        )
        refused = await client.get(path)
        assert refused.status_code == 403
        assert refused.json()["type"].endswith("mfa-enrolment-required")
