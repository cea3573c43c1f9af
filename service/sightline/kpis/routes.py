"""HTTP routes of KPIs: the KPI and its values over time."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatchRequired, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.kpis import service, values
from sightline.kpis.schemas import KpiCreate, KpiPublic, KpiUpdate, KpiValueCreate, KpiValuePublic
from sightline.kpis.status import KpiStatus

router = api_router(authenticated=True, tags=["kpis"])
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


@router.get("/kpis", summary="List KPIs with their latest value and status")
async def list_kpis(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    team_id: UUID | None = None,
    owner_id: UUID | None = None,
    status: Annotated[KpiStatus | None, Query(description="Only KPIs whose latest value has this status")] = None,
    include_archived: bool = False,
) -> Page[KpiPublic]:
    items, cursor = await service.list_kpis(
        session,
        org_id=principal.org_id,
        params=paging,
        team_id=team_id,
        owner_id=owner_id,
        status=status,
        include_archived=include_archived,
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/kpis", status_code=status.HTTP_201_CREATED, summary="Create a KPI", responses=problem_responses(404))
async def create_kpi(
    body: KpiCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> KpiPublic:
    kpi = await service.create_kpi(session, principal=principal, body=body, now=now)
    set_etag(response, kpi.version)
    return kpi


@router.get("/kpis/{kpi_id}", summary="Get a KPI", responses=ONE)
async def get_kpi(kpi_id: UUID, principal: Reader, session: DbSession, response: Response) -> KpiPublic:
    kpi = await service.read_kpi(session, org_id=principal.org_id, kpi_id=kpi_id)
    set_etag(response, kpi.version)
    return kpi


@router.patch("/kpis/{kpi_id}", summary="Edit a KPI (If-Match required)", responses=WRITE_ONE)
async def update_kpi(
    kpi_id: UUID,
    body: KpiUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> KpiPublic:
    kpi = await service.update_kpi(session, principal=principal, kpi_id=kpi_id, body=body, if_match=if_match, now=now)
    set_etag(response, kpi.version)
    return kpi


@router.delete(
    "/kpis/{kpi_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Archive a KPI (If-Match required): its values stay as history",
    responses=WRITE_ONE,
)
async def archive_kpi(
    kpi_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatchRequired = None
) -> Response:
    await service.archive_kpi(session, principal=principal, kpi_id=kpi_id, if_match=if_match, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/kpis/{kpi_id}/values",
    status_code=status.HTTP_201_CREATED,
    summary="Record a KPI value; every key result following the KPI gets it as a check-in",
    responses=problem_responses(404, 409),
)
async def record_value(
    kpi_id: UUID, body: KpiValueCreate, principal: Writer, session: DbSession, now: Clock
) -> KpiValuePublic:
    return await values.record_value(session, principal=principal, kpi_id=kpi_id, body=body, now=now)


@router.get("/kpis/{kpi_id}/values", summary="A KPI's values, newest time point first", responses=ONE)
async def list_values(kpi_id: UUID, principal: Reader, session: DbSession, paging: Paging) -> Page[KpiValuePublic]:
    items, cursor = await values.list_values(session, org_id=principal.org_id, kpi_id=kpi_id, params=paging)
    return Page(items=items, next_cursor=cursor)
