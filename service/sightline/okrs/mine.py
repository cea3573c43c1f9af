"""What the signed-in person works on (docs/web-app.md): the cycles enclosing a cycle, the cycle the app
opens on (the one they last chose, else the one where their and their teams' work is), and every key result
they own in the active cycles, due ones first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field as ColumnField
from sqlmodel import SQLModel, col, select

from sightline.auth import Principal
from sightline.errors import Forbidden
from sightline.inputs import StrictInput
from sightline.okrs.calendars import load_calendars
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import key_result_public
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.okrs.schemas import KeyResultPublic
from sightline.scoring import CADENCE_PERIOD, Cadence
from sightline.timestamps import UtcDateTime

MY_KEY_RESULTS_LIMIT = 500  # key results one person owns in the active cycles: far above any real workload
_SEVERITY = {"off_track": 0, "at_risk": 1, "no_data": 2, "on_track": 3, "done": 4}


class MemberPreference(SQLModel, table=True):
    __tablename__ = "member_preferences"
    org_id: UUID = ColumnField(primary_key=True)
    user_id: UUID = ColumnField(primary_key=True)
    cycle_id: UUID | None = None
    updated_at: datetime


class CycleChoicePublic(BaseModel):
    cycle_id: UUID | None = Field(
        description="The cycle this person last chose in the app; null before any choice or once it was deleted"
    )
    suggested_cycle_id: UUID | None = Field(
        description="Where this person's and their teams' work is: the current active cycle (containing today in "
        "the organisation's time zone) with most of their objectives and key results, counting the cycles "
        "enclosing it; ties go to the shortest. Null without any cycle"
    )


class CycleChoiceUpdate(StrictInput):
    cycle_id: UUID = Field(description="The cycle to open on next time")


class MyKeyResult(BaseModel):
    key_result: KeyResultPublic
    objective_title: str
    cycle_id: UUID
    cycle_name: str
    due: bool = Field(description="No check-in within its cadence period (weekly: 7 days…), or none yet")
    due_since: UtcDateTime | None = Field(
        description="When it became due: its last check-in plus one cadence period; null for one never checked in"
    )


class MyKeyResults(BaseModel):
    items: list[MyKeyResult] = Field(
        description=f"Due first, then worst status, then title; at most {MY_KEY_RESULTS_LIMIT}"
    )


def _person(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("only a person has a cycle choice and key results of their own")
    return principal.user_id


# Cycles strictly longer than the given one whose dates contain it (its year, for a quarter).
_ENCLOSING = """
SELECT e.id FROM cycles e
WHERE e.org_id = :org AND e.id <> :cycle AND e.start_date <= :start AND e.end_date >= :end
  AND e.end_date - e.start_date > :span
ORDER BY e.start_date, e.end_date DESC, e.id
"""


async def enclosing_cycle_ids(session: AsyncSession, *, org_id: UUID, cycle: Cycle) -> list[UUID]:
    """The cycles that contain this one (dates within theirs, shorter than them): a quarter's year."""
    rows = await session.execute(
        text(_ENCLOSING),
        {
            "org": org_id,
            "cycle": cycle.id,
            "start": cycle.start_date,
            "end": cycle.end_date,
            "span": (cycle.end_date - cycle.start_date).days,
        },
    )
    return [row.id for row in rows]


# Each cycle's share of the person's work: objectives they own, hold a key result in, or of a team they are
# in or lead, in the cycle itself or a cycle enclosing it (a quarter shows its year's objectives too).
_SUGGEST = """
WITH my_teams AS (
    SELECT team_id FROM team_members WHERE org_id = :org AND user_id = :me
    UNION SELECT id FROM teams WHERE org_id = :org AND lead_id = :me AND archived_at IS NULL
), work AS (
    SELECT o.cycle_id, count(DISTINCT o.id) AS n
    FROM objectives o
    LEFT JOIN key_results kr ON kr.org_id = o.org_id AND kr.objective_id = o.id AND kr.archived_at IS NULL
    WHERE o.org_id = :org AND o.state <> 'archived'
      AND (o.owner_id = :me OR kr.owner_id = :me OR o.team_id IN (SELECT team_id FROM my_teams))
    GROUP BY o.cycle_id
), today AS (
    SELECT (CAST(:now AS timestamptz) AT TIME ZONE coalesce(
        (SELECT settings->>'time_zone' FROM orgs WHERE org_id = :org), 'UTC'))::date AS day
)
SELECT c.id,
       coalesce((SELECT sum(w.n) FROM work w JOIN cycles e ON e.org_id = :org AND e.id = w.cycle_id
                 WHERE e.id = c.id OR (e.start_date <= c.start_date AND e.end_date >= c.end_date
                                       AND e.end_date - e.start_date > c.end_date - c.start_date)), 0) AS mine
FROM cycles c, today
WHERE c.org_id = :org
ORDER BY CASE c.state WHEN 'active' THEN 0 WHEN 'planning' THEN 1 ELSE 2 END,
         (c.start_date <= today.day AND today.day <= c.end_date) DESC,
         mine DESC, c.end_date - c.start_date, c.start_date DESC, c.id
LIMIT 1
"""


