"""Objectives: level, team, owner, kind and state; progress rolled up from their key results on read."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.db.keyset import PageParams, decode_cursor, encode_cursor, page_of
from sightline.db.rows import checked_columns, fetch_rows
from sightline.db.tenancy import one_of_org
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.okrs import rollups
from sightline.okrs.bodies import objective_body
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import Rollup
from sightline.okrs.models import Objective
from sightline.okrs.schemas import KeyResultPublic, ObjectiveCreate, ObjectivePublic, ObjectiveUpdate
from sightline.okrs.subgraph import is_fresh, load_calendars_and_key_results, load_subgraph, stored
from sightline.okrs.teams import ensure_users, get_team
from sightline.versions import check_if_match, if_match_after

STATUS_SCAN_BATCH = 200  # objectives rolled up per statement batch while filtering by status
EDITABLE = ("title", "description", "level", "team_id", "owner_id", "kind", "state", "progress_from")


def objective_public(objective: Objective, key_results: list[KeyResultPublic], rollup: Rollup) -> ObjectivePublic:
    return ObjectivePublic(
        id=objective.id,
        cycle_id=objective.cycle_id,
        title=objective.title,
        description=objective.description,
        level=objective.level,
        team_id=objective.team_id,
        owner_id=objective.owner_id,  # type: ignore[arg-type]
        kind=objective.kind,
        state=objective.state,
        progress_from=objective.progress_from,  # type: ignore[arg-type]
        progress=rollup.progress,
        expected_progress=rollup.expected_progress,
        score=rollup.score,
        status=rollup.status,
        key_results=key_results,
        version=objective.version,
        created_at=objective.created_at,
        updated_at=objective.updated_at,
    )


async def get_objective(session: AsyncSession, *, org_id: UUID, objective_id: UUID, lock: bool = False) -> Objective:
    """`lock`: FOR NO KEY UPDATE, the strength `rollups.lock` and every refresh take. A stronger FOR UPDATE on a
    row already held that way, while a check-in's foreign key shares it, has to queue behind a refresh waiting
    for that row: a deadlock."""
    return await one_of_org(session, Objective, org_id, objective_id, what="objective", lock=lock, key_share=True)


async def bodies(
    session: AsyncSession,
    *,
    org_id: UUID,
    objectives: Sequence[Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """Objectives with their live key results and rolled-up progress (through aligned children too), as the
    JSON of ObjectivePublic: the stored roll-ups when they are fresh (two statements), else computed from the
    subgraph below (a fixed number of statements for any number of objectives and any depth of alignment)."""
    if all(is_fresh(o.rollup_at, now) for o in objectives):
        calendars, key_results = await load_calendars_and_key_results(session, org_id=org_id, objectives=objectives)
        rolled = {o.id: stored(o) for o in objectives}
    else:
        graph = await load_subgraph(session, org_id=org_id, roots=objectives)
        calendars, key_results, rolled = graph.calendars, graph.key_results, graph.rollups(now)
    return [
        objective_body(
            o.model_dump() if isinstance(o, Objective) else o._asdict(),  # a model or a driver row (`_page`)
            rolled[o.id],
            key_results.get(o.id, []),
            calendars[o.cycle_id],
            now,
        )
        for o in objectives
    ]


async def publics(
    session: AsyncSession,
    *,
    org_id: UUID,
    objectives: list[Objective],
    now: datetime,
) -> list[ObjectivePublic]:
    """`bodies` as models (writes answer with them and put them in events)."""
    return [
        ObjectivePublic.model_validate(body)
        for body in await bodies(session, org_id=org_id, objectives=objectives, now=now)
    ]


async def read_objective(session: AsyncSession, *, org_id: UUID, objective_id: UUID, now: datetime) -> ObjectivePublic:
    objective = await get_objective(session, org_id=org_id, objective_id=objective_id)
    return (await publics(session, org_id=org_id, objectives=[objective], now=now))[0]


async def list_objectives(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    now: datetime,
    cycle_id: UUID | None,
    team_id: UUID | None,
    owner_id: UUID | None,
    state: str | None,
    level: str | None,
    kind: str | None,
    status: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of objectives as ObjectivePublic's JSON (`bodies`: answered without building models)."""
    filters = {
        name: value
        for name, value in (
            ("cycle_id", cycle_id),
            ("team_id", team_id),
            ("owner_id", owner_id),
            ("state", state),
            ("level", level),
            ("kind", kind),
        )
        if value is not None
    }
    if status is None:
        rows = await _page(session, org_id, filters, params)
        page, cursor = page_of(rows, params, _keyset)
        return await bodies(session, org_id=org_id, objectives=page, now=now), cursor
    return await _with_status(session, org_id=org_id, filters=filters, params=params, now=now, status=status)


def _keyset(row: Any) -> tuple[datetime, UUID]:
    return row.created_at, row.id


async def _page(session: AsyncSession, org_id: UUID, filters: dict[str, Any], params: PageParams) -> list[Any]:
    """The objectives matching `filters` (column = value; archived ones only when `state` asks for them), in
    keyset order after the cursor, one more than the page: plain rows from the driver (as ORM entities, the
    page's 50 objectives cost more than its statement)."""
    args: list[Any] = [org_id, *filters.values()]
    after = None
    if params.cursor:
        after = decode_cursor(params.cursor, datetime, UUID)
        args.extend(after)
    return await fetch_rows(session, _page_sql(tuple(filters), after is not None), *args, params.limit + 1)


