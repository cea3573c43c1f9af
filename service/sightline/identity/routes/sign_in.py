"""HTTP routes of signing up and in: sign-up, sign-in (password, second factor), re-authentication, sign-out,
changing your password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response, status
from fastapi.responses import JSONResponse

from sightline.auth import Principal
from sightline.errors import TooManyRequests, Unauthorized
from sightline.http import cookies
from sightline.http.client import client_address
from sightline.http.deps import SESSION_COOKIE, Clock, DbSession, current_principal
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import members, mfa, security_events, service, sessions
from sightline.identity.routes.common import (
    SettingsDep,
    me_view,
    open_session,
    secret_box,
    set_pending_sign_in,
    set_session_cookie,
)
from sightline.identity.schemas import (
    LoginRequest,
    Me,
    MfaChallenge,
    MfaSignIn,
    PasswordChange,
    Reauthenticate,
    SignupRequest,
)

# Public: sign-up and sign-in happen before there is a credential (and so without Idempotency-Key:
# keys are scoped to an organisation).
public_router = api_router(authenticated=False, tags=["auth"], problems=(400, 403, 413, 415, 422))
router = api_router(authenticated=True)
# Signed in, but no Idempotency-Key: these bodies hold passwords, which a replay key would keep (hashed) at rest.
password_router = api_router(authenticated=True, idempotent=False, tags=["auth"])


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
    me = me_view(org, owner, "session", frozenset({"read", "write", "admin", "owner"}))
    return me.model_copy(update={"email_verification_required": settings.signup_verify_email})


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
    return await open_session(
        request, response, session, org=org, user=user, token=token, method="password", settings=settings, now=now
    )


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
            box=secret_box(request),
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
    cookies.delete_cookie(request, response, mfa.PENDING_COOKIE, settings=settings)
    return await open_session(
        request, response, session, org=org, user=user, token=token, method="mfa", settings=settings, now=now
    )


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
        box=secret_box(request),
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
