"""HTTP routes of the OKR core: the signed-in person's own view (docs/web-app.md)."""

from __future__ import annotations

from sightline.http.deps import Clock, DbSession, Reader
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.okrs import mine

router = api_router(authenticated=True)


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
