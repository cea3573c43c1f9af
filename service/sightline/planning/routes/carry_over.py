"""HTTP routes of planning: carry-over of objectives and key results into another cycle."""

from __future__ import annotations

from uuid import UUID

from sightline.http.deps import Clock, DbSession, Writer
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.planning import carry_over
from sightline.planning.carry_over_schemas import CarryOverRequest, CarryOverResult

router = api_router(authenticated=True)


@router.post(
    "/cycles/{cycle_id}/carry-over",
    tags=["planning"],
    summary="Carry objectives and key results of another cycle into this one (or preview it with dry_run)",
    description="Copies link to their originals (`carried_from`); each key result's `previous_value` is the value "
    "its original reached, its start value follows its `accumulation`. Alignments are re-created where both ends "
    "are carried; unfinished initiatives move on request. Carrying the same thing twice creates nothing the second "
    "time; `skipped` says what was not carried and why. The preview answers exactly what the call would do.",
    responses=problem_responses(404, 409),
)
async def carry_over_into_cycle(
    cycle_id: UUID, body: CarryOverRequest, principal: Writer, session: DbSession, now: Clock
) -> CarryOverResult:
    return await carry_over.carry_over(session, principal=principal, cycle_id=cycle_id, body=body, now=now)
