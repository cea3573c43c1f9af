"""Initiatives: create, edit, delete, and the set of key results each one is linked to (reads.py reads them)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.identity.service import get_org, org_settings
from sightline.initiatives.links import checked_links, write_links
from sightline.initiatives.models import Initiative, SpendEntry
from sightline.initiatives.reads import get_initiative, publics
from sightline.initiatives.schemas import (
    InitiativeCreate,
    InitiativePublic,
    InitiativeUpdate,
    KeyResultLink,
)
from sightline.okrs.teams import ensure_users, get_team
from sightline.versions import check_if_match, if_match_after

EDITABLE = (
    "title",
    "description",
    "kind",
    "owner_id",
    "team_id",
    "state",
    "start_date",
    "end_date",
    "planned_budget",
    "currency",
)
NULLABLE = {"team_id", "start_date", "end_date"}


async def _check_currency(session: AsyncSession, org_id: UUID, currency: str) -> None:
    settings = org_settings(await get_org(session, org_id=org_id))
    allowed = [settings.currency, *settings.accepted_currencies]
    if currency not in allowed:
        raise Invalid(
            "body.currency",
            f"{currency} is not accepted here; use {' or '.join(dict.fromkeys(allowed))} "
            "(an admin can add currencies in the organisation settings, accepted_currencies)",
        )


async def _validate(
    session: AsyncSession, org_id: UUID, initiative: Initiative, *, owner_changed: bool, team_changed: bool
) -> None:
    if initiative.start_date and initiative.end_date and initiative.end_date < initiative.start_date:
        raise Invalid("body.end_date", "must be on or after start_date")
    if owner_changed:
        await ensure_users(session, org_id, {initiative.owner_id}, "body.owner_id")
    if team_changed and initiative.team_id is not None:
        team = await get_team(session, org_id=org_id, team_id=initiative.team_id)
        if team.archived_at is not None:
            raise Invalid("body.team_id", "the team is archived")


async def create_initiative(
    session: AsyncSession, *, principal: Principal, body: InitiativeCreate, now: datetime
) -> InitiativePublic:
    org_id = principal.org_id
    owner_id = body.owner_id or principal.user_id
    if owner_id is None:
        raise Invalid("body.owner_id", "required when the API key has no creating member")
    currency = body.currency or org_settings(await get_org(session, org_id=org_id)).currency
    await _check_currency(session, org_id, currency)
    initiative = Initiative(
        org_id=org_id,
        title=body.title,
        description=body.description,
        kind=body.kind,
        owner_id=owner_id,
        team_id=body.team_id,
        state=body.state,
        start_date=body.start_date,
        end_date=body.end_date,
        planned_budget=body.planned_budget,
        currency=currency,
        created_at=now,
        updated_at=now,
    )
    await _validate(session, org_id, initiative, owner_changed=True, team_changed=True)
    links = await checked_links(session, org_id, body.key_results)
    session.add(initiative)
    await session.flush()
    await write_links(session, org_id, initiative.id, links, now, replace=False)
    public = (await publics(session, org_id=org_id, initiatives=[initiative], now=now))[0]
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="initiative.created",
            actor=principal.actor,
            object_type="initiative",
            object_id=initiative.id,
            occurred_at=now,
            after=public,
        ),
    )
    return public


async def _has_spend(session: AsyncSession, org_id: UUID, initiative_id: UUID) -> bool:
    return bool(
        (
            await session.execute(
                select(exists().where(col(SpendEntry.org_id) == org_id, col(SpendEntry.initiative_id) == initiative_id))
            )
        ).scalar()
    )


async def update_initiative(
    session: AsyncSession,
    *,
    principal: Principal,
    initiative_id: UUID,
    body: InitiativeUpdate,
    if_match: str | None,
    now: datetime,
) -> InitiativePublic:
    org_id = principal.org_id
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id, lock=True)
    with if_match_after(if_match, initiative.version, required=True):  # a bad body is a 422 even when stale
        before = (await publics(session, org_id=org_id, initiatives=[initiative], now=now))[0]
        fields = body.model_fields_set
        for field in EDITABLE:
            if field in fields:
                value = getattr(body, field)
                if value is None and field not in NULLABLE:
                    raise Invalid(f"body.{field}", "cannot be null")
                setattr(initiative, field, value)
        if "currency" in fields and initiative.currency != before.currency:
            await _check_currency(session, org_id, initiative.currency)
            if await _has_spend(session, org_id, initiative.id):
                raise Conflict(f"the initiative has spend recorded in {before.currency}; its currency cannot change")
        await _validate(
            session, org_id, initiative, owner_changed="owner_id" in fields, team_changed="team_id" in fields
        )
    return await _changed(session, principal, initiative, "initiative.updated", before=before, now=now)


async def _changed(
    session: AsyncSession,
    principal: Principal,
    initiative: Initiative,
    event_type: str,
    *,
    before: InitiativePublic,
    now: datetime,
) -> InitiativePublic:
    """A new version of a changed initiative, and its event with the before and after."""
    initiative.version += 1
    initiative.updated_at = now
    await session.flush()
    after = (await publics(session, org_id=principal.org_id, initiatives=[initiative], now=now))[0]
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=event_type,
            actor=principal.actor,
            object_type="initiative",
            object_id=initiative.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )
    return after


async def replace_key_results(
    session: AsyncSession,
    *,
    principal: Principal,
    initiative_id: UUID,
    links: list[KeyResultLink],
    if_match: str | None,
    now: datetime,
) -> InitiativePublic:
    """Replace the whole set of links. An identical set changes nothing (no new version, no event)."""
    org_id = principal.org_id
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id, lock=True)
    with if_match_after(if_match, initiative.version, required=True):  # a bad body is a 422 even when stale
        links = await checked_links(session, org_id, links)
    before = (await publics(session, org_id=org_id, initiatives=[initiative], now=now))[0]
    current = {(link.key_result_id, link.share) for link in before.key_results}
    if current == {(link.key_result_id, link.share) for link in links} and len(current) == len(links):
        return before
    await write_links(session, org_id, initiative.id, links, now, replace=True)
    return await _changed(session, principal, initiative, "initiative.linked", before=before, now=now)


async def delete_initiative(
    session: AsyncSession, *, principal: Principal, initiative_id: UUID, if_match: str | None, now: datetime
) -> None:
    """Delete an initiative and its links — only while no spend is recorded (then set its state to dropped)."""
    org_id = principal.org_id
    initiative = await get_initiative(session, org_id=org_id, initiative_id=initiative_id, lock=True)
    check_if_match(if_match, initiative.version, required=True)
    if await _has_spend(session, org_id, initiative.id):
        raise Conflict("the initiative has spend recorded, which is kept as history; set its state to dropped instead")
    before = (await publics(session, org_id=org_id, initiatives=[initiative], now=now))[0]
    await session.delete(initiative)  # its links go with it (ON DELETE CASCADE)
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="initiative.deleted",
            actor=principal.actor,
            object_type="initiative",
            object_id=initiative.id,
            occurred_at=now,
            before=before,
        ),
    )
