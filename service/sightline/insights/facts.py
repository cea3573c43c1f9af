"""Load one cycle's key results, check-ins and names in a fixed number of statements for the pure rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline.identity.models import User
from sightline.identity.service import get_org, org_settings
from sightline.insights.history import CheckInFacts, KeyResultFacts
from sightline.okrs.derive import Calendar
from sightline.okrs.models import CheckIn, Cycle, KeyResult, Objective, Team
from sightline.scoring import Direction, Metric

COMPANY = "Company"  # the group of company-level objectives, which have no team


@dataclass(frozen=True)
class Names:
    teams: dict[UUID, tuple[str, UUID | None]]  # id → (name, parent id)
    people: dict[UUID, str]

    def team(self, team_id: UUID | None) -> str:
        return COMPANY if team_id is None else self.teams.get(team_id, ("(unknown team)", None))[0]

    def person(self, user_id: UUID) -> str:
        return self.people.get(user_id, "(unknown member)")


@dataclass(frozen=True)
class ObjectiveFacts:
    id: UUID
    title: str
    level: str
    kind: str
    state: str
    team_id: UUID | None
    owner_id: UUID


@dataclass(frozen=True)
class CycleFacts:
    calendar: Calendar
    objectives: list[ObjectiveFacts]
    key_results: list[KeyResultFacts]
    check_ins: dict[UUID, list[CheckInFacts]]
    names: Names


async def load_calendar(session: AsyncSession, *, org_id: UUID, cycle: Cycle) -> Calendar:
    return Calendar.of(org_settings(await get_org(session, org_id=org_id)), cycle)


def _live_objective(org_id: UUID, cycle_id: UUID) -> list[ColumnElement[bool]]:
    return [
        col(Objective.org_id) == org_id,
        col(Objective.cycle_id) == cycle_id,
        col(Objective.state) != "archived",
    ]


async def load_cycle_facts(
    session: AsyncSession, *, org_id: UUID, cycle: Cycle, with_check_ins: bool = True
) -> CycleFacts:
    """Six statements whatever the cycle's size: settings, objectives, key results, check-ins, names.

    Plain column rows, not ORM entities: building thousands of model instances costs more than the query.
    """
    calendar = await load_calendar(session, org_id=org_id, cycle=cycle)
    core = await session.connection()  # Core rows: the ORM's per-row bookkeeping is not needed here
    objectives = [
        ObjectiveFacts(
            id=r.id, title=r.title, level=r.level, kind=r.kind, state=r.state, team_id=r.team_id, owner_id=r.owner_id
        )
        for r in await core.execute(
            select(*(col(getattr(Objective, name)) for name in OBJECTIVE_COLUMNS))
            .where(*_live_objective(org_id, cycle.id))
            .order_by(col(Objective.created_at), col(Objective.id))
        )
    ]
    original = aliased(KeyResult)
    rows = await session.execute(
        select(
            *(col(getattr(KeyResult, name)) for name in KEY_RESULT_COLUMNS),
            col(Objective.team_id),
            col(Objective.kind),
            # A level carried over: last cycle's step began at the original's start (scoring.ambition).
            case((col(KeyResult.accumulation) == "level", col(original.start_value)), else_=None).label("baseline"),
        )
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .outerjoin(
            original,
            and_(col(original.org_id) == col(KeyResult.org_id), col(original.id) == col(KeyResult.carried_from)),
        )
        .where(*_live_objective(org_id, cycle.id), col(KeyResult.archived_at).is_(None))
        .order_by(col(KeyResult.created_at), col(KeyResult.id))
    )
    key_results = [key_result_facts(row, row.team_id, row.kind) for row in rows]
    check_ins: dict[UUID, list[CheckInFacts]] = {kr.id: [] for kr in key_results}
    if with_check_ins and key_results:
        for check_in in await _check_ins(session, org_id, cycle.id):
            if check_in.key_result_id in check_ins:
                check_ins[check_in.key_result_id].append(check_in)
    names = await load_names(
        session,
        org_id=org_id,
        user_ids={kr.owner_id for kr in key_results} | {o.owner_id for o in objectives},
    )
    return CycleFacts(
        calendar=calendar, objectives=objectives, key_results=key_results, check_ins=check_ins, names=names
    )


OBJECTIVE_COLUMNS = ("id", "title", "level", "kind", "state", "team_id", "owner_id")
KEY_RESULT_COLUMNS = (
    "id",
    "objective_id",
    "title",
    "owner_id",
    "metric",
    "direction",
    "start_value",
    "target_value",
    "stretch_value",
    "previous_value",
    "weight",
    "current_value",
    "progress",
    "score",
    "status",
    "latest_confidence",
    "last_check_in_at",
)


_METRICS = {m.value: m for m in Metric}
_DIRECTIONS = {d.value: d for d in Direction}


def key_result_facts(kr: Any, team_id: UUID | None, kind: str) -> KeyResultFacts:
    """From a KeyResult or a row with its columns."""
    return KeyResultFacts(
        id=kr.id,
        objective_id=kr.objective_id,
        title=kr.title,
        owner_id=kr.owner_id,
        team_id=team_id,
        kind=kind,
        metric=_METRICS[kr.metric],
        direction=_DIRECTIONS[kr.direction],
        start=kr.start_value,
        target=kr.target_value,
        stretch=kr.stretch_value,
        previous=kr.previous_value,
        weight=kr.weight,
        current_value=kr.current_value,
        progress=kr.progress,
        score=kr.score,
        status=kr.status,
        latest_confidence=kr.latest_confidence,
        last_check_in_at=kr.last_check_in_at,
        baseline=getattr(kr, "baseline", None),
    )


async def _check_ins(session: AsyncSession, org_id: UUID, cycle_id: UUID) -> list[CheckInFacts]:
    """Only the columns the rules read, for every check-in of the cycle's key results."""
    rows = await (await session.connection()).execute(
        select(
            col(CheckIn.id),
            col(CheckIn.key_result_id),
            col(CheckIn.value),
            col(CheckIn.confidence),
            col(CheckIn.checked_in_at),
            col(CheckIn.created_at),
            col(CheckIn.seq),
            col(CheckIn.backdated),
            col(CheckIn.corrects),
            col(CheckIn.reason),
            col(CheckIn.source),
        )
        .join(
            KeyResult,
            and_(col(KeyResult.org_id) == col(CheckIn.org_id), col(KeyResult.id) == col(CheckIn.key_result_id)),
        )
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .where(col(CheckIn.org_id) == org_id, col(Objective.cycle_id) == cycle_id)
        .order_by(col(CheckIn.key_result_id), col(CheckIn.checked_in_at), col(CheckIn.seq))
    )
    return [
        CheckInFacts(
            id=r.id,
            key_result_id=r.key_result_id,
            value=r.value,
            confidence=r.confidence,
            checked_in_at=r.checked_in_at,
            created_at=r.created_at,
            seq=r.seq,
            backdated=r.backdated,
            corrects=r.corrects,
            reason=r.reason,
            source=r.source,
        )
        for r in rows
    ]


async def load_names(session: AsyncSession, *, org_id: UUID, user_ids: Iterable[UUID]) -> Names:
    """Every team of the organisation (a tree is small) and the named people: two statements."""
    teams = {
        t.id: (t.name, t.parent_id)
        for t in (
            await session.execute(
                select(col(Team.id), col(Team.name), col(Team.parent_id)).where(col(Team.org_id) == org_id)
            )
        ).all()
    }
    wanted = set(user_ids)
    people: dict[UUID, str] = {}
    if wanted:
        people = {
            u.id: u.name
            for u in (
                await session.execute(
                    select(col(User.id), col(User.name)).where(col(User.org_id) == org_id, col(User.id).in_(wanted))
                )
            ).all()
        }
    return Names(teams=teams, people=people)
