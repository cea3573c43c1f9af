"""HTTP routes of "forgot password": ask for a link by email, set a new password with it."""

from __future__ import annotations

from fastapi import Request, Response, status

from sightline.http.client import client_address
from sightline.http.deps import Clock, DbSession
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import password_reset
from sightline.identity.invitation_schemas import PasswordResetConfirm, PasswordResetRequest
from sightline.identity.routes.common import SettingsDep

# Public: the person cannot sign in, which is the point.
public_router = api_router(authenticated=False, tags=["auth"], problems=(400, 413, 415, 422))


@public_router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body: the contract documents none
    summary="Forgot password: a single-use link (1 hour) is emailed if the address has an account; the answer "
    "is the same either way",
    responses=problem_responses(429),
)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, session: DbSession, settings: SettingsDep, now: Clock
) -> Response:
    await password_reset.count_request(
        request.app.state.side_session_factory,
        email=body.email,
        address=client_address(request),
        settings=settings,
        now=now,
    )
    await password_reset.request_reset(
        session, email=body.email, organisation_id=body.organisation_id, settings=settings, now=now
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)


@public_router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the token of a reset link (single use); every session of the member ends",
    responses=problem_responses(403),
)
async def confirm_password_reset(body: PasswordResetConfirm, session: DbSession, now: Clock) -> Response:
    await password_reset.confirm(session, token=body.token, new_password=body.new_password, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
