"""HTTP routes of sign-up email verification: use a link, ask for a new one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response, status
from pydantic import Field

from sightline.auth import Principal
from sightline.config import Settings
from sightline.errors import Forbidden
from sightline.http.deps import Clock, DbSession, current_principal
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import verification
from sightline.inputs import StrictInput


class VerifyEmail(StrictInput):
    token: str = Field(min_length=1, max_length=200, description="The `token` of the link in the message")


# Public: the link may be opened in a browser that is not signed in.
public_router = api_router(authenticated=False, tags=["auth"], problems=(400, 413, 415, 422))
router = api_router(authenticated=True, tags=["auth"])


@public_router.post(
    "/auth/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Confirm a sign-up's email address with the token of the link sent to it (single use, 24 h)",
)
async def verify_email(body: VerifyEmail, session: DbSession, now: Clock) -> Response:
    await verification.verify(session, token=body.token, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # no body: the contract documents none
    summary="Send a new verification link to the signed-in person (one a minute, five a day); earlier links stop",
    responses=problem_responses(409, 429),
)
async def resend_verification(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    session: DbSession,
    now: Clock,
) -> Response:
    if principal.user_id is None or principal.session_id is None:
        raise Forbidden("sign in as the person whose address is to be verified")
    settings: Settings = request.app.state.settings
    await verification.resend(session, org_id=principal.org_id, user_id=principal.user_id, settings=settings, now=now)
    return Response(status_code=status.HTTP_202_ACCEPTED)
