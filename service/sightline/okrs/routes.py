"""HTTP routes of the OKR core: teams, cycles, objectives, key results, check-ins."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import IfMatch, IfMatchRequired, Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.okrs import check_ins, cycles, key_results, mine, objectives, teams
from sightline.okrs.schemas import (
    CheckInBatch,
    CheckInBatchResult,
    CheckInCreate,
    CheckInPublic,
    CycleCreate,
    CyclePublic,
    CycleState,
    CycleUpdate,
    KeyResultCreate,
    KeyResultPublic,
    KeyResultUpdate,
    Kind,
    Level,
    ObjectiveCreate,
    ObjectivePublic,
    ObjectiveState,
    ObjectiveUpdate,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from sightline.scoring import Status

router = api_router(authenticated=True)
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412, 428)


# Teams -------------------------------------------------------------------------------------------
@router.get("/teams", tags=["teams"], summary="List teams")
async def list_teams(
    principal: Reader, session: DbSession, paging: Paging, parent_id: UUID | None = None, include_archived: bool = False
) -> Page[TeamPublic]:
    items, cursor = await teams.list_teams(
        session, org_id=principal.org_id, params=paging, parent_id=parent_id, include_archived=include_archived
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/teams", tags=["teams"], status_code=CREATED, summary="Create a team", responses=ONE)
async def create_team(
    body: TeamCreate, principal: Writer, session: DbSession, response: Response, now: Clock
) -> TeamPublic:
    team = await teams.create_team(session, principal=principal, body=body, now=now)
    set_etag(response, team.version)
    return team


@router.get("/teams/{team_id}", tags=["teams"], summary="Get a team", responses=ONE)
async def get_team(team_id: UUID, principal: Reader, session: DbSession, response: Response) -> TeamPublic:
    team = await teams.read_team(session, org_id=principal.org_id, team_id=team_id)
    set_etag(response, team.version)
    return team


@router.patch("/teams/{team_id}", tags=["teams"], summary="Rename, move, change lead or members", responses=WRITE_ONE)
async def update_team(
    team_id: UUID,
    body: TeamUpdate,
    principal: Writer,
    session: DbSession,
    response: Response,
    now: Clock,
    if_match: IfMatch = None,
) -> TeamPublic:
    team = await teams.update_team(session, principal=principal, team_id=team_id, body=body, if_match=if_match, now=now)
    set_etag(response, team.version)
    return team


@router.delete(
    "/teams/{team_id}", tags=["teams"], status_code=NO_CONTENT, summary="Archive a team", responses=WRITE_ONE
)
async def archive_team(
    team_id: UUID, principal: Writer, session: DbSession, now: Clock, if_match: IfMatch = None
) -> Response:
    await teams.archive_team(session, principal=principal, team_id=team_id, if_match=if_match, now=now)
    return Response(status_code=NO_CONTENT)


# Cycles ------------------------------------------------------------------------------------------
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


@router.get("/cycles/{cycle_id}", tags=["cycles"], summary="Get a cycle", responses=ONE)
async def get_cycle(cycle_id: UUID, principal: Reader, session: DbSession, response: Response) -> CyclePublic:
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


# Objectives --------------------------------------------------------------------------------------
@router.get("/objectives", tags=["objectives"], summary="List objectives with their key results and progress")
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
) -> Page[ObjectivePublic]:
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
    return Page(items=items, next_cursor=cursor)


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


@router.get("/objectives/{objective_id}", tags=["objectives"], summary="Get an objective", responses=ONE)
async def get_objective(
    objective_id: UUID, principal: Reader, session: DbSession, response: Response, now: Clock
) -> ObjectivePublic:
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


# Key results -------------------------------------------------------------------------------------
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


@router.get("/key-results/{key_result_id}", tags=["key-results"], summary="Get a key result", responses=ONE)
async def get_key_result(
    key_result_id: UUID, principal: Reader, session: DbSession, response: Response, now: Clock
) -> KeyResultPublic:
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


# Check-ins (append-only: no update or delete route exists) ---------------------------------------
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
    return CheckInBatchResult(items=await check_ins.create_batch(session, principal=principal, body=body, now=now))


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


# The signed-in person's own view (PRODUCT.md section 7) ------------------------------------------
@router.get(
    "/me/cycle",
    tags=["cycles"],
    summary="The cycle the app opens on for the signed-in person: their last choice and the suggested one",
    responses=problem_responses(403),
)
async def get_my_cycle(principal: Reader, session: DbSession, now: Clock) -> mine.CycleChoicePublic:
    return await mine.cycle_choice(session, principal=principal, now=now)


@router.put(
    "/me/cycle",
    tags=["cycles"],
    summary="Remember the cycle the signed-in person chose (a personal preference: any role may set it)",
    responses=problem_responses(403, 404),
)
async def put_my_cycle(
    body: mine.CycleChoiceUpdate, principal: Reader, session: DbSession, now: Clock
) -> mine.CycleChoicePublic:
    return await mine.remember_cycle(session, principal=principal, body=body, now=now)


@router.get(
    "/me/key-results",
    tags=["key-results"],
    summary="Every key result the signed-in person owns in the active cycles, due ones first",
    responses=problem_responses(403),
)
async def get_my_key_results(principal: Reader, session: DbSession, now: Clock) -> mine.MyKeyResults:
    return await mine.my_key_results(session, principal=principal, now=now)
