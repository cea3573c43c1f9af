"""HTTP routes of the OKR core: Key results."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatchRequired, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.identity.credentials import NOT_FETCHED, fetched_document, with_document
from sightline.okrs import check_ins, key_results, reads
from sightline.okrs.schemas import (
    CheckInPublic,
    KeyResultCreate,
    KeyResultPublic,
    KeyResultUpdate,
)
from sightline.scoring import Status

router = api_router(authenticated=True)
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get("/key-results", tags=["key-results"], summary="List key results")
async def list_key_results(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    now: Clock,
    objective_id: UUID | None = None,
    owner_id: UUID | None = None,
    status: Status | None = None,
    cycle_id: UUID | None = None,
    include_archived: bool = False,
) -> Page[KeyResultPublic]:
    items, cursor = await key_results.list_key_results(
        session,
        org_id=principal.org_id,
        params=paging,
        now=now,
        objective_id=objective_id,
        owner_id=owner_id,
        status=status,
        cycle_id=cycle_id,
        include_archived=include_archived,
    )
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/key-results",
    tags=["key-results"],
    status_code=CREATED,
    summary="Create a key result",
    responses=problem_responses(404, 409),
)
async def create_key_result(
    body: KeyResultCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> KeyResultPublic:
    kr = await key_results.create_key_result(session, principal=principal, body=body, now=now)
    set_etag(response, kr.version)
    return kr


@router.get(
    "/key-results/{key_result_id}",
    tags=["key-results"],
    summary="Get a key result",
    responses=ONE,
    response_model=KeyResultPublic,
)
@with_document(reads.KEY_RESULT)
async def get_key_result(
    key_result_id: UUID, principal: Reader, request: Request, session: DbSession, response: Response, now: Clock
) -> Response | KeyResultPublic:
    document = fetched_document(request)
    if document is not NOT_FETCHED:
        return reads.answer_key_result(document, now)
    kr = await key_results.read_key_result(session, org_id=principal.org_id, key_result_id=key_result_id, now=now)
    set_etag(response, kr.version)
    return kr


@router.patch(
    "/key-results/{key_result_id}",
    tags=["key-results"],
    summary="Edit a key result (If-Match required)",
    responses=WRITE_ONE,
)
async def update_key_result(
    key_result_id: UUID,
    body: KeyResultUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> KeyResultPublic:
    kr = await key_results.update_key_result(
        session, principal=principal, key_result_id=key_result_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, kr.version)
    return kr


@router.delete(
    "/key-results/{key_result_id}",
    tags=["key-results"],
    status_code=NO_CONTENT,
    summary="Archive a key result (If-Match required)",
    responses=WRITE_ONE,
)
async def archive_key_result(
    key_result_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatchRequired = None
) -> Response:
    await key_results.archive_key_result(
        session, principal=principal, key_result_id=key_result_id, if_match=if_match, now=now
    )
    return Response(status_code=NO_CONTENT)


@router.get(
    "/key-results/{key_result_id}/check-ins",
    tags=["check-ins"],
    responses=ONE,
    summary="Check-in history of a key result in time order, corrections marked",
)
async def key_result_history(
    key_result_id: UUID, principal: Reader, session: DbSession, paging: Paging
) -> Page[CheckInPublic]:
    items, cursor = await check_ins.history(
        session, org_id=principal.org_id, key_result_id=key_result_id, params=paging
    )
    return Page(items=items, next_cursor=cursor)
