"""The request's credential: the session cookie or bearer API key resolved into a `Principal`.

`create_app` installs `authenticate` as the application's authenticator; routes reach it through
`sightline.http.deps.current_principal` (and `Reader`, `Writer`, `Admin`), so the HTTP edge imports no domain.
Services receive the `Principal` (`sightline.auth`) and never import this module.

A route marked `with_document(...)` is a one-statement read (docs/decisions/api-fast-reads.md): its credential
and its document come back from one SQL function on the read pool, in autocommit, and the route finds the
document with `fetched_document`. Every check below applies to both ways alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import ROLE_SCOPES, Principal
from sightline.config import Settings
from sightline.errors import Forbidden, Unauthorized
from sightline.http.cookies import read_cookie
from sightline.http.deps import SESSION_COOKIE
from sightline.identity.secrets import token_hash
from sightline.identity.verification import gate, require_verified

BEARER = {"WWW-Authenticate": "Bearer"}
API_KEY_SQL = text("SELECT org_id, key_id, scopes, created_by AS user_id FROM auth_resolve_api_key(:h)")
SESSION_SQL = text(
    "SELECT org_id, user_id, session_id, role, reauthenticated_at, mfa_enrolment_due "
    "FROM auth_resolve_session(:h, :idle)"
)
NOT_FETCHED = object()  # `fetched_document` when the request was not answered by a one-statement read


@dataclass(frozen=True)
class Credential:
    """What the request presents: an API key's hash or a session cookie's hash (never both)."""

    key_hash: bytes | None
    session_hash: bytes | None
    idle_seconds: int


@dataclass(frozen=True)
class WithDocument:
    """A read whose SQL function (migration 0069) resolves the credential and returns the document with the
    id in path parameter `parameter`."""

    function: str
    parameter: str

    @property
    def sql(self) -> str:
        return f"SELECT * FROM {self.function}($1, $2, $3, $4)"


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def with_document(read: WithDocument) -> Callable[[Endpoint], Endpoint]:
    """Mark a route's endpoint as answered by `read` (put it below the router's decorator)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.with_document = read  # type: ignore[attr-defined]
        return endpoint

    return mark


def fetched_document(request: Request) -> Any:
    """The document's json text (None: not in the credential's organisation), or NOT_FETCHED."""
    return getattr(request.state, "document", NOT_FETCHED)


def read_credential(request: Request) -> Credential:
    """The presented credential, or 401 when there is none or it is malformed (no database needed)."""
    settings: Settings = request.app.state.settings
    idle = round(settings.session_idle_hours * 3600)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <api key>'", headers=BEARER)
        return Credential(key_hash=token_hash(token.strip()), session_hash=None, idle_seconds=idle)
    cookie = read_cookie(request, SESSION_COOKIE, settings=settings)
    if not cookie:
        raise Unauthorized("sign in or send an API key", headers=BEARER)
    return Credential(key_hash=None, session_hash=token_hash(cookie), idle_seconds=idle)


async def authenticate(request: Request, session: AsyncSession) -> Principal:
    """Resolve the session cookie or bearer API key; the lookup also scopes the transaction (RLS)."""
    read = getattr(getattr(request.scope.get("route"), "endpoint", None), "with_document", None)
    if isinstance(read, WithDocument) and getattr(request.app.state, "read_pool", None) is not None:
        return await resolve_with_document(request, read, _document_id(request, read))
    credential = read_credential(request)
    if credential.key_hash is not None:
        found = (await session.execute(API_KEY_SQL, {"h": credential.key_hash})).first()
    else:
        params = {"h": credential.session_hash, "idle": credential.idle_seconds}
        found = (await session.execute(SESSION_SQL, params)).first()
    principal = _principal(request, credential, None if found is None else found._mapping)
    # Sign-up email verification: an unverified person's session reaches only a few routes (403 otherwise).
    await require_verified(
        request, session, org_id=principal.org_id, user_id=principal.user_id, session_id=principal.session_id
    )
    return _accepted(request, principal)


async def resolve_with_document(request: Request, read: WithDocument, document_id: UUID | None) -> Principal:
    """The credential and the document in one round trip: autocommit (no BEGIN/COMMIT), a prepared statement
    from the connection's cache. The document is left for `fetched_document`. Used by `authenticate` and by
    the pre-router path (okrs/routes/fast_reads.py), so both make every check alike."""
    credential = read_credential(request)
    row = await request.app.state.read_pool.fetchrow(
        read.sql, credential.key_hash, credential.session_hash, credential.idle_seconds, document_id
    )
    principal = _principal(request, credential, row)
    gate(request, session_id=principal.session_id, verified=row["email_verified"])
    request.state.document = row["doc"]
    return _accepted(request, principal)


def _document_id(request: Request, read: WithDocument) -> UUID | None:
    try:
        return UUID(str(request.path_params.get(read.parameter)))
    except ValueError:
        return None  # the route answers 422 for the parameter once the credential is settled


def _accepted(request: Request, principal: Principal) -> Principal:
    request.state.org_id = str(principal.org_id)
    request.state.actor = principal.actor  # for the access log
    return principal


def _principal(request: Request, credential: Credential, row: Mapping[Any, Any] | None) -> Principal:
    """The principal of a resolver's row (401 without one); the MFA enrolment gate for sessions."""
    if credential.key_hash is not None:
        if row is None:
            raise Unauthorized("unknown or revoked API key", headers=BEARER)
        return Principal(
            org_id=row["org_id"], scopes=frozenset(row["scopes"]), user_id=row["user_id"], api_key_id=row["key_id"]
        )
    if row is None:
        raise Unauthorized("the session has expired, was idle too long or was revoked; sign in again")
    principal = Principal(
        org_id=row["org_id"],
        scopes=ROLE_SCOPES[row["role"]],
        user_id=row["user_id"],
        role=row["role"],
        session_id=row["session_id"],
        authenticated_at=row["reauthenticated_at"],
    )
    if row["mfa_enrolment_due"]:
        _enrolment_gate(request)
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
