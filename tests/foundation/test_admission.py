"""At most N API requests at work per process, the others in arrival order (http/admission.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from starlette.types import Message, Receive, Scope, Send
from tests.support import create, make_client, okr_setup, sign_up
from tests.webhook_receiver import LocalReceiver, Received, Reply

from sightline.app import create_app
from sightline.config import get_settings
from sightline.http.admission import AdmissionMiddleware
from sightline.url_guard import UrlPolicy
from sightline.webhooks.sender import WebhookSender

LOCAL = UrlPolicy.of(["127.0.0.1"], allow_http=True)  # the ping goes to a receiver on this machine over HTTP


class Held:
    """An inner app whose requests record that they started, then wait until the test lets each one answer."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.working = 0
        self.most = 0
        self.release: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"]
        queued = name.startswith("/api/")
        self.started.append(name)
        self.working += queued
        self.most = max(self.most, self.working)
        await self.release.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        self.working -= queued  # its answer has started: its turn is given back here
        await send({"type": "http.response.body", "body": b"ok"})


async def _request(app: Any, path: str, sent: list[Message]) -> None:
    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_at_most_the_limit_work_at_once_and_the_others_start_in_arrival_order() -> None:
    inner = Held()
    app = AdmissionMiddleware(inner, limit=2)
    sent: list[Message] = []
    paths = [f"/api/v1/r{n}" for n in range(6)]
    tasks = []
    for path in paths:  # one after the other, so the arrival order is known
        tasks.append(asyncio.create_task(_request(app, path, sent)))
        await _settle()
    assert inner.started == paths[:2] and inner.most == 2
    # The web app's files and the health checks never wait for a turn.
    outside = asyncio.create_task(_request(app, "/healthz", sent))
    await _settle()
    assert inner.started[-1] == "/healthz"
    inner.release.setdefault("/healthz", asyncio.Event()).set()
    await outside
    # Answering the last admitted lets the first one waiting in; then in arrival order, never more than two.
    for n, path in enumerate(paths):
        inner.release.setdefault(path, asyncio.Event()).set()
        await tasks[n]
        await _settle()
        assert [p for p in inner.started if p != "/healthz"] == paths[: min(n + 3, len(paths))]
    assert inner.most == 2


async def test_a_limit_of_zero_lets_every_request_in_at_once() -> None:
    inner = Held()
    app = AdmissionMiddleware(inner, limit=0)
    tasks = [asyncio.create_task(_request(app, f"/api/v1/r{n}", [])) for n in range(20)]
    await _settle()
    assert inner.most == 20
    for n, task in enumerate(tasks):
        inner.release.setdefault(f"/api/v1/r{n}", asyncio.Event()).set()
        await task


async def test_a_cancelled_request_gives_its_turn_back() -> None:
    inner = Held()
    app = AdmissionMiddleware(inner, limit=1)
    sent: list[Message] = []
    first = asyncio.create_task(_request(app, "/api/v1/first", sent))
    await _settle()
    waiting = asyncio.create_task(_request(app, "/api/v1/waiting", sent))
    await _settle()
    first.cancel()  # a client gone mid-request: its turn must not be lost
    await asyncio.gather(first, return_exceptions=True)
    await _settle()
    assert inner.started == ["/api/v1/first", "/api/v1/waiting"]
    inner.release.setdefault("/api/v1/waiting", asyncio.Event()).set()
    await waiting


async def test_a_request_blocked_in_the_database_holds_its_turn_and_health_checks_still_answer(
    database_url: str, owner_connection: asyncpg.Connection
) -> None:
    """With one turn, a check-in waiting on its key result's lock makes the next API request wait; /healthz
    answers meanwhile, and both API requests answer once the lock is gone."""
    settings = get_settings().model_copy(update={"max_concurrent_requests": 1})
    application = create_app(database_url, settings)
    async with application.router.lifespan_context(application), make_client(application) as client:
        await sign_up(client, "One turn", "Pat")
        okr = await okr_setup(client)
        kr = await create(
            client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 100}
        )
        async with owner_connection.transaction():
            await owner_connection.execute("SELECT 1 FROM key_results WHERE id = $1 FOR UPDATE", uuid.UUID(kr["id"]))
            body = {"key_result_id": kr["id"], "value": 5}
            check_in = asyncio.create_task(client.post("/api/v1/check-ins", json=body))
            await asyncio.sleep(0.3)
            read = asyncio.create_task(client.get("/api/v1/cycles"))
            health = await client.get("/healthz")
            assert health.status_code == 200
            await asyncio.sleep(0.3)
            assert not check_in.done() and not read.done()  # the read waits for the check-in's turn
        assert (await check_in).status_code == 201
        assert (await read).status_code == 200


async def test_a_webhook_ping_gives_its_turn_back_while_the_endpoint_is_slow(database_url: str) -> None:
    """With one turn, a ping to an endpoint that takes two seconds to answer does not hold up the API."""
    answered = asyncio.Event()

    async def slow(_: Received) -> Reply:
        await asyncio.sleep(2)
        answered.set()
        return Reply()

    settings = get_settings().model_copy(update={"max_concurrent_requests": 1})
    application = create_app(database_url, settings)
    async with (
        application.router.lifespan_context(application),
        make_client(application) as client,
        LocalReceiver(slow) as receiver,
    ):
        await application.state.webhook_sender.aclose()  # the lifespan closes the one put in its place
        application.state.webhook_policy = LOCAL
        application.state.webhook_sender = WebhookSender(LOCAL, timeout=5.0, deadline=10.0)
        await sign_up(client, "Slow endpoint", "Pat")
        endpoint = await create(client, "/api/v1/webhook-endpoints", {"url": receiver.url})
        ping = asyncio.create_task(client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/ping"))
        await receiver.wait_for(lambda received: len(received) == 1)
        read = await client.get("/api/v1/cycles")
        assert read.status_code == 200 and not answered.is_set()
        assert (await ping).json()["status"] == "succeeded"
