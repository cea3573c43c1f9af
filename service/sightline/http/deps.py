"""Request dependencies: the one transaction per request, the request's clock, who is asking.

`current_principal` is the edge's port for authentication: it asks the authenticator the application was
built with (`app.state.authenticate`; identity's `sightline.identity.credentials.authenticate`), so the HTTP
edge needs no domain module and every domain's routes declare `Reader`, `Writer`, `Admin` from here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.auth import Principal, require_recent_sign_in
from sightline.clock import current_time
from sightline.config import SESSION_SETTINGS
from sightline.db import after_commit
from sightline.url_guard import UrlPolicy

SESSION_COOKIE = "sightline_session"


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back when it raises; what the
    transaction left for after its commit (db/after_commit.py) runs before the answer is sent."""
    async with after_commit.transaction(request.app.state.session_factory) as session:
        session.info[SESSION_SETTINGS] = request.app.state.settings  # for work inside the transaction (mail it queues)
        yield session


# scope="function": commit before the response is sent, so nothing is acknowledged and then lost.
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


def _url_policy(request: Request) -> UrlPolicy:
    """The operator's rules for the URLs the service calls out to: webhook endpoints, integration sources, the
    identity providers (`SIGHTLINE_WEBHOOK_ALLOWED_HOSTS`, `SIGHTLINE_WEBHOOK_ALLOW_HTTP`)."""
    policy: UrlPolicy = request.app.state.webhook_policy
    return policy


UrlRules = Annotated[UrlPolicy, Depends(_url_policy)]


async def utcnow() -> datetime:
    """The request's clock (tests override this dependency). Async: a sync dependency costs a thread hop."""
    return current_time()


Clock = Annotated[datetime, Depends(utcnow)]


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """For work that outlives the request's transaction, such as a streamed response body."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


SessionFactory = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]


# (request, the request's transaction) → the principal, or Unauthorized/Forbidden. Set by `create_app`.
Authenticate = Callable[[Request, AsyncSession], Awaitable[Principal]]


async def current_principal(request: Request, session: DbSession) -> Principal:
    """The request's principal (resolved once per request); 401 without a valid credential."""
    authenticate: Authenticate = request.app.state.authenticate
    principal = await authenticate(request, session)
    request.state.principal = principal  # for the edge's own dependencies (the idempotency key's owner)
    return principal


Authenticated = Annotated[Principal, Depends(current_principal)]


async def recent_sign_in(request: Request, principal: Authenticated, now: Clock) -> Principal:
    require_recent_sign_in(principal, now=now, settings=request.app.state.settings)
    return principal


# Put it after the route's role dependency (Admin, Owner...): a member lacking the role hears that first.
RecentSignIn = Annotated[Principal, Depends(recent_sign_in)]


def _requiring(scope: str):  # type: ignore[no-untyped-def]
    async def dependency(principal: Authenticated) -> Principal:
        principal.require(scope)
        return principal

    return dependency


require_read = _requiring("read")  # Reader's check, named for the pre-router reads (okrs/routes/fast_reads.py)
Reader = Annotated[Principal, Depends(require_read)]
Writer = Annotated[Principal, Depends(_requiring("write"))]
Admin = Annotated[Principal, Depends(_requiring("admin"))]
