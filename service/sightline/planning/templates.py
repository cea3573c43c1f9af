"""Templates: the built-in library and an organisation's own (saved from an objective or described), listed
together; applying one creates an objective and its key results in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from sightline.alignment import links
from sightline.alignment.schemas import AlignmentCreate
from sightline.auth import Principal
from sightline.db.keyset import PageParams, decode_cursor, encode_cursor
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import FieldError, Forbidden, Invalid
from sightline.events import service as events
from sightline.okrs import key_results, objectives
from sightline.okrs.cycles import get_cycle
from sightline.okrs.schemas import KeyResultCreate, KeyResultPublic, ObjectiveCreate, ObjectivePublic
from sightline.planning.library import BY_ID, LIBRARY, LibraryTemplate
from sightline.planning.template_schemas import (
    MAX_KEY_RESULTS,
    TemplateApply,
    TemplateCreate,
    TemplateKeyResultCreate,
    TemplateKeyResultPublic,
    TemplatePublic,
)

# Built-ins sort before every saved template: their keyset position is (1970-01-01 + their index in µs, id).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ObjectiveTemplate(SQLModel, table=True):
    __tablename__ = "objective_templates"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    category: str
    title: str
    description: str = ""
    key_results: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    source_objective_id: UUID | None = None
    created_by: UUID | None = None
    actor: str
    created_at: datetime = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=False))


def builtin_public(template: LibraryTemplate) -> TemplatePublic:
    return TemplatePublic(
        id=template.id,
        source="builtin",
        slug=template.slug,
        category=template.category,
        title=template.title,
        description=template.description,
        key_results=[
            TemplateKeyResultPublic(
                title=kr.title,
                metric=kr.metric,
                unit=kr.unit,
                direction=kr.direction,
                accumulation=kr.accumulation,
                start_value=kr.start_value,
                target_value=kr.target_value,
                stretch_value=None,
                weight=1.0,
                target_hint=kr.target_hint,
                how_to_measure=kr.how_to_measure,
            )
            for kr in template.key_results
        ],
        source_objective_id=None,
        created_by=None,
        created_at=None,
    )


def saved_public(row: ObjectiveTemplate) -> TemplatePublic:
    return TemplatePublic(
        id=row.id,
        source="organisation",
        slug=None,
        category=row.category,  # type: ignore[arg-type]
        title=row.title,
        description=row.description,
        key_results=[TemplateKeyResultPublic.model_validate(kr) for kr in row.key_results],
        source_objective_id=row.source_objective_id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def get_template(session: AsyncSession, *, org_id: UUID, template_id: UUID) -> TemplatePublic:
    """A built-in (any organisation) or one of this organisation's own; 404 otherwise."""
    builtin = BY_ID.get(template_id)
    if builtin is not None:
        return builtin_public(builtin)
    row = await one_of_org(session, ObjectiveTemplate, org_id, template_id, what="template")
    return saved_public(row)


async def list_templates(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    category: str | None,
    source: str | None,
) -> tuple[list[TemplatePublic], str | None]:
    """Built-ins first (library order), then the organisation's own, oldest first: one statement at most."""
    after = decode_cursor(params.cursor, datetime, UUID) if params.cursor else None
    wanted = params.limit + 1  # one more tells whether a next page follows
    found: list[tuple[tuple[datetime, UUID], TemplatePublic]] = []
    if source in (None, "builtin"):
        for index, template in enumerate(LIBRARY):
            key = (_EPOCH + timedelta(microseconds=index), template.id)
            if category in (None, template.category) and (after is None or key > after):
                found.append((key, builtin_public(template)))
    found = found[:wanted]
    if len(found) < wanted and source in (None, "organisation"):
        statement = scoped(ObjectiveTemplate, org_id)
        if category is not None:
            statement = statement.where(col(ObjectiveTemplate.category) == category)
        if after is not None:
            position = tuple_(col(ObjectiveTemplate.created_at), col(ObjectiveTemplate.id))
            statement = statement.where(position > tuple_(*after))
        statement = statement.order_by(col(ObjectiveTemplate.created_at), col(ObjectiveTemplate.id))
        rows = (await session.execute(statement.limit(wanted - len(found)))).scalars()
        found += [((row.created_at, row.id), saved_public(row)) for row in rows]
    if len(found) <= params.limit:
        return [template for _, template in found], None
    page = found[: params.limit]
    return [template for _, template in page], encode_cursor(*page[-1][0])


async def _from_objective(
    session: AsyncSession, *, org_id: UUID, objective_id: UUID, now: datetime
) -> tuple[str, str, list[TemplateKeyResultCreate]]:
    """An objective's title, description and live key results as a template's; each target hint says what the
    key result aimed for and reached in its cycle."""
    objective = await objectives.read_objective(session, org_id=org_id, objective_id=objective_id, now=now)
    cycle = await get_cycle(session, org_id=org_id, cycle_id=objective.cycle_id)
    live = [kr for kr in objective.key_results if not kr.archived]
    if not live:
        raise Invalid("body.objective_id", "the objective has no key results to save")
    if len(live) > MAX_KEY_RESULTS:
        raise Invalid("body.objective_id", f"a template holds at most {MAX_KEY_RESULTS} key results")
    return objective.title, objective.description, [_key_result_of(kr, cycle.name) for kr in live]


