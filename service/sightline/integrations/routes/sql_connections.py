"""HTTP routes of SQL connections (admin): register, read, edit, delete, check."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from fastapi import Response, status

from sightline.http.deps import Admin, Clock, DbSession, UrlRules
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.integrations import connections, manual_runs
from sightline.integrations.routes.common import ONE, WRITE_ONE, Box, Sources
from sightline.integrations.schemas import (
    ConnectionCheck,
    SqlConnectionCreate,
    SqlConnectionPublic,
    SqlConnectionUpdate,
)

router = api_router(authenticated=True)
CONNECTIONS: list[str | Enum] = ["sql-connections"]


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
    policy: UrlRules,
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
    policy: UrlRules,
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
