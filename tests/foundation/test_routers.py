"""Routers say whether they are authenticated; idempotency is on POSTs only; reads are not buffered for retries.

Walks the application's routes, so a new operation is covered the day it is added.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.types import Message, Receive, Scope, Send

from sightline.http.deps import current_principal
from sightline.http.idempotency import HEADER, IdempotentRoute, idempotency
from sightline.http.retry import RetryCollisionsMiddleware

# The operations anyone may call. Adding one here is a decision: everything else needs a credential.
PUBLIC = {
    ("POST", "/api/v1/signup"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/login/mfa"),
    ("POST", "/api/v1/auth/verify-email"),
    ("POST", "/api/v1/password-reset"),
    ("POST", "/api/v1/password-reset/confirm"),
    ("POST", "/api/v1/invitations/preview"),
    ("POST", "/api/v1/invitations/accept"),
    ("POST", "/api/v1/notifications/unsubscribe"),  # RFC 8058 one-click: the signed token is the credential
    ("GET", "/api/v1/auth/sso/start"),
    ("GET", "/api/v1/auth/sso/callback"),
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _api_operations(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """Every API operation as it is served (the including router's prefix and dependencies applied)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path.startswith("/api/v1/"):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route


def _any_path(route: Any) -> str:
    """The route's path with every parameter filled in (a fresh id: nothing is found, nothing matters)."""
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), route.path)


async def test_every_operation_but_the_public_ones_refuses_an_anonymous_request(
    app: FastAPI, anon: httpx.AsyncClient
) -> None:
    public: set[tuple[str, str]] = set()
    refused = 0
    for method, route in _api_operations(app):
        if current_principal not in set(_calls(route.dependant)):
            public.add((method, route.path))
            continue
        response = await anon.request(method, _any_path(route))
        assert response.status_code == 401, (method, route.path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        refused += 1
    assert public == PUBLIC
    assert refused > 100  # the walk really covered the API


async def test_a_router_is_authenticated_by_its_own_declaration_not_by_idempotency(app: FastAPI) -> None:
    """The credential is the router's first dependency; the idempotency key is claimed on POSTs only."""
    without_key: set[str] = set()
    for method, route in _api_operations(app):
        calls = list(_calls(route.dependant))
        if current_principal in calls:
            # The router's own first dependency: resolved before anything the operation declares.
            assert route.original_route.dependencies[0].dependency is current_principal, (method, route.path)
        idempotent_route = isinstance(route.original_route, IdempotentRoute)
        assert (idempotency in calls) == (method == "POST" and idempotent_route), (method, route.path)
        if method == "POST" and current_principal in calls and not idempotent_route:
            without_key.add(route.path)
    # Authenticated POSTs without a key: their bodies hold passwords, never kept at rest.
    assert without_key == {"/api/v1/auth/reauthenticate", "/api/v1/me/password"}


async def test_the_idempotency_header_is_documented_on_posts_only(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            names = {p.get("name") for p in operation.get("parameters", [])}
            if method != "post":
                assert HEADER not in names, (method, path)


async def test_a_get_with_an_idempotency_key_is_just_a_read(tenant: Any) -> None:
    """Only POSTs claim keys: a GET sent twice with the same key answers twice, never a replay or a 422."""
    for _ in range(2):
        response = await tenant.client.get("/api/v1/teams", headers={HEADER: "same-key"})
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers


async def _endless_body() -> Message:
    return {"type": "http.request", "body": b"x" * 65536, "more_body": True}


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_the_retry_middleware_does_not_read_the_body_of_a_get() -> None:
    """A GET with a body that never ends is answered at once: the body is not read, let alone kept."""
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return await _endless_body()

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/api/v1/teams", "headers": []}
    await asyncio.wait_for(RetryCollisionsMiddleware(_answer)(scope, receive, send), timeout=2)
    assert reads == 0
    assert sent[0]["status"] == 200


async def test_the_retry_middleware_keeps_the_body_of_a_write_for_another_attempt() -> None:
    """A POST collides once; its second attempt reads the same body (kept in memory)."""
    chunks = [
        {"type": "http.request", "body": b"hello ", "more_body": True},
        {"type": "http.request", "body": b"world", "more_body": False},
    ]
    bodies: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        bodies.append(message["body"])
        collided = len(bodies) == 1
        headers = [(b"x-sightline-collision", b"1")] if collided else []
        await send({"type": "http.response.start", "status": 503 if collided else 201, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/api/v1/check-ins", "headers": []}
    await RetryCollisionsMiddleware(app)(scope, receive, send)
    assert bodies == [b"hello world", b"hello world"]
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [201]
