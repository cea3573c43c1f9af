"""`Idempotency-Key` on authenticated POSTs: a retry replays the first response instead of redoing the work.

Keys live per organisation for 24 h. A keyed POST claims its key, does its work and keeps its response in
ONE transaction on the request's own connection: the claim is the first write of that transaction, the
response is stored once the route's answer is serialised and before the commit, so the key row becomes
visible to anyone else only together with the work and the answer (docs/decisions/api-keyed-writes.md).
A duplicate sent meanwhile waits on the key's unique index for the first transaction, then replays its
answer; if the first rolled back, the duplicate claims the key and does the work itself.

A replay is an answer like any other: it is sent only after the route's own authorisation passed, and only
to the credential (member or API key) that made the first request. Another credential's retry of the key
is "another request" (422), so a stored response never reaches anyone it was not made for.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import SessionTransaction

from sightline.auth import Principal
from sightline.clock import current_time
from sightline.db.engine import json_dumps
from sightline.db.rows import fetch_named
from sightline.db.tenancy import set_tenant
from sightline.errors import Conflict, Invalid
from sightline.http.deps import DbSession
from sightline.http.problems import problem_responses

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
STORED_HEADERS = ("content-type", "etag", "location")
# Only for a route that ends the request's transaction itself (it reads a slow source meanwhile): its
# response is kept by a side transaction, which waits this long for a duplicate's lock on the key row.
LOCK_TIMEOUT = "1s"
_KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,200}")
_IN_PROGRESS = "a request with this key is still in progress; retry once it has finished"
log = structlog.get_logger("sightline.idempotency")

# One round trip. The key is written as 'committed': nobody sees the row before the work commits with it.
# A key held by a transaction still running makes the INSERT wait for it (unique index); an expired key,
# or one left 'in_flight' by an earlier version that died before its commit, is taken over in place.
# Not claimed: the row as this statement's snapshot saw it (none if it was committed while we waited).
# Claim and store are sent on the driver (`fetch_named`): every keyed write pays them.
_CLAIM = """
    WITH claimed AS (
        INSERT INTO idempotency_keys (org_id, key, request_hash, state, created_at, expires_at)
        VALUES (:org, :key, :hash, 'committed', :now, :expires)
        ON CONFLICT (org_id, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, state = 'committed', response_status = NULL,
                response_headers = NULL, response_body = NULL, created_at = EXCLUDED.created_at,
                expires_at = EXCLUDED.expires_at
            WHERE idempotency_keys.expires_at <= EXCLUDED.created_at
               OR (idempotency_keys.state = 'in_flight'
                   AND idempotency_keys.created_at < EXCLUDED.created_at - interval '2 minutes')
        RETURNING key
    )
    SELECT true AS claimed, NULL::bytea AS request_hash, NULL::text AS state, NULL::integer AS response_status,
           NULL::jsonb AS response_headers, NULL::bytea AS response_body
    FROM claimed
    UNION ALL
    SELECT false, request_hash, state, response_status, response_headers, response_body
    FROM idempotency_keys
    WHERE org_id = :org AND key = :key AND NOT EXISTS (SELECT FROM claimed)
"""
_EXISTING = text("""
    SELECT false AS claimed, request_hash, state, response_status, response_headers, response_body
    FROM idempotency_keys WHERE org_id = :org AND key = :key
""")
_STORE = """
    UPDATE idempotency_keys
    SET state = 'done', response_status = :status, response_headers = :headers, response_body = :body
    WHERE org_id = :org AND key = :key AND state = 'committed'
"""
_RELEASE = text("DELETE FROM idempotency_keys WHERE org_id = :org AND key = :key AND state = 'committed'")

_HEADER_DOC: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x20-\\x7E]{1,200}$"},
    "description": (
        "POST only. Retrying with the same key and body within 24 h replays the first successful response "
        f"(with `{REPLAYED_HEADER}: true`) to the credential that sent it, once the route's permission check "
        "passed; a retry sent while the first is still running waits for it, then replays it; another body or "
        "another credential → 422; 409 when the first response cannot be replayed (it held a secret shown once, "
        "or was streamed). A failed request (4xx/5xx) does not use the key up."
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
    """A key claimed by this request, in this transaction of the request's session."""

    org_id: UUID
    key: str
    session: AsyncSession
    transaction: SessionTransaction | None

    @property
    def params(self) -> dict[str, Any]:
        return {"org": self.org_id, "key": self.key}

    def transaction_open(self) -> bool:
        """Whether the claim's transaction is still the session's: false once the route ended it itself."""
        current = self.session.sync_session.get_transaction()
        return current is not None and current is self.transaction and current.is_active


def request_fingerprint(method: str, path: str, query: str, body: bytes, credential: str = "") -> bytes:
    """The request as the key binds it: who sent it (member or API key), where, and what."""
    return hashlib.sha256(f"{credential}\n{method}\n{path}\n{query}\n".encode() + body).digest()


async def idempotency(request: Request, session: DbSession) -> None:
    """Claim the key of a POST in the request's transaction, or answer for it: replay, 422 for another body, 409.

    `IdempotentRoute` puts it on the POSTs of authenticated routers, after the router's `current_principal`:
    the key belongs to the credential that sent it, and the credential's statement set the tenant already.
    """
    # Reset first: RetryCollisionsMiddleware runs a collided request again with the same state.
    request.state.idempotency_claim = request.state.idempotency_answer = None
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
    claimed = await fetch_named(session, _CLAIM, {**params, "hash": fingerprint, "now": now, "expires": now + TTL})
    row = claimed[0] if claimed else None
    if row is None:  # the first request with this key committed while this one waited for it
        row = (await session.execute(_EXISTING, params)).first()
    if row is not None and row.claimed:
        transaction = session.sync_session.get_transaction()
        request.state.idempotency_claim = Claim(principal.org_id, key, session, transaction)
        return
    try:
        _refuse(row, fingerprint)
    except (Conflict, Invalid, IdempotentReplay) as answer:
        # Held until the route's own dependencies (its permission check first) have passed.
        request.state.idempotency_answer = answer


def _refuse(row: Any, fingerprint: bytes) -> NoReturn:
    if row is None:  # taken over and released again in between: rare, and a retry settles it
        raise Conflict(_IN_PROGRESS)
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
    if row.state == "in_flight":  # left by an earlier version, which claimed keys in a transaction of their own
        raise Conflict(_IN_PROGRESS)
    # 'committed': the work landed but its response was not kept (a streamed answer, or the route ended
    # its transaction before answering and the process stopped in between).
    raise Conflict("a request with this key was processed but its response was not kept; read the resource instead")


def _settlement(request: Request, response: Response) -> dict[str, Any] | None:
    """What the key keeps of a success: status, the headers that matter, the body (None: nothing to keep)."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):  # a streamed answer: the key stays 'committed' (409 on a retry)
        return None
    headers = {name: response.headers[name] for name in STORED_HEADERS if name in response.headers}
    if getattr(request.scope.get("endpoint"), REVEALS_SECRET, False):
        body = None  # never keep a shown-once secret (API key, initial password) at rest
    return {"status": response.status_code, "headers": headers, "body": body}


async def _settle(request: Request, claim: Claim, response: Response) -> None:
    """Before the request's commit, in its transaction: keep a success for replay, give a refused key back.

    A failure here raises, and the work rolls back with the key: nothing is acknowledged that a retry
    could not replay, and the retry does the work once.
    """
    if not claim.transaction_open():
        await _settle_beside(request, claim, response)
    elif response.status_code >= 400:  # refused by the route: let the client retry a fixed request
        await claim.session.execute(_RELEASE, claim.params)
    elif (kept := _settlement(request, response)) is not None:
        await _store(claim.session, claim, kept)


async def _store(session: AsyncSession, claim: Claim, kept: dict[str, Any]) -> None:
    await fetch_named(session, _STORE, {**claim.params, **kept, "headers": json_dumps(kept["headers"])})


@asynccontextmanager
async def _side_transaction(request: Request, org_id: UUID) -> AsyncIterator[AsyncSession]:
    """A short transaction beside the request's own, scoped to the organisation (RLS), from the side pool."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.side_session_factory
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        await session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": LOCK_TIMEOUT})
        yield session


async def _settle_beside(request: Request, claim: Claim, response: Response) -> None:
    """The route ended the request's transaction itself (its key committed as 'committed' with the work):
    keep the response in a side transaction. A failure only logs: the answer stands, a retry gets 409."""
    try:
        async with _side_transaction(request, claim.org_id) as side:
            if response.status_code >= 400:
                await side.execute(_RELEASE, claim.params)
            elif (kept := _settlement(request, response)) is not None:
                await _store(side, claim, kept)
    except Exception:
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
    key in the request's transaction once the response is serialised. Other methods are plain routes."""

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
            current = _CURRENT_REQUEST.set(request)
            try:
                # Returns the serialised response BEFORE DbSession (scope="function") commits: FastAPI closes
                # that dependency once this handler has returned, and the response is sent after the commit.
                response = await handler(request)
            finally:
                _CURRENT_REQUEST.reset(current)
            claim: Claim | None = getattr(request.state, "idempotency_claim", None)
            if claim is not None:
                await _settle(request, claim, response)
            return response

        return idempotent_handler


async def _replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return Response(exc.body, status_code=exc.status, headers={**exc.headers, REPLAYED_HEADER: "true"})


def install_idempotency(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay)
