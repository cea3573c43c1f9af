"""A member's own inbox (list, unread count, mark read) and preferences; unsubscribe by signed token."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.config import Settings
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import Invalid, NotFound
from sightline.identity.models import User
from sightline.notifications import tokens
from sightline.notifications.kinds import DEFAULTS, KINDS, Channel, Kind
from sightline.notifications.models import Notification, NotificationPreference
from sightline.notifications.schemas import NotificationPublic, Preferences, PreferencesUpdate


def _public(n: Notification) -> NotificationPublic:
    return NotificationPublic.model_validate(n, from_attributes=True)


async def unread_count(session: AsyncSession, org_id: UUID, user_id: UUID) -> int:
    statement = select(func.count()).where(
        col(Notification.org_id) == org_id, col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    return int((await session.execute(statement)).scalar_one())


async def list_notifications(
    session: AsyncSession, *, org_id: UUID, user_id: UUID, params: PageParams, unread_only: bool
) -> tuple[list[NotificationPublic], str | None]:
    statement = scoped(Notification, org_id).where(col(Notification.user_id) == user_id)
    if unread_only:
        statement = statement.where(col(Notification.read_at).is_(None))
    statement = paginate(statement, Notification.created_at, Notification.seq, params=params, descending=True)
    rows = list((await session.execute(statement)).scalars())
    items, cursor = page_of(rows, params, lambda n: (n.created_at, n.seq))
    return [_public(n) for n in items], cursor


async def mark_read(
    session: AsyncSession, *, org_id: UUID, user_id: UUID, notification_id: UUID, now: datetime
) -> NotificationPublic:
    """Read once: marking it again keeps the first time it was read."""
    statement = scoped(Notification, org_id).where(
        col(Notification.id) == notification_id, col(Notification.user_id) == user_id
    )
    notification = (await session.execute(statement.with_for_update())).scalar_one_or_none()
    if notification is None:
        raise NotFound("notification")
    if notification.read_at is None:
        notification.read_at = now
        await session.flush()
    return _public(notification)


async def mark_all_read(session: AsyncSession, *, org_id: UUID, user_id: UUID, now: datetime) -> int:
    statement = (
        update(Notification)
        .where(
            col(Notification.org_id) == org_id,
            col(Notification.user_id) == user_id,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=now)
    )
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def preferences(session: AsyncSession, *, org_id: UUID, user_id: UUID) -> Preferences:
    chosen: dict[str, str] = {}
    chosen.update(DEFAULTS)  # type: ignore[arg-type]
    statement = scoped(NotificationPreference, org_id).where(col(NotificationPreference.user_id) == user_id)
    for row in (await session.execute(statement)).scalars():
        chosen[row.kind] = row.channel
    return Preferences.model_validate(chosen)


async def set_channel(
    session: AsyncSession, *, org_id: UUID, user_id: UUID, kind: Kind, channel: Channel, now: datetime
) -> None:
    statement = insert(NotificationPreference.__table__).values(  # type: ignore[attr-defined]
        org_id=org_id, user_id=user_id, kind=kind, channel=channel, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "user_id", "kind"], set_={"channel": channel, "updated_at": now}
        )
    )


async def update_preferences(
    session: AsyncSession, *, org_id: UUID, user_id: UUID, body: PreferencesUpdate, now: datetime
) -> Preferences:
    for kind in KINDS:
        channel = getattr(body, kind)
        if channel is not None:
            await set_channel(session, org_id=org_id, user_id=user_id, kind=kind, channel=channel, now=now)
    return await preferences(session, org_id=org_id, user_id=user_id)


async def unsubscribe(session: AsyncSession, *, settings: Settings, token: str, now: datetime) -> None:
    """Turn the token's kind off for its member (RFC 8058 one-click: no sign-in, the signed token only)."""
    named = tokens.verify(settings, token)
    if named is None:
        raise Invalid("query.token", "this unsubscribe link is not valid; change your preferences in the app instead")
    await set_tenant(session, named.org_id)
    member = scoped(User, named.org_id).where(col(User.id) == named.user_id)
    if (await session.execute(member)).scalar_one_or_none() is None:
        raise NotFound("member")
    await set_channel(session, org_id=named.org_id, user_id=named.user_id, kind=named.kind, channel="off", now=now)