@functools.lru_cache(maxsize=128)
def _page_sql(columns: tuple[str, ...], after_cursor: bool) -> str:
    """One statement text per combination of filters (each plan uses its own index); every value bound."""
    named = checked_columns(Objective, columns)
    conditions = ["org_id = $1", *(f"{name} = ${i}" for i, name in enumerate(named, start=2))]
    if "state" not in columns:
        conditions.append("state <> 'archived'")
    n = len(columns) + 2
    if after_cursor:
        conditions.append(f"(created_at, id) > (${n}, ${n + 1})")
        n += 2
    return f"SELECT * FROM objectives WHERE {' AND '.join(conditions)} ORDER BY created_at, id LIMIT ${n}"


async def _with_status(
    session: AsyncSession,
    *,
    org_id: UUID,
    filters: dict[str, Any],
    params: PageParams,
    now: datetime,
    status: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the objectives whose rolled-up status (as `bodies` shows it) is `status`.

    Candidates are read in keyset order, a batch at a time, until the page is full or none are left; the
    cursor is the last objective returned, so the next page carries on from there with the same filter.
    """
    found: list[dict[str, Any]] = []
    cursor = params.cursor
    batch = max(params.limit, STATUS_SCAN_BATCH)
    while True:
        scan = PageParams(limit=batch, cursor=cursor)
        candidates, cursor = page_of(await _page(session, org_id, filters, scan), scan, _keyset)
        for body in await bodies(session, org_id=org_id, objectives=candidates, now=now):
            if body["status"] == status:
                found.append(body)
                if len(found) > params.limit:
                    last = found[params.limit - 1]
                    return found[: params.limit], encode_cursor(last["created_at"], last["id"])
        if cursor is None:
            return found, None


async def _validate(session: AsyncSession, org_id: UUID, objective: Objective) -> None:
    if objective.level != "company" and objective.team_id is None:
        raise Invalid("body.team_id", f"required for a {objective.level} objective")
    if objective.team_id is not None:
        team = await get_team(session, org_id=org_id, team_id=objective.team_id)
        if team.archived_at is not None:
            raise Invalid("body.team_id", "the team is archived")
    await ensure_users(session, org_id, {objective.owner_id}, "body.owner_id")


async def create_objective(
    session: AsyncSession,
    *,
    principal: Principal,
    body: ObjectiveCreate,
    now: datetime,
) -> ObjectivePublic:
    org_id = principal.org_id
    cycle = await get_cycle(session, org_id=org_id, cycle_id=body.cycle_id)
    if cycle.state == "closed":
        raise Conflict("the cycle is closed")
    owner_id = body.owner_id or principal.user_id
    if owner_id is None:
        raise Invalid("body.owner_id", "required when the API key has no creating member")
    objective = Objective(
        org_id=org_id,
        cycle_id=cycle.id,
        title=body.title,
        description=body.description,
        level=body.level,
        team_id=body.team_id,
        owner_id=owner_id,
        kind=body.kind,
        state=body.state,
        progress_from=body.progress_from,
        created_at=now,
        updated_at=now,
    )
    await _validate(session, org_id, objective)
    session.add(objective)
    await rollups.refresh(session, org_id=org_id, objective_ids=[objective.id], now=now, actor=principal.actor)
    public = (await publics(session, org_id=org_id, objectives=[objective], now=now))[0]
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="objective.created",
            actor=principal.actor,
            object_type="objective",
            object_id=objective.id,
            occurred_at=now,
            after=public,
        ),
    )
    return public


async def update_objective(
    session: AsyncSession,
    *,
    principal: Principal,
    objective_id: UUID,
    body: ObjectiveUpdate,
    if_match: str | None,
    now: datetime,
) -> ObjectivePublic:
    org_id = principal.org_id
    await rollups.lock(session, org_id=org_id, objective_ids=[objective_id])
    objective = await get_objective(session, org_id=org_id, objective_id=objective_id, lock=True)
    with if_match_after(if_match, objective.version, required=True):  # a bad body is a 422 even when stale
        cycle = await get_cycle(session, org_id=org_id, cycle_id=objective.cycle_id)
        if cycle.state == "closed":
            raise Conflict("the cycle is closed; its objectives are frozen")
        before = (await publics(session, org_id=org_id, objectives=[objective], now=now))[0]
        for field in EDITABLE:
            if field in body.model_fields_set:
                value = getattr(body, field)
                if value is None and field != "team_id":
                    raise Invalid(f"body.{field}", "cannot be null")
                setattr(objective, field, value)
        with session.no_autoflush:  # validate before the changed row may be flushed
            await _validate(session, org_id, objective)
    objective.version += 1
    objective.updated_at = now
    await rollups.refresh(session, org_id=org_id, objective_ids=[objective.id], now=now, actor=principal.actor)
    after = (await publics(session, org_id=org_id, objectives=[objective], now=now))[0]
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="objective.updated",
            actor=principal.actor,
            object_type="objective",
            object_id=objective.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )
    return after


async def archive_objective(
    session: AsyncSession,
    *,
    principal: Principal,
    objective_id: UUID,
    if_match: str | None,
    now: datetime,
) -> None:
    """Objectives are archived, never deleted: their key results and check-ins stay in the history."""
    await rollups.lock(session, org_id=principal.org_id, objective_ids=[objective_id])
    objective = await get_objective(session, org_id=principal.org_id, objective_id=objective_id, lock=True)
    check_if_match(if_match, objective.version, required=True)
    if objective.state != "archived":
        objective.state = "archived"
        objective.version += 1
        objective.updated_at = now
        await session.flush()
        await events.emit(
            session,
            events.NewEvent(
                org_id=principal.org_id,
                type="objective.archived",
                actor=principal.actor,
                object_type="objective",
                object_id=objective.id,
                occurred_at=now,
            ),
        )
        await rollups.refresh(
            session, org_id=principal.org_id, objective_ids=[objective.id], now=now, actor=principal.actor
        )
