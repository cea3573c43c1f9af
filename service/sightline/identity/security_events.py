"""Security events of the audit trail: sign-in succeeded or failed, sign-out.

Each is an event of the member's organisation (object: the member), so it reaches the audit log and the
organisation's webhooks like any change; only admins (and the member concerned) read them (see
`events.visibility`). A password, code or token is never part of one.

A failed sign-in is recorded in every organisation where the email given is an active member (in the one
named when `organisation_id` was sent): that organisation's admins see attacks on their people. An email
that belongs to nobody has no organisation to tell: the attempt goes to the operator's log only, where
every failure is written (`sign_in_failed`, with the email's SHA-256, never the email or the password).
Failures are written in their own transaction, since the request that failed rolls back.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal
from uuid import UUID

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import TooManyRequests
from sightline.events import service as events
from sightline.identity.models import User

log = structlog.get_logger("sightline.security")

SIGNED_IN = "member.signed_in"
SIGN_IN_FAILED = "member.sign_in_failed"
SIGNED_OUT = "member.signed_out"
ANONYMOUS = "anonymous"

Method = Literal["password", "sso", "mfa"]
USER_AGENT_LIMIT = 300


class AccessEvent(BaseModel):
    """What a sign-in, failed sign-in or sign-out event holds."""

    member_id: UUID
    email: str
    method: Method | None = Field(None, description="How the person signed in (or tried to); none for a sign-out")
    reason: str | None = Field(
        None, description="Why a sign-in failed: `wrong_password`, `wrong_code` (second factor), …"
    )
    client_address: str | None = None
    user_agent: str | None = None


def email_digest(email: str) -> str:
    """The email as the operator's log keeps it: an operator can check a known address, nobody reads it."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _agent(user_agent: str | None) -> str | None:
    return (user_agent or "")[:USER_AGENT_LIMIT] or None


async def signed_in(
    session: AsyncSession,
    *,
    org_id: UUID,
    member_id: UUID,
    email: str,
    method: Method,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    """In the sign-in's own transaction: no session, no event."""
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type=SIGNED_IN,
            actor=f"user:{member_id}",
            object_type="member",
            object_id=member_id,
            occurred_at=now,
            after=AccessEvent(
                member_id=member_id,
                email=email,
                method=method,
                client_address=client_address,
                user_agent=_agent(user_agent),
            ),
        ),
    )


async def signed_out(
    session: AsyncSession,
    *,
    principal: Principal,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    """In the sign-out's transaction (a session's member; API keys have no session to end)."""
    if principal.user_id is None:
        return
    member = (
        await session.execute(scoped(User, principal.org_id).where(col(User.id) == principal.user_id))
    ).scalar_one()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=SIGNED_OUT,
            actor=principal.actor,
            object_type="member",
            object_id=member.id,
            occurred_at=now,
            after=AccessEvent(
                member_id=member.id, email=member.email, client_address=client_address, user_agent=_agent(user_agent)
            ),
        ),
    )


async def sign_in_failed(
    factory: async_sessionmaker[AsyncSession],
    *,
    email: str,
    organisation_id: UUID | None,
    method: Method = "password",
    reason: str = "wrong_password",
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> int:
    """Log a failed sign-in and record it in the organisations of its email; returns how many."""
    async with factory() as session, session.begin():
        candidates = (
            await session.execute(
                select(func.auth_login_candidates(email).table_valued("org_id", "user_id", "password_hash", "org_name"))
            )
        ).all()
    targets = [(c.org_id, c.user_id) for c in candidates if organisation_id in (None, c.org_id)]
    for org_id, member_id in targets:
        await _record_failure(
            factory,
            org_id=org_id,
            member_id=member_id,
            email=email.strip().lower(),
            method=method,
            reason=reason,
            client_address=client_address,
            user_agent=user_agent,
            now=now,
        )
    log.warning(
        "sign_in_failed",
        email_sha256=email_digest(email),
        method=method,
        reason=reason,
        client_address=client_address,
        organisations_told=len(targets),
    )
    return len(targets)


async def member_sign_in_failed(
    factory: async_sessionmaker[AsyncSession],
    *,
    org_id: UUID,
    member_id: UUID,
    email: str,
    method: Method,
    reason: str,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    """A failure of a known member (e.g. a wrong second factor after the right password)."""
    await _record_failure(
        factory,
        org_id=org_id,
        member_id=member_id,
        email=email,
        method=method,
        reason=reason,
        client_address=client_address,
        user_agent=user_agent,
        now=now,
    )
    log.warning(
        "sign_in_failed",
        email_sha256=email_digest(email),
        org_id=str(org_id),
        member_id=str(member_id),
        method=method,
        reason=reason,
        client_address=client_address,
        organisations_told=1,
    )


async def sign_in_refused(
    factory: async_sessionmaker[AsyncSession],
    refusal: Exception,
    *,
    email: str,
    organisation_id: UUID | None,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    """A sign-in the service refused: a wrong password is a failure; a throttled attempt is logged only."""
    if isinstance(refusal, TooManyRequests):
        sign_in_throttled(email=email, client_address=client_address)
        return
    await sign_in_failed(
        factory,
        email=email,
        organisation_id=organisation_id,
        client_address=client_address,
        user_agent=user_agent,
        now=now,
    )


def sign_in_throttled(*, email: str, client_address: str | None) -> None:
    """Attempts refused by the throttle are logged only: an attacker cannot flood an audit log with them."""
    log.warning("sign_in_throttled", email_sha256=email_digest(email), client_address=client_address)


async def _record_failure(
    factory: async_sessionmaker[AsyncSession],
    *,
    org_id: UUID,
    member_id: UUID,
    email: str,
    method: Method,
    reason: str,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> None:
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        await events.emit(
            session,
            events.NewEvent(
                org_id=org_id,
                type=SIGN_IN_FAILED,
                actor=ANONYMOUS,
                object_type="member",
                object_id=member_id,
                occurred_at=now,
                after=AccessEvent(
                    member_id=member_id,
                    email=email,
                    method=method,
                    reason=reason,
                    client_address=client_address,
                    user_agent=_agent(user_agent),
                ),
            ),
        )
