"""HTTP routes of the OKR core: Cycles."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity.credentials import NOT_FETCHED, fetched_document, with_document
from sightline.okrs import cycles, reads
from sightline.okrs.schemas import (
    CycleCreate,
    CyclePublic,
    CycleState,
    CycleUpdate,
)

router = api_router(authenticated=True)
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get("/cycles", tags=["cycles"], summary="List cycles")
async def list_cycles(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    state: CycleState | None = None,
    parent_id: UUID | None = None,
) -> Page[CyclePublic]:
    rows, cursor = await cycles.list_cycles(
        session, org_id=principal.org_id, params=paging, state=state, parent_id=parent_id
    )
    return Page(items=[cycles.cycle_public(c) for c in rows], next_cursor=cursor)


@router.post(
    "/cycles", tags=["cycles"], status_code=CREATED, summary="Create a cycle", responses=problem_responses(404, 409)
)
async def create_cycle(
    body: CycleCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> CyclePublic:
    cycle = await cycles.create_cycle(session, principal=principal, body=body, now=now)
    set_etag(response, cycle.version)
    return cycles.cycle_public(cycle)


@router.get("/cycles/{cycle_id}", tags=["cycles"], summary="Get a cycle", responses=ONE, response_model=CyclePublic)
@with_document(reads.CYCLE)
async def get_cycle(
    cycle_id: UUID, principal: Reader, request: Request, session: DbSession, response: Response, now: Clock
) -> Response | CyclePublic:
    document = fetched_document(request)
    if document is not NOT_FETCHED:
        return reads.answer_cycle(document, now)
    cycle = await cycles.get_cycle(session, org_id=principal.org_id, cycle_id=cycle_id)
    set_etag(response, cycle.version)
    return cycles.cycle_public(cycle)


@router.patch(
    "/cycles/{cycle_id}", tags=["cycles"], summary="Edit a cycle or move its state forward", responses=WRITE_ONE
)
async def update_cycle(
    cycle_id: UUID,
    body: CycleUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatch = None,
) -> CyclePublic:
    cycle = await cycles.update_cycle(
        session, principal=principal, cycle_id=cycle_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, cycle.version)
    return cycles.cycle_public(cycle)


@router.delete(
    "/cycles/{cycle_id}",
    tags=["cycles"],
    status_code=NO_CONTENT,
    summary="Delete an empty cycle still in planning",
    responses=WRITE_ONE,
)
async def delete_cycle(
    cycle_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await cycles.delete_cycle(session, principal=principal, cycle_id=cycle_id, if_match=if_match, now=now)
    return Response(status_code=NO_CONTENT)
