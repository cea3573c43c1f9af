"""HTTP routes of alignment: links, tree, line of sight, alignment map."""

from __future__ import annotations

from uuid import UUID

from fastapi import Response, status

from sightline.alignment import coverage, links, reads
from sightline.alignment.coverage import Coverage
from sightline.alignment.graph import link_public
from sightline.alignment.line_of_sight import line_of_sight
from sightline.alignment.schemas import (
    AlignmentCreate,
    AlignmentCreated,
    AlignmentMap,
    AlignmentPublic,
    LineOfSight,
    Tree,
)
from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.jsonutil import answer
from sightline.http.pagination import Page
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.inputs import IsoDate

router = api_router(authenticated=True)
ONE = problem_responses(404)


@router.get("/alignments", tags=["alignment"], summary="List alignment links")
async def list_alignments(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    child_objective_id: UUID | None = None,
    parent_objective_id: UUID | None = None,
    parent_key_result_id: UUID | None = None,
) -> Page[AlignmentPublic]:
    rows, cursor = await links.list_links(
        session,
        org_id=principal.org_id,
        params=paging,
        child_objective_id=child_objective_id,
        parent_objective_id=parent_objective_id,
        parent_key_result_id=parent_key_result_id,
    )
    return Page(items=[link_public(link) for link in rows], next_cursor=cursor)


@router.post(
    "/alignments",
    tags=["alignment"],
    status_code=status.HTTP_201_CREATED,
    responses=ONE,
    summary="Align a child objective to a parent objective or key result",
)
async def create_alignment(
    body: AlignmentCreate, principal: Writer, session: DbSession, now: Clock
) -> AlignmentCreated:
    return await links.create_link(session, principal=principal, body=body, now=now)


@router.get("/alignments/{alignment_id}", tags=["alignment"], summary="Get an alignment link", responses=ONE)
async def get_alignment(alignment_id: UUID, principal: Reader, session: DbSession) -> AlignmentPublic:
    return link_public(await links.get_link(session, org_id=principal.org_id, link_id=alignment_id))


@router.delete(
    "/alignments/{alignment_id}",
    tags=["alignment"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an alignment link",
    responses=ONE,
)
async def delete_alignment(alignment_id: UUID, principal: Writer, session: DbSession, now: Clock) -> Response:
    await links.delete_link(session, principal=principal, link_id=alignment_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/objectives/{objective_id}/tree",
    tags=["alignment"],
    responses=ONE,
    summary="Everything aligned below an objective, with progress, status and link weights",
)
async def objective_tree(objective_id: UUID, principal: Reader, session: DbSession, now: Clock) -> Tree:
    return await reads.tree(session, org_id=principal.org_id, objective_id=objective_id, now=now)


@router.get(
    "/objectives/{objective_id}/line-of-sight",
    response_model=LineOfSight,
    tags=["alignment"],
    responses=ONE,
    summary="Every path from an objective up to company level, with each hop's contribution",
)
async def objective_line_of_sight(objective_id: UUID, principal: Reader, session: DbSession, now: Clock) -> Response:
    return answer(await line_of_sight(session, org_id=principal.org_id, objective_id=objective_id, now=now))


@router.get(
    "/cycles/{cycle_id}/alignment-map",
    response_model=AlignmentMap,
    tags=["alignment"],
    responses=ONE,
    summary="All objectives, key results and links of a cycle and overlapping cycles, as a graph",
)
async def cycle_alignment_map(cycle_id: UUID, principal: Reader, session: DbSession, now: Clock) -> Response:
    return answer(await reads.alignment_map(session, org_id=principal.org_id, cycle_id=cycle_id, now=now))


@router.get(
    "/cycles/{cycle_id}/coverage",
    tags=["alignment"],
    responses=ONE,
    summary="Coverage: unaligned objectives, work and spend, teams without OKRs, spend roll-up",
)
async def cycle_coverage(
    cycle_id: UUID, principal: Reader, session: DbSession, now: Clock, as_of: IsoDate | None = None
) -> Coverage:
    return await coverage.coverage(session, org_id=principal.org_id, cycle_id=cycle_id, as_of=as_of, now=now)
