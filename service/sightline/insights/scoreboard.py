"""The scoreboard of a cycle: every objective's roll-up, grouped by team, with check-in compliance.

Aggregated in SQL in a fixed set of statements whatever the cycle's size. The numbers are the same as
`GET /objectives` gives: progress and score are the weighted means of the key results' stored values,
status is `scoring.objective_status`, and expected progress comes from `scoring` too — computed once for
all plain linear key results (it is the same for all of them) and per key result only for the few with
a milestone plan, a threshold or a milestone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline import scoring
from sightline.db.rows import fetch_named, fetch_rows
from sightline.insights.facts import COMPANY, Names, load_calendar, load_names
from sightline.insights.schemas import (
    ComplianceFigures,
    CompliancePublic,
    PersonCompliance,
    TeamCompliance,
)
from sightline.insights.scoreboard_sql import (
    BY_PERSON,
    BY_TEAM,
    COMPLIANCE,
    LATEST_CONFIDENCE,
    LINEAR,
    OBJECTIVES,
    OVERALL,
    STATUSES,
    Scope,
    ScoreboardFilter,
    kr_status_counts_sql,
    objective_scope,
    status_counts_sql,
)
from sightline.kpis import summary as kpi_summary
from sightline.okrs.calendars import load_calendars
from sightline.okrs.cycles import get_cycle
from sightline.okrs.derive import Calendar, Rollup, expected
from sightline.okrs.mine import enclosing_cycle_ids
from sightline.okrs.models import KeyResult, Objective

# The alignment module's own walk below objectives that roll up from children: one definition of it.
from sightline.okrs.subgraph import LINKS_BELOW, Subgraph, is_fresh, stored
from sightline.okrs.teams import get_team
from sightline.scoring import CADENCE_PERIOD, STALE_GRACE, Cadence, Direction, Metric, Status
from sightline.timestamps import as_utc


def linear_expected_progress(calendar: Calendar, now: datetime) -> float:
    """Expected progress of every plain increase/decrease key result: the same function, any start/target."""
    return scoring.expected_progress(
        metric=Metric.number,
        direction=Direction.increase,
        start=0.0,
        target=1.0,
        cycle_start=calendar.start,
        cycle_end=calendar.end,
        plan=[],
        now=now,
    )


def compliance_as_of(calendar: Calendar, now: datetime) -> datetime:
    """Compliance is judged now, or at the cycle's end once it is over."""
    return min(now, calendar.end)


async def compliance(
    session: AsyncSession, *, scope: Scope, calendar: Calendar, now: datetime
) -> tuple[CompliancePublic, Names]:
    """Per team (the objective's) and per person (the key result's owner); also returns the names it loaded."""
    as_of = compliance_as_of(calendar, now)
    periods = {cadence.value: CADENCE_PERIOD[cadence] + STALE_GRACE for cadence in Cadence}
    rows = await fetch_named(
        session,
        COMPLIANCE.format(scope=scope.sql),
        {**scope.params, **periods, "cycle_start": calendar.start, "as_of": as_of},
    )
    names = await load_names(
        session, org_id=scope.params["org"], user_ids={r.owner_id for r in rows if r.grouping == BY_PERSON}
    )

    def figures(row: Any) -> dict[str, Any]:
        return {
            "key_results": row.key_results,
            "on_time": row.on_time,
            "share": row.on_time / row.key_results if row.key_results else None,
        }

    overall = next((r for r in rows if r.grouping == OVERALL), None)
    teams = [r for r in rows if r.grouping == BY_TEAM]
    people = [r for r in rows if r.grouping == BY_PERSON]
    public = CompliancePublic(
        as_of=as_of,
        overall=ComplianceFigures.model_validate(figures(overall))
        if overall
        else ComplianceFigures(key_results=0, on_time=0, share=None),
        teams=sorted(
            (TeamCompliance(team_id=r.team_id, name=names.team(r.team_id), **figures(r)) for r in teams),
            key=lambda t: (t.team_id is not None, t.name, str(t.team_id)),
        ),
        people=sorted(
            (PersonCompliance(user_id=r.owner_id, name=names.person(r.owner_id), **figures(r)) for r in people),
            key=lambda p: (p.name, str(p.user_id)),
        ),
    )
    return public, names


_COUNTS = attrgetter(*(f"n_{s}" for s in STATUSES))  # a row's key-result counts, in STATUSES' order
_STATUS_OF = {s.value: s for s in Status}
Counts = dict[UUID, dict[str, int]]  # each objective's key results by status


