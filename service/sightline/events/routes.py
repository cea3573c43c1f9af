"""The audit log over HTTP."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query

from sightline.events import service
from sightline.events.schemas import EventPublic
from sightline.http.deps import DbSession, Reader
from sightline.http.pagination import Page
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router

router = api_router(authenticated=True, problems=(400, 401, 403, 422))


@router.get(
    "/events",
    tags=["events"],
    summary="The audit log: every change, oldest first",
    description="Credentials never appear in `before`/`after`: in URLs and DSNs the user-info, query values and "
    "fragment (and the path of capability URLs such as Slack's), header values and secret fields read `REDACTED`. "
    "Events about admin-only configuration (webhook endpoints and digests, integrations, SQL connections, single "
    "sign-on, API keys) are listed for admins only; a person's security events (sign-ins, failed sign-ins, "
    "sign-outs, passwords, second factor, sessions) for admins and that person's own sessions.",
)
async def list_events(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    object_id: UUID | None = None,
    type: Annotated[
        str | None,
        Query(
            max_length=100, pattern=r"^[a-z_]+(\.[a-z_]+|\.\*)*$", description="e.g. check_in.created or objective.*"
        ),
    ] = None,
) -> Page[EventPublic]:
    rows, cursor = await service.list_events(
        session, principal=principal, params=paging, object_id=object_id, type=type
    )
    return Page(items=[EventPublic.model_validate(e, from_attributes=True) for e in rows], next_cursor=cursor)


@router.get(
    "/events/{event_id}",
    tags=["events"],
    summary="One event of the audit log",
    description="404 for an event this credential may not read (see GET /events), as for one that does not exist.",
    responses=problem_responses(404),
)
async def get_event(event_id: UUID, principal: Reader, session: DbSession) -> EventPublic:
    event = await service.get_event(session, principal=principal, event_id=event_id)
    return EventPublic.model_validate(event, from_attributes=True)
