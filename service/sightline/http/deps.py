"""Request dependencies: the one transaction per request, and the authenticated principal.

Routers are authenticated by default (they depend on `current_principal`); a public route says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.config import Settings
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
    # Sessions: the last sign-in or re-authentication (recent sign-in for sensitive actions).
    authenticated_at: datetime | None = None

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
        settings: Settings = request.app.state.settings
        row = (
            await session.execute(
                text(
                    "SELECT org_id, user_id, session_id, role, reauthenticated_at, mfa_enrolment_due "
                    "FROM auth_resolve_session(:h, :idle)"
                ),
                {"h": token_hash(cookie), "idle": round(settings.session_idle_hours * 3600)},
            )
        ).first()
        if row is None:
            raise Unauthorized("the session has expired, was idle too long or was revoked; sign in again")
        principal = Principal(
            org_id=row.org_id,
            scopes=ROLE_SCOPES[row.role],
            user_id=row.user_id,
            role=row.role,
            session_id=row.session_id,
            authenticated_at=row.reauthenticated_at,
        )
        if row.mfa_enrolment_due:
            _enrolment_gate(request)
    # Sign-up email verification: an unverified person's session reaches only a few routes (403 otherwise).
    await require_verified(
        request, session, org_id=principal.org_id, user_id=principal.user_id, session_id=principal.session_id
    )
    request.state.org_id = str(principal.org_id)
    request.state.actor = principal.actor  # for the access log
    return principal


class MfaEnrolmentRequired(Forbidden):
    slug, title = "mfa-enrolment-required", "Multi-factor enrolment required"


class RecentSignInRequired(Forbidden):
    slug, title = "recent-sign-in-required", "Recent sign-in required"


# What an admin or owner may do while their organisation requires a second factor they have not set up yet:
# see who they are, enrol, re-authenticate for the enrolment, and leave.
MFA_ENROLMENT_ROUTES = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/me/mfa"),
        ("POST", "/api/v1/me/mfa/totp"),
        ("POST", "/api/v1/me/mfa/totp/confirm"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/reauthenticate"),
        ("GET", "/api/v1/organisation"),
    }
)


def _enrolment_gate(request: Request) -> None:
    route = request.scope.get("route")
    if (request.method, getattr(route, "path", None)) not in MFA_ENROLMENT_ROUTES:
        raise MfaEnrolmentRequired(
            "your organisation requires admins and owners to use a second factor: set up an authenticator app "
            "first (POST /api/v1/me/mfa/totp)"
        )


def require_recent_sign_in(principal: Principal, *, now: datetime, settings: Settings) -> None:
    """403 unless the session signed in or re-authenticated within SIGHTLINE_REAUTH_MINUTES. API keys pass: they
    never hold owner powers and cannot re-authenticate."""
    if principal.session_id is None:
        return
    fresh = principal.authenticated_at is not None and now - principal.authenticated_at <= timedelta(
        minutes=settings.reauth_minutes
    )
    if not fresh:
        raise RecentSignInRequired(
            f"this action needs a sign-in from the last {settings.reauth_minutes} minutes: confirm your password "
            "or code with POST /api/v1/auth/reauthenticate, then try again"
        )


async def recent_sign_in(
    request: Request, principal: Annotated[Principal, Depends(current_principal)], now: Clock
) -> Principal:
    require_recent_sign_in(principal, now=now, settings=request.app.state.settings)
    return principal


# Put it after the route's role dependency (Admin, Owner...): a member lacking the role hears that first.
RecentSignIn = Annotated[Principal, Depends(recent_sign_in)]


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
