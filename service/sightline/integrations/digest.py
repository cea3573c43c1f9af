"""Weekly team digests: what is at risk, which statuses changed, which check-ins are due — sent to an endpoint.

A digest subscription names a team, a webhook endpoint (typically `slack` or `teams`) and a weekly slot
(weekday and hour in the organisation's time zone). The scheduler sends each subscription once per ISO week,
after its slot; `POST /digests/{id}/send` sends one now. Sending writes a `team.digest` event and queues
one delivery of it to the subscription's endpoint only (never fanned out to other endpoints), which the
webhook dispatcher delivers and retries like any other.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline import scoring
from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, Invalid
from sightline.events import outbox
from sightline.events import service as events
from sightline.identity.models import User
from sightline.identity.service import get_org, org_settings
from sightline.integrations.models import TeamDigest
from sightline.integrations.schemas import (
    DigestDueCheckIn,
    DigestKeyResult,
    DigestSent,
    DigestStatusChange,
    TeamDigestContent,
    TeamDigestCreate,
    TeamDigestPublic,
    TeamDigestUpdate,
)
from sightline.observability import skip_row
from sightline.okrs.derive import Calendar
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.okrs.teams import get_team
from sightline.scoring import Cadence, Status
from sightline.versions import check_if_match

DIGEST_ACTOR = "system:digests"
LOOK_BACK = timedelta(days=7)
LOOK_AHEAD = timedelta(days=7)
MAX_ITEMS = 50  # per list in one digest: a chat message stays readable


# The slot (pure) ---------------------------------------------------------------------------------
def week_start(*, now: datetime, time_zone: str) -> date:
    local = now.astimezone(ZoneInfo(time_zone))
    return local.date() - timedelta(days=local.isoweekday() - 1)


def slot_passed(*, now: datetime, time_zone: str, weekday: int, hour: int) -> bool:
    """This week's slot (weekday, hour in the zone) has come."""
    zone = ZoneInfo(time_zone)
    monday = week_start(now=now, time_zone=time_zone)
    slot = datetime.combine(monday + timedelta(days=weekday - 1), time(hour), tzinfo=zone)
    return now >= slot


# The content -------------------------------------------------------------------------------------
_STATUS_CHANGES = text("""
    SELECT object_id, occurred_at, before ->> 'status' AS from_status, after ->> 'status' AS to_status,
           after ->> 'title' AS title
    FROM events
    WHERE org_id = :org AND type = 'key_result.status_changed' AND object_id = ANY (CAST(:ids AS uuid[]))
      AND occurred_at >= :since AND occurred_at <= :now
    ORDER BY occurred_at DESC
    LIMIT :limit
""")


async def build_digest(session: AsyncSession, *, org_id: UUID, team_id: UUID, now: datetime) -> TeamDigestContent:
    """The team's digest now, in four statements whatever its size (team, key results, owners, changes)."""
    team = await get_team(session, org_id=org_id, team_id=team_id)
    settings = org_settings(await get_org(session, org_id=org_id))
    zone = ZoneInfo(settings.time_zone)  # times in the organisation's zone: messages show their dates
    rows = await _active_key_results(session, org_id=org_id, team_id=team_id)
    owners = await _owner_names(session, org_id=org_id, owner_ids={kr.owner_id for kr, _ in rows})
    at_risk: list[DigestKeyResult] = []
    due: list[DigestDueCheckIn] = []
    for kr, cycle in rows:
        owner = owners.get(kr.owner_id, "")
        if kr.status in (Status.at_risk, Status.off_track):
            at_risk.append(_at_risk_item(kr, owner))
        due_item = _due_item(kr, owner, calendar=Calendar.of(settings, cycle), now=now, zone=zone)
        if due_item is not None:
            due.append(due_item)
    changes = await _status_changes(session, org_id=org_id, ids=[kr.id for kr, _ in rows], now=now, zone=zone)
    due.sort(key=lambda item: item.due_at)
    return TeamDigestContent(
        team_id=team.id,
        team_name=team.name,
        week_start=week_start(now=now, time_zone=settings.time_zone),
        since=now - LOOK_BACK,
        at_risk=at_risk[:MAX_ITEMS],
        status_changes=changes,
        due_check_ins=due[:MAX_ITEMS],
    )


