"""At most N API requests worked on at once per process; the others wait their turn, first come first served
(docs/decisions/api-admission.md).

One process on one core answers fastest when it works on a few requests at a time: with two hundred in flight,
every await hands the core to two hundred others, so a request that goes to the database ten times (a check-in
and its roll-up) waits ten times as long as one that goes once, and the slowest hundredth waits seconds. With a
bounded number at work and a queue in arrival order in front of them, each request waits for the ones that came
before it, then runs almost alone: the same throughput, a far shorter tail.

A request takes its turn once its body is whole (the collision retry outside this layer reads it first), so a
client that sends its body slowly cannot hold a turn, and gives it back when its answer starts, so a client that
reads slowly cannot either. A route that waits on the outside world (a webhook ping, a data source tried,
single sign-on's identity provider) gives its turn back as it starts (`leave_queue`), so slow outside servers
cannot hold the API's turns. Only the API queues: health checks, the web app's files and the docs never wait.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

QUEUED_PREFIX = "/api/"
TURN = "sightline.give_back_turn"  # the scope key of a request's `give_back`


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        # Bound to the serving loop when first waited on; None: no limit (0).
        self._turns = asyncio.Semaphore(limit) if limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        turns = self._turns
        if turns is None or scope["type"] != "http" or not scope["path"].startswith(QUEUED_PREFIX):
            await self.app(scope, receive, send)
            return
        await turns.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                turns.release()

        async def send_and_give_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        scope[TURN] = give_back
        try:
            await self.app(scope, receive, send_and_give_back)
        finally:
            give_back()


def leave_queue(request: Request) -> None:
    """Give this request's turn back now: what it does next waits on servers outside (see above)."""
    give_back = request.scope.get(TURN)
    if give_back is not None:
        give_back()
