"""HTTP routes of integrations (admin): create, preview, edit, delete, pull now, the run log."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from fastapi import Response, status

from sightline.http.deps import Admin, Clock, DbSession, SessionFactory, UrlRules
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.integrations import manual_runs, preview, service
from sightline.integrations.routes.common import ONE, WRITE_ONE, Box, Sources
from sightline.integrations.schemas import (
    IntegrationCreate,
    IntegrationPublic,
    IntegrationRunPublic,
    IntegrationStatus,
    IntegrationUpdate,
    PullPreview,
    PullPreviewInput,
    RunOutcome,
)

router = api_router(authenticated=True)
INTEGRATIONS: list[str | Enum] = ["integrations"]


def _run_public(run: object) -> IntegrationRunPublic:
    return IntegrationRunPublic.model_validate(run, from_attributes=True)


@router.get("/integrations", tags=INTEGRATIONS, summary="List integrations (admin)")
async def list_integrations(
    principal: Admin,
    session: DbSession,
    paging: Paging,
    key_result_id: UUID | None = None,
    kpi_id: UUID | None = None,
    status: IntegrationStatus | None = None,
) -> Page[IntegrationPublic]:
    rows, cursor = await service.list_integrations(
        session, org_id=principal.org_id, params=paging, key_result_id=key_result_id, status=status, kpi_id=kpi_id
    )
    return Page(items=[service.integration_public(i) for i in rows], next_cursor=cursor)


@router.post(
    "/integrations",
    tags=INTEGRATIONS,
    status_code=status.HTTP_201_CREATED,
    summary="Pull a key result's or a KPI's values from an HTTP or SQL source on a schedule (admin)",
    responses=problem_responses(404, 409),
)
async def create_integration(
    body: IntegrationCreate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: UrlRules,
    box: Box,
    now: Clock,
) -> IntegrationPublic:
    integration = await service.create_integration(
        session, principal=principal, body=body, policy=policy, box=box, now=now
    )
    set_etag(response, integration.version)
    return service.integration_public(integration)


@router.post(
    "/integrations/preview",
    tags=INTEGRATIONS,
    summary="Try a source before saving it: one pull that records nothing; the value or why it failed (admin)",
    responses=problem_responses(404, 429),
)
async def preview_integration(
    body: PullPreviewInput,
    principal: Admin,
    session: DbSession,
    policy: UrlRules,
    fetchers: Sources,
    now: Clock,
) -> PullPreview:
    return await preview.preview_pull(
        session, principal=principal, body=body, policy=policy, fetchers=fetchers, now=now
    )


@router.get("/integrations/{integration_id}", tags=INTEGRATIONS, summary="Get an integration (admin)", responses=ONE)
async def get_integration(
    integration_id: UUID, principal: Admin, session: DbSession, response: Response
) -> IntegrationPublic:
    integration = await service.get_integration(session, org_id=principal.org_id, integration_id=integration_id)
    set_etag(response, integration.version)
    return service.integration_public(integration)


@router.patch(
    "/integrations/{integration_id}",
    tags=INTEGRATIONS,
    summary="Rename, reschedule, disable or re-enable an integration, or replace its source (admin)",
    responses=WRITE_ONE,
)
async def update_integration(
    integration_id: UUID,
    body: IntegrationUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: UrlRules,
    box: Box,
    now: Clock,
    if_match: IfMatch = None,
) -> IntegrationPublic:
    integration = await service.update_integration(
        session,
        principal=principal,
        integration_id=integration_id,
        body=body,
        policy=policy,
        box=box,
        if_match=if_match,
        now=now,
    )
    set_etag(response, integration.version)
    return service.integration_public(integration)


@router.delete(
    "/integrations/{integration_id}",
    tags=INTEGRATIONS,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an integration and its run log; the key result's check-ins stay (admin)",
    responses=WRITE_ONE,
)
async def delete_integration(
    integration_id: UUID, principal: Admin, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await service.delete_integration(
        session, principal=principal, integration_id=integration_id, if_match=if_match, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/integrations/{integration_id}/run",
    tags=INTEGRATIONS,
    summary="Pull now (even when disabled); the answer is the run, successful or not; 409 while it runs (admin)",
    responses=problem_responses(404, 409, 429),
)
async def run_integration(
    integration_id: UUID,
    principal: Admin,
    session: DbSession,
    factory: SessionFactory,
    fetchers: Sources,
    now: Clock,
) -> IntegrationRunPublic:
    run = await manual_runs.run_now(
        session, factory, principal=principal, integration_id=integration_id, fetchers=fetchers, now=now
    )
    return _run_public(run)


@router.get(
    "/integrations/{integration_id}/runs",
    tags=INTEGRATIONS,
    summary="The integration's run log, newest first (admin)",
    responses=ONE,
)
async def list_runs(
    integration_id: UUID, principal: Admin, session: DbSession, paging: Paging, outcome: RunOutcome | None = None
) -> Page[IntegrationRunPublic]:
    rows, cursor = await manual_runs.list_runs(
        session, org_id=principal.org_id, integration_id=integration_id, params=paging, outcome=outcome
    )
    return Page(items=[_run_public(r) for r in rows], next_cursor=cursor)
