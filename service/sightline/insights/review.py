"""A team's 15-minute review agenda: what needs talking about, worst first.

The agenda covers the team's active objectives in active cycles. An item is a key result with at least
one reason — off track, at risk, a confidence drop since `since`, a missing check-in — ranked by `severity`
(rules below, documented in the README's insights section). A key result already done is never on it. After the
items: the team's initiatives created since `since` that move no key result. The recorded reviews are in
review_records.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from sqlalchemy import and_, exists, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline import scoring
from sightline.errors import Invalid
from sightline.identity.service import get_org, org_settings
from sightline.initiatives.reporting import UnalignedInitiative, unaligned_initiatives
from sightline.insights.facts import load_names
from sightline.insights.models import TeamReview
from sightline.insights.review_records import DEFAULT_WINDOW, previous_review, review_public
from sightline.insights.schemas import (
    AgendaItem,
    NewUnalignedInitiative,
    ReviewAgenda,
    ReviewReason,
)
from sightline.okrs.calendars import load_calendars
from sightline.okrs.derive import Calendar, expected
from sightline.okrs.models import CheckIn, Cycle, KeyResult, Objective
from sightline.okrs.teams import get_team
from sightline.scoring import Cadence, Status

STATUS_WEIGHT = {Status.off_track: 3.0, Status.at_risk: 2.0}
CONFIDENCE_POINTS_PER_UNIT = 5  # a drop of 5 confidence points weighs as much as one status step
MISSING_CHECK_IN_WEIGHT = 1.0


def severity(*, status: Status, behind: float, confidence_drop: int | None, missing_check_in: bool) -> float:
    """Off track 3, at risk 2 (plus how far behind plan, 0–1); + confidence drop / 5; + 1 for a missing check-in."""
    value = STATUS_WEIGHT.get(status, 0.0)
    if status in STATUS_WEIGHT:
        value += max(0.0, min(1.0, behind))
    if confidence_drop is not None and confidence_drop > 0:
        value += confidence_drop / CONFIDENCE_POINTS_PER_UNIT
    if missing_check_in:
        value += MISSING_CHECK_IN_WEIGHT
    return value


def reasons_for(*, status: Status, confidence_drop: int | None, missing_check_in: bool) -> list[ReviewReason]:
    reasons: list[ReviewReason] = []
    if status is Status.off_track:
        reasons.append("off_track")
    elif status is Status.at_risk:
        reasons.append("at_risk")
    if confidence_drop is not None and confidence_drop > 0:
        reasons.append("confidence_drop")
    if missing_check_in:
        reasons.append("missing_check_in")
    return reasons


async def _team_ids(session: AsyncSession, org_id: UUID, team_id: UUID, include_sub_teams: bool) -> list[UUID]:
    if not include_sub_teams:
        return [team_id]
    rows = await session.execute(
        text("""
        WITH RECURSIVE subtree(id) AS (
            SELECT id FROM teams WHERE org_id = :org AND id = :team
            UNION
            SELECT t.id FROM teams t JOIN subtree s ON t.org_id = :org AND t.parent_id = s.id
        ) SELECT id FROM subtree"""),
        {"org": org_id, "team": team_id},
    )
    return list(rows.scalars())


async def _confidence_at(
    session: AsyncSession, org_id: UUID, key_result_ids: list[UUID], since: datetime
) -> dict[UUID, int | None]:
    """The confidence of each key result's current check-in as it was known at `since` (recorded by then)."""
    if not key_result_ids:
        return {}
    correction = aliased(CheckIn)
    rows = await session.execute(
        select(col(CheckIn.key_result_id), col(CheckIn.confidence))
        .where(
            col(CheckIn.org_id) == org_id,
            col(CheckIn.key_result_id).in_(key_result_ids),
            col(CheckIn.created_at) <= since,
            ~exists().where(
                col(correction.org_id) == col(CheckIn.org_id),
                col(correction.corrects) == col(CheckIn.id),
                col(correction.created_at) <= since,
            ),
        )
        .ext(distinct_on(col(CheckIn.key_result_id)))
        .order_by(col(CheckIn.key_result_id), col(CheckIn.checked_in_at).desc(), col(CheckIn.seq).desc())
    )
    return {r.key_result_id: r.confidence for r in rows}


async def _agenda_since(
    session: AsyncSession, org_id: UUID, since: datetime | date | None, previous: TeamReview | None, now: datetime
) -> tuple[datetime, Literal["query", "previous_review", "default"]]:
    """Where the agenda starts: the query's `since` (a date alone is its 00:00 on the organisation's clock), else
    the previous review, else a week ago."""
    if since is not None and not isinstance(since, datetime):
        zone = org_settings(await get_org(session, org_id=org_id)).time_zone
        since = scoring.start_of_day(day=since, tz=zone)
    if since is not None:
        if since.tzinfo is None:
            raise Invalid("query.since", "give a time zone offset (ISO 8601)")
        return since, "query"
    if previous is not None:
        return previous.held_at, "previous_review"
    return now - DEFAULT_WINDOW, "default"


