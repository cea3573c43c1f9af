"""HTTP routes of the signed-in person: their second factor, their sessions, who they are."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response, status

from sightline.auth import require_recent_sign_in
from sightline.http import cookies
from sightline.http.deps import SESSION_COOKIE, Clock, DbSession, Reader, RecentSignIn
from sightline.http.idempotency import reveals_secret
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import mfa, service, sessions, verification
from sightline.identity.routes.common import Person, SettingsDep, me_view, no_store, secret_box, set_session_cookie
from sightline.identity.schemas import Me, MfaStatus, RecoveryCodes, SessionPublic, TotpConfirm, TotpEnrolment

router = api_router(authenticated=True)


# The person's second factor (sessions only: an API key gets 403) -----------------------------------------


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
    no_store(response)
    return await mfa.start_enrolment(session, principal=principal, box=secret_box(request), now=now)


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
    codes = await mfa.confirm_enrolment(session, principal=principal, code=body.code, box=secret_box(request), now=now)
    set_session_cookie(
        request, response, await sessions.rotate(session, principal=principal, settings=settings, now=now), settings
    )
    no_store(response)
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
    no_store(response)
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
    me = me_view(org, user, "api_key" if principal.api_key_id else "session", principal.scopes)
    return me.model_copy(update={"email_verification_required": verification.pending(request)})
