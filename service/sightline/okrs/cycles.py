"""Cycles: named date ranges (a year and its quarters) moving only forward: planning → active → closed.

Closing is `sightline.insights.close` (POST /cycles/{id}/close): it grades and freezes, so PATCH cannot close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, FieldError, Invalid
from sightline.events import service as events
from sightline.identity.models import Org
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.models import Cycle, Objective
from sightline.okrs.schemas import CycleCreate, CyclePublic, CycleUpdate
from sightline.versions import check_if_match

STATE_ORDER = {"planning": 0, "active": 1, "closed": 2}


# Run when a cycle's dates or state change, in its transaction: okrs.rollups registers (a hook, as it imports us).
calendar_changed: list[Callable[[AsyncSession, UUID, UUID, str, datetime], Awaitable[None]]] = []


def cycle_public(cycle: Cycle) -> CyclePublic:
    return CyclePublic.model_validate(cycle, from_attributes=True)


async def get_cycle(session: AsyncSession, *, org_id: UUID, cycle_id: UUID, lock: bool = False) -> Cycle:
    return await one_of_org(session, Cycle, org_id, cycle_id, what="cycle", lock=lock)


async def list_cycles(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    state: str | None,
    parent_id: UUID | None,
) -> tuple[list[Cycle], str | None]:
    statement = scoped(Cycle, org_id)
    if state is not None:
        statement = statement.where(col(Cycle.state) == state)
    if parent_id is not None:
        statement = statement.where(col(Cycle.parent_id) == parent_id)
    rows = list((await session.execute(paginate(statement, Cycle.created_at, Cycle.id, params=params))).scalars())
    return page_of(rows, params, lambda c: (c.created_at, c.id))


MAX_YEARS = 5  # a cycle is a year, a quarter, at most a multi-year plan; never open-ended


def latest_end(start: date) -> date:
    """The last day a cycle starting on `start` may end: the day before its fifth anniversary."""
    try:
        anniversary = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February: the anniversary falls on 1 March
        anniversary = date(start.year + MAX_YEARS, 3, 1)
    return anniversary - timedelta(days=1)


async def _validate(session: AsyncSession, org_id: UUID, cycle: Cycle, *, parent_changed: bool = True) -> None:
    if cycle.end_date <= cycle.start_date:
        raise Invalid("body.end_date", "must be after start_date")
    if cycle.end_date > (last := latest_end(cycle.start_date)):
        raise Invalid("body.end_date", f"a cycle lasts at most {MAX_YEARS} years: end it on or before {last}")
    if cycle.parent_id is None:
        return
    if cycle.parent_id == cycle.id:
        raise Invalid("body.parent_id", "a cycle cannot be its own parent")
    parent = await get_cycle(session, org_id=org_id, cycle_id=cycle.parent_id)
    if parent.parent_id == cycle.id:
        raise Invalid("body.parent_id", "the parent cycle is a child of this one")
    if cycle.start_date < parent.start_date or cycle.end_date > parent.end_date:
        within = f"must lie within the parent cycle {parent.name} ({parent.start_date} to {parent.end_date})"
        if parent_changed:
            raise Invalid("body.parent_id", f"the dates {within}")
        # The parent stays and the dates moved: the answer names the date that left it (docs/concepts.md).
        outside = [
            FieldError(("body", field), f"{getattr(cycle, field)} {within}", "cycle_outside_parent")
            for field, out in (
                ("start_date", cycle.start_date < parent.start_date),
                ("end_date", cycle.end_date > parent.end_date),
            )
            if out
        ]
        raise Invalid(errors=outside)


# What a cycle's dates hold, for a date change (issue 15, point 8): check-ins (their time, read on the
# organisation's calendar), milestone plan points of its key results, its child cycles' dates, and the dates of
# initiatives linked to its key results — unless that date lies in another cycle the initiative is linked to
# (an initiative may run across quarters). Only a date that lay inside before and would lie outside after counts:
# a widening change never fails, nor does a change because of rows that were already outside. Initiatives are a
# domain above this one: their tables are read, not their modules imported.
# One statement, bounded: the first OUTSIDE_LIMIT items (child cycles first, check-ins last, the start side
# before the end side), plus the first item of each (kind, field) group so that every group's count comes back.
OUTSIDE_LIMIT = 20
_OUTSIDE_SQL = text(
    """
    WITH outside AS (
        SELECT 1 AS rank, 'child_cycle' AS kind, child.id, child.name AS title, d.day
        FROM cycles child
        CROSS JOIN LATERAL (VALUES (child.start_date), (child.end_date)) AS d (day)
        WHERE child.org_id = :org AND child.parent_id = :cycle
          AND d.day BETWEEN :old_start AND :old_end AND (d.day < :new_start OR d.day > :new_end)
      UNION ALL
        SELECT 2, 'milestone_point', k.id, k.title, p.day
        FROM key_results k
        JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
        CROSS JOIN LATERAL (
            SELECT (point ->> 'date')::date AS day FROM jsonb_array_elements(k.milestone_plan) AS point
        ) AS p
        WHERE k.org_id = :org AND o.cycle_id = :cycle
          AND p.day BETWEEN :old_start AND :old_end AND (p.day < :new_start OR p.day > :new_end)
      UNION ALL
        SELECT 3, 'initiative', i.id, i.title, d.day
        FROM initiatives i
        CROSS JOIN LATERAL (VALUES (i.start_date), (i.end_date)) AS d (day)
        WHERE i.org_id = :org AND d.day BETWEEN :old_start AND :old_end AND (d.day < :new_start OR d.day > :new_end)
          AND EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results k ON k.org_id = l.org_id AND k.id = l.key_result_id
            JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
            WHERE l.org_id = i.org_id AND l.initiative_id = i.id AND o.cycle_id = :cycle
          )
          AND NOT EXISTS (
            SELECT 1 FROM initiative_key_results l
            JOIN key_results k ON k.org_id = l.org_id AND k.id = l.key_result_id
            JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
            JOIN cycles other ON other.org_id = o.org_id AND other.id = o.cycle_id
            WHERE l.org_id = i.org_id AND l.initiative_id = i.id AND other.id <> :cycle
              AND d.day BETWEEN other.start_date AND other.end_date
          )
      UNION ALL
        SELECT 4, 'check_in', c.id, k.title, (c.checked_in_at AT TIME ZONE :tz)::date
        FROM check_ins c
        JOIN key_results k ON k.org_id = c.org_id AND k.id = c.key_result_id
        JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
        WHERE c.org_id = :org AND o.cycle_id = :cycle
          AND c.checked_in_at >= :old_from AND c.checked_in_at < :old_until
          AND (c.checked_in_at < :new_from OR c.checked_in_at >= :new_until)
    ), sided AS (
        SELECT outside.*, CASE WHEN day < :new_start THEN 'start_date' ELSE 'end_date' END AS field FROM outside
    ), items AS (
        -- A child cycle or initiative is one item per side, with the date the cycle would have to reach.
        SELECT rank, kind, id, title, field, CASE WHEN field = 'start_date' THEN min(day) ELSE max(day) END AS day
        FROM sided WHERE kind IN ('child_cycle', 'initiative') GROUP BY rank, kind, id, title, field
      UNION ALL
        SELECT rank, kind, id, title, field, day FROM sided WHERE kind NOT IN ('child_cycle', 'initiative')
    ), marked AS (
        SELECT items.*, row_number() OVER (ORDER BY rank, day, id) AS n FROM items
    ), counted AS (
        SELECT marked.*,
               count(*) OVER (PARTITION BY kind, field) AS group_total,
               row_number() OVER (PARTITION BY kind, field ORDER BY n) AS group_n
        FROM marked
    )
    SELECT kind, id, title, day, field, n, group_total
    FROM counted WHERE n <= :limit OR group_n = 1
    ORDER BY n
    """
)
_NOUNS = {
    "child_cycle": ("child cycle", "child cycles"),
    "milestone_point": ("milestone plan point", "milestone plan points"),
    "initiative": ("initiative", "initiatives"),
    "check_in": ("check-in", "check-ins"),
}


@dataclass(frozen=True)
class _Dates:
    start: date
    end: date


async def _refuse_excluding(session: AsyncSession, org_id: UUID, cycle: Cycle, old: _Dates) -> None:
    """A 422 when the cycle's new dates would leave outside it what its old dates held (see above)."""
    new = _Dates(cycle.start_date, cycle.end_date)
    if new.start <= old.start and new.end >= old.end:
        return  # as wide or wider: nothing can fall out
    settings = OrganisationSettings.model_validate(
        (await session.execute(select(col(Org.settings)).where(col(Org.org_id) == org_id))).scalar_one()
    )
    tz = settings.time_zone
    old_from, old_until = scoring.cycle_bounds(start_date=old.start, end_date=old.end, tz=tz)
    new_from, new_until = scoring.cycle_bounds(start_date=new.start, end_date=new.end, tz=tz)
    rows = (
        await session.execute(
            _OUTSIDE_SQL,
            {
                "org": org_id,
                "cycle": cycle.id,
                "tz": tz,
                "old_start": old.start,
                "old_end": old.end,
                "new_start": new.start,
                "new_end": new.end,
                "old_from": old_from,
                "old_until": old_until,
                "new_from": new_from,
                "new_until": new_until,
                "limit": OUTSIDE_LIMIT,
            },
        )
    ).all()
    if not rows:
        return
    groups: dict[str, dict[str, int]] = {"start_date": {}, "end_date": {}}
    for row in rows:
        groups[row.field][row.kind] = row.group_total
    errors = []
    for field, counts in groups.items():
        if not counts:
            continue
        what = ", ".join(f"{n} {_NOUNS[kind][n != 1]}" for kind, n in sorted(counts.items(), key=_kind_order))
        edge = f"before {new.start}" if field == "start_date" else f"after {new.end}"
        message = f"would leave {what} outside the cycle ({edge})"
        errors.append(FieldError(("body", field), message, "cycle_dates_exclude"))
    items: list[dict[str, Any]] = [
        {"kind": r.kind, "id": str(r.id), "title": r.title, "date": r.day.isoformat(), "field": r.field}
        for r in rows
        if r.n <= OUTSIDE_LIMIT
    ]
    total = sum(n for counts in groups.values() for n in counts.values())
    raise Invalid(errors=errors, extensions={"outside": {"total": total, "items": items}})