async def _active_key_results(
    session: AsyncSession, org_id: UUID, team_ids: list[UUID]
) -> list[tuple[KeyResult, str, UUID]]:
    """The teams' key results (with objective title and cycle) of active objectives in active cycles."""
    rows = await session.execute(
        select(KeyResult, col(Objective.title), col(Objective.cycle_id))
        .join(
            Objective,
            and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
        )
        .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
        .where(
            col(KeyResult.org_id) == org_id,
            col(KeyResult.archived_at).is_(None),
            col(Objective.team_id).in_(team_ids),
            col(Objective.state) == "active",
            col(Cycle.state) == "active",
        )
    )
    return [(kr, title, cycle_id) for kr, title, cycle_id in rows.all()]


def _agenda_item(
    kr: KeyResult,
    objective_title: str,
    cycle_id: UUID,
    *,
    calendar: Calendar,
    confidence_then: int | None,
    owner_name: str,
    now: datetime,
) -> AgendaItem | None:
    """The key result's agenda item, or None when there is nothing to talk about (done, or no reason)."""
    _, expected_progress = expected(kr, calendar=calendar, now=now)
    status = Status(kr.status)
    if status is Status.done:  # reached: nothing left to talk about in a review, whatever its confidence did
        return None
    then = confidence_then
    drop = then - kr.latest_confidence if then is not None and kr.latest_confidence is not None else None
    missing = scoring.is_stale(
        last_check_in_at=kr.last_check_in_at, cycle_start=calendar.start, cadence=Cadence(kr.cadence), now=now
    )
    reasons = reasons_for(status=status, confidence_drop=drop, missing_check_in=missing)
    if not reasons:
        return None
    return AgendaItem(
        key_result_id=kr.id,
        title=kr.title,
        objective_id=kr.objective_id,
        objective_title=objective_title,
        cycle_id=cycle_id,
        owner_id=kr.owner_id,
        owner_name=owner_name,
        status=status,
        progress=kr.progress,
        expected_progress=expected_progress,
        latest_confidence=kr.latest_confidence,
        confidence_at_since=then,
        confidence_drop=drop,
        last_check_in_at=kr.last_check_in_at,
        reasons=reasons,
        severity=severity(
            status=status, behind=expected_progress - kr.progress, confidence_drop=drop, missing_check_in=missing
        ),
    )


def _new_unaligned(initiative: UnalignedInitiative, owner_name: str) -> NewUnalignedInitiative:
    i = initiative
    return NewUnalignedInitiative(
        id=i.id,
        title=i.title,
        kind=i.kind,
        state=i.state,
        owner_id=i.owner_id,
        owner_name=owner_name,
        team_id=i.team_id,
        created_at=i.created_at,
        currency=i.currency,
        planned_budget=i.planned_budget,
        actual_spend=i.actual_spend,
    )


async def agenda(
    session: AsyncSession,
    *,
    org_id: UUID,
    team_id: UUID,
    since: datetime | date | None,
    include_sub_teams: bool,
    now: datetime,
) -> ReviewAgenda:
    team = await get_team(session, org_id=org_id, team_id=team_id)
    previous = await previous_review(session, org_id, team.id, now)
    since, since_from = await _agenda_since(session, org_id, since, previous, now)
    team_ids = await _team_ids(session, org_id, team.id, include_sub_teams)
    rows = await _active_key_results(session, org_id, team_ids)
    calendars = await load_calendars(session, org_id=org_id, cycle_ids={cycle_id for _, _, cycle_id in rows})
    before = await _confidence_at(session, org_id, [kr.id for kr, _, _ in rows], since)
    new_work = [
        initiative
        for initiative in await unaligned_initiatives(session, org_id=org_id, team_ids=team_ids, created_since=since)
        if initiative.state != "dropped"
    ]
    names = await load_names(
        session,
        org_id=org_id,
        user_ids={kr.owner_id for kr, _, _ in rows} | {initiative.owner_id for initiative in new_work},
    )
    items = [
        item
        for kr, objective_title, cycle_id in rows
        if (
            item := _agenda_item(
                kr,
                objective_title,
                cycle_id,
                calendar=calendars[cycle_id],
                confidence_then=before.get(kr.id),
                owner_name=names.person(kr.owner_id),
                now=now,
            )
        )
        is not None
    ]
    items.sort(key=lambda item: (-item.severity, item.title, str(item.key_result_id)))
    return ReviewAgenda(
        team_id=team.id,
        team_name=team.name,
        include_sub_teams=include_sub_teams,
        since=since,
        since_from=since_from,
        as_of=now,
        key_results_reviewed=len(rows),
        items=items,
        new_unaligned_initiatives=[_new_unaligned(i, names.person(i.owner_id)) for i in new_work],
        previous_review=review_public(previous, team.name) if previous else None,
    )
