"""HTTP routes of invitations: an admin invites, lists, revokes and resends; the person previews and accepts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response, status

from sightline.auth import PRIVILEGED_ROLES, require_recent_sign_in
from sightline.db.keyset import PageParams
from sightline.http.client import client_address
from sightline.http.deps import Admin, Clock, DbSession
from sightline.http.pagination import Page, page_params
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity import invitations
from sightline.identity.invitation_schemas import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCreate,
    InvitationPreview,
    InvitationPublic,
    InvitationToken,
)
from sightline.identity.routes.common import SettingsDep, no_store, open_session
from sightline.identity.service import get_org

router = api_router(authenticated=True, tags=["members"])
# Public: the person invited has no credential yet.
public_router = api_router(authenticated=False, tags=["members"], problems=(400, 413, 415, 422))


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a person by email with a role (at most your own) and a team (admin); a link is sent (7 days)",
    responses=problem_responses(409),
)
async def create_invitation(
    body: InvitationCreate, principal: Admin, session: DbSession, settings: SettingsDep, now: Clock
) -> InvitationPublic:
    if body.role in PRIVILEGED_ROLES:
        require_recent_sign_in(principal, now=now, settings=settings)  # as adding an admin directly
    row = await invitations.invite(session, principal=principal, body=body, settings=settings, now=now)
    return invitations.invitation_public(row)


@router.get("/invitations", summary="Invitations not yet accepted nor revoked, expired ones too (admin)")
async def list_invitations(
    principal: Admin, session: DbSession, params: Annotated[PageParams, Depends(page_params)]
) -> Page[InvitationPublic]:
    rows, cursor = await invitations.list_open(session, principal=principal, params=params)
    return Page(items=[invitations.invitation_public(r) for r in rows], next_cursor=cursor)


@router.delete(
    "/invitations/{invitation_id:uuid}",  # not /invitations/accept: another method there answers 405
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an invitation: its link stops working (admin)",
    responses=problem_responses(404),
)
async def revoke_invitation(invitation_id: UUID, principal: Admin, session: DbSession, now: Clock) -> Response:
    await invitations.revoke(session, principal=principal, invitation_id=invitation_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations/{invitation_id:uuid}/resend",
    summary="Send a new link (7 days from now; one a minute); the earlier link stops working (admin)",
    responses=problem_responses(404, 429),
)
async def resend_invitation(
    invitation_id: UUID, principal: Admin, session: DbSession, settings: SettingsDep, now: Clock
) -> InvitationPublic:
    row = await invitations.resend(
        session, principal=principal, invitation_id=invitation_id, settings=settings, now=now
    )
    return invitations.invitation_public(row)


@public_router.post(
    "/invitations/preview",
    summary="What an invitation link is for (organisation, email, role, how to sign in); it stays unused",
)
async def preview_invitation(body: InvitationToken, session: DbSession, now: Clock) -> InvitationPreview:
    row = await invitations.find(session, token=body.token, now=now)
    org = await get_org(session, org_id=row.org_id)
    sso = await invitations.signs_in_with_sso(session, row)
    return InvitationPreview(
        organisation_name=org.name,
        email=row.email,
        role=row.role,  # type: ignore[arg-type]
        sign_in="sso" if sso else "password",
        expires_at=row.expires_at,
    )


@public_router.post(
    "/invitations/accept",
    summary="Accept an invitation: become a member with your name and password (signed in: the session cookie "
    "is set), or, under single sign-on, with your name (then sign in at sso_start_url)",
    responses=problem_responses(409),
)
async def accept_invitation(
    body: InvitationAccept,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    now: Clock,
) -> InvitationAccepted:
    org, user, token = await invitations.accept(
        session,
        token=body.token,
        name=body.name,
        password=body.password,
        settings=settings,
        now=now,
        user_agent=request.headers.get("user-agent"),
        client_address=client_address(request),
    )
    no_store(response)
    if token is None:
        return InvitationAccepted(sign_in="sso", sso_start_url=f"{invitations.SSO_START}{org.org_id}")
    me = await open_session(
        request, response, session, org=org, user=user, token=token, method="password", settings=settings, now=now
    )
    return InvitationAccepted(sign_in="session", me=me)
