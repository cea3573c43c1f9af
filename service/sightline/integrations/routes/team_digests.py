"""HTTP routes of weekly team digests (admin), and a team's digest as of now."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from fastapi import Response, status

from sightline.http.deps import Admin, Clock, DbSession, Reader
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.integrations import digest
from sightline.integrations.routes.common import ONE, WRITE_ONE
from sightline.integrations.schemas import (
    DigestSent,
    TeamDigestContent,
    TeamDigestCreate,
    TeamDigestPublic,
    TeamDigestUpdate,
)

router = api_router(authenticated=True)
DIGESTS: list[str | Enum] = ["team-digests"]


@router.get("/team-digests", tags=DIGESTS, summary="List weekly team digests (admin)")
async def list_digests(
    principal: Admin, session: DbSession, paging: Paging, team_id: UUID | None = None
) -> Page[TeamDigestPublic]:
    rows, cursor = await digest.list_digests(session, org_id=principal.org_id, params=paging, team_id=team_id)
    return Page(items=[digest.digest_public(d) for d in rows], next_cursor=cursor)


@router.post(
    "/team-digests",
    tags=DIGESTS,
    status_code=status.HTTP_201_CREATED,
    summary="Send a team's weekly digest to a webhook endpoint on a weekday and hour (admin)",
    responses=problem_responses(404, 409),
)
async def create_digest(
    body: TeamDigestCreate, principal: Admin, session: DbSession, response: Response, now: Clock
) -> TeamDigestPublic:
    created = await digest.create_digest(session, principal=principal, body=body, now=now)
    set_etag(response, created.version)
    return digest.digest_public(created)


@router.get("/team-digests/{digest_id}", tags=DIGESTS, summary="Get a team digest (admin)", responses=ONE)
async def get_digest(digest_id: UUID, principal: Admin, session: DbSession, response: Response) -> TeamDigestPublic:
    found = await digest.get_digest(session, org_id=principal.org_id, digest_id=digest_id)
    set_etag(response, found.version)
    return digest.digest_public(found)


@router.patch(
    "/team-digests/{digest_id}", tags=DIGESTS, summary="Move a team digest's weekly slot (admin)", responses=WRITE_ONE
)
async def update_digest(
    digest_id: UUID,
    body: TeamDigestUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatch = None,
) -> TeamDigestPublic:
    updated = await digest.update_digest(
        session, principal=principal, digest_id=digest_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, updated.version)
    return digest.digest_public(updated)


@router.delete(
    "/team-digests/{digest_id}",
    tags=DIGESTS,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop sending a team digest (admin)",
    responses=WRITE_ONE,
)
async def delete_digest(
    digest_id: UUID, principal: Admin, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await digest.delete_digest(session, principal=principal, digest_id=digest_id, if_match=if_match, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/team-digests/{digest_id}/send",
    tags=DIGESTS,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the digest to its endpoint now; delivered and retried like any webhook (admin)",
    responses=ONE,
)
async def send_digest(digest_id: UUID, principal: Admin, session: DbSession, now: Clock) -> DigestSent:
    return await digest.send_now(session, principal=principal, digest_id=digest_id, now=now)


@router.get(
    "/teams/{team_id}/digest",
    tags=["teams"],  # beside the team it describes
    summary="The team's digest as of now: at risk, status changes of the past 7 days, check-ins due",
    responses=ONE,
)
async def preview_digest(team_id: UUID, principal: Reader, session: DbSession, now: Clock) -> TeamDigestContent:
    return await digest.build_digest(session, org_id=principal.org_id, team_id=team_id, now=now)
