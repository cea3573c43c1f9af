"""HTTP routes of initiatives: the initiative, its key-result links, its spend entries."""

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
from sightline.initiatives import reads, service, spend
from sightline.initiatives.schemas import (
    InitiativeCreate,
    InitiativeKind,
    InitiativePublic,
    InitiativeState,
    InitiativeUpdate,
    KeyResultLinks,
    SpendCreate,
    SpendEntryPublic,
)
from sightline.inputs import IsoDate

router = api_router(authenticated=True, tags=["initiatives"])
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)
AsOf = Annotated[
    IsoDate | None, Query(description="Spend figures as of the end of this day (entries dated on or before it)")
]


@router.get("/initiatives", summary="List initiatives with their key-result allocations and spend to date")
async def list_initiatives(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    now: Clock,
    as_of: AsOf = None,
    team_id: UUID | None = None,
    owner_id: UUID | None = None,
    state: InitiativeState | None = None,
    kind: InitiativeKind | None = None,
    key_result_id: Annotated[UUID | None, Query(description="Linked to this key result")] = None,
    objective_id: Annotated[UUID | None, Query(description="Linked to a key result of this objective")] = None,
    cycle_id: Annotated[UUID | None, Query(description="Linked to a key result of this cycle")] = None,
    linked: Annotated[bool | None, Query(description="false: only initiatives linked to no key result")] = None,
) -> Page[InitiativePublic]:
    items, cursor = await reads.list_initiatives(
        session,
        org_id=principal.org_id,
        params=paging,
        as_of=as_of,
        now=now,
        team_id=team_id,
        owner_id=owner_id,
        state=state,
        kind=kind,
        key_result_id=key_result_id,
        objective_id=objective_id,
        cycle_id=cycle_id,
        linked=linked,
    )
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/initiatives",
    status_code=status.HTTP_201_CREATED,
    summary="Create an initiative, optionally with its key-result links",
    responses=problem_responses(404),
)
async def create_initiative(
    body: InitiativeCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> InitiativePublic:
    initiative = await service.create_initiative(session, principal=principal, body=body, now=now)
    set_etag(response, initiative.version)
    return initiative


@router.get(
    "/initiatives/{initiative_id}", summary="Get an initiative with its spend to date (or as of a date)", responses=ONE
)
async def get_initiative(
    initiative_id: UUID, principal: Reader, session: DbSession, response: Response, now: Clock, as_of: AsOf = None
) -> InitiativePublic:
    initiative = await reads.read_initiative(
        session, org_id=principal.org_id, initiative_id=initiative_id, as_of=as_of, now=now
    )
    set_etag(response, initiative.version)
    return initiative


@router.patch("/initiatives/{initiative_id}", summary="Edit an initiative (If-Match required)", responses=WRITE_ONE)
async def update_initiative(
    initiative_id: UUID,
    body: InitiativeUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> InitiativePublic:
    initiative = await service.update_initiative(
        session, principal=principal, initiative_id=initiative_id, body=body, if_match=if_match, now=now
    )
    set_etag(response, initiative.version)
    return initiative


@router.delete(
    "/initiatives/{initiative_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an initiative without spend (If-Match required); with spend, 409: set it to dropped",
    responses=WRITE_ONE,
)
async def delete_initiative(
    initiative_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatchRequired = None
) -> Response:
    await service.delete_initiative(
        session, principal=principal, initiative_id=initiative_id, if_match=if_match, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/initiatives/{initiative_id}/key-results",
    summary="Replace the key results an initiative is linked to, with allocation shares (If-Match required)",
    responses=WRITE_ONE,
)
async def replace_key_results(
    initiative_id: UUID,
    body: KeyResultLinks,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatchRequired = None,
) -> InitiativePublic:
    initiative = await service.replace_key_results(
        session, principal=principal, initiative_id=initiative_id, links=body.key_results, if_match=if_match, now=now
    )
    set_etag(response, initiative.version)
    return initiative


# Spend (append-only: no update or delete route exists; a correction is a negative entry) --------
@router.post(
    "/initiatives/{initiative_id}/spend",
    status_code=status.HTTP_201_CREATED,
    summary="Record spend, or correct earlier spend with a negative amount and a reason",
    responses=ONE,
)
async def record_spend(
    initiative_id: UUID, body: SpendCreate, principal: Writer, session: DbSession, now: Clock
) -> SpendEntryPublic:
    return await spend.record_spend(session, principal=principal, initiative_id=initiative_id, body=body, now=now)


@router.get(
    "/initiatives/{initiative_id}/spend",
    summary="Spend entries of an initiative by date spent",
    responses=ONE,
)
async def list_spend(
    initiative_id: UUID,
    principal: Reader,
    session: DbSession,
    paging: Paging,
    until: Annotated[IsoDate | None, Query(description="Only entries dated on or before this day")] = None,
) -> Page[SpendEntryPublic]:
    items, cursor = await spend.list_spend(
        session, org_id=principal.org_id, initiative_id=initiative_id, params=paging, until=until
    )
    return Page(items=items, next_cursor=cursor)
