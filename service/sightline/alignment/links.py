"""Alignment links: create (refusing loops, foreign cycles, duplicates), list, delete.

Link writes of one organisation are serialised by an advisory lock, so the loop check and the insert
act as one: two concurrent inserts that together would close a loop cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.alignment.graph import link_public
from sightline.alignment.models import Alignment
from sightline.alignment.schemas import AlignmentCreate, AlignmentCreated
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Invalid
from sightline.events import service as events
from sightline.okrs import rollups
from sightline.okrs.cycles import get_cycle
from sightline.okrs.key_results import get_key_result
from sightline.okrs.models import Objective
from sightline.okrs.objectives import get_objective

_PATH_UP = text("""
    WITH RECURSIVE up(node, path) AS (
        SELECT CAST(:start AS uuid), ARRAY[CAST(:start AS uuid)]
        UNION ALL
        SELECT a.parent_node_id, up.path || a.parent_node_id
        FROM up JOIN alignments a ON a.org_id = :org AND a.child_objective_id = up.node
        WHERE NOT a.parent_node_id = ANY(up.path)
    )
    SELECT path FROM up WHERE node = :target LIMIT 1
""")


async def _lock_links(session: AsyncSession, org_id: UUID) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"alignment:{org_id}"})


async def _loop_path(session: AsyncSession, org_id: UUID, child: UUID, parent_node: UUID) -> list[UUID] | None:
    """The path parent → … → child if the child is already above the parent (the new link closes a loop)."""
    if child == parent_node:
        return [child]
    path = (await session.execute(_PATH_UP, {"org": org_id, "start": parent_node, "target": child})).scalar()
    return list(path) if path else None


async def _titles(session: AsyncSession, org_id: UUID, ids: list[UUID]) -> dict[UUID, str]:
    rows = await session.execute(
        select(col(Objective.id), col(Objective.title)).where(
            col(Objective.org_id) == org_id, col(Objective.id).in_(ids)
        )
    )
    return {row[0]: row[1] for row in rows}


async def create_link(
    session: AsyncSession,
    *,
    principal: Principal,
    body: AlignmentCreate,
    now: datetime,
) -> AlignmentCreated:
    org_id = principal.org_id
    if (body.parent_objective_id is None) == (body.parent_key_result_id is None):
        raise Invalid("body.parent_objective_id", "give exactly one of parent_objective_id and parent_key_result_id")
    await _lock_links(session, org_id)
    child = await get_objective(session, org_id=org_id, objective_id=body.child_objective_id)
    parent, parent_field = await _parent_objective(session, org_id, body)
    for objective, field in ((child, "body.child_objective_id"), (parent, parent_field)):
        if objective.state == "archived":
            raise Invalid(field, "the objective is archived")
    await _refuse_loop(session, org_id, child, parent, parent_field)
    await _refuse_disjoint_cycles(session, org_id, child, parent, parent_field)
    await _refuse_duplicate(session, org_id, child, body, parent_field)
    link = Alignment(
        org_id=org_id,
        child_objective_id=child.id,
        parent_objective_id=body.parent_objective_id,
        parent_key_result_id=body.parent_key_result_id,
        parent_node_id=parent.id,
        kind=body.kind,
        weight=body.weight,
        actor=principal.actor,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    warnings = await _claim_warnings(session, org_id, body.parent_key_result_id)
    public = AlignmentCreated(**link_public(link).model_dump(), warnings=warnings)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="alignment.created",
            actor=principal.actor,
            object_type="alignment",
            object_id=link.id,
            occurred_at=now,
            after=public,
        ),
    )
    await rollups.refresh(session, org_id=org_id, objective_ids=[parent.id], now=now, actor=principal.actor)
    return public


async def _parent_objective(session: AsyncSession, org_id: UUID, body: AlignmentCreate) -> tuple[Objective, str]:
    """The objective the link points at (the key result's, for a link to a key result), with its body field."""
    if body.parent_key_result_id is not None:
        parent_kr = await get_key_result(session, org_id=org_id, key_result_id=body.parent_key_result_id)
        parent = await get_objective(session, org_id=org_id, objective_id=parent_kr.objective_id)
        return parent, "body.parent_key_result_id"
    parent = await get_objective(session, org_id=org_id, objective_id=body.parent_objective_id)  # type: ignore[arg-type]
    return parent, "body.parent_objective_id"


async def _refuse_loop(
    session: AsyncSession, org_id: UUID, child: Objective, parent: Objective, parent_field: str
) -> None:
    """A link that would close a loop in the alignment graph is refused, naming the loop."""
    if path := await _loop_path(session, org_id, child.id, parent.id):
        titles = await _titles(session, org_id, path)
        loop = " → ".join(titles.get(node, str(node)) for node in [child.id, *path] if node in titles)
        raise Invalid(
            parent_field,
            f"this link would close a loop: {loop}" if len(path) > 1 else "an objective cannot be aligned to itself",
        )


async def _refuse_disjoint_cycles(
    session: AsyncSession, org_id: UUID, child: Objective, parent: Objective, parent_field: str
) -> None:
    """The two objectives' cycles must overlap in time."""
    child_cycle = await get_cycle(session, org_id=org_id, cycle_id=child.cycle_id)
    parent_cycle = await get_cycle(session, org_id=org_id, cycle_id=parent.cycle_id)
    if child_cycle.start_date > parent_cycle.end_date or parent_cycle.start_date > child_cycle.end_date:
        raise Invalid(
            parent_field,
            f"the cycles do not overlap ({child_cycle.name}: {child_cycle.start_date} to "
            f"{child_cycle.end_date}; {parent_cycle.name}: {parent_cycle.start_date} to "
            f"{parent_cycle.end_date})",
        )


async def _refuse_duplicate(
    session: AsyncSession, org_id: UUID, child: Objective, body: AlignmentCreate, parent_field: str
) -> None:
    duplicate = (
        await session.execute(
            scoped(Alignment, org_id).where(
                col(Alignment.child_objective_id) == child.id,
                col(Alignment.parent_objective_id) == body.parent_objective_id
                if body.parent_objective_id
                else col(Alignment.parent_key_result_id) == body.parent_key_result_id,
            )
        )
    ).scalar_one_or_none()
    if duplicate is not None:
        raise Invalid(parent_field, f"already aligned by link {duplicate.id}")


async def _claim_warnings(session: AsyncSession, org_id: UUID, key_result_id: UUID | None) -> list[str]:
    """Several teams may claim shares of one key result; over 1 in total is worth a look, not an error."""
    if key_result_id is None:
        return []
    claimed = (
        await session.execute(
            select(func.sum(Alignment.weight)).where(
                col(Alignment.org_id) == org_id,
                col(Alignment.parent_key_result_id) == key_result_id,
                col(Alignment.kind) == "contributes",
            )
        )
    ).scalar() or 0.0
    if claimed > 1 + 1e-9:
        return [f"contributions claimed on this key result add up to {claimed:.2f} (over 1): shares overlap"]
    return []


async def get_link(session: AsyncSession, *, org_id: UUID, link_id: UUID) -> Alignment:
    return await one_of_org(session, Alignment, org_id, link_id, what="alignment")


async def delete_link(session: AsyncSession, *, principal: Principal, link_id: UUID, now: datetime) -> None:
    await _lock_links(session, principal.org_id)
    link = await get_link(session, org_id=principal.org_id, link_id=link_id)
    before = link_public(link)
    await session.delete(link)
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="alignment.deleted",
            actor=principal.actor,
            object_type="alignment",
            object_id=link.id,
            occurred_at=now,
            before=before,
        ),
    )
    await rollups.refresh(
        session, org_id=principal.org_id, objective_ids=[link.parent_node_id], now=now, actor=principal.actor
    )


async def list_links(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    child_objective_id: UUID | None,
    parent_objective_id: UUID | None,
    parent_key_result_id: UUID | None,
) -> tuple[list[Alignment], str | None]:
    statement = scoped(Alignment, org_id)
    for column, value in (
        (Alignment.child_objective_id, child_objective_id),
        (Alignment.parent_objective_id, parent_objective_id),
        (Alignment.parent_key_result_id, parent_key_result_id),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    rows = list(
        (await session.execute(paginate(statement, Alignment.created_at, Alignment.id, params=params))).scalars()
    )
    return page_of(rows, params, lambda link: (link.created_at, link.id))