def _key_result_of(kr: KeyResultPublic, cycle_name: str) -> TemplateKeyResultCreate:
    how = "" if kr.data_source in ("manual", "api") else f"Pulled by the {kr.data_source} integration."
    return TemplateKeyResultCreate(
        title=kr.title,
        metric=kr.metric,
        unit=kr.unit,
        direction=kr.direction,
        accumulation=kr.accumulation,
        start_value=kr.start_value,
        target_value=kr.target_value,
        stretch_value=kr.stretch_value,
        weight=kr.weight,
        target_hint=f"{cycle_name[:150]}: target {kr.target_value:g}, reached {kr.current_value:g}.",
        how_to_measure=how,
    )


async def create_template(
    session: AsyncSession, *, principal: Principal, body: TemplateCreate, now: datetime
) -> TemplatePublic:
    org_id = principal.org_id
    if body.objective_id is not None:
        if body.key_results is not None:
            raise Invalid("body.key_results", "give objective_id or key_results, not both")
        title, description, key_results = await _from_objective(
            session, org_id=org_id, objective_id=body.objective_id, now=now
        )
    elif body.key_results is None or body.title is None:
        field = "body.title" if body.title is None else "body.key_results"
        raise Invalid(field, "required without objective_id")
    else:
        title, description, key_results = body.title, "", body.key_results
    row = ObjectiveTemplate(
        org_id=org_id,
        category=body.category,
        title=body.title or title,
        description=description if body.description is None else body.description,
        key_results=[kr.model_dump(mode="json") for kr in key_results],
        source_objective_id=body.objective_id,
        created_by=principal.user_id,
        actor=principal.actor,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    public = saved_public(row)
    await _emit(session, principal, "template.created", public, now)
    return public


async def delete_template(session: AsyncSession, *, principal: Principal, template_id: UUID, now: datetime) -> None:
    """Delete one of the organisation's own templates: the member who saved it, or an admin."""
    if template_id in BY_ID:
        raise Forbidden("a built-in template cannot be deleted")
    org_id = principal.org_id
    row = await one_of_org(session, ObjectiveTemplate, org_id, template_id, what="template", lock=True)
    own = row.actor == principal.actor or (row.created_by is not None and row.created_by == principal.user_id)
    if not own and "admin" not in principal.scopes:
        raise Forbidden("only the member who saved it or an admin deletes a template")
    public = saved_public(row)
    await session.delete(row)
    await session.flush()
    await _emit(session, principal, "template.deleted", public, now)


async def _emit(session: AsyncSession, principal: Principal, type: str, public: TemplatePublic, now: datetime) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=type,
            actor=principal.actor,
            object_type="template",
            object_id=public.id,
            occurred_at=now,
            after=public,
        ),
    )


async def apply_template(
    session: AsyncSession, *, principal: Principal, template_id: UUID, body: TemplateApply, now: datetime
) -> ObjectivePublic:
    """The objective and its key results (and its alignment under `parent_objective_id`), written through the
    OKR services with their usual checks and events. Any refusal raises, and the request's one transaction
    rolls back: nothing is half-written."""
    org_id = principal.org_id
    template = await get_template(session, org_id=org_id, template_id=template_id)
    count = len(template.key_results)
    for field, values in (("targets", body.targets), ("starts", body.starts)):
        beyond = [
            FieldError(("body", field, str(i)), f"the template has {count} key results") for i in values if i >= count
        ]
        if beyond:
            raise Invalid(errors=beyond)
    objective = await objectives.create_objective(
        session,
        principal=principal,
        body=ObjectiveCreate(
            cycle_id=body.cycle_id,
            title=body.title or template.title,
            description=template.description,
            level=body.level,
            team_id=body.team_id,
            owner_id=body.owner_id,
            kind=body.kind,
            state=body.state,
        ),
        now=now,
    )
    for index, kr in enumerate(template.key_results):
        create = KeyResultCreate.model_validate(_key_result_body(objective.id, index, kr, body))
        try:
            await key_results.create_key_result(session, principal=principal, body=create, now=now)
        except Invalid as error:
            raise Invalid(errors=[_relocated(e, index) for e in error.errors]) from error
    if body.parent_objective_id is not None:
        link = AlignmentCreate(child_objective_id=objective.id, parent_objective_id=body.parent_objective_id)
        await links.create_link(session, principal=principal, body=link, now=now)
    return await objectives.read_objective(session, org_id=org_id, objective_id=objective.id, now=now)


def _key_result_body(
    objective_id: UUID, index: int, kr: TemplateKeyResultPublic, body: TemplateApply
) -> dict[str, Any]:
    return {
        "objective_id": objective_id,
        "title": kr.title,
        "metric": kr.metric,
        "unit": kr.unit,
        "direction": kr.direction,
        "start_value": body.starts.get(index, kr.start_value),
        "target_value": body.targets.get(index, kr.target_value),
        "stretch_value": None if index in body.targets else kr.stretch_value,
        "weight": kr.weight,
        "accumulation": kr.accumulation,
    }


def _relocated(error: FieldError, index: int) -> FieldError:
    """A key result's refusal, placed on the request's field that can fix it: its target or its start."""
    field = error.loc[-1] if error.loc else ""
    where = {"target_value": "targets", "stretch_value": "targets", "start_value": "starts"}.get(str(field), "targets")
    return FieldError(("body", where, str(index)), f"key result {index} ({field}): {error.message}", error.type)
