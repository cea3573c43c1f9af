"""A team's 15-minute review: what needs talking about, worst first; and the record that a review happened.

The agenda covers the team's active objectives in active cycles. An item is a key result with at least
one reason — off track, at risk, a confidence drop since `since`, a missing check-in — ranked by `severity`
(rules below, documented in the README's insights section). A key result already done is never on it. After the
items: the team's initiatives created since `since` that move no key result. A recorded review keeps per-item
notes and decisions (review_markdown.py writes it out).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from sqlalchemy import and_, exists, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import FieldError, Invalid
from sightline.events import service as events
from sightline.identity.service import get_org, org_settings
from sightline.initiatives.reporting import unaligned_initiatives
from sightline.insights.facts import load_names
from sightline.insights.models import TeamReview
from sightline.insights.schemas import (
    AgendaItem,
    NewUnalignedInitiative,
    ReviewAgenda,
    ReviewItemNote,
    ReviewItemRecord,
    ReviewReason,
    TeamReviewCreate,
    TeamReviewPublic,
)
from sightline.okrs.cycles import load_calendars
from sightline.okrs.derive import expected
from sightline.okrs.models import CheckIn, Cycle, KeyResult, Objective
from sightline.okrs.teams import get_team
from sightline.scoring import Cadence, Status

DEFAULT_WINDOW = timedelta(days=7)  # without a previous review, look back one week
CLOCK_SKEW = timedelta(minutes=1)
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


def review_public(review: TeamReview, team_name: str) -> TeamReviewPublic:
    return TeamReviewPublic(
        id=review.id,
        team_id=review.team_id,
        team_name=team_name,
        held_at=review.held_at,
        since=review.since,
        notes=review.notes,
        decisions=list(review.decisions),
        items=[ReviewItemRecord.model_validate(item) for item in review.items],
        author_id=review.author_id,
        actor=review.actor,
        created_at=review.created_at,
    )


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


async def _previous_review(session: AsyncSession, org_id: UUID, team_id: UUID, before: datetime) -> TeamReview | None:
    return (
        await session.execute(
            scoped(TeamReview, org_id)
            .where(col(TeamReview.team_id) == team_id, col(TeamReview.held_at) <= before)
            .order_by(col(TeamReview.held_at).desc(), col(TeamReview.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


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
    previous = await _previous_review(session, org_id, team.id, now)
    since_from: Literal["query", "previous_review", "default"]
    if since is not None and not isinstance(since, datetime):  # a date alone: its 00:00 on the organisation's clock
        zone = org_settings(await get_org(session, org_id=org_id)).time_zone
        since = scoring.start_of_day(day=since, tz=zone)
    if since is not None:
        if since.tzinfo is None:
            raise Invalid("query.since", "give a time zone offset (ISO 8601)")
        since_from = "query"
    elif previous is not None:
        since, since_from = previous.held_at, "previous_review"
    else:
        since, since_from = now - DEFAULT_WINDOW, "default"
    team_ids = await _team_ids(session, org_id, team.id, include_sub_teams)
    rows = (
        await session.execute(
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
    ).all()
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
    items = []
    for kr, objective_title, cycle_id in rows:
        calendar = calendars[cycle_id]
        _, expected_progress = expected(kr, calendar=calendar, now=now)
        status = Status(kr.status)
        if status is Status.done:  # reached: nothing left to talk about in a review, whatever its confidence did
            continue
        then = before.get(kr.id)
        drop = then - kr.latest_confidence if then is not None and kr.latest_confidence is not None else None
        missing = scoring.is_stale(
            last_check_in_at=kr.last_check_in_at, cycle_start=calendar.start, cadence=Cadence(kr.cadence), now=now
        )
        reasons = reasons_for(status=status, confidence_drop=drop, missing_check_in=missing)
        if not reasons:
            continue
        items.append(
            AgendaItem(
                key_result_id=kr.id,
                title=kr.title,
                objective_id=kr.objective_id,
                objective_title=objective_title,
                cycle_id=cycle_id,
                owner_id=kr.owner_id,
                owner_name=names.person(kr.owner_id),
                status=status,
                progress=kr.progress,
                expected_progress=expected_progress,
                latest_confidence=kr.latest_confidence,
                confidence_at_since=then,
                confidence_drop=drop,
                last_check_in_at=kr.last_check_in_at,
                reasons=reasons,
                severity=severity(
                    status=status,
                    behind=expected_progress - kr.progress,
                    confidence_drop=drop,
                    missing_check_in=missing,
                ),
            )
        )
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
        new_unaligned_initiatives=[
            NewUnalignedInitiative(
                id=i.id,
                title=i.title,
                kind=i.kind,
                state=i.state,
                owner_id=i.owner_id,
                owner_name=names.person(i.owner_id),
                team_id=i.team_id,
                created_at=i.created_at,
                currency=i.currency,
                planned_budget=i.planned_budget,
                actual_spend=i.actual_spend,
            )
            for i in new_work
        ],
        previous_review=review_public(previous, team.name) if previous else None,
    )


async def record_review(
    session: AsyncSession, *, principal: Principal, team_id: UUID, body: TeamReviewCreate, now: datetime
) -> TeamReviewPublic:
    """Record that the team reviewed its OKRs; its time becomes the next agenda's default `since`."""
    org_id = principal.org_id
    team = await get_team(session, org_id=org_id, team_id=team_id)
    held_at = body.held_at or now
    if held_at.tzinfo is None:
        raise Invalid("body.held_at", "give a time zone offset (ISO 8601)")
    if held_at > now + CLOCK_SKEW:
        raise Invalid("body.held_at", "lies in the future")
    since = body.since
    if since is None:
        previous = await _previous_review(session, org_id, team.id, held_at)
        since = previous.held_at if previous else held_at - DEFAULT_WINDOW
    elif since.tzinfo is None:
        raise Invalid("body.since", "give a time zone offset (ISO 8601)")
    if since > held_at:
        raise Invalid("body.since", "must not be after held_at")
    items = await _item_records(session, org_id, body.items)
    review = TeamReview(
        org_id=org_id,
        team_id=team.id,
        held_at=held_at,
        since=since,
        notes=body.notes,
        decisions=list(body.decisions),
        items=[item.model_dump(mode="json") for item in items],
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        created_at=now,
    )
    session.add(review)
    await session.flush()
    public = review_public(review, team.name)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="team_review.created",
            actor=principal.actor,
            object_type="team_review",
            object_id=review.id,
            occurred_at=now,
            after=public,
        ),
    )
    return public