async def suggested_cycle(session: AsyncSession, *, org_id: UUID, user_id: UUID, now: datetime) -> UUID | None:
    row = (await session.execute(text(_SUGGEST), {"org": org_id, "me": user_id, "now": now})).first()
    return row.id if row else None


async def cycle_choice(session: AsyncSession, *, principal: Principal, now: datetime) -> CycleChoicePublic:
    me = _person(principal)
    remembered = (
        await session.execute(
            text("""
            SELECT p.cycle_id FROM member_preferences p
            JOIN cycles c ON c.org_id = p.org_id AND c.id = p.cycle_id
            WHERE p.org_id = :org AND p.user_id = :me
            """),
            {"org": principal.org_id, "me": me},
        )
    ).scalar_one_or_none()
    suggested = await suggested_cycle(session, org_id=principal.org_id, user_id=me, now=now)
    return CycleChoicePublic(cycle_id=remembered, suggested_cycle_id=suggested)


async def remember_cycle(
    session: AsyncSession, *, principal: Principal, body: CycleChoiceUpdate, now: datetime
) -> CycleChoicePublic:
    me = _person(principal)
    await get_cycle(session, org_id=principal.org_id, cycle_id=body.cycle_id)  # an unknown cycle is a 404
    values = {"org_id": principal.org_id, "user_id": me, "cycle_id": body.cycle_id, "updated_at": now}
    statement = insert(MemberPreference).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "user_id"], set_={"cycle_id": body.cycle_id, "updated_at": now}
        )
    )
    await session.flush()
    suggested = await suggested_cycle(session, org_id=principal.org_id, user_id=me, now=now)
    return CycleChoicePublic(cycle_id=body.cycle_id, suggested_cycle_id=suggested)


def due_since(last_check_in_at: datetime | None, cadence: str) -> datetime | None:
    return None if last_check_in_at is None else last_check_in_at + CADENCE_PERIOD[Cadence(cadence)]


def is_due(last_check_in_at: datetime | None, cadence: str, now: datetime) -> bool:
    since = due_since(last_check_in_at, cadence)
    return since is None or since <= now


async def my_key_results(session: AsyncSession, *, principal: Principal, now: datetime) -> MyKeyResults:
    """Every live key result the person owns in a live objective of an active cycle, due ones first."""
    me = _person(principal)
    rows = (
        await session.execute(
            select(KeyResult, col(Objective.cycle_id), col(Objective.title), col(Cycle.name))
            .join(
                Objective,
                (col(Objective.org_id) == col(KeyResult.org_id)) & (col(Objective.id) == col(KeyResult.objective_id)),
            )
            .join(Cycle, (col(Cycle.org_id) == col(Objective.org_id)) & (col(Cycle.id) == col(Objective.cycle_id)))
            .where(
                col(KeyResult.org_id) == principal.org_id,
                col(KeyResult.owner_id) == me,
                col(KeyResult.archived_at).is_(None),
                col(Objective.state).in_(("draft", "active")),
                col(Cycle.state) == "active",
            )
            .order_by(col(KeyResult.created_at), col(KeyResult.id))
            .limit(MY_KEY_RESULTS_LIMIT)
        )
    ).all()
    calendars = await load_calendars(session, org_id=principal.org_id, cycle_ids={row[1] for row in rows})
    items = []
    for kr, cycle_id, objective_title, cycle_name in rows:
        public = key_result_public(kr, calendar=calendars[cycle_id], now=now)
        items.append(
            MyKeyResult(
                key_result=public,
                objective_title=objective_title,
                cycle_id=cycle_id,
                cycle_name=cycle_name,
                due=is_due(kr.last_check_in_at, kr.cadence, now),
                due_since=due_since(kr.last_check_in_at, kr.cadence),
            )
        )
    never = datetime.min.replace(tzinfo=UTC)  # never checked in: due the longest
    items.sort(
        key=lambda item: (
            not item.due,
            _SEVERITY.get(item.key_result.status, 9),
            item.due_since or never,
            item.key_result.title,
            str(item.key_result.id),
        )
    )
    return MyKeyResults(items=items)
