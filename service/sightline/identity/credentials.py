"""The request's credential: the session cookie or bearer API key resolved into a `Principal`.

`create_app` installs `authenticate` as the application's authenticator; routes reach it through
`sightline.http.deps.current_principal` (and `Reader`, `Writer`, `Admin`), so the HTTP edge imports no domain.
Services receive the `Principal` (`sightline.auth`) and never import this module.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import ROLE_SCOPES, Principal
from sightline.config import Settings
from sightline.errors import Forbidden, Unauthorized
from sightline.http.cookies import read_cookie
from sightline.http.deps import SESSION_COOKIE
from sightline.identity.secrets import token_hash
from sightline.identity.verification import require_verified


async def authenticate(request: Request, session: AsyncSession) -> Principal:
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
