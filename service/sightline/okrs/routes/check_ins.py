"""HTTP routes of the OKR core: Check-ins (append-only: no update or delete route exists)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.pagination import Page
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.okrs import check_in_batch, check_ins
from sightline.okrs.schemas import (
    CheckInBatch,
    CheckInBatchResult,
    CheckInCreate,
    CheckInPublic,
)

router = api_router(authenticated=True)
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)


@router.post(
    "/check-ins",
    tags=["check-ins"],
    status_code=CREATED,
    responses=problem_responses(404, 409),
    summary="Check in a value and confidence, or correct an earlier check-in",
)
async def create_check_in(body: CheckInCreate, principal: Writer, session: DbSession, now: Clock) -> CheckInPublic:
    return await check_ins.create_check_in(session, principal=principal, body=body, now=now)


@router.post(
    "/check-ins:batch",
    tags=["check-ins"],
    status_code=CREATED,
    responses=problem_responses(409),
    summary="Up to 1,000 check-ins at once, all or nothing",
)
async def create_check_in_batch(
    body: CheckInBatch, principal: Writer, session: DbSession, now: Clock
) -> CheckInBatchResult:
    return CheckInBatchResult(items=await check_in_batch.create_batch(session, principal=principal, body=body, now=now))


@router.get("/check-ins", tags=["check-ins"], summary="List check-ins (newest recorded last)")
async def list_check_ins(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    key_result_id: Annotated[list[UUID] | None, Query(max_length=200)] = None,
) -> Page[CheckInPublic]:
    items, cursor = await check_ins.list_check_ins(
        session, org_id=principal.org_id, params=paging, key_result_ids=key_result_id
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/check-ins/{check_in_id}", tags=["check-ins"], summary="Get a check-in", responses=ONE)
async def get_check_in(check_in_id: UUID, principal: Reader, session: DbSession) -> CheckInPublic:
    return await check_ins.get_check_in(session, org_id=principal.org_id, check_in_id=check_in_id)
