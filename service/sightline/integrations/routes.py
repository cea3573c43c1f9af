"""HTTP routes of the integrations domain: integrations and their runs, SQL connections, team digests (admin)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response, status

from sightline.crypto import SecretBox
from sightline.http.deps import Admin, Clock, DbSession, Reader, SessionFactory
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.integrations import connections, digest, manual_runs, preview, service
from sightline.integrations.runs import Fetchers
from sightline.integrations.schemas import (
    ConnectionCheck,
    DigestSent,
    IntegrationCreate,
    IntegrationPublic,
    IntegrationRunPublic,
    IntegrationStatus,
    IntegrationUpdate,
    PullPreview,
    PullPreviewInput,
    RunOutcome,
    SqlConnectionCreate,
    SqlConnectionPublic,
    SqlConnectionUpdate,
    TeamDigestContent,
    TeamDigestCreate,
    TeamDigestPublic,
    TeamDigestUpdate,
)
from sightline.url_guard import UrlPolicy

router = api_router(authenticated=True)
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412)
INTEGRATIONS: list[str | Enum] = ["integrations"]
CONNECTIONS: list[str | Enum] = ["sql-connections"]
DIGESTS: list[str | Enum] = ["team-digests"]


def _policy(request: Request) -> UrlPolicy:
    policy: UrlPolicy = request.app.state.webhook_policy  # the operator's URL rules, shared with webhooks
    return policy


def _fetchers(request: Request) -> Fetchers:
    fetchers: Fetchers = request.app.state.integration_fetchers
    return fetchers


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


Policy = Annotated[UrlPolicy, Depends(_policy)]
Sources = Annotated[Fetchers, Depends(_fetchers)]
Box = Annotated[SecretBox, Depends(_box)]


def _run_public(run: object) -> IntegrationRunPublic:
    return IntegrationRunPublic.model_validate(run, from_attributes=True)


# Integrations ------------------------------------------------------------------------------------
@router.get("/integrations", tags=INTEGRATIONS, summary="List integrations (admin)")
async def list_integrations(
    principal: Admin,
    session: DbSession,
    paging: Paging,
    key_result_id: UUID | None = None,
    status: IntegrationStatus | None = None,
) -> Page[IntegrationPublic]:
    rows, cursor = await service.list_integrations(
        session, org_id=principal.org_id, params=paging, key_result_id=key_result_id, status=status
    )
    return Page(items=[service.integration_public(i) for i in rows], next_cursor=cursor)


@router.post(
    "/integrations",
    tags=INTEGRATIONS,
    status_code=status.HTTP_201_CREATED,
    summary="Pull a key result's values from an HTTP or SQL source on a schedule (admin)",
    responses=problem_responses(404, 409),
)
async def create_integration(
    body: IntegrationCreate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: Policy,
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
    policy: Policy,
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
    policy: Policy,
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


# SQL connections ---------------------------------------------------------------------------------
@router.get("/sql-connections", tags=CONNECTIONS, summary="List SQL connections (admin)")
async def list_connections(principal: Admin, session: DbSession, paging: Paging) -> Page[SqlConnectionPublic]:
    rows, cursor = await connections.list_connections(session, org_id=principal.org_id, params=paging)
    return Page(items=[connections.connection_public(c) for c in rows], next_cursor=cursor)


@router.post(
    "/sql-connections",
    tags=CONNECTIONS,
    status_code=status.HTTP_201_CREATED,
    summary="Register a PostgreSQL database for SQL sources; the connection string is stored encrypted (admin)",
    responses=problem_responses(409),
)
async def create_connection(
    body: SqlConnectionCreate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: Policy,
    box: Box,
    fetchers: Sources,
    now: Clock,
) -> SqlConnectionPublic:
    connection = await connections.create_connection(
        session, principal=principal, body=body, policy=policy, box=box, now=now, resolver=fetchers.sql.resolver
    )
    set_etag(response, connection.version)
    return connections.connection_public(connection)


@router.get("/sql-connections/{connection_id}", tags=CONNECTIONS, summary="Get a SQL connection (admin)", responses=ONE)
async def get_connection(
    connection_id: UUID, principal: Admin, session: DbSession, response: Response
) -> SqlConnectionPublic:
    connection = await connections.get_connection(session, org_id=principal.org_id, connection_id=connection_id)
    set_etag(response, connection.version)
    return connections.connection_public(connection)


@router.patch(
    "/sql-connections/{connection_id}",
    tags=CONNECTIONS,
    summary="Rename a SQL connection or replace its connection string (admin)",
    responses=WRITE_ONE,
)
async def update_connection(
    connection_id: UUID,
    body: SqlConnectionUpdate,
    principal: Admin,
    session: DbSession,
    response: Response,
    policy: Policy,
    box: Box,
    fetchers: Sources,
    now: Clock,
    if_match: IfMatch = None,
) -> SqlConnectionPublic:
    connection = await connections.update_connection(
        session,
        principal=principal,
        connection_id=connection_id,
        body=body,
        policy=policy,
        box=box,
        if_match=if_match,
        now=now,
        resolver=fetchers.sql.resolver,
    )
    set_etag(response, connection.version)
    return connections.connection_public(connection)


@router.delete(
    "/sql-connections/{connection_id}",
    tags=CONNECTIONS,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a SQL connection no integration uses (admin)",
    responses=WRITE_ONE,
)
async def delete_connection(
    connection_id: UUID, principal: Admin, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await connections.delete_connection(
        session, principal=principal, connection_id=connection_id, if_match=if_match, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sql-connections/{connection_id}/check",
    tags=CONNECTIONS,
    summary="Connect and run SELECT 1 read-only; the answer says whether it worked (admin)",
    responses=ONE,
)
async def check_connection(
    connection_id: UUID, principal: Admin, session: DbSession, fetchers: Sources
) -> ConnectionCheck:
    return await manual_runs.check_connection(
        session, org_id=principal.org_id, connection_id=connection_id, fetchers=fetchers
    )


# Team digests ------------------------------------------------------------------------------------
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
