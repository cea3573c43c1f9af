"""Notifications made from events, in the transaction of the change (registered on `events.service.emitted`).

Costs nothing for other event types: the rows are filtered on `type` in Python before any statement. For the
rest, one batch of statements whatever the number of events: the targets' owners and titles, the recipients
(active members of the event's organisation) with their preferences, one INSERT … ON CONFLICT DO NOTHING (an
event never notifies a person twice of one kind), then the emails of the rows that were new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.config import session_settings
from sightline.db.rows import fetch_rows
from sightline.events import service as events
from sightline.notifications import emails
from sightline.notifications.candidates import HANDLED, Candidate, candidates
from sightline.notifications.kinds import DEFAULTS, Kind


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
    people, channels = await _recipients(session, {(c.org_id, c.user_id) for c in found})
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


# Each recipient still active in the event's own organisation, with their email and every preference they set:
# one statement (membership and preferences were two round trips in each check-in that changed a status).
_RECIPIENTS = """
    SELECT u.org_id, u.id, u.email, p.kind, p.channel
    FROM unnest($1::uuid[], $2::uuid[]) AS k (org_id, user_id)
    JOIN users AS u ON u.org_id = k.org_id AND u.id = k.user_id AND u.deactivated_at IS NULL
    LEFT JOIN notification_preferences AS p ON p.org_id = u.org_id AND p.user_id = u.id
"""


async def _recipients(
    session: AsyncSession, keys: set[tuple[UUID, UUID]]
) -> tuple[dict[tuple[UUID, UUID], str], dict[tuple[UUID, UUID, Kind], str]]:
    """The active members among `keys` with their emails, and each one's channel for every kind (their
    preference, else the kind's default)."""
    rows = await fetch_rows(session, _RECIPIENTS, [org for org, _ in keys], [user for _, user in keys])
    people = {(row.org_id, row.id): row.email for row in rows}
    chosen: dict[tuple[UUID, UUID, Kind], str] = {
        (org_id, user_id, kind): channel for org_id, user_id in people for kind, channel in DEFAULTS.items()
    }
    for row in rows:
        if row.kind is not None:
            chosen[(row.org_id, row.id, row.kind)] = row.channel
    return people, chosen


def register() -> None:
    """Idempotent: the app and the worker both call it."""
    if produce not in events.emitted:
        events.emitted.append(produce)


register()
