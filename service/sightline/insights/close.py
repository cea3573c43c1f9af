"""Closing a cycle: grade every key result, freeze check-ins, close objectives, store the retrospective.

The only way a cycle becomes closed (PATCH /cycles refuses it). Idempotent: closing a closed cycle
answers its stored retrospective and changes nothing. Lock order is shared with check-ins — key
results first (by id), then the cycle — so a check-in racing the close either lands before the grades
are taken or sees the closed cycle (409); it never lands after them, and the two never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline import scoring
from sightline.alignment.coverage import CoverageSummary, coverage, summarise
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped
from sightline.errors import Conflict, NotFound
from sightline.events import service as events
from sightline.insights import ambition, grades, reports
from sightline.insights.facts import CycleFacts, ObjectiveFacts, load_cycle_facts
from sightline.insights.models import KeyResultGrade, Retrospective
from sightline.insights.schemas import KeyResultGradePublic, ObjectiveGrade, RetrospectivePublic
from sightline.okrs.cycles import cycle_public, get_cycle
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.okrs.schemas import CyclePublic

CLOSABLE_OBJECTIVE_STATES = ("draft", "active")


async def find_retrospective(session: AsyncSession, *, org_id: UUID, cycle: Cycle) -> RetrospectivePublic | None:
    stored = (
        await session.execute(scoped(Retrospective, org_id).where(col(Retrospective.cycle_id) == cycle.id))
    ).scalar_one_or_none()
    return None if stored is None else RetrospectivePublic.model_validate(stored.document)


async def get_retrospective(session: AsyncSession, *, org_id: UUID, cycle_id: UUID) -> RetrospectivePublic:
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    retrospective = await find_retrospective(session, org_id=org_id, cycle=cycle)
    if retrospective is None:
        if cycle.state == "closed":  # closed by an earlier version, before grading existed
            raise Conflict("this cycle was closed before retrospectives existed: it has no grades")
        raise Conflict("the cycle is not closed yet: its retrospective is written when it closes")
    return retrospective


async def _lock_key_results(session: AsyncSession, org_id: UUID, cycle_id: UUID) -> None:
    await session.execute(
        select(col(KeyResult.id))
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .where(col(KeyResult.org_id) == org_id, col(Objective.cycle_id) == cycle_id)
        .order_by(col(KeyResult.id))
        # A check-in's strength: grades and comments that reference them need not wait (db-row-lock-strengths).
        .with_for_update(of=KeyResult, key_share=True)
    )


async def _locked_cycle(session: AsyncSession, org_id: UUID, cycle_id: UUID) -> Cycle:
    # populate_existing: the row read before the lock is in the session; take the locked version.
    cycle = (
        await session.execute(
            scoped(Cycle, org_id)
            .where(col(Cycle.id) == cycle_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if cycle is None:
        raise NotFound("cycle")
    return cycle


async def committed_grades(
    session: AsyncSession, *, org_id: UUID, cycle: Cycle, include_self: bool
) -> list[ambition.OwnerCycleGrade]:
    """Committed grades of closed cycles ending by this one's end (the sandbagging rule's input)."""
    others = [] if include_self else [col(Cycle.id) != cycle.id]
    rows = await session.execute(
        select(
            col(KeyResultGrade.owner_id),
            col(KeyResultGrade.cycle_id),
            col(Cycle.start_date),
            col(Cycle.end_date),
            col(KeyResultGrade.hit),
            col(KeyResultGrade.ambition),
        )
        .join(
            Cycle, and_(col(Cycle.org_id) == col(KeyResultGrade.org_id), col(Cycle.id) == col(KeyResultGrade.cycle_id))
        )
        .where(
            col(KeyResultGrade.org_id) == org_id,
            col(KeyResultGrade.kind) == "committed",
            col(Cycle.state) == "closed",
            col(Cycle.end_date) <= cycle.end_date,
            *others,
        )
    )
    return [
        ambition.OwnerCycleGrade(
            owner_id=r.owner_id,
            cycle_id=r.cycle_id,
            cycle_start=r.start_date,
            cycle_end=r.end_date,
            hit=r.hit,
            ambition=r.ambition,
        )
        for r in rows
    ]


async def sandbagging_suspects(session: AsyncSession, *, org_id: UUID, facts: CycleFacts) -> set[UUID]:
    """A closed cycle and the one before it; for a cycle still running, the two closed before it."""
    cycle = facts.calendar.cycle
    closed = cycle.state == "closed"
    return ambition.sandbagging_suspects(
        await committed_grades(session, org_id=org_id, cycle=cycle, include_self=closed),
        before=cycle.end_date if closed else cycle.start_date,
        including=cycle.id if closed else None,
        low_ambition=facts.calendar.settings.low_ambition_threshold,
    )


def _objective_grades(facts: CycleFacts, graded: dict[UUID, grades.Grade]) -> list[ObjectiveGrade]:
    parts: dict[UUID, list[tuple[grades.Grade, float]]] = {o.id: [] for o in facts.objectives}
    for kr in facts.key_results:
        parts[kr.objective_id].append((graded[kr.id], kr.weight))
    return [
        ObjectiveGrade(
            objective_id=o.id,
            title=o.title,
            level=o.level,  # type: ignore[arg-type]
            kind=o.kind,  # type: ignore[arg-type]
            team_id=o.team_id,
            owner_id=o.owner_id,
            key_results=len(parts[o.id]),
            progress=scoring.objective_progress(parts=[(g.progress, w) for g, w in parts[o.id]]),
            score=scoring.objective_progress(parts=[(g.score, w) for g, w in parts[o.id]]),
        )
        for o in facts.objectives
    ]


def _grade_rows(
    facts: CycleFacts,
    graded: dict[UUID, grades.Grade],
    assessed: Sequence[tuple[Any, datetime | None, ambition.Ambition]],
    now: datetime,
) -> list[KeyResultGrade]:
    cycle = facts.calendar.cycle
    return [
        KeyResultGrade(
            org_id=cycle.org_id,
            key_result_id=kr.id,
            cycle_id=cycle.id,
            objective_id=kr.objective_id,
            owner_id=kr.owner_id,
            team_id=kr.team_id,
            kind=kr.kind,
            final_value=graded[kr.id].final_value,
            progress=graded[kr.id].progress,
            score=graded[kr.id].score,
            hit=graded[kr.id].hit,
            hit_at=hit_at,
            final_confidence=kr.latest_confidence,
            ambition=item.ambition,
            stretch_ambition=item.stretch_ambition,
            graded_at=now,
        )
        for kr, hit_at, item in assessed
    ]


def grade_public(grade: KeyResultGrade, title: str) -> KeyResultGradePublic:
    return KeyResultGradePublic(
        key_result_id=grade.key_result_id,
        title=title,
        objective_id=grade.objective_id,
        owner_id=grade.owner_id,
        team_id=grade.team_id,
        kind=grade.kind,  # type: ignore[arg-type]
        final_value=grade.final_value,
        progress=grade.progress,
        score=grade.score,
        hit=grade.hit,
        hit_at=grade.hit_at,
        final_confidence=grade.final_confidence,
        ambition=grade.ambition,
        stretch_ambition=grade.stretch_ambition,
        graded_at=grade.graded_at,
    )


async def close_cycle(
    session: AsyncSession, *, principal: Principal, cycle_id: UUID, now: datetime
) -> RetrospectivePublic:
    org_id = principal.org_id
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    if cycle.state == "closed":
        return await get_retrospective(session, org_id=org_id, cycle_id=cycle.id)
    if cycle.state == "planning":
        raise Conflict("the cycle is still in planning: activate it first, or delete it if it is empty")
    await _lock_key_results(session, org_id, cycle.id)
    cycle = await _locked_cycle(session, org_id, cycle.id)
    if cycle.state == "closed":  # a concurrent close won; it emitted cycle.closed, we change nothing
        return await get_retrospective(session, org_id=org_id, cycle_id=cycle.id)
    before = cycle_public(cycle)

    facts = await load_cycle_facts(session, org_id=org_id, cycle=cycle)
    graded = {kr.id: grades.grade(kr) for kr in facts.key_results}
    suspects = await _closing_suspects(session, org_id=org_id, cycle=cycle, facts=facts, graded=graded)
    grade_rows = _grade_rows(facts, graded, reports.assess_ambition(facts, suspects=suspects), now)
    line_of_sight = summarise(await coverage(session, org_id=org_id, cycle_id=cycle.id, as_of=None, now=now))

    cycle.state, cycle.closed_at, cycle.version, cycle.updated_at = "closed", now, cycle.version + 1, now
    retrospective = _retrospective(
        cycle, facts, graded, suspects, line_of_sight, closed_by=principal.actor, closed_at=now
    )
    closed_objectives = [o for o in facts.objectives if o.state in CLOSABLE_OBJECTIVE_STATES]
    await _store_close(session, org_id, retrospective, grade_rows, closed_objectives, now)
    await _emit_close(session, principal, cycle, before, facts, retrospective, grade_rows, closed_objectives, now)
    return retrospective


async def _closing_suspects(
    session: AsyncSession, *, org_id: UUID, cycle: Cycle, facts: CycleFacts, graded: dict[UUID, grades.Grade]
) -> set[UUID]:
    """The owners suspected of sandbagging, counting this cycle's committed grades with the earlier ones."""
    this_cycle = [
        ambition.OwnerCycleGrade(
            owner_id=kr.owner_id,
            cycle_id=cycle.id,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            hit=graded[kr.id].hit,
            ambition=item.ambition,
        )
        for kr, _, item in reports.assess_ambition(facts, suspects=set())
        if kr.kind == "committed"
    ]
    return ambition.sandbagging_suspects(
        [*await committed_grades(session, org_id=org_id, cycle=cycle, include_self=False), *this_cycle],
        before=cycle.end_date,
        including=cycle.id,
        low_ambition=facts.calendar.settings.low_ambition_threshold,
    )


