"""Import objectives, key results and their check-in history from CSV, all or nothing.

For teams moving from spreadsheets, and to load an export into another organisation. The files use the
export's column names; the `id` columns are references between the files only (any text: "KR1"), never
database ids. Every row is checked before anything is written; a bad cell fails the import with its
location as `["body", "<file>_csv", <spreadsheet row>, "<column>"]` (the header is row 1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.insights.csv_plan import Plan, plan_check_ins, plan_key_results, plan_objectives
from sightline.insights.csv_sheets import Problems, directory, read_sheet
from sightline.insights.facts import load_calendar
from sightline.insights.schemas import CycleImport, CycleImportResult, ImportedRef
from sightline.okrs.check_ins import check_in_public
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import Calendar, Part, derive, key_result_part, key_result_public, rollup
from sightline.okrs.models import CheckIn, KeyResult, Objective
from sightline.okrs.objectives import objective_public


def _derive_key_results(plan: Plan, calendar: Calendar, now: datetime) -> None:
    """Current value, confidence and last check-in from the imported history; then progress, score, status."""
    corrected = {c.corrects for c in plan.check_ins if c.corrects is not None}
    current: dict[UUID, tuple[datetime, int, CheckIn]] = {}
    for order, check_in in enumerate(plan.check_ins):
        if check_in.id in corrected:
            continue
        key = (check_in.checked_in_at, order)
        best = current.get(check_in.key_result_id)
        if best is None or key >= best[:2]:
            current[check_in.key_result_id] = (*key, check_in)
    for _, kr in plan.key_results:
        latest = current.get(kr.id)
        if latest is not None:
            kr.current_value = latest[2].value
            kr.latest_confidence = latest[2].confidence
            kr.last_check_in_at = latest[2].checked_in_at
        derived = derive(
            kr,
            current_value=kr.current_value,
            latest_confidence=kr.latest_confidence,
            has_check_in=latest is not None,
            calendar=calendar,
            now=now,
        )
        kr.progress, kr.score, kr.status = derived.progress, derived.score, derived.status


async def import_cycle(
    session: AsyncSession, *, principal: Principal, cycle_id: UUID, body: CycleImport, now: datetime
) -> CycleImportResult:
    org_id = principal.org_id
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id, lock=True)
    if cycle.state == "closed":
        raise Conflict("the cycle is closed")
    calendar = await load_calendar(session, org_id=org_id, cycle=cycle)
    problems = Problems()
    objective_sheet = read_sheet(body.objectives_csv, "objectives_csv", {"title"}, problems)
    key_result_sheet = read_sheet(body.key_results_csv, "key_results_csv", {"title", "target_value"}, problems)
    check_in_sheet = read_sheet(body.check_ins_csv, "check_ins_csv", {"key_result_id", "value"}, problems)
    members_and_teams = await directory(session, org_id)
    existing: dict[str, list[Objective]] = {}
    for objective in (
        await session.execute(
            select(Objective).where(
                col(Objective.org_id) == org_id, col(Objective.cycle_id) == cycle.id, col(Objective.state) != "archived"
            )
        )
    ).scalars():
        existing.setdefault(objective.title, []).append(objective)
    keys = {c.get("external_key", "") for _, c in key_result_sheet.rows} - {""}
    taken = (
        set(
            (
                await session.execute(
                    select(col(KeyResult.external_key)).where(
                        col(KeyResult.org_id) == org_id, col(KeyResult.external_key).in_(keys)
                    )
                )
            ).scalars()
        )
        if keys
        else set()
    )
    plan = Plan()
    plan.objectives = plan_objectives(objective_sheet, members_and_teams, principal, calendar, now, problems)
    objectives = dict(plan.objectives)
    plan.key_results = plan_key_results(
        key_result_sheet,
        objectives,
        existing,
        members_and_teams,
        {k for k in taken if k},
        calendar,
        principal,
        now,
        body.objectives_csv is not None,
        problems,
    )
    plan.check_ins = plan_check_ins(check_in_sheet, dict(plan.key_results), calendar, principal, now, problems)
    if problems.errors:
        raise Invalid(
            errors=problems.errors, detail=f"{len(problems.errors)} problems in the files; nothing was written"
        )
    _derive_key_results(plan, calendar, now)
    await _write(session, plan, principal, calendar, now)
    return CycleImportResult(
        objectives=[ImportedRef(ref=ref, id=o.id) for ref, o in plan.objectives],
        key_results=[ImportedRef(ref=ref, id=kr.id) for ref, kr in plan.key_results],
        check_ins=len(plan.check_ins),
    )


async def _write(session: AsyncSession, plan: Plan, principal: Principal, calendar: Calendar, now: datetime) -> None:
    """Bulk inserts in dependency order (objectives, key results, check-ins in file order), then the events."""
    org_id = principal.org_id
    if plan.objectives:
        await session.execute(insert(Objective), [o.model_dump() for _, o in plan.objectives])
    if plan.key_results:
        await session.execute(insert(KeyResult), [kr.model_dump() for _, kr in plan.key_results])
    if plan.check_ins:
        await session.execute(insert(CheckIn), [c.model_dump(exclude={"seq"}) for c in plan.check_ins])
    kr_publics = {kr.id: key_result_public(kr, calendar=calendar, now=now) for _, kr in plan.key_results}
    by_objective: dict[UUID, list[Any]] = {}
    parts: dict[UUID, list[Part]] = {}
    for _, kr in plan.key_results:
        if kr.archived_at is None:
            by_objective.setdefault(kr.objective_id, []).append(kr_publics[kr.id])
            parts.setdefault(kr.objective_id, []).append(key_result_part(kr, calendar=calendar, now=now))

    def event(type_: str, object_type: str, object_id: UUID, after: BaseModel) -> events.NewEvent:
        return events.NewEvent(
            org_id=org_id,
            type=type_,
            actor=principal.actor,
            object_type=object_type,
            object_id=object_id,
            occurred_at=now,
            after=after,
        )

    await events.emit(
        session,
        *(
            event(
                "objective.created",
                "objective",
                o.id,
                objective_public(o, by_objective.get(o.id, []), rollup(parts.get(o.id, []), calendar.thresholds)),
            )
            for _, o in plan.objectives
        ),
        *(event("key_result.created", "key_result", kr_id, p) for kr_id, p in kr_publics.items()),
        *(event("check_in.created", "check_in", c.id, check_in_public(c)) for c in plan.check_ins),
    )
