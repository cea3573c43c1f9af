"""The weekly summary of your team (`team_weekly_summary`): what moved, what is at risk, what is due.

Once a week per team, at or after Monday 08:00 in the organisation's time zone, to every member of the team and
its lead (one notification per team a person belongs to). The content is the team's weekly digest (the
computation the digests to chat tools use, integrations/digest.py), handed in by the worker as a `TeamWeek`:
this layer sits below the digest's own. The notification opens the team's review agenda (`/review?team=<id>`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.tenancy import try_org_lock
from sightline.identity.service import get_org, org_settings
from sightline.notifications import schedule
from sightline.notifications.candidates import Candidate
from sightline.notifications.producer import deliver
from sightline.okrs.models import Team, TeamMember

ACTOR = "system:summaries"
MAX_LINES = 10  # per list in one email


@dataclass(frozen=True)
class TeamWeek:
    """A team's week in lines of text: status changes, key results at risk, check-ins due."""

    moved: list[str]
    at_risk: list[str]
    due: list[str]


BuildWeek = Callable[[UUID], Awaitable[TeamWeek]]


def monday(now: datetime, zone: ZoneInfo) -> date:
    local = now.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _lines(week: TeamWeek) -> tuple[str, ...]:
    parts = (("Moved", week.moved), ("At risk", week.at_risk), ("Due", week.due))
    return tuple(f"{label}: {line}" for label, lines in parts for line in lines[:MAX_LINES])


async def _recipients(session: AsyncSession, org_id: UUID, teams: list[Team]) -> dict[UUID, set[UUID]]:
    ids = [team.id for team in teams]
    people: dict[UUID, set[UUID]] = {team.id: ({team.lead_id} if team.lead_id else set()) for team in teams}
    statement = select(col(TeamMember.team_id), col(TeamMember.user_id)).where(
        col(TeamMember.org_id) == org_id, col(TeamMember.team_id).in_(ids)
    )
    for row in await session.execute(statement):
        people[row.team_id].add(row.user_id)
    return people


async def send_due(session: AsyncSession, *, org_id: UUID, now: datetime, build: BuildWeek) -> int:
    """The summaries of this week not sent yet, once its Monday morning has come; returns notifications made."""
    if not await try_org_lock(session, "team_weekly_summary", org_id):
        return 0
    zone = ZoneInfo(org_settings(await get_org(session, org_id=org_id)).time_zone)
    week = monday(now, zone)
    if now < schedule.morning_of(week, zone):
        return 0
    teams = list(
        (await session.execute(select(Team).where(col(Team.org_id) == org_id, col(Team.archived_at).is_(None))))
        .scalars()
        .all()
    )
    served = await schedule.done(session, org_id=org_id, job="team_weekly_summary", subjects=[t.id for t in teams])
    teams = [team for team in teams if (served.get(team.id) or date.min) < week]
    if not teams:
        return 0
    people = await _recipients(session, org_id, teams)
    found: list[Candidate] = []
    for team in teams:
        content = await build(team.id)
        counts = f"{len(content.moved)} moved, {len(content.at_risk)} at risk, {len(content.due)} due"
        found += [
            Candidate(
                org_id=org_id,
                user_id=person,
                kind="team_weekly_summary",
                object_type="team",
                object_id=team.id,
                title=team.name,
                summary=f"{team.name} this week: {counts}",
                path=f"/review?team={team.id}",
                event_id=schedule.occasion_id("team_weekly_summary", team.id, week),
                actor=ACTOR,
                created_at=now,
                details=_lines(content),
            )
            for person in sorted(people[team.id])
        ]
    await schedule.record(
        session, org_id=org_id, job="team_weekly_summary", periods=dict.fromkeys([t.id for t in teams], week), now=now
    )
    return await deliver(session, found) if found else 0