async def _non_linear_expected(
    session: AsyncSession, scope: Scope, calendars: dict[UUID, Calendar], now: datetime
) -> dict[UUID, list[tuple[float, float]]]:
    """(expected progress, weight) of the key results not on the plain linear pace, by objective."""
    kr_, o = aliased(KeyResult, name="kr"), aliased(Objective, name="o")
    statement = (
        select(
            col(kr_.objective_id),
            col(o.cycle_id),
            col(kr_.weight),
            col(kr_.metric),
            col(kr_.direction),
            col(kr_.start_value),
            col(kr_.target_value),
            col(kr_.milestone_plan),
        )
        .join(o, and_(col(o.org_id) == col(kr_.org_id), col(o.id) == col(kr_.objective_id)))
        .where(
            text(scope.sql),
            col(kr_.org_id) == scope.params["org"],
            col(kr_.archived_at).is_(None),
            text(f"NOT {LINEAR}"),
        )
    )
    parts: dict[UUID, list[tuple[float, float]]] = {}
    for row in await (await session.connection()).execute(statement, scope.params):
        _, expected_progress = expected(row, calendar=calendars[row.cycle_id], now=now)
        parts.setdefault(row.objective_id, []).append((expected_progress, row.weight))
    return parts


def own_rollup(
    row: Any, counts: dict[str, int], calendar: Calendar, linear: float, extra: list[tuple[float, float]]
) -> Rollup:
    """An objective's roll-up of its own key results from the SQL aggregates: `derive.rollup`'s numbers."""
    weight = row.weight or 0.0
    if row.key_result_count and weight > 0:
        progress: float | None = row.weighted_progress / weight
        score: float | None = row.weighted_score / weight
        planned = math.fsum(max(0.0, min(1.0, p)) * w for p, w in extra)
        expected_progress: float | None = (row.linear_weight * linear + planned) / weight
    else:
        progress = score = expected_progress = None
    statuses = [_STATUS_OF[s] for s, n in counts.items() for _ in range(n)]
    status = scoring.objective_status(
        progress=progress, expected_progress=expected_progress, statuses=statuses, thresholds=calendar.thresholds
    )
    return Rollup(progress=progress, expected_progress=expected_progress, score=score, status=status)


def _objective(row: Any, counts: dict[str, int], rolled: Rollup, cycle_id: UUID) -> dict[str, Any]:
    """JSON values as ScoreboardObjective writes them: the board is encoded once, never validated again (the
    tests check it against the contract's models)."""
    return {
        "id": row.id,
        "cycle_id": row.cycle_id,
        "title": row.title,
        "level": row.level,
        "kind": row.kind,
        "state": row.state,
        "owner_id": row.owner_id,
        "owner_name": row.owner_name,
        "team_id": row.team_id,
        "progress": rolled.progress,
        "expected_progress": rolled.expected_progress,
        "score": rolled.score,
        "status": rolled.status.value,
        "latest_confidence": row.latest_confidence,
        "lowest_confidence": row.lowest_confidence,
        "last_check_in_at": None if row.last_check_in_at is None else as_utc(row.last_check_in_at),
        "key_result_count": row.key_result_count,
        "key_results_by_status": counts,
        "inherited": row.cycle_id != cycle_id,
    }


async def _aggregates(session: AsyncSession, scope: Scope) -> tuple[list[Any], Counts]:
    """The aggregate query's rows (named tuples), and each one's key-result counts by status."""
    sql = OBJECTIVES.format(
        status_counts=status_counts_sql(),
        kr_status_counts=kr_status_counts_sql(),
        linear=LINEAR,
        latest_confidence=LATEST_CONFIDENCE,
        scope=scope.sql,
    )
    rows = await fetch_named(session, sql, scope.params)
    return rows, {row.id: dict(zip(STATUSES, _COUNTS(row), strict=True)) for row in rows}


async def _own_rollups(
    session: AsyncSession,
    scope: Scope,
    rows: Sequence[Any],
    counts: Counts,
    calendars: dict[UUID, Calendar],
    now: datetime,
) -> dict[UUID, Rollup]:
    extra = await _non_linear_expected(session, scope, calendars, now) if rows else {}
    linear = {cycle_id: linear_expected_progress(c, now) for cycle_id, c in calendars.items()}
    return {
        row.id: own_rollup(row, counts[row.id], calendars[row.cycle_id], linear[row.cycle_id], extra.get(row.id, []))
        for row in rows
    }