def _retrospective(
    cycle: Cycle,
    facts: CycleFacts,
    graded: dict[UUID, grades.Grade],
    suspects: set[UUID],
    line_of_sight: CoverageSummary,
    *,
    closed_by: str,
    closed_at: datetime,
) -> RetrospectivePublic:
    return RetrospectivePublic(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        start_date=cycle.start_date.isoformat(),
        end_date=cycle.end_date.isoformat(),
        closed_at=closed_at,
        closed_by=closed_by,
        key_results=len(graded),
        hit=sum(1 for g in graded.values() if g.hit),
        grade_distribution=reports.grade_distributions(facts, graded),
        objectives=_objective_grades(facts, graded),
        calibration=reports.calibration_report(facts, hits={k: g.hit for k, g in graded.items()}),
        ambition=reports.ambition_report(facts, suspects=suspects, flagged_only=True),
        honesty=reports.honesty_report(facts),
        coverage=line_of_sight,
    )


async def _store_close(
    session: AsyncSession,
    org_id: UUID,
    retrospective: RetrospectivePublic,
    grade_rows: list[KeyResultGrade],
    closed_objectives: list[ObjectiveFacts],
    now: datetime,
) -> None:
    """The grades, the retrospective, and the still-open objectives closed, flushed."""
    if grade_rows:
        await session.execute(insert(KeyResultGrade), [g.model_dump() for g in grade_rows])
    session.add(
        Retrospective(
            org_id=org_id,
            cycle_id=retrospective.cycle_id,
            closed_at=retrospective.closed_at,
            closed_by=retrospective.closed_by,
            document=retrospective.model_dump(mode="json"),
        )
    )
    if closed_objectives:
        await session.execute(
            update(Objective)
            .where(col(Objective.org_id) == org_id, col(Objective.id).in_([o.id for o in closed_objectives]))
            .values(state="closed", version=col(Objective.version) + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    await session.flush()


async def _emit_close(
    session: AsyncSession,
    principal: Principal,
    cycle: Cycle,
    before: CyclePublic,
    facts: CycleFacts,
    retrospective: RetrospectivePublic,
    grade_rows: list[KeyResultGrade],
    closed_objectives: list[ObjectiveFacts],
    now: datetime,
) -> None:
    """cycle.closed, then objective.closed for each objective it closed, then key_result.graded for each grade."""
    org_id = principal.org_id
    titles = {kr.id: kr.title for kr in facts.key_results}
    scores = {o.objective_id: o for o in retrospective.objectives}
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="cycle.closed",
            actor=principal.actor,
            object_type="cycle",
            object_id=cycle.id,
            occurred_at=now,
            before=before,
            after=cycle_public(cycle),
        ),
        *(
            events.NewEvent(
                org_id=org_id,
                type="objective.closed",
                actor=principal.actor,
                object_type="objective",
                object_id=o.id,
                occurred_at=now,
                before={"id": str(o.id), "state": o.state},
                after={"id": str(o.id), "state": "closed", "score": scores[o.id].score},
            )
            for o in closed_objectives
        ),
        *(
            events.NewEvent(
                org_id=org_id,
                type="key_result.graded",
                actor=principal.actor,
                object_type="key_result",
                object_id=g.key_result_id,
                occurred_at=now,
                after=grade_public(g, titles[g.key_result_id]),
            )
            for g in grade_rows
        ),
    )


async def list_grades(
    session: AsyncSession, *, org_id: UUID, cycle_id: UUID, params: PageParams
) -> tuple[list[KeyResultGradePublic], str | None]:
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    statement = (
        select(KeyResultGrade, col(KeyResult.title))
        .join(
            KeyResult,
            and_(
                col(KeyResult.org_id) == col(KeyResultGrade.org_id),
                col(KeyResult.id) == col(KeyResultGrade.key_result_id),
            ),
        )
        .where(col(KeyResultGrade.org_id) == org_id, col(KeyResultGrade.cycle_id) == cycle.id)
    )
    rows = list(
        (
            await session.execute(
                paginate(statement, col(KeyResultGrade.graded_at), col(KeyResultGrade.key_result_id), params=params)
            )
        ).all()
    )
    page, cursor = page_of(rows, params, lambda row: (row[0].graded_at, row[0].key_result_id))
    return [grade_public(grade, title) for grade, title in page], cursor
