"""HTTP routes of templates: the built-in library and the organisation's own; save, list, read, delete, apply."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response, status

from sightline.http.deps import Clock, DbSession, Reader, Writer
from sightline.http.etag import set_etag
from sightline.http.pagination import Page
from sightline.http.params import Paging
from sightline.http.problems import problem_responses
from sightline.http.routers import api_router
from sightline.okrs.schemas import ObjectivePublic
from sightline.planning import templates
from sightline.planning.library import Category
from sightline.planning.template_schemas import TemplateApply, TemplateCreate, TemplatePublic, TemplateSource

router = api_router(authenticated=True, tags=["templates"])
ONE = problem_responses(404)


@router.get("/templates", summary="List templates: the built-in library first, then the organisation's own")
async def list_templates(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    category: Annotated[Category | None, Query(description="Only templates of this category")] = None,
    source: Annotated[TemplateSource | None, Query(description="Only built-in or only the organisation's")] = None,
) -> Page[TemplatePublic]:
    items, cursor = await templates.list_templates(
        session, org_id=principal.org_id, params=paging, category=category, source=source
    )
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/templates",
    status_code=status.HTTP_201_CREATED,
    summary="Save an objective (with its live key results) as a template, or a template described in the body",
    responses=problem_responses(404),
)
async def create_template(body: TemplateCreate, principal: Writer, session: DbSession, now: Clock) -> TemplatePublic:
    return await templates.create_template(session, principal=principal, body=body, now=now)


@router.get("/templates/{template_id}", summary="Get a template (built-in or the organisation's)", responses=ONE)
async def get_template(template_id: UUID, principal: Reader, session: DbSession) -> TemplatePublic:
    return await templates.get_template(session, org_id=principal.org_id, template_id=template_id)


@router.delete(
    "/templates/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete one of the organisation's templates (the member who saved it, or an admin)",
    responses=problem_responses(403, 404),
)
async def delete_template(template_id: UUID, principal: Writer, session: DbSession, now: Clock) -> Response:
    await templates.delete_template(session, principal=principal, template_id=template_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/templates/{template_id}/apply",
    status_code=status.HTTP_201_CREATED,
    summary="Create an objective and its key results from a template, in one transaction",
    description="The objective is created in `cycle_id` with the template's key results (targets from `targets` "
    "by index, else the suggested ones), aligned under `parent_objective_id` when given. The usual events are "
    "written (objective.created, key_result.created, alignment.created). Any refusal writes nothing.",
    responses=problem_responses(404, 409),
)
async def apply_template(
    template_id: UUID, body: TemplateApply, principal: Writer, session: DbSession, response: Response, now: Clock
) -> ObjectivePublic:
    objective = await templates.apply_template(
        session, principal=principal, template_id=template_id, body=body, now=now
    )
    set_etag(response, objective.version)
    return objective
