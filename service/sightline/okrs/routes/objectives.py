"""HTTP routes of the OKR core: Objectives."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Request, Response, status

from sightline.db.tenancy import set_tenant
from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.jsonutil import answer
from sightline.http.pagination import Page
from sightline.http.params import IfMatchRequired, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity.credentials import NOT_FETCHED, fetched_document, with_document
from sightline.okrs import objectives, reads
from sightline.okrs.schemas import (
    Kind,
    Level,
    ObjectiveCreate,
    ObjectivePublic,
    ObjectiveState,
    ObjectiveUpdate,
)
from sightline.scoring import Status

router = api_router(authenticated=True)
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get(
    "/objectives",
    tags=["objectives"],
    summary="List objectives with their key results and progress",
    response_model=Page[ObjectivePublic],
)
async def list_objectives(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    now: Clock,
    cycle_id: UUID | None = None,
    team_id: UUID | None = None,
    owner_id: UUID | None = None,
    state: ObjectiveState | None = None,
    level: Level | None = None,
    kind: Kind | None = None,
    status: Annotated[Status | None, Query(description="Only objectives whose rolled-up status is this")] = None,
) -> Response:
    items, cursor = await objectives.list_objectives(
        session,
        org_id=principal.org_id,
        params=paging,
        now=now,
        cycle_id=cycle_id,
        team_id=team_id,
        owner_id=owner_id,
        state=state,
        level=level,
        kind=kind,
        status=status,
    )
    return answer({"items": items, "next_cursor": cursor})


@router.post(
    "/objectives",
    tags=["objectives"],
    status_code=CREATED,
    summary="Create an objective",
    responses=problem_responses(404, 409),
)
async def create_objective(
    body: ObjectiveCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> ObjectivePublic:
    objective = await objectives.create_objective(session, principal=principal, body=body, now=now)
    set_etag(response, objective.version)
    return objective


@router.get(
    "/objectives/{objective_id}",
    tags=["objectives"],
    summary="Get an objective",
    responses=ONE,
    response_model=ObjectivePublic,
)
@with_document(reads.OBJECTIVE)
async def get_objective(
    objective_id: UUID, principal: Reader, request: Request, session: DbSession, response: Response, now: Clock
) -> Response | ObjectivePublic:
    document = fetched_document(request)
    if document is not NOT_FETCHED:
        answer = reads.answer_objective(document, now)
        if answer is not None:
            return answer
        # A stale stored roll-up from children: the full recomputation (the credential was resolved on the
        # read pool, so this transaction is scoped here).
        await set_tenant(session, principal.org_id)
    objective = await objectives.read_objective(session, org_id=principal.org_id, objective_id=objective_id, now=now)
    set_etag(response, objective.version)
    return objective


@router.patch(
    "/objectives/{objective_id}",
    tags=["objectives"],
    summary="Edit an objective (If-Match required)",
    responses=WRITE_ONE,
)
async def update_objective(
    objective_id: UUID,
    body: ObjectiveUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> ObjectivePublic:
    objective = await objectives.update_objective(
        session, principal=principal, objective_id=objective_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, objective.version)
    return objective


@router.delete(
    "/objectives/{objective_id}",
    tags=["objectives"],
    status_code=NO_CONTENT,
    summary="Archive an objective (If-Match required)",
    responses=WRITE_ONE,
)
async def archive_objective(
    objective_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatchRequired = None
) -> Response:
    await objectives.archive_objective(
        session, principal=principal, objective_id=objective_id, if_match=if_match, now=now
    )
    return Response(status_code=NO_CONTENT)
