"""Request dependencies: the one transaction per request, and the authenticated principal.

Routers are authenticated by default (they depend on `current_principal`); a public route says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.errors import Forbidden, Unauthorized
from sightline.http.cookies import read_cookie
from sightline.identity.secrets import token_hash
from sightline.identity.verification import require_verified

SESSION_COOKIE = "sightline_session"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "member": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
    "owner": frozenset({"read", "write", "admin", "owner"}),
}


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    async with request.app.state.session_factory() as session, session.begin():
        yield session


# scope="function": commit before the response is sent, so nothing is acknowledged and then lost.
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


def current_time() -> datetime:
    return datetime.now(UTC)


async def utcnow() -> datetime:
    """The request's clock (tests override this dependency). Async: a sync dependency costs a thread hop."""
    return current_time()


Clock = Annotated[datetime, Depends(utcnow)]


@dataclass(frozen=True)
class Principal:
    org_id: UUID
    scopes: frozenset[str]
    user_id: UUID | None = None
    role: str | None = None
    session_id: UUID | None = None
    api_key_id: UUID | None = None
    # A background job acting on its own account (e.g. "integration:<id>"), not a person or a key.
    system_actor: str | None = None

    @property
    def actor(self) -> str:
        if self.system_actor is not None:
            return self.system_actor
        return f"api_key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this credential lacks the '{scope}' permission")


async def current_principal(request: Request, session: DbSession) -> Principal:
    """Resolve the session cookie or bearer API key; the lookup also scopes the transaction (RLS)."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <api key>'", headers={"WWW-Authenticate": "Bearer"})
        row = (
            await session.execute(
                text("SELECT org_id, key_id, scopes, created_by FROM auth_resolve_api_key(:h)"),
                {"h": token_hash(token.strip())},
            )
        ).first()
        if row is None:
            raise Unauthorized("unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        principal = Principal(
            org_id=row.org_id, scopes=frozenset(row.scopes), user_id=row.created_by, api_key_id=row.key_id
        )
    else:
        cookie = read_cookie(request, SESSION_COOKIE, settings=request.app.state.settings)
        if not cookie:
            raise Unauthorized("sign in or send an API key", headers={"WWW-Authenticate": "Bearer"})
        row = (
            await session.execute(
                text("SELECT org_id, user_id, session_id, role FROM auth_resolve_session(:h)"),
                {"h": token_hash(cookie)},
            )
        ).first()
        if row is None:
            raise Unauthorized("the session has expired or was revoked; sign in again")
        principal = Principal(
            org_id=row.org_id,
            scopes=ROLE_SCOPES[row.role],
            user_id=row.user_id,
            role=row.role,
            session_id=row.session_id,
        )
    # Sign-up email verification: an unverified person's session reaches only a few routes (403 otherwise).
    await require_verified(
        request, session, org_id=principal.org_id, user_id=principal.user_id, session_id=principal.session_id
    )
    request.state.org_id = str(principal.org_id)
    request.state.actor = principal.actor  # for the access log
    return principal


def _requiring(scope: str):  # type: ignore[no-untyped-def]
    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(scope)
        return principal

    return dependency


Reader = Annotated[Principal, Depends(_requiring("read"))]
Writer = Annotated[Principal, Depends(_requiring("write"))]
Admin = Annotated[Principal, Depends(_requiring("admin"))]


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """For work that outlives the request's transaction, such as a streamed response body."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


SessionFactory = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]