async def list_reviews(
    session: AsyncSession, *, org_id: UUID, team_id: UUID, params: PageParams
) -> tuple[list[TeamReviewPublic], str | None]:
    team = await get_team(session, org_id=org_id, team_id=team_id)
    statement = scoped(TeamReview, org_id).where(col(TeamReview.team_id) == team.id)
    rows = list(
        (await session.execute(paginate(statement, TeamReview.held_at, TeamReview.id, params=params))).scalars()
    )
    page, cursor = page_of(rows, params, lambda r: (r.held_at, r.id))
    return [review_public(r, team.name) for r in page], cursor


async def get_review(session: AsyncSession, *, org_id: UUID, review_id: UUID) -> TeamReviewPublic:
    review = await one_of_org(session, TeamReview, org_id, review_id, what="team review")
    team = await get_team(session, org_id=org_id, team_id=review.team_id)
    return review_public(review, team.name)


async def _item_records(session: AsyncSession, org_id: UUID, notes: list[ReviewItemNote]) -> list[ReviewItemRecord]:
    """The items as recorded: each key result's title, status, progress and confidence now, with its note."""
    errors = []
    seen: set[UUID] = set()
    for index, item in enumerate(notes):
        if item.key_result_id in seen:
            errors.append(FieldError(("body", "items", index, "key_result_id"), "this key result is listed twice"))
        seen.add(item.key_result_id)
    if errors:
        raise Invalid(errors=errors)
    if not notes:
        return []
    rows = (
        await session.execute(
            select(KeyResult, col(Objective.title))
            .join(
                Objective,
                and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
            )
            .where(col(KeyResult.org_id) == org_id, col(KeyResult.id).in_(seen))
        )
    ).all()
    found = {kr.id: (kr, objective_title) for kr, objective_title in rows}
    missing = [
        FieldError(("body", "items", index, "key_result_id"), "no such key result in this organisation")
        for index, item in enumerate(notes)
        if item.key_result_id not in found
    ]
    if missing:
        raise Invalid(errors=missing)
    names = await load_names(session, org_id=org_id, user_ids={kr.owner_id for kr, _ in found.values()})
    records = []
    for item in notes:
        kr, objective_title = found[item.key_result_id]
        records.append(
            ReviewItemRecord(
                key_result_id=kr.id,
                title=kr.title,
                objective_id=kr.objective_id,
                objective_title=objective_title,
                owner_name=names.person(kr.owner_id),
                status=Status(kr.status),
                progress=kr.progress,
                latest_confidence=kr.latest_confidence,
                note=item.note.strip(),
                decisions=[decision.strip() for decision in item.decisions if decision.strip()],
            )
        )
    return records
