"""What the identity routes share: the app's settings, the session and pending sign-in cookies, the `Me` view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import ROLE_SCOPES, Principal
from sightline.config import Settings
from sightline.crypto import SecretBox
from sightline.http import cookies
from sightline.http.client import client_address
from sightline.http.deps import SESSION_COOKIE, current_principal
from sightline.identity import mfa, security_events
from sightline.identity.schemas import Me, member_public, organisation_public


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]


def set_session_cookie(request: Request, response: Response, token: str, settings: Settings) -> None:
    """`__Host-sightline_session` (Secure) over HTTPS or in production, the bare name on plain HTTP."""
    cookies.set_cookie(
        request, response, SESSION_COOKIE, token, settings=settings, max_age=settings.session_ttl_hours * 3600
    )


async def open_session(
    request: Request,
    response: Response,
    session: AsyncSession,
    *,
    org: Any,
    user: Any,
    token: str,
    method: Literal["password", "mfa"],
    settings: Settings,
    now: datetime,
) -> Me:
    """A sign-in that succeeded (password, second factor, accepted invitation): recorded as a security event, the
    session cookie set, the answer kept out of caches; the member's view."""
    await security_events.signed_in(
        session,
        org_id=org.org_id,
        member_id=user.id,
        email=user.email,
        method=method,
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    set_session_cookie(request, response, token, settings)
    no_store(response)
    return me_view(org, user, "session", ROLE_SCOPES[user.role])


def me_view(org: object, user: object | None, principal_auth: str, scopes: frozenset[str]) -> Me:
    return Me(
        organisation=organisation_public(org),
        member=member_public(user) if user else None,
        auth="session" if principal_auth == "session" else "api_key",
        scopes=sorted(scopes),
    )


def secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def set_pending_sign_in(
    request: Request, response: Response, pending: mfa.PendingSignIn, settings: Settings, now: datetime
) -> None:
    """The sealed 5-minute cookie that lets this browser finish a sign-in with its second factor."""
    sealed = mfa.seal_pending(secret_box(request), pending, now=now)
    cookies.set_cookie(request, response, mfa.PENDING_COOKIE, sealed, settings=settings, max_age=mfa.PENDING_SECONDS)
    no_store(response)


Person = Annotated[Principal, Depends(current_principal)]  # sessions only: an API key gets 403
