"""A team's recorded reviews: record that a review happened (per-item notes and decisions), list them, read one.

A recorded review's time becomes the next agenda's default `since` (review.py); review_markdown.py writes one out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import FieldError, Invalid
from sightline.events import service as events
from sightline.insights.facts import load_names
from sightline.insights.models import TeamReview
from sightline.insights.schemas import ReviewItemNote, ReviewItemRecord, TeamReviewCreate, TeamReviewPublic
from sightline.okrs.models import KeyResult, Objective
from sightline.okrs.teams import get_team
from sightline.scoring import Status

DEFAULT_WINDOW = timedelta(days=7)  # without a previous review, look back one week
CLOCK_SKEW = timedelta(minutes=1)


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


async def previous_review(session: AsyncSession, org_id: UUID, team_id: UUID, before: datetime) -> TeamReview | None:
    return (
        await session.execute(
            scoped(TeamReview, org_id)
            .where(col(TeamReview.team_id) == team_id, col(TeamReview.held_at) <= before)
            .order_by(col(TeamReview.held_at).desc(), col(TeamReview.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


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
        previous = await previous_review(session, org_id, team.id, held_at)
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