async def _active_key_results(session: AsyncSession, *, org_id: UUID, team_id: UUID) -> list[tuple[KeyResult, Cycle]]:
    """The team's live key results (active objective in an active cycle, not archived), oldest first."""
    rows = (
        await session.execute(
            select(KeyResult, Cycle)
            .join(
                Objective,
                and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
            )
            .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
            .where(
                col(KeyResult.org_id) == org_id,
                col(Objective.team_id) == team_id,
                col(Objective.state) == "active",
                col(Cycle.state) == "active",
                col(KeyResult.archived_at).is_(None),
            )
            .order_by(col(KeyResult.created_at), col(KeyResult.id))
        )
    ).all()
    return [(kr, cycle) for kr, cycle in rows]


async def _owner_names(session: AsyncSession, *, org_id: UUID, owner_ids: set[UUID]) -> dict[UUID, str]:
    if not owner_ids:
        return {}
    users = (await session.execute(scoped(User, org_id).where(col(User.id).in_(owner_ids)))).scalars()
    return {user.id: user.name for user in users}


def _at_risk_item(kr: KeyResult, owner: str) -> DigestKeyResult:
    return DigestKeyResult(
        id=kr.id,
        title=kr.title,
        objective_id=kr.objective_id,
        status=Status(kr.status),
        current_value=kr.current_value,
        target_value=kr.target_value,
        unit=kr.unit,
        latest_confidence=kr.latest_confidence,
        owner_id=kr.owner_id,
        owner_name=owner,
    )


def _due_item(
    kr: KeyResult, owner: str, *, calendar: Calendar, now: datetime, zone: ZoneInfo
) -> DigestDueCheckIn | None:
    """The key result's next check-in if it falls within the look-ahead and before its cycle ends."""
    deadline = scoring.check_in_deadline(
        last_check_in_at=kr.last_check_in_at, cycle_start=calendar.start, cadence=Cadence(kr.cadence)
    )
    if not (deadline <= now + LOOK_AHEAD and deadline < calendar.end):
        return None
    return DigestDueCheckIn(
        key_result_id=kr.id,
        title=kr.title,
        owner_id=kr.owner_id,
        owner_name=owner,
        due_at=deadline.astimezone(zone),
        overdue=now > deadline,
    )


async def _status_changes(
    session: AsyncSession, *, org_id: UUID, ids: list[UUID], now: datetime, zone: ZoneInfo
) -> list[DigestStatusChange]:
    """The status changes of these key results over the look-back, in one statement."""
    if not ids:
        return []
    result = await session.execute(
        _STATUS_CHANGES,
        {"org": org_id, "ids": ids, "since": now - LOOK_BACK, "now": now, "limit": MAX_ITEMS},
    )
    return [
        DigestStatusChange(
            key_result_id=row.object_id,
            title=row.title or "",
            from_status=Status(row.from_status),
            to_status=Status(row.to_status),
            changed_at=row.occurred_at.astimezone(zone),
        )
        for row in result
        if row.from_status and row.to_status
    ]


# Subscriptions -----------------------------------------------------------------------------------
def digest_public(digest: TeamDigest) -> TeamDigestPublic:
    return TeamDigestPublic.model_validate(digest, from_attributes=True)


async def get_digest(session: AsyncSession, *, org_id: UUID, digest_id: UUID, lock: bool = False) -> TeamDigest:
    return await one_of_org(session, TeamDigest, org_id, digest_id, what="team digest", lock=lock)


async def list_digests(
    session: AsyncSession, *, org_id: UUID, params: PageParams, team_id: UUID | None
) -> tuple[list[TeamDigest], str | None]:
    statement = scoped(TeamDigest, org_id)
    if team_id is not None:
        statement = statement.where(col(TeamDigest.team_id) == team_id)
    rows = list(
        (await session.execute(paginate(statement, TeamDigest.created_at, TeamDigest.id, params=params))).scalars()
    )
    return page_of(rows, params, lambda d: (d.created_at, d.id))


async def _event(session: AsyncSession, principal: Principal, type: str, digest: TeamDigest, now: datetime) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=type,
            actor=principal.actor,
            object_type="team_digest",
            object_id=digest.id,
            occurred_at=now,
            after=digest_public(digest),
        ),
    )


