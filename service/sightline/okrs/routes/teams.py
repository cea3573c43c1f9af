"""HTTP routes of the OKR core: Teams."""

from __future__ import annotations

from uuid import UUID

from fastapi import Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.okrs import teams
from sightline.okrs.schemas import (
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)

router = api_router(authenticated=True)
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get("/teams", tags=["teams"], summary="List teams")
async def list_teams(
    principal: Reader, session: DbSession, paging: Paging, parent_id: UUID | None = None, include_archived: bool = False
) -> Page[TeamPublic]:
    items, cursor = await teams.list_teams(
        session, org_id=principal.org_id, params=paging, parent_id=parent_id, include_archived=include_archived
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/teams", tags=["teams"], status_code=CREATED, summary="Create a team", responses=ONE)
async def create_team(
    body: TeamCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> TeamPublic:
    team = await teams.create_team(session, principal=principal, body=body, now=now)
    set_etag(response, team.version)
    return team


@router.get("/teams/{team_id}", tags=["teams"], summary="Get a team", responses=ONE)
async def get_team(team_id: UUID, principal: Reader, session: DbSession, response: Response) -> TeamPublic:
    team = await teams.read_team(session, org_id=principal.org_id, team_id=team_id)
    set_etag(response, team.version)
    return team


@router.patch("/teams/{team_id}", tags=["teams"], summary="Rename, move, change lead or members", responses=WRITE_ONE)
async def update_team(
    team_id: UUID,
    body: TeamUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatch = None,
) -> TeamPublic:
    team = await teams.update_team(session, principal=principal, team_id=team_id, body=body, if_match=if_match, now=now)
    set_etag(response, team.version)
    return team


@router.delete(
    "/teams/{team_id}", tags=["teams"], status_code=NO_CONTENT, summary="Archive a team", responses=WRITE_ONE
)
async def archive_team(
    team_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await teams.archive_team(session, principal=principal, team_id=team_id, if_match=if_match, now=now)
    return Response(status_code=NO_CONTENT)
