"""The health of a cycle's OKR process in one document: ambition, honesty, compliance, coverage (line of sight
and spend), and calibration and grades once closed. A fixed number of statements whatever the cycle's size.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.alignment.coverage import CoverageSummary, coverage, summarise
from sightline.insights import reports
from sightline.insights.close import find_retrospective, sandbagging_suspects
from sightline.insights.facts import load_cycle_facts
from sightline.insights.schemas import AmbitionReport, HealthPublic
from sightline.insights.scoreboard import compliance
from sightline.insights.scoreboard_sql import ScoreboardFilter, objective_scope
from sightline.okrs.cycles import get_cycle


async def cycle_health(session: AsyncSession, *, org_id: UUID, cycle_id: UUID, now: datetime) -> HealthPublic:
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    facts = await load_cycle_facts(session, org_id=org_id, cycle=cycle)
    retrospective = await find_retrospective(session, org_id=org_id, cycle=cycle) if cycle.state == "closed" else None
    line_of_sight: CoverageSummary | None = None
    if retrospective is not None:
        # The stored numbers of the close, so health and retrospective never disagree.
        ambition_report = retrospective.ambition
        calibration, distribution = retrospective.calibration, retrospective.grade_distribution
        line_of_sight = retrospective.coverage
    else:
        suspects = await sandbagging_suspects(session, org_id=org_id, facts=facts)
        ambition_report = reports.ambition_report(facts, suspects=suspects, flagged_only=True)
        calibration, distribution = None, None
    if line_of_sight is None:
        line_of_sight = summarise(await coverage(session, org_id=org_id, cycle_id=cycle.id, as_of=None, now=now))
    scope = objective_scope(org_id=org_id, cycle_id=cycle.id, flt=ScoreboardFilter())
    checked_in, _ = await compliance(session, scope=scope, calendar=facts.calendar, now=now)
    return HealthPublic(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        cycle_state=cycle.state,
        as_of=now,
        ambition=ambition_report,
        honesty=reports.honesty_report(facts),
        compliance=checked_in,
        coverage=line_of_sight,
        calibration=calibration,
        grade_distribution=distribution,
    )


async def cycle_ambition(session: AsyncSession, *, org_id: UUID, cycle_id: UUID) -> AmbitionReport:
    """Every key result's ambition and flags, summarised per team and for the cycle."""
    cycle = await get_cycle(session, org_id=org_id, cycle_id=cycle_id)
    facts = await load_cycle_facts(session, org_id=org_id, cycle=cycle)
    suspects = await sandbagging_suspects(session, org_id=org_id, facts=facts)
    return reports.ambition_report(facts, suspects=suspects, flagged_only=False)
