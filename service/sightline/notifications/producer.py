"""Notifications made from events, in the transaction of the change (registered on `events.service.emitted`).

Costs nothing for other event types: the rows are filtered on `type` in Python before any statement. For the
rest, one batch of statements whatever the number of events: the targets' owners and titles, the recipients
(active members of the event's organisation) and their preferences, one INSERT … ON CONFLICT DO NOTHING (an
event never notifies a person twice of one kind), then the emails of the rows that were new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.config import session_settings
from sightline.events import service as events
from sightline.identity.models import User
from sightline.notifications import emails
from sightline.notifications.candidates import HANDLED, Candidate, candidates
from sightline.notifications.kinds import DEFAULTS, Kind
from sightline.notifications.models import NotificationPreference


async def produce(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    relevant = [row for row in rows if row["type"] in HANDLED]
    if not relevant:
        return
    found = await candidates(session, relevant)
    if found:
        await deliver(session, found)


async def deliver(session: AsyncSession, found: Sequence[Candidate]) -> int:
    """Write the candidates their recipients still want (active members, kind not `off`) and queue the email of
    each new one whose kind is set to `email`; returns how many were new. The scheduled kinds use it too."""
    people = await _active_members(session, {(c.org_id, c.user_id) for c in found})
    channels = await _channels(session, set(people))
    wanted = [c for c in found if (c.org_id, c.user_id) in people and channels[(c.org_id, c.user_id, c.kind)] != "off"]
    if not wanted:
        return 0
    rows = [c.row() for c in wanted]
    params = {column: [row[column] for row in rows] for column in _INSERTED}
    new = set((await session.execute(_INSERT, params)).scalars())
    settings = session_settings(session.info)
    for c in wanted:
        if c.id in new and channels[(c.org_id, c.user_id, c.kind)] == "email":
            await emails.queue(
                session,
                settings,
                org_id=c.org_id,
                user_id=c.user_id,
                to=people[(c.org_id, c.user_id)],
                kind=c.kind,
                title=c.title,
                summary=c.summary,
                path=c.path,
                now=c.created_at,
                details=c.details,
            )
    return len(new)


# One statement with one array per column, whatever the number of rows (a scheduled pass can move thousands of
# statuses at once; a VALUES list would need a bound value per cell, and PostgreSQL takes at most 32,767).
_INSERTED = {
    "org_id": "uuid",
    "id": "uuid",
    "user_id": "uuid",
    "kind": "text",
    "object_type": "text",
    "object_id": "uuid",
    "title": "text",
    "summary": "text",
    "path": "text",
    "event_id": "uuid",
    "actor": "text",
    "created_at": "timestamptz",
}
_INSERT = text(
    f"INSERT INTO notifications ({', '.join(_INSERTED)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _INSERTED.items())}) "
    "ON CONFLICT (org_id, user_id, event_id, kind) DO NOTHING RETURNING id"
)


async def _active_members(session: AsyncSession, keys: set[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], str]:
    """Each recipient still active in the event's own organisation, with their email."""
    statement = select(col(User.org_id), col(User.id), col(User.email)).where(
        tuple_(col(User.org_id), col(User.id)).in_(list(keys)), col(User.deactivated_at).is_(None)
    )
    return {(row.org_id, row.id): row.email for row in await session.execute(statement)}


async def _channels(session: AsyncSession, people: set[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID, Kind], str]:
    chosen: dict[tuple[UUID, UUID, Kind], str] = {
        (org_id, user_id, kind): channel for org_id, user_id in people for kind, channel in DEFAULTS.items()
    }
    if not people:
        return chosen
    statement = select(NotificationPreference).where(
        tuple_(col(NotificationPreference.org_id), col(NotificationPreference.user_id)).in_(list(people))
    )
    for preference in (await session.execute(statement)).scalars():
        chosen[(preference.org_id, preference.user_id, preference.kind)] = preference.channel  # type: ignore[index]
    return chosen


def register() -> None:
    """Idempotent: the app and the worker both call it."""
    if produce not in events.emitted:
        events.emitted.append(produce)


register()
