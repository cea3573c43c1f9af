"""Teams: a tree (Company → Marketing → Demand Gen …) with a lead and members."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Invalid
from sightline.events import service as events
from sightline.identity.models import User
from sightline.okrs.models import Team, TeamMember
from sightline.okrs.schemas import TeamCreate, TeamPublic, TeamUpdate
from sightline.versions import check_if_match


def team_public(team: Team, member_ids: list[UUID]) -> TeamPublic:
    return TeamPublic(
        id=team.id,
        name=team.name,
        parent_id=team.parent_id,
        lead_id=team.lead_id,
        member_ids=member_ids,
        archived=team.archived_at is not None,
        version=team.version,
        created_at=team.created_at,
        updated_at=team.updated_at,
    )


async def _member_ids(session: AsyncSession, org_id: UUID, team_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    rows = (
        await session.execute(
            select(col(TeamMember.team_id), col(TeamMember.user_id))
            .where(col(TeamMember.org_id) == org_id, col(TeamMember.team_id).in_(team_ids))
            .order_by(col(TeamMember.user_id))
        )
    ).all()
    members: dict[UUID, list[UUID]] = {team_id: [] for team_id in team_ids}
    for team_id, user_id in rows:
        members[team_id].append(user_id)
    return members


async def ensure_users(session: AsyncSession, org_id: UUID, user_ids: set[UUID], field: str) -> None:
    """422 naming the field when any id is not an active member of this organisation."""
    if not user_ids:
        return
    found = set(
        (
            await session.execute(
                select(col(User.id)).where(
                    col(User.org_id) == org_id, col(User.id).in_(user_ids), col(User.deactivated_at).is_(None)
                )
            )
        ).scalars()
    )
    if missing := user_ids - found:
        raise Invalid(field, f"not a member of this organisation: {', '.join(sorted(map(str, missing)))}")


async def get_team(session: AsyncSession, *, org_id: UUID, team_id: UUID, lock: bool = False) -> Team:
    return await one_of_org(session, Team, org_id, team_id, what="team", lock=lock)


async def read_team(session: AsyncSession, *, org_id: UUID, team_id: UUID) -> TeamPublic:
    team = await get_team(session, org_id=org_id, team_id=team_id)
    return team_public(team, (await _member_ids(session, org_id, [team.id]))[team.id])


async def list_teams(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    parent_id: UUID | None,
    include_archived: bool,
) -> tuple[list[TeamPublic], str | None]:
    statement = scoped(Team, org_id)
    if parent_id is not None:
        statement = statement.where(col(Team.parent_id) == parent_id)
    if not include_archived:
        statement = statement.where(col(Team.archived_at).is_(None))
    rows = list((await session.execute(paginate(statement, Team.created_at, Team.id, params=params))).scalars())
    page, cursor = page_of(rows, params, lambda t: (t.created_at, t.id))
    members = await _member_ids(session, org_id, [t.id for t in page])
    return [team_public(t, members[t.id]) for t in page], cursor


async def _check_parent(session: AsyncSession, org_id: UUID, team_id: UUID | None, parent_id: UUID) -> None:
    await get_team(session, org_id=org_id, team_id=parent_id)
    if team_id is None:
        return
    # Walk up from the new parent; meeting the team itself means the move would close a loop.
    path = (
        (
            await session.execute(
                text("""
        WITH RECURSIVE up(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM teams WHERE org_id = :org AND id = :parent
            UNION ALL
            SELECT t.id, t.parent_id, up.depth + 1 FROM teams t JOIN up ON t.org_id = :org AND t.id = up.parent_id
            WHERE up.depth < 100
        ) SELECT id FROM up"""),
                {"org": org_id, "parent": parent_id},
            )
        )
        .scalars()
        .all()
    )
    if team_id in path:
        raise Invalid("body.parent_id", "a team cannot move under itself or one of its own sub-teams")


async def _replace_members(session: AsyncSession, org_id: UUID, team_id: UUID, member_ids: list[UUID]) -> None:
    await session.execute(
        delete(TeamMember).where(col(TeamMember.org_id) == org_id, col(TeamMember.team_id) == team_id)
    )
    if member_ids:
        await session.execute(
            insert(TeamMember),
            [{"org_id": org_id, "team_id": team_id, "user_id": user_id} for user_id in sorted(set(member_ids))],
        )


async def create_team(session: AsyncSession, *, principal: Principal, body: TeamCreate, now: datetime) -> TeamPublic:
    org_id = principal.org_id
    if body.parent_id is not None:
        await _check_parent(session, org_id, None, body.parent_id)
    await ensure_users(session, org_id, {body.lead_id} if body.lead_id else set(), "body.lead_id")
    await ensure_users(session, org_id, set(body.member_ids), "body.member_ids")
    team = Team(
        org_id=org_id, name=body.name, parent_id=body.parent_id, lead_id=body.lead_id, created_at=now, updated_at=now
    )
    session.add(team)
    await session.flush()
    await _replace_members(session, org_id, team.id, body.member_ids)
    public = team_public(team, sorted(set(body.member_ids)))
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="team.created",
            actor=principal.actor,
            object_type="team",
            object_id=team.id,
            occurred_at=now,
            after=public,
        ),
    )
    return public


async def update_team(
    session: AsyncSession,
    *,
    principal: Principal,
    team_id: UUID,
    body: TeamUpdate,
    if_match: str | None,
    now: datetime,
) -> TeamPublic:
    org_id = principal.org_id
    team = await get_team(session, org_id=org_id, team_id=team_id, lock=True)
    check_if_match(if_match, team.version, required=False)
    before = team_public(team, (await _member_ids(session, org_id, [team.id]))[team.id])
    fields = body.model_fields_set
    if "parent_id" in fields and body.parent_id is not None:
        await _check_parent(session, org_id, team.id, body.parent_id)
    if "lead_id" in fields and body.lead_id is not None:
        await ensure_users(session, org_id, {body.lead_id}, "body.lead_id")
    if body.member_ids is not None:
        await ensure_users(session, org_id, set(body.member_ids), "body.member_ids")
        await _replace_members(session, org_id, team.id, body.member_ids)
    if body.name is not None:
        team.name = body.name
    if "parent_id" in fields:
        team.parent_id = body.parent_id
    if "lead_id" in fields:
        team.lead_id = body.lead_id
    team.version += 1
    team.updated_at = now
    await session.flush()
    after = team_public(team, sorted(set(body.member_ids)) if body.member_ids is not None else before.member_ids)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="team.updated",
            actor=principal.actor,
            object_type="team",
            object_id=team.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )
    return after


async def archive_team(
    session: AsyncSession,
    *,
    principal: Principal,
    team_id: UUID,
    if_match: str | None,
    now: datetime,
) -> None:
    """Teams are archived, not deleted: objectives and history keep pointing at them."""
    team = await get_team(session, org_id=principal.org_id, team_id=team_id, lock=True)
    check_if_match(if_match, team.version, required=False)
    if team.archived_at is None:
        team.archived_at = now
        team.version += 1
        await session.flush()
        await events.emit(
            session,
            events.NewEvent(
                org_id=principal.org_id,
                type="team.archived",
                actor=principal.actor,
                object_type="team",
                object_id=team.id,
                occurred_at=now,
            ),
        )