async def create_digest(
    session: AsyncSession, *, principal: Principal, body: TeamDigestCreate, now: datetime
) -> TeamDigest:
    org_id = principal.org_id
    team = await get_team(session, org_id=org_id, team_id=body.team_id)
    if team.archived_at is not None:
        raise Invalid("body.team_id", "the team is archived")
    await outbox.require_endpoint(session, org_id=org_id, endpoint_id=body.endpoint_id)
    taken = (
        await session.execute(
            scoped(TeamDigest, org_id).where(
                col(TeamDigest.team_id) == body.team_id, col(TeamDigest.endpoint_id) == body.endpoint_id
            )
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict("this endpoint already receives this team's digest")
    time_zone = org_settings(await get_org(session, org_id=org_id)).time_zone
    digest = TeamDigest(
        org_id=org_id,
        team_id=body.team_id,
        endpoint_id=body.endpoint_id,
        weekday=body.weekday,
        hour=body.hour,
        # Created after this week's slot: the first digest comes next week (send one now by hand if wanted).
        last_sent_week=week_start(now=now, time_zone=time_zone)
        if slot_passed(now=now, time_zone=time_zone, weekday=body.weekday, hour=body.hour)
        else None,
        created_at=now,
        updated_at=now,
    )
    session.add(digest)
    await session.flush()
    await _event(session, principal, "team_digest.created", digest, now)
    return digest


async def update_digest(
    session: AsyncSession,
    *,
    principal: Principal,
    digest_id: UUID,
    body: TeamDigestUpdate,
    if_match: str | None,
    now: datetime,
) -> TeamDigest:
    digest = await get_digest(session, org_id=principal.org_id, digest_id=digest_id, lock=True)
    check_if_match(if_match, digest.version, required=False)
    for name in ("weekday", "hour"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise Invalid(f"body.{name}", "cannot be null")
    digest.weekday = body.weekday if body.weekday is not None else digest.weekday
    digest.hour = body.hour if body.hour is not None else digest.hour
    digest.version += 1
    digest.updated_at = now
    await session.flush()
    await _event(session, principal, "team_digest.updated", digest, now)
    return digest


async def delete_digest(
    session: AsyncSession, *, principal: Principal, digest_id: UUID, if_match: str | None, now: datetime
) -> None:
    digest = await get_digest(session, org_id=principal.org_id, digest_id=digest_id, lock=True)
    check_if_match(if_match, digest.version, required=False)
    await session.delete(digest)
    await session.flush()
    await _event(session, principal, "team_digest.deleted", digest, now)


# Sending -----------------------------------------------------------------------------------------
async def _send(session: AsyncSession, digest: TeamDigest, *, actor: str, now: datetime) -> DigestSent:
    content = await build_digest(session, org_id=digest.org_id, team_id=digest.team_id, now=now)
    event = events.NewEvent(
        org_id=digest.org_id,
        type="team.digest",
        actor=actor,
        object_type="team",
        object_id=digest.team_id,
        occurred_at=now,
        after=content,
    )
    await events.emit(session, event)  # a targeted type: not fanned out to every endpoint
    delivery_id = await outbox.queue_to(session, event=event, endpoint_id=digest.endpoint_id)
    digest.last_sent_at = now
    await session.flush()
    return DigestSent(event_id=event.id, delivery_id=delivery_id, digest=content)


async def send_now(session: AsyncSession, *, principal: Principal, digest_id: UUID, now: datetime) -> DigestSent:
    """Send the digest to its endpoint now (the weekly schedule is unchanged)."""
    digest = await get_digest(session, org_id=principal.org_id, digest_id=digest_id, lock=True)
    return await _send(session, digest, actor=principal.actor, now=now)


_CLAIM_WEEK = text("""
    UPDATE team_digests SET last_sent_week = :week
    WHERE org_id = :org AND id = :id AND last_sent_week IS DISTINCT FROM :week
    RETURNING id
""")


async def send_due(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """Send this organisation's digests whose weekly slot has passed and that this week has not had."""
    time_zone = org_settings(await get_org(session, org_id=org_id)).time_zone
    week = week_start(now=now, time_zone=time_zone)
    candidates = (
        await session.execute(
            scoped(TeamDigest, org_id).where(
                (col(TeamDigest.last_sent_week).is_(None)) | (col(TeamDigest.last_sent_week) != week)
            )
        )
    ).scalars()
    sent = 0
    for digest in list(candidates):
        if not slot_passed(now=now, time_zone=time_zone, weekday=digest.weekday, hour=digest.hour):
            continue
        digest_id = digest.id  # readable after a rollback to the savepoint (which expires the row)
        try:
            # A savepoint each: a digest that cannot be built is skipped (and tried again next pass), not the
            # organisation's other digests.
            async with session.begin_nested():
                # The row lock makes a second worker wait, then find the week taken: each digest goes out once.
                claimed = (await session.execute(_CLAIM_WEEK, {"org": org_id, "id": digest_id, "week": week})).first()
                if claimed is not None:
                    await _send(session, digest, actor=DIGEST_ACTOR, now=now)
                    sent += 1
        except Exception:
            skip_row("team_digests", org_id=org_id, digest_id=digest_id)
    return sent
