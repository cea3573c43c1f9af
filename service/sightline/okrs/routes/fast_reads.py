"""The three one-statement reads answered before the router (docs/decisions/api-fast-reads.md).

GET of one objective, key result or cycle is one SQL call (`identity.credentials.resolve_with_document`), yet
FastAPI's route matching (some 50 routes compared) and dependency solving cost several times that call on
every request. This layer sits inside every other middleware (request id, access log, metrics, rate limits,
security headers, in that order outside it) and just outside the router: for a plain `GET /api/v1/<collection>/
<canonical uuid>` of a route marked `with_document` it makes the route's own checks and answer, from the same
functions the route calls, and names the route in the scope for the access log and the metrics. Anything
else — a query string (the router answers 422), another spelling of the id, an objective whose roll-up only
the full path can compute — goes on to the router unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from sightline.clock import current_time
from sightline.errors import DomainError
from sightline.http.deps import current_principal, get_db, require_read, utcnow
from sightline.http.problems import domain_problem
from sightline.http.query import reject_unknown_query_parameters
from sightline.http.routers import all_dependencies
from sightline.identity.credentials import WithDocument, resolve_with_document
from sightline.okrs.reads import ANSWERS

Answer = Callable[[str | None, datetime], Response | None]
# What a marked route may depend on: each is done here too (the query check by taking no query string).
ALLOWED = frozenset({reject_unknown_query_parameters, current_principal, get_db, require_read, utcnow})


@dataclass(frozen=True, slots=True)
class Entry:
    """One pre-router read: its route (for the access log, metrics and gates) and how it answers."""

    route: APIRoute
    read: WithDocument
    answer: Answer


def entries(routes: Sequence[BaseRoute]) -> dict[str, Entry]:
    """`/api/v1/cycles` → the entry of `GET /api/v1/cycles/{cycle_id}`, for every route marked `with_document`.

    A marked route must be `GET …/{id}` and depend on nothing but what this path does itself (the credential
    and its document, Reader's check, the clock; no query parameters): anything more would be skipped here, so
    it is refused at the first request instead."""
    table: dict[str, Entry] = {}
    for context in iter_route_contexts(routes):
        route = context.original_route
        read = getattr(getattr(route, "endpoint", None), "with_document", None)
        if not isinstance(route, APIRoute) or not isinstance(read, WithDocument):
            continue
        prefix, _, last = str(context.path_format).rpartition("/")
        calls = {d.call for d in all_dependencies(context.dependant)}
        if route.methods != {"GET"} or last != "{" + read.parameter + "}" or not {require_read} <= calls <= ALLOWED:
            raise RuntimeError(f"{context.path_format}: a with_document route must be GET …/{{id}} behind Reader")
        table[prefix] = Entry(route, read, ANSWERS[read])
    return table


class FastReads:
    def __init__(self, app: ASGIApp, *, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self._routes = routes
        self._table: dict[str, Entry] | None = None  # built on the first request: routes are added after this

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["query_string"]
            and getattr(scope["app"].state, "read_pool", None) is not None
        ):
            if self._table is None:
                self._table = entries(self._routes())
            prefix, _, last = scope["path"].rpartition("/")
            entry = self._table.get(prefix)
            if entry is not None and len(last) == 36:
                try:
                    document_id = UUID(last)
                except ValueError:
                    document_id = None
                if document_id is not None and await self._answer(entry, document_id, scope, receive, send):
                    return
        await self.app(scope, receive, send)

    async def _answer(self, entry: Entry, document_id: UUID, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer as the route would; False (nothing sent) when only the route's full path can."""
        scope["route"], scope["endpoint"] = entry.route, entry.route.endpoint
        scope["path_params"] = {entry.read.parameter: str(document_id)}
        request = Request(scope, receive)
        response: Response | None
        try:
            principal = await resolve_with_document(request, entry.read, document_id)
            principal.require("read")  # Reader's check
            response = entry.answer(request.state.document, await _now(scope["app"]))
        except DomainError as exc:
            response = domain_problem(request, exc)
        if response is None:
            return False
        await response(scope, receive, send)
        return True


async def _now(app: Any) -> datetime:
    """The request's clock, as the routes' `Clock` dependency gives it (tests override `utcnow`)."""
    override = app.dependency_overrides.get(utcnow)
    if override is None:
        return current_time()
    value = override()
    moment: datetime = await value if inspect.isawaitable(value) else value
    return moment