async def _through_children(
    session: AsyncSession,
    org_id: UUID,
    rows: Sequence[Any],
    own: dict[UUID, Rollup],
    calendar: Calendar,
    now: datetime,
) -> dict[UUID, Rollup]:
    """Effective roll-ups: objectives taking progress from aligned children (`children`, `both`) go through
    the alignment roll-up (the same as GET /objectives), fed with the own roll-ups aggregated in SQL.
    A fixed number of statements, none when no objective rolls up from children."""
    rolling = [row.id for row in rows if row.progress_from != "key_results"]
    if not rolling:
        return own
    links = await fetch_rows(session, LINKS_BELOW, org_id, rolling, False)
    objectives: dict[UUID, Any] = {row.id: row for row in rows}
    below = list({link.child_objective_id for link in links} - set(objectives))
    if below:  # descendants outside the board (another cycle, another team): their own numbers too
        scope = Scope(sql="o.org_id = :org AND o.id = ANY(CAST(:ids AS uuid[]))", params={"org": org_id, "ids": below})
        descendants, counts = await _aggregates(session, scope)
        calendars = await load_calendars(session, org_id=org_id, cycle_ids={r.cycle_id for r in descendants})
        own = {**own, **await _own_rollups(session, scope, descendants, counts, calendars, now)}
        objectives.update({row.id: row for row in descendants})
    graph = Subgraph(
        objectives=objectives,
        key_results={},
        links=links,
        calendars={},
        thresholds=calendar.thresholds,
        own=own,
    )
    return graph.rollups(now)


def _groups(objectives: Iterable[dict[str, Any]], names: Names) -> list[dict[str, Any]]:
    members: dict[UUID | None, list[dict[str, Any]]] = {}
    for objective in objectives:
        members.setdefault(objective["team_id"], []).append(objective)
    groups = [
        {
            "team_id": team_id,
            "name": names.team(team_id) if team_id else COMPANY,
            "parent_id": names.teams.get(team_id, ("", None))[1] if team_id else None,
            "objectives": rows,
            "objectives_by_status": _tally(o["status"] for o in rows),
        }
        for team_id, rows in members.items()
    ]
    return sorted(groups, key=lambda g: (g["team_id"] is not None, g["name"], str(g["team_id"])))


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        counts[status] += 1
    return counts


async def scoreboard(
    session: AsyncSession, *, org_id: UUID, cycle_id: UUID, flt: ScoreboardFilter, now: datetime
) -> dict[str, Any]:
    """The board as the JSON values of `ScoreboardPublic` (http/jsonutil.py `answer` encodes it once)."""
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    if flt.team_id is not None:
        await get_team(session, org_id=org_id, team_id=flt.team_id)  # a typo is a 404, not an empty board
    calendar = await load_calendar(session, org_id=org_id, cycle=cycle)
    enclosing = await enclosing_cycle_ids(session, org_id=org_id, cycle=cycle) if flt.include_enclosing else []
    scope = objective_scope(org_id=org_id, cycle_id=cycle.id, flt=flt, enclosing=enclosing)
    rows, counts = await _aggregates(session, scope)
    calendars = {**await load_calendars(session, org_id=org_id, cycle_ids=set(enclosing)), cycle.id: calendar}
    if all(is_fresh(row.rollup_at, now) for row in rows):  # kept by every change below (okrs/rollups.py)
        rollups = {row.id: stored(row) for row in rows}
    else:
        own = await _own_rollups(session, scope, rows, counts, calendars, now)
        rollups = await _through_children(session, org_id, rows, own, calendar, now)
    objectives = [_objective(row, counts[row.id], rollups[row.id], cycle.id) for row in rows]
    kr_totals = dict.fromkeys(STATUSES, 0)
    for by_status in counts.values():
        for status, n in by_status.items():
            kr_totals[status] += n
    checked_in, names = await compliance(session, scope=scope, calendar=calendar, now=now)
    return {
        "cycle_id": cycle.id,
        "cycle_name": cycle.name,
        "cycle_state": cycle.state,
        "as_of": as_utc(now),
        "teams": _groups(objectives, names),
        "totals": {"objectives": _tally(o["status"] for o in objectives), "key_results": kr_totals},
        "compliance": checked_in.model_dump(mode="json"),
        "kpis": await kpi_summary.status_counts(session, org_id=org_id, team_id=flt.team_id),
    }
