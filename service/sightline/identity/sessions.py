"""Sessions: started at sign-in, listed and ended by their person, rotated on every privilege change, and
re-authenticated for sensitive actions.

A session's token is stored as its SHA-256 only. Every request goes through auth_resolve_session, which
refuses a session past its absolute expiry (SIGHTLINE_SESSION_TTL_HOURS) or unused for
SIGHTLINE_SESSION_IDLE_HOURS, and notes its last use to the minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.config import Settings
from sightline.db.tenancy import scoped
from sightline.errors import Forbidden, NotFound
from sightline.events import service as events
from sightline.identity.models import AuthSession, User
from sightline.identity.schemas import SessionPublic, member_public
from sightline.identity.secrets import new_session_token, token_hash

USER_AGENT_CHARS = 300


async def start_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> str:
    """A new session for a member who just proved who they are (so it counts as a recent sign-in); its token
    goes in the cookie."""
    token = new_session_token()
    session.add(
        AuthSession(
            org_id=user.org_id,
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_ttl_hours),
            last_seen_at=now,
            reauthenticated_at=now,
            user_agent=(user_agent or "")[:USER_AGENT_CHARS] or None,
            client_address=(client_address or "")[:100] or None,
        )
    )
    await session.flush()
    return token


async def end_sessions(
    session: AsyncSession, *, org_id: UUID, user_id: UUID, now: datetime, keep: UUID | None = None
) -> list[UUID]:
    """End a person's open sessions (all, or all but `keep`); the ids of those ended."""
    statement = update(AuthSession).where(
        col(AuthSession.org_id) == org_id,
        col(AuthSession.user_id) == user_id,
        col(AuthSession.revoked_at).is_(None),
    )
    if keep is not None:
        statement = statement.where(col(AuthSession.id) != keep)
    result = await session.execute(statement.values(revoked_at=now).returning(col(AuthSession.id)))
    return list(result.scalars())


async def _current(session: AsyncSession, principal: Principal) -> AuthSession:
    if principal.session_id is None:
        raise Forbidden("this needs a signed-in person's session; an API key cannot do it")
    row = (
        await session.execute(
            scoped(AuthSession, principal.org_id).where(col(AuthSession.id) == principal.session_id).with_for_update()
        )
    ).scalar_one()
    return row


async def rotate(session: AsyncSession, *, principal: Principal, settings: Settings, now: datetime) -> str:
    """A privilege change (password, second factor): the current session ends and a new one with a new id
    takes its place, so a token captured before the change is worth nothing after it."""
    current = await _current(session, principal)
    current.revoked_at = now
    user = (await session.execute(scoped(User, principal.org_id).where(col(User.id) == current.user_id))).scalar_one()
    return await start_session(
        session,
        user=user,
        settings=settings,
        now=now,
        user_agent=current.user_agent,
        client_address=current.client_address,
    )


def _alive(org_id: UUID, user_id: UUID, settings: Settings):  # type: ignore[no-untyped-def]
    idle = timedelta(hours=settings.session_idle_hours)
    return scoped(AuthSession, org_id).where(
        col(AuthSession.user_id) == user_id,
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > func.now(),
        func.coalesce(col(AuthSession.last_seen_at), col(AuthSession.created_at)) > func.now() - idle,
    )


async def list_sessions(session: AsyncSession, *, principal: Principal, settings: Settings) -> list[SessionPublic]:
    if principal.session_id is None or principal.user_id is None:
        raise Forbidden("an API key has no sessions; sign in as the person")
    rows = (
        await session.execute(
            _alive(principal.org_id, principal.user_id, settings).order_by(
                col(AuthSession.created_at).desc(), col(AuthSession.id)
            )
        )
    ).scalars()
    return [
        SessionPublic(
            id=row.id,
            current=row.id == principal.session_id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            user_agent=row.user_agent,
            address=row.client_address,
        )
        for row in rows
    ]


async def _record_ended(session: AsyncSession, *, principal: Principal, ended: list[UUID], now: datetime) -> None:
    """`session.ended`, one per session; the data is the person's public shape (never a token, an address or
    a browser: the audit log is readable by every member)."""
    if not ended or principal.user_id is None:
        return
    user = (await session.execute(scoped(User, principal.org_id).where(col(User.id) == principal.user_id))).scalar_one()
    for session_id in ended:
        await events.emit(
            session,
            events.NewEvent(
                org_id=principal.org_id,
                type="session.ended",
                actor=principal.actor,
                object_type="session",
                object_id=session_id,
                occurred_at=now,
                after=member_public(user),
            ),
        )


async def end_session(session: AsyncSession, *, principal: Principal, session_id: UUID, now: datetime) -> None:
    """End one of one's own sessions (the current one too: that is signing out). 404 for anyone else's."""
    if principal.session_id is None or principal.user_id is None:
        raise Forbidden("an API key has no sessions; sign in as the person")
    row = (
        await session.execute(
            scoped(AuthSession, principal.org_id)
            .where(col(AuthSession.id) == session_id, col(AuthSession.user_id) == principal.user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("session")
    if row.revoked_at is None:
        row.revoked_at = now
        await session.flush()
        await _record_ended(session, principal=principal, ended=[row.id], now=now)


async def end_other_sessions(session: AsyncSession, *, principal: Principal, now: datetime) -> None:
    if principal.session_id is None or principal.user_id is None:
        raise Forbidden("an API key has no sessions; sign in as the person")
    ended = await end_sessions(
        session, org_id=principal.org_id, user_id=principal.user_id, now=now, keep=principal.session_id
    )
    await _record_ended(session, principal=principal, ended=ended, now=now)


async def mark_reauthenticated(session: AsyncSession, *, principal: Principal, now: datetime) -> None:
    current = await _current(session, principal)
    current.reauthenticated_at = now
    await session.flush()
