"""HTTP routes of single sign-on: the organisation's provider (owner; admins read), and the sign-in redirects
(public)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Depends, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from sightline.auth import Principal
from sightline.config import Settings
from sightline.crypto import SecretBox
from sightline.errors import Forbidden
from sightline.http import cookies
from sightline.http.admission import leave_queue
from sightline.http.client import client_address
from sightline.http.deps import Admin, Clock, DbSession, RecentSignIn, UrlRules
from sightline.http.etag import set_etag
from sightline.http.params import IfMatch
from sightline.http.problems import problem_responses
from sightline.http.query import open_query
from sightline.http.routers import api_router
from sightline.identity import mfa, security_events
from sightline.identity.routes.common import set_pending_sign_in, set_session_cookie
from sightline.integrations import oidc, oidc_client, sso_config
from sightline.integrations.schemas import SsoConfigInput, SsoConfigPublic

# Public: a sign-in starts and comes back before there is a credential.
public_router = api_router(authenticated=False, tags=["auth"], problems=(400, 422))
router = api_router(authenticated=True, tags=["organisation"])
MFA_PAGE = "/sign-in/mfa"  # the web app's page for the second step
OPAQUE = Annotated[str | None, Query(max_length=2048, pattern=r"^[\x21-\x7e]*$")]


def _base_url(request: Request) -> str:
    """The web app's address: the operator's setting, else the address this request came to."""
    settings: Settings = request.app.state.settings
    return settings.public_base_url or str(request.base_url).rstrip("/")


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def _client(request: Request) -> oidc_client.OidcClient:
    leave_queue(request)  # discovery and the token exchange wait on the identity provider
    client: oidc_client.OidcClient = request.app.state.oidc_client
    return client


BaseUrl = Annotated[str, Depends(_base_url)]
Box = Annotated[SecretBox, Depends(_box)]
Client = Annotated[oidc_client.OidcClient, Depends(_client)]


async def _owner(principal: Admin) -> Principal:
    # The provider decides who signs in as whom: configuring it is an owner's power, like the owner role.
    if "owner" not in principal.scopes:
        raise Forbidden("only an owner can configure single sign-on")
    return principal


Owner = Annotated[Principal, Depends(_owner)]


# Configuration (owner) ---------------------------------------------------------------------------
@router.get(
    "/organisation/sso",
    summary="The organisation's single sign-on provider (admin; the client secret is never shown)",
    responses=problem_responses(404),
)
async def get_sso(
    principal: Admin, session: DbSession, response: Response, base_url: BaseUrl, box: Box
) -> SsoConfigPublic:
    config = await sso_config.get_config(session, org_id=principal.org_id)
    set_etag(response, config.version)
    return sso_config.config_public(config, base_url=base_url, box=box)


@router.put(
    "/organisation/sso",
    summary="Configure single sign-on with an OpenID Connect provider (owner)",
    responses=problem_responses(412),
)
async def put_sso(
    body: SsoConfigInput,
    principal: Owner,
    _recent: RecentSignIn,
    session: DbSession,
    response: Response,
    policy: UrlRules,
    box: Box,
    base_url: BaseUrl,
    now: Clock,
    if_match: IfMatch = None,
) -> SsoConfigPublic:
    config, _ = await sso_config.put_config(
        session, principal=principal, body=body, policy=policy, box=box, base_url=base_url, if_match=if_match, now=now
    )
    set_etag(response, config.version)
    return sso_config.config_public(config, base_url=base_url, box=box)


@router.delete(
    "/organisation/sso",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove single sign-on; members sign in with passwords again (owner)",
    responses=problem_responses(404, 412),
)
async def delete_sso(
    principal: Owner,
    _recent: RecentSignIn,
    session: DbSession,
    base_url: BaseUrl,
    box: Box,
    now: Clock,
    if_match: IfMatch = None,
) -> Response:
    await sso_config.delete_config(session, principal=principal, base_url=base_url, box=box, if_match=if_match, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Signing in (public) -----------------------------------------------------------------------------
@public_router.get(
    sso_config.START_PATH.removeprefix("/api/v1"),
    summary="Start signing in through the organisation's identity provider (redirects there)",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={302: {"description": "To the identity provider"}, **problem_responses(401, 404)},
)
async def sso_start(
    organisation_id: UUID,
    request: Request,
    session: DbSession,
    box: Box,
    client: Client,
    base_url: BaseUrl,
    now: Clock,
    return_to: Annotated[str | None, Query(max_length=500, description="A path of the web app to end on")] = None,
    login_hint: Annotated[str | None, Query(max_length=254, description="The email, passed to the provider")] = None,
) -> RedirectResponse:
    url, attempt = await oidc.start(
        session,
        org_id=organisation_id,
        return_to=return_to,
        login_hint=login_hint,
        client=client,
        box=box,
        base_url=base_url,
        now=now,
    )
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    # SameSite=Lax: sent on the provider's top-level redirect back, not on cross-site subrequests. Path=/ as
    # every __Host- cookie (docs/decisions/passwords-host-cookies.md).
    cookies.set_cookie(
        request, response, oidc.SSO_COOKIE, attempt, settings=request.app.state.settings, max_age=oidc.ATTEMPT_SECONDS
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@public_router.get(
    sso_config.CALLBACK_PATH.removeprefix("/api/v1"),
    summary="Where the identity provider sends the browser back: signs in and redirects into the app",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "Signed in (session cookie set); on to the web app. A person with an authenticator app "
            "goes to /sign-in/mfa instead, with a pending sign-in for POST /api/v1/auth/login/mfa (no session yet)"
        },
        **problem_responses(401, 403, 404),
    },
)
@open_query  # providers add their own parameters (iss, session_state, error_description…)
async def sso_callback(
    request: Request,
    session: DbSession,
    box: Box,
    client: Client,
    base_url: BaseUrl,
    now: Clock,
    code: OPAQUE = None,
    state: OPAQUE = None,
    error: OPAQUE = None,
) -> RedirectResponse:
    member, token, return_to = await oidc.finish(
        session,
        code=code,
        state=state,
        error=error,
        cookie=cookies.read_cookie(request, oidc.SSO_COOKIE, settings=request.app.state.settings),
        client=client,
        box=box,
        settings=request.app.state.settings,
        base_url=base_url,
        now=now,
        user_agent=request.headers.get("user-agent"),
        client_address=client_address(request),
    )
    if token is None:
        # A person with an authenticator app: the same second step as after a password, in the web app.
        response = RedirectResponse(
            f"{MFA_PAGE}?{urlencode({'next': return_to})}", status_code=status.HTTP_303_SEE_OTHER
        )
        pending = mfa.PendingSignIn(
            org_id=member.org_id,
            user_id=member.id,
            version=member.version,
            method="sso",
            user_agent=request.headers.get("user-agent"),
            client_address=client_address(request),
        )
        set_pending_sign_in(request, response, pending, request.app.state.settings, now)
        cookies.delete_cookie(request, response, oidc.SSO_COOKIE, settings=request.app.state.settings)
        return response
    await security_events.signed_in(
        session,
        org_id=member.org_id,
        member_id=member.id,
        email=member.email,
        method="sso",
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    response = RedirectResponse(return_to, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(request, response, token, request.app.state.settings)
    cookies.delete_cookie(request, response, oidc.SSO_COOKIE, settings=request.app.state.settings)
    response.headers["Cache-Control"] = "no-store"
    return response
