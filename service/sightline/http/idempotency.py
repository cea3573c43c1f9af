"""`Idempotency-Key` on authenticated POSTs: a retry replays the first response instead of redoing the work.

Keys live per organisation for 24 h. A key is claimed in its own short transaction, marked `committed`
inside the request's transaction (work and mark land together) and given its response right after.

A replay is an answer like any other: it is sent only after the route's own authorisation passed, and only
to the credential (member or API key) that made the first request. Another credential's retry of the key
is "another request" (422), so a stored response never reaches anyone it was not made for.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.auth import Principal
from sightline.clock import current_time
from sightline.db.tenancy import set_tenant
from sightline.errors import Conflict, Invalid
from sightline.http.deps import DbSession
from sightline.http.problems import problem_responses

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
STORED_HEADERS = ("content-type", "etag", "location")
# A duplicate that finds the key row locked by the first request's transaction waits this long, then 409.
LOCK_TIMEOUT = "1s"
_KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,200}")
_LOCK_NOT_AVAILABLE = "55P03"
_IN_PROGRESS = "a request with this key is still in progress; retry once it has finished"
log = structlog.get_logger("sightline.idempotency")

# An expired row is replaced in the same statement; a live one is only locked, then read below.
_CLAIM = text("""
    INSERT INTO idempotency_keys (org_id, key, request_hash, state, created_at, expires_at)
    VALUES (:org, :key, :hash, 'in_flight', :now, :expires)
    ON CONFLICT (org_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, state = 'in_flight', response_status = NULL,
            response_headers = NULL, response_body = NULL, created_at = EXCLUDED.created_at,
            expires_at = EXCLUDED.expires_at
        WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
           -- 'in_flight' and unlocked for this long: the request died before its commit, nothing landed
           OR (idempotency_keys.state = 'in_flight'
               AND idempotency_keys.created_at < EXCLUDED.created_at - interval '2 minutes')
    RETURNING key
""")
_EXISTING = text("""
    SELECT request_hash, state, response_status, response_headers, response_body
    FROM idempotency_keys WHERE org_id = :org AND key = :key
""")
_MARK_COMMITTED = text("UPDATE idempotency_keys SET state = 'committed' WHERE org_id = :org AND key = :key")
_STORE = text("""
    UPDATE idempotency_keys
    SET state = 'done', response_status = :status, response_headers = :headers, response_body = :body
    WHERE org_id = :org AND key = :key AND state = 'committed'
""").bindparams(bindparam("headers", type_=JSONB))
_RELEASE = text("DELETE FROM idempotency_keys WHERE org_id = :org AND key = :key AND state = ANY(:states)")

_HEADER_DOC: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x20-\\x7E]{1,200}$"},
    "description": (
        "POST only. Retrying with the same key and body within 24 h replays the first successful response "
        f"(with `{REPLAYED_HEADER}: true`) to the credential that sent it, once the route's permission check "
        "passed; another body or another credential → 422; the first still running → 409. "
        "A failed request (4xx/5xx) does not use the key up."
    ),
}


REVEALS_SECRET = "_reveals_secret"
F = TypeVar("F", bound=Callable[..., Any])


def reveals_secret(endpoint: F) -> F:
    """Mark a route whose response holds a shown-once secret: a retried key answers 409, not a replay."""
    setattr(endpoint, REVEALS_SECRET, True)
    return endpoint


class IdempotentReplay(Exception):
    """The stored first response for a repeated key; its handler sends it back unchanged."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(status)
        self.status, self.headers, self.body = status, headers, body


@dataclass(frozen=True)
class Claim:
    org_id: UUID
    key: str


def request_fingerprint(method: str, path: str, query: str, body: bytes, credential: str = "") -> bytes:
    """The request as the key binds it: who sent it (member or API key), where, and what."""
    return hashlib.sha256(f"{credential}\n{method}\n{path}\n{query}\n".encode() + body).digest()


@asynccontextmanager
async def _side_transaction(request: Request, org_id: UUID) -> AsyncIterator[AsyncSession]:
    """A short transaction beside the request's own, scoped to the organisation (RLS), from the side pool."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.side_session_factory
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        await session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": LOCK_TIMEOUT})
        yield session


async def idempotency(request: Request, session: DbSession) -> None:
    """Claim the key of a POST, or answer for it: replay, 422 for another body, 409 while in progress.

    `IdempotentRoute` puts it on the POSTs of authenticated routers, after the router's `current_principal`:
    the key belongs to the credential that sent it.
    """
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise RuntimeError("an Idempotency-Key needs an authenticated router: api_router(authenticated=True)")
    if not _KEY_PATTERN.fullmatch(key):
        raise Invalid(f"header.{HEADER}", "use 1 to 200 printable ASCII characters")
    fingerprint = request_fingerprint(
        request.method, request.url.path, request.url.query, await request.body(), principal.actor
    )
    now = current_time()
    params = {"org": principal.org_id, "key": key}
    # Committed on its own, so a concurrent duplicate sees the claim while this request is still working.
    try:
        async with _side_transaction(request, principal.org_id) as side:
            try:
                claimed = (
                    await side.execute(_CLAIM, {**params, "hash": fingerprint, "now": now, "expires": now + TTL})
                ).first()
            except DBAPIError as exc:  # the row is locked by the first request's transaction
                if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    raise Conflict(_IN_PROGRESS) from exc
                raise
            if claimed is None:
                _refuse((await side.execute(_EXISTING, params)).one(), fingerprint)
    except (Conflict, Invalid, IdempotentReplay) as answer:
        # Held until the route's own dependencies (its permission check first) have passed.
        request.state.idempotency_answer = answer
        return
    # Stashed first, so that if even the mark fails the claim is released after the rollback.
    request.state.idempotency_claim = Claim(principal.org_id, key)
    await session.execute(_MARK_COMMITTED, params)


def _refuse(row: Row[Any], fingerprint: bytes) -> NoReturn:
    # The body is compared before the state: another body under a used key is a client bug, whatever
    # became of the first request, and saying so beats a 409 that invites the same mistake again.
    if bytes(row.request_hash) != fingerprint:
        raise Invalid(f"header.{HEADER}", "this key was already used with another request; send a new key")
    if row.state == "done" and row.response_body is None:
        raise Conflict(
            "the first request with this key succeeded; its response held a secret that is shown "
            "only once, so it is not replayed"
        )
    if row.state == "done":
        raise IdempotentReplay(row.response_status, dict(row.response_headers or {}), bytes(row.response_body))
    if row.state == "in_flight":
        raise Conflict(_IN_PROGRESS)
    # 'committed': the work landed but the process stopped before the response was stored.
    raise Conflict("a request with this key was processed but its response was not kept; read the resource instead")


async def _settle(request: Request, response: Response | None) -> None:
    """After the request's transaction: store a success for replay, or release the key of a failure."""
    claim: Claim | None = getattr(request.state, "idempotency_claim", None)
    if claim is None:
        return
    params = {"org": claim.org_id, "key": claim.key}
    try:
        async with _side_transaction(request, claim.org_id) as side:
            if response is None:  # rolled back; 'in_flight' only, in case the commit landed after all
                await side.execute(_RELEASE, {**params, "states": ["in_flight"]})
            elif response.status_code >= 400:  # refused by the route: let the client retry a fixed request
                await side.execute(_RELEASE, {**params, "states": ["in_flight", "committed"]})
            elif isinstance(body := getattr(response, "body", None), bytes):
                headers = {name: response.headers[name] for name in STORED_HEADERS if name in response.headers}
                if getattr(request.scope.get("endpoint"), REVEALS_SECRET, False):
                    body = None  # never keep a shown-once secret (API key, initial password) at rest
                await side.execute(_STORE, {**params, "status": response.status_code, "headers": headers, "body": body})
    except Exception:
        # The work is committed (or rolled back) already: never turn that answer into an error. A key left
        # 'committed' answers 409, one left 'in_flight' until it expires.
        log.exception("idempotency_settle_failed", org_id=str(claim.org_id), key=claim.key)


_CURRENT_REQUEST: ContextVar[Request | None] = ContextVar("idempotent_request", default=None)
_GUARDED = "_idempotency_guarded"


def _answer_held_for(endpoint: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The endpoint, first sending the answer `idempotency` held for a used key (a replay, a 409, a 422).

    FastAPI runs router dependencies (where the key is looked up) before the route's own, so the answer
    waits here: the route's permission check has run by now, and a credential that may not make this
    request gets its 403, never the response stored for one that may.
    """
    if getattr(endpoint, _GUARDED, False):
        return endpoint

    @functools.wraps(endpoint)  # keeps the signature FastAPI reads the parameters from
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        request = _CURRENT_REQUEST.get()
        answer = getattr(request.state, "idempotency_answer", None) if request is not None else None
        if answer is not None:
            raise answer
        return await endpoint(*args, **kwargs)

    setattr(guarded, _GUARDED, True)
    return guarded


class IdempotentRoute(APIRoute):
    """POSTs only: claims the key (the `idempotency` dependency), documents the header, and settles the claimed
    key once the request's transaction has ended. Other methods are plain routes."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if "POST" in {method.upper() for method in kwargs.get("methods") or ()}:
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), Depends(idempotency)]
            kwargs["responses"] = {**problem_responses(409), **(kwargs.get("responses") or {})}
            extra = dict(kwargs.get("openapi_extra") or {})
            extra["parameters"] = [*extra.get("parameters", []), _HEADER_DOC]
            kwargs["openapi_extra"] = extra
            endpoint = _answer_held_for(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def idempotent_handler(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            # The handler returns BEFORE DbSession (scope="function") commits: FastAPI closes that
            # dependency on this stack afterwards. An exit pushed now, before the dependency is entered,
            # runs after its commit or rollback; any earlier, and writing the key row would wait on the
            # lock our own open transaction holds on it (the 'committed' mark).
            stack = request.scope.get("fastapi_function_astack")
            if not isinstance(stack, AsyncExitStack):
                raise RuntimeError("FastAPI no longer exposes the function-scoped dependency stack")
            returned: list[Response] = []

            async def after_transaction(
                exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
            ) -> None:
                await _settle(request, returned[0] if exc is None and returned else None)

            stack.push_async_exit(after_transaction)
            current = _CURRENT_REQUEST.set(request)
            try:
                response = await handler(request)
            finally:
                _CURRENT_REQUEST.reset(current)
            returned.append(response)
            return response

        return idempotent_handler


async def _replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return Response(exc.body, status_code=exc.status, headers={**exc.headers, REPLAYED_HEADER: "true"})


def install_idempotency(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay)
