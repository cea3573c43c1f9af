"""Run a request again when PostgreSQL rolled it back for a serialisation failure or a deadlock.

Such a request wrote nothing (its transaction was rolled back, its idempotency claim released), so running
it again is safe, and the client should not have to: it sees the answer of a later attempt, and a 503 with
`Retry-After` only after `ATTEMPTS` collisions in a row. Writers take their row locks in one order, so a
collision is rare by design; this covers what the design cannot rule out. The body of a write is kept in
memory to be replayed (bounded by the body limit, which the outer middleware enforces as it arrives); a read
(GET, HEAD, OPTIONS) has no body to keep: it is never read here, and each attempt sees an empty one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightline.db.collisions import pause

# Set by the problem handler on the 503 of a collision; never leaves the service.
COLLISION_HEADER = b"x-sightline-collision"
ATTEMPTS = 3
# Methods without a request body worth keeping: a body sent with them is not read, let alone buffered.
BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class RetryCollisionsMiddleware:
    def __init__(self, app: ASGIApp, *, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b"" if scope.get("method") in BODILESS else await _read_body(receive)
        if body is None:
            return  # the client left before its request was whole: nothing to run
        for attempt in range(1, self.attempts + 1):
            if not await self._attempt(scope, receive, send, body, last=attempt == self.attempts):
                return
            await pause(attempt)

    async def _attempt(self, scope: Scope, receive: Receive, send: Send, body: bytes, *, last: bool) -> bool:
        """Run the request once; True when it collided and its answer was held back for another attempt."""
        collided = False

        async def send_or_hold(message: Message) -> None:
            nonlocal collided
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                collided = any(name == COLLISION_HEADER for name, _ in headers)
                message["headers"] = [(name, value) for name, value in headers if name != COLLISION_HEADER]
            if not collided or last:
                await send(message)

        await self.app(scope, _replay(body, receive), send_or_hold)
        return collided and not last


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, then the real channel (a streaming response listens there for the disconnect)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