def _kind_order(entry: tuple[str, int]) -> int:
    return list(_NOUNS).index(entry[0])


async def _name_free(session: AsyncSession, org_id: UUID, name: str, cycle_id: UUID | None) -> None:
    taken = (
        await session.execute(
            select(exists().where(col(Cycle.org_id) == org_id, col(Cycle.name) == name, col(Cycle.id) != cycle_id))
        )
    ).scalar()
    if taken:
        raise Conflict(f"a cycle named {name!r} already exists")


async def create_cycle(session: AsyncSession, *, principal: Principal, body: CycleCreate, now: datetime) -> Cycle:
    cycle = Cycle(
        org_id=principal.org_id,
        name=body.name,
        start_date=body.start_date,
        end_date=body.end_date,
        parent_id=body.parent_id,
        state=body.state,
        created_at=now,
        updated_at=now,
    )
    await _validate(session, principal.org_id, cycle)
    await _name_free(session, principal.org_id, body.name, None)
    session.add(cycle)
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="cycle.created",
            actor=principal.actor,
            object_type="cycle",
            object_id=cycle.id,
            occurred_at=now,
            after=cycle_public(cycle),
        ),
    )
    return cycle


async def update_cycle(
    session: AsyncSession,
    *,
    principal: Principal,
    cycle_id: UUID,
    body: CycleUpdate,
    if_match: str | None,
    now: datetime,
) -> Cycle:
    cycle = await get_cycle(session, org_id=principal.org_id, cycle_id=cycle_id, lock=True)
    check_if_match(if_match, cycle.version, required=False)
    before = cycle_public(cycle)
    if cycle.state == "closed" and body.model_fields_set - {"name"}:
        raise Conflict("the cycle is closed; only its name can change")
    if body.state is not None and STATE_ORDER[body.state] < STATE_ORDER[cycle.state]:
        raise Invalid("body.state", f"a cycle only moves forward (planning → active → closed); it is {cycle.state}")
    if body.name is not None:  # checked before the row changes: a query now would flush the new name
        await _name_free(session, principal.org_id, body.name, cycle.id)
    old_dates = _Dates(cycle.start_date, cycle.end_date)
    for field in ("name", "start_date", "end_date"):
        if (value := getattr(body, field)) is not None:
            setattr(cycle, field, value)
    parent_changed = "parent_id" in body.model_fields_set and body.parent_id != cycle.parent_id
    if "parent_id" in body.model_fields_set:
        cycle.parent_id = body.parent_id
    with session.no_autoflush:  # validate before the changed row may be flushed
        await _validate(session, principal.org_id, cycle, parent_changed=parent_changed)
        await _refuse_excluding(session, principal.org_id, cycle, old_dates)
    state_changed = body.state is not None and body.state != cycle.state
    if body.state is not None:
        cycle.state = body.state  # closing goes through insights.close (grades, retrospective)
    cycle.version += 1
    cycle.updated_at = now
    await session.flush()
    after = cycle_public(cycle)
    event_type = "cycle.activated" if state_changed else "cycle.updated"
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=event_type,
            actor=principal.actor,
            object_type="cycle",
            object_id=cycle.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )
    if state_changed or old_dates != _Dates(cycle.start_date, cycle.end_date):
        for hook in calendar_changed:
            await hook(session, principal.org_id, cycle.id, principal.actor, now)
    return cycle


async def delete_cycle(
    session: AsyncSession,
    *,
    principal: Principal,
    cycle_id: UUID,
    if_match: str | None,
    now: datetime,
) -> None:
    """Only an empty cycle in planning can be deleted; anything else has history to keep."""
    cycle = await get_cycle(session, org_id=principal.org_id, cycle_id=cycle_id, lock=True)
    check_if_match(if_match, cycle.version, required=False)
    used = (
        await session.execute(
            select(exists().where(col(Objective.org_id) == principal.org_id, col(Objective.cycle_id) == cycle.id))
        )
    ).scalar()
    children = (
        await session.execute(
            select(exists().where(col(Cycle.org_id) == principal.org_id, col(Cycle.parent_id) == cycle.id))
        )
    ).scalar()
    if cycle.state != "planning" or used or children:
        raise Conflict("only an empty cycle still in planning can be deleted")
    await session.delete(cycle)
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="cycle.deleted",
            actor=principal.actor,
            object_type="cycle",
            object_id=cycle.id,
            occurred_at=now,
            before=cycle_public(cycle),
        ),
    )
