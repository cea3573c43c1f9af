"""HTTP routes of the identity domain: sign-up, sign-in, me, organisation, members, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from sightline.auth import ROLE_SCOPES, Principal, require_recent_sign_in
from sightline.config import Settings
from sightline.crypto import SecretBox
from sightline.db.keyset import PageParams
from sightline.errors import NotFound, TooManyRequests, Unauthorized
from sightline.http import cookies
from sightline.http.client import client_address
from sightline.http.deps import SESSION_COOKIE, Admin, Clock, DbSession, Reader, RecentSignIn, current_principal
from sightline.http.etag import set_etag
from sightline.http.idempotency import reveals_secret
from sightline.http.pagination import Page, page_params
from sightline.http.params import IfMatchRequired
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import api_keys, members, mfa, security_events, service, sessions, verification
from sightline.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    LoginRequest,
    Me,
    MemberCreate,
    MemberCreated,
    MemberPublic,
    MemberUpdate,
    MfaChallenge,
    MfaSignIn,
    MfaStatus,
    OrganisationPublic,
    OrganisationUpdate,
    PasswordChange,
    PasswordReset,
    Reauthenticate,
    RecoveryCodes,
    SessionPublic,
    SignupRequest,
    TotpConfirm,
    TotpEnrolment,
    api_key_public,
    member_public,
    organisation_public,
)


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
IfMatch = Annotated[str | None, Header(description="ETag from your last read; stale → 412")]

# Public: sign-up and sign-in happen before there is a credential (and so without Idempotency-Key:
# keys are scoped to an organisation).
public_router = api_router(authenticated=False, tags=["auth"], problems=(400, 403, 413, 415, 422))
router = api_router(authenticated=True)
# Signed in, but no Idempotency-Key: these bodies hold passwords, which a replay key would keep (hashed) at rest.
password_router = api_router(authenticated=True, idempotent=False, tags=["auth"])


def set_session_cookie(request: Request, response: Response, token: str, settings: Settings) -> None:
    """`__Host-sightline_session` (Secure) over HTTPS or in production, the bare name on plain HTTP."""
    cookies.set_cookie(
        request, response, SESSION_COOKIE, token, settings=settings, max_age=settings.session_ttl_hours * 3600
    )


def _me(org: object, user: object | None, principal_auth: str, scopes: frozenset[str]) -> Me:
    return Me(
        organisation=organisation_public(org),
        member=member_public(user) if user else None,
        auth="session" if principal_auth == "session" else "api_key",
        scopes=sorted(scopes),
    )


@public_router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organisation and its owner",
    response_model=Me,
    responses=problem_responses(409, 429),
)
async def signup(
    body: SignupRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> Me:
    # Counted in its own transaction: a sign-up that fails later still counts.
    await service.count_signup(
        request.app.state.side_session_factory, settings=settings, client_address=client_address(request), now=now
    )
    org, owner, token = await service.signup(
        session,
        body=body,
        settings=settings,
        now=now,
        user_agent=request.headers.get("user-agent"),
        client_address=client_address(request),
    )
    set_session_cookie(request, response, token, settings)
    me = _me(org, owner, "session", frozenset({"read", "write", "admin", "owner"}))
    return me.model_copy(update={"email_verification_required": settings.signup_verify_email})


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def set_pending_sign_in(
    request: Request, response: Response, pending: mfa.PendingSignIn, settings: Settings, now: datetime
) -> None:
    """The sealed 5-minute cookie that lets this browser finish a sign-in with its second factor."""
    sealed = mfa.seal_pending(_box(request), pending, now=now)
    cookies.set_cookie(request, response, mfa.PENDING_COOKIE, sealed, settings=settings, max_age=mfa.PENDING_SECONDS)
    _no_store(response)


@public_router.post(
    "/auth/login",
    summary="Sign in with email and password (sets the session cookie); 202 when a second factor must follow",
    response_model=Me,
    responses={
        202: {
            "model": MfaChallenge,
            "description": "The password is right; finish with POST /auth/login/mfa (no session yet)",
        },
        **problem_responses(401, 409, 429),
    },
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> Me | Response:
    try:
        org, user, token = await service.login(
            session,
            request.app.state.side_session_factory,  # a failure is recorded while this transaction holds its connection
            body=body,
            settings=settings,
            now=now,
            user_agent=request.headers.get("user-agent"),
            client_address=client_address(request),
        )
    except (Unauthorized, TooManyRequests) as exc:
        await security_events.sign_in_refused(
            request.app.state.side_session_factory,
            exc,
            email=body.email,
            organisation_id=body.organisation_id,
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            now=now,
        )
        raise
    if token is None:
        challenge = JSONResponse(MfaChallenge().model_dump(), status_code=status.HTTP_202_ACCEPTED)
        pending = mfa.PendingSignIn(
            org_id=org.org_id,
            user_id=user.id,
            version=user.version,
            method="password",
            user_agent=request.headers.get("user-agent"),
            client_address=client_address(request),
        )
        set_pending_sign_in(request, challenge, pending, settings, now)
        return challenge
    await security_events.signed_in(
        session,
        org_id=org.org_id,
        member_id=user.id,
        email=user.email,
        method="password",
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    set_session_cookie(request, response, token, settings)
    _no_store(response)
    return _me(org, user, "session", ROLE_SCOPES[user.role])


@public_router.post(
    "/auth/login/mfa",
    summary="Finish a sign-in with a code of the authenticator app or a recovery code (sets the session cookie)",
    response_model=Me,
    responses=problem_responses(401, 429),
)
async def login_mfa(
    body: MfaSignIn,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> Me:
    factory = request.app.state.side_session_factory
    try:
        org, user, token = await mfa.finish_sign_in(
            session,
            factory,
            cookie=cookies.read_cookie(request, mfa.PENDING_COOKIE, settings=settings),
            body=body,
            box=_box(request),
            settings=settings,
            now=now,
            client_address=client_address(request),
        )
    except mfa.WrongSecondFactor as exc:
        await security_events.member_sign_in_failed(
            factory,
            org_id=exc.user.org_id,
            member_id=exc.user.id,
            email=exc.user.email,
            method="mfa",
            reason="wrong_code",
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            now=now,
        )
        raise
    await security_events.signed_in(
        session,
        org_id=org.org_id,
        member_id=user.id,
        email=user.email,
        method="mfa",
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    set_session_cookie(request, response, token, settings)
    cookies.delete_cookie(request, response, mfa.PENDING_COOKIE, settings=settings)
    _no_store(response)
    return _me(org, user, "session", ROLE_SCOPES[user.role])


# Not an idempotent route: its body holds a password, and a replay key would keep a fast hash of it at rest.
@password_router.post(
    "/auth/reauthenticate",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Confirm your password or a code again: sensitive actions follow for SIGHTLINE_REAUTH_MINUTES",
    responses=problem_responses(401, 429),
)
async def reauthenticate(
    body: Reauthenticate,
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> Response:
    await mfa.reauthenticate(
        session,
        request.app.state.side_session_factory,
        principal=principal,
        body=body,
        box=_box(request),
        settings=settings,
        now=now,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/logout", tags=["auth"], status_code=status.HTTP_204_NO_CONTENT, summary="End the current session")
async def logout(
    request: Request, principal: Annotated[Principal, Depends(current_principal)], session: DbSession, now: Clock
) -> Response:
    await service.logout(session, principal=principal, now=now)
    await security_events.signed_out(
        session,
        principal=principal,
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.delete_cookie(request, response, SESSION_COOKIE, settings=request.app.state.settings)
    return response


# Not an idempotent route: its body holds passwords, and a replay key would keep a fast hash of them at rest.
@password_router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password (the current one is required); your other sessions end",
    responses=problem_responses(401, 429),
)
async def change_password(
    body: PasswordChange,
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> Response:
    await members.change_password(
        session,
        request.app.state.side_session_factory,
        principal=principal,
        body=body,
        settings=settings,
        now=now,
    )
    # A privilege change: this session continues under a new id (the old token is dead), the others ended.
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_session_cookie(
        request, response, await sessions.rotate(session, principal=principal, settings=settings, now=now), settings
    )
    return response


# The person's second factor (sessions only: an API key gets 403) -----------------------------------------
Person = Annotated[Principal, Depends(current_principal)]


@router.get("/me/mfa", tags=["auth"], summary="Your second factor: on or off, recovery codes left, required or not")
async def get_mfa(principal: Person, session: DbSession) -> MfaStatus:
    return await mfa.status(session, principal=principal)


@router.post(
    "/me/mfa/totp",
    tags=["auth"],
    summary="Start setting up an authenticator app (recent sign-in): its secret and QR code, for 15 minutes",
)
@reveals_secret
async def start_totp(
    principal: Person, _recent: RecentSignIn, request: Request, session: DbSession, response: Response, now: Clock
) -> TotpEnrolment:
    _no_store(response)
    return await mfa.start_enrolment(session, principal=principal, box=_box(request), now=now)


@router.post(
    "/me/mfa/totp/confirm",
    tags=["auth"],
    summary="Turn the authenticator app on with its current code: recovery codes shown once; a new session id",
    responses=problem_responses(409),
)
@reveals_secret
async def confirm_totp(
    body: TotpConfirm,
    principal: Person,
    request: Request,
    session: DbSession,
    response: Response,
    settings: SettingsDep,
    now: Clock,
) -> RecoveryCodes:
    codes = await mfa.confirm_enrolment(session, principal=principal, code=body.code, box=_box(request), now=now)
    set_session_cookie(
        request, response, await sessions.rotate(session, principal=principal, settings=settings, now=now), settings
    )
    _no_store(response)
    return RecoveryCodes(recovery_codes=codes)


@router.delete(
    "/me/mfa/totp",
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Turn the authenticator app off, recovery codes too (recent sign-in; refused when your role needs it)",
)
@reveals_secret
async def delete_totp(
    principal: Person, _recent: RecentSignIn, request: Request, session: DbSession, settings: SettingsDep, now: Clock
) -> Response:
    await mfa.disable(session, principal=principal, now=now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_session_cookie(
        request, response, await sessions.rotate(session, principal=principal, settings=settings, now=now), settings
    )
    return response


@router.post(
    "/me/mfa/recovery-codes",
    tags=["auth"],
    summary="A new set of recovery codes, shown once; the old ones stop working (recent sign-in)",
    responses=problem_responses(409),
)
@reveals_secret
async def renew_recovery_codes(
    principal: Person, _recent: RecentSignIn, session: DbSession, response: Response, now: Clock
) -> RecoveryCodes:
    _no_store(response)
    return RecoveryCodes(recovery_codes=await mfa.renew_recovery_codes(session, principal=principal, now=now))


# The person's sessions ---------------------------------------------------------------------------------
@router.get("/me/sessions", tags=["auth"], summary="Your open sessions (browsers signed in as you)")
async def list_sessions(principal: Person, session: DbSession, settings: SettingsDep) -> list[SessionPublic]:
    return await sessions.list_sessions(session, principal=principal, settings=settings)


@router.delete(
    "/me/sessions/{session_id:uuid}",  # not /me/sessions/end-others: another method there answers 405
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End one of your sessions (the current one signs you out; another one needs a recent sign-in)",
    responses=problem_responses(403, 404),
)
async def end_session(
    session_id: UUID, principal: Person, request: Request, session: DbSession, settings: SettingsDep, now: Clock
) -> Response:
    if session_id != principal.session_id:  # signing oneself out never needs the password again
        require_recent_sign_in(principal, now=now, settings=settings)
    await sessions.end_session(session, principal=principal, session_id=session_id, now=now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if session_id == principal.session_id:
        cookies.delete_cookie(request, response, SESSION_COOKIE, settings=settings)
    return response


@router.post(
    "/me/sessions/end-others",
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End all your sessions but this one (needs a recent sign-in)",
    responses=problem_responses(403),
)
async def end_other_sessions(principal: Person, session: DbSession, settings: SettingsDep, now: Clock) -> Response:
    require_recent_sign_in(principal, now=now, settings=settings)
    await sessions.end_other_sessions(session, principal=principal, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", tags=["auth"], summary="Who am I: organisation, member and permissions")
async def me(request: Request, principal: Reader, session: DbSession) -> Me:
    org = await service.get_org(session, org_id=principal.org_id)
    user = (
        await service.get_member(session, org_id=principal.org_id, member_id=principal.user_id)
        if principal.user_id
        else None
    )
    me = _me(org, user, "api_key" if principal.api_key_id else "session", principal.scopes)
    return me.model_copy(update={"email_verification_required": verification.pending(request)})


@router.get("/organisation", tags=["organisation"], summary="The organisation and its settings")
async def get_organisation(principal: Reader, session: DbSession, response: Response) -> OrganisationPublic:
    org = await service.get_org(session, org_id=principal.org_id)
    set_etag(response, org.version)
    return organisation_public(org)


@router.patch(
    "/organisation",
    tags=["organisation"],
    summary="Rename or change settings (If-Match required)",
    responses=problem_responses(412, 428),
)
async def update_organisation(
    body: OrganisationUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    settings: SettingsDep,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> OrganisationPublic:
    org = await service.update_org(
        session, principal=principal, body=body, if_match=if_match, now=now, settings=settings
    )
    set_etag(response, org.version)
    return organisation_public(org)


@router.get("/members", tags=["members"], summary="List active members")
async def list_members(
    principal: Reader,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    include_removed: Annotated[bool, Query(description="Removed members too (their `deactivated` is set)")] = False,
) -> Page[MemberPublic]:
    users, cursor = await members.list_members(
        session, principal=principal, params=params, include_removed=include_removed
    )
    return Page(items=[member_public(u) for u in users], next_cursor=cursor)


@router.post(
    "/members",
    tags=["members"],
    status_code=status.HTTP_201_CREATED,
    summary="Add a member (admin)",
    responses=problem_responses(409),
)
@reveals_secret
async def add_member(
    body: MemberCreate, principal: Admin, session: DbSession, response: Response, now: Clock
) -> MemberCreated:
    user, generated = await members.add_member(session, principal=principal, body=body, now=now)
    set_etag(response, user.version)
    return MemberCreated(**member_public(user).model_dump(), initial_password=generated)


@router.get("/members/{member_id}", tags=["members"], summary="Get a member", responses=problem_responses(404))
async def get_member(
    member_id: UUID,
    principal: Reader,
    session: DbSession,
    response: Response,
    include_removed: Annotated[bool, Query(description="Answer for a removed member too (404 otherwise)")] = False,
) -> MemberPublic:
    user = await service.get_member(session, org_id=principal.org_id, member_id=member_id)
    if user.deactivated_at is not None and not include_removed:
        raise NotFound("member")
    set_etag(response, user.version)
    return member_public(user)


@router.patch(
    "/members/{member_id}",
    tags=["members"],
    summary="Rename or change the role of a member (admin)",
    responses=problem_responses(404, 409, 412),
)
async def update_member(
    member_id: UUID,
    body: MemberUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    settings: SettingsDep,
    now: Clock,
    if_match: IfMatch = None,
) -> MemberPublic:
    if body.role is not None:
        require_recent_sign_in(principal, now=now, settings=settings)  # a role is a privilege
    user = await members.update_member(
        session, principal=principal, member_id=member_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, user.version)
    return member_public(user)


@router.delete(
    "/members/{member_id}",
    tags=["members"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member: deactivated, sessions ended, API keys they made revoked (admin)",
    responses=problem_responses(404, 409),
)
async def remove_member(member_id: UUID, principal: Admin, session: DbSession, now: Clock) -> Response:
    await members.remove_member(session, principal=principal, member_id=member_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/members/{member_id}/password-reset",
    tags=["members"],
    summary="Give a member a new generated password, shown once; their sessions end (admin; not an owner's)",
    responses=problem_responses(404),
)
@reveals_secret
async def reset_member_password(
    member_id: UUID, principal: Admin, _recent: RecentSignIn, session: DbSession, now: Clock
) -> PasswordReset:
    _, password = await members.reset_password(session, principal=principal, member_id=member_id, now=now)
    return PasswordReset(password=password)


@router.get("/api-keys", tags=["api-keys"], summary="List API keys (admin; secrets are never shown again)")
async def list_api_keys(
    principal: Admin,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    include_revoked: Annotated[bool, Query(description="Revoked keys too (their `revoked_at` is set)")] = False,
) -> Page[ApiKeyPublic]:
    keys, cursor = await api_keys.list_api_keys(
        session, principal=principal, params=params, include_revoked=include_revoked
    )
    return Page(items=keys, next_cursor=cursor)


@router.post(
    "/api-keys",
    tags=["api-keys"],
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key; the secret is in this response only (admin)",
)
@reveals_secret
async def create_api_key(
    body: ApiKeyCreate, principal: Admin, _recent: RecentSignIn, session: DbSession, response: Response, now: Clock
) -> ApiKeyCreated:
    key, creator, secret = await api_keys.create_api_key(session, principal=principal, body=body, now=now)
    set_etag(response, key.version)
    return ApiKeyCreated(**api_key_public(key, creator).model_dump(), secret=secret)


@router.get(
    "/api-keys/{key_id}",
    tags=["api-keys"],
    summary="Get an API key (admin)",
    responses=problem_responses(404),
)
async def get_api_key(
    key_id: UUID,
    principal: Admin,
    session: DbSession,
    response: Response,
    include_revoked: Annotated[bool, Query(description="Answer for a revoked key too (404 otherwise)")] = False,
) -> ApiKeyPublic:
    key = await api_keys.get_api_key(session, principal=principal, key_id=key_id)
    if key.revoked_at is not None and not include_revoked:
        raise NotFound("API key")
    set_etag(response, key.version)
    return await api_keys.api_key_view(session, principal=principal, key=key)


@router.delete(
    "/api-keys/{key_id}",
    tags=["api-keys"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key: refused from the next request on (admin)",
    responses=problem_responses(404),
)
async def revoke_api_key(key_id: UUID, principal: Admin, session: DbSession, now: Clock) -> Response:
    await api_keys.revoke_api_key(session, principal=principal, key_id=key_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
