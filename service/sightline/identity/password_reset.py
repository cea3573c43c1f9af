"""Forgot password: a single-use link by email (`<web app>/reset-password?token=…`, 1 hour) that sets a new
password and ends every session of that member.

Asking answers the same (202, no body) whether or not the email has an account, and does the same reads and
counting either way: nobody learns from it who has an account. Asks are counted per email (past the limit:
429, for any email, known or not) and per client address (past its limit: slowed, never refused, as sign-ins
are: identity/throttle.py). A member of several organisations gets one message per organisation (or only the
one named by `organisation_id`). In an organisation that signs in through single sign-on, a member other than
an owner gets a message saying so instead of a link. Only the SHA-256 of a token is stored. See
docs/invitations.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.config import Settings
from sightline.db.tenancy import set_tenant
from sightline.errors import Forbidden, Invalid
from sightline.events import service as events
from sightline.identity import sessions, throttle
from sightline.identity.passwords import refuse_personal
from sightline.identity.schemas import member_public
from sightline.identity.secrets import hash_password, token_hash
from sightline.identity.service import get_member, get_org, password_sign_in_refused
from sightline.mail import outbox

TOKEN_TTL = timedelta(hours=1)
MAIL_KIND = "password_reset"
WEB_PATH = "/reset-password"
SSO_START = "/api/v1/auth/sso/start?organisation_id="
# Asks per email and per client address within the window (the email's limit refuses, the address's slows).
PER_EMAIL, PER_ADDRESS, WINDOW = 3, 20, timedelta(hours=1)
DEAD_LINK = "this password reset link is not valid: it was already used, replaced or has expired"


def email_key(email: str) -> str:
    return "reset:" + hashlib.sha256(email.lower().encode()).hexdigest()


def address_key(address: str) -> str:
    return "reset-addr:" + address


async def count_request(
    factory: async_sessionmaker[AsyncSession], *, email: str, address: str, settings: Settings, now: datetime
) -> None:
    """Counted before anything is looked up, in its own transaction (a failing request still counts)."""
    counts = await throttle.count_attempt(
        factory,
        limits={email_key(email): PER_EMAIL},
        slowed={address_key(address): PER_ADDRESS},
        window=WINDOW,
        now=now,
        refusal="a password reset was asked for this email several times lately; check the inbox, or wait",
    )
    pause = throttle.address_delay(counts[address_key(address)] - PER_ADDRESS, limit=PER_ADDRESS, settings=settings)
    if pause > 0:
        await asyncio.sleep(pause)


async def request_reset(
    session: AsyncSession, *, email: str, organisation_id: UUID | None, settings: Settings, now: datetime
) -> None:
    """Queue a message for each organisation where the email is an active member (none if it is nobody's)."""
    candidates = (
        await session.execute(
            select(func.auth_login_candidates(email).table_valued("org_id", "user_id", "password_hash", "org_name"))
        )
    ).all()
    for candidate in candidates:
        if organisation_id is not None and candidate.org_id != organisation_id:
            continue
        await set_tenant(session, candidate.org_id)
        user = await get_member(session, org_id=candidate.org_id, member_id=candidate.user_id)
        if await password_sign_in_refused(session, org_id=candidate.org_id, role=user.role):
            body = (
                f"Hello,\n\nsomeone (we hope you) asked to reset your Sightline password for {candidate.org_name!r}. "
                "This organisation signs in through single sign-on, so there is no password to reset: sign in "
                f"here instead:\n\n{settings.link_base_url()}{SSO_START}{candidate.org_id}\n"
            )
        else:
            body = await _new_link(
                session,
                org_id=candidate.org_id,
                org_name=candidate.org_name,
                user_id=user.id,
                settings=settings,
                now=now,
            )
        await outbox.enqueue(
            session,
            org_id=candidate.org_id,
            kind=MAIL_KIND,
            to=user.email,
            subject="Reset your Sightline password",
            body=body,
            now=now,
        )


async def _new_link(
    session: AsyncSession, *, org_id: UUID, org_name: str, user_id: UUID, settings: Settings, now: datetime
) -> str:
    """A new link (earlier unused ones of the member stop working); the message's text."""
    params = {"org": org_id, "user": user_id, "now": now}
    await session.execute(
        text("UPDATE password_resets SET used_at = :now WHERE org_id = :org AND user_id = :user AND used_at IS NULL"),
        params,
    )
    token = secrets.token_urlsafe(32)  # 256 bits
    await session.execute(
        text(
            "INSERT INTO password_resets (org_id, id, user_id, token_hash, created_at, expires_at) "
            "VALUES (:org, :id, :user, :hash, :now, :expires)"
        ),
        {**params, "id": uuid4(), "hash": token_hash(token), "expires": now + TOKEN_TTL},
    )
    link = f"{settings.link_base_url()}{WEB_PATH}?token={token}"
    return (
        f"Hello,\n\nsomeone (we hope you) asked to reset your Sightline password for {org_name!r}. Choose a new one "
        f"here:\n\n{link}\n\nThe link works once, within 1 hour; using it signs you out everywhere. If you did "
        "not ask, ignore this message: your password stays as it is.\n"
    )


async def confirm(session: AsyncSession, *, token: str, new_password: str, now: datetime) -> None:
    """Set the new password with a link: the link (and any other of the member's) is spent, every session of
    the member ends, and `member.password_reset` is recorded with the member as its actor."""
    hit = (
        await session.execute(
            text("SELECT org_id, reset_id, user_id FROM auth_password_reset(:hash, :now)"),
            {"hash": token_hash(token), "now": now},
        )
    ).first()
    if hit is None:
        raise Invalid("body.token", DEAD_LINK)
    params = {"org": hit.org_id, "user": hit.user_id, "id": hit.reset_id, "now": now}
    # Single use under concurrency: only one transaction flips used_at.
    spent = (
        await session.execute(
            text(
                "UPDATE password_resets SET used_at = :now "
                "WHERE org_id = :org AND id = :id AND used_at IS NULL RETURNING id"
            ),
            params,
        )
    ).first()
    user = await get_member(session, org_id=hit.org_id, member_id=hit.user_id, lock=True)
    if spent is None or user.deactivated_at is not None:
        raise Invalid("body.token", DEAD_LINK)
    if await password_sign_in_refused(session, org_id=user.org_id, role=user.role):
        raise Forbidden("this organisation signs in through single sign-on: there is no password to reset")
    org = await get_org(session, org_id=user.org_id)
    refuse_personal(new_password, field="body.new_password", personal=(user.email, user.name, org.name))
    await session.execute(
        text("UPDATE password_resets SET used_at = :now WHERE org_id = :org AND user_id = :user AND used_at IS NULL"),
        params,
    )
    user.password_hash = await hash_password(new_password)
    user.version += 1
    user.updated_at = now
    await session.flush()
    # The link proves the address: an owner who never confirmed it at sign-up has now.
    await session.execute(
        text(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, :now) WHERE org_id = :org AND id = :user"
        ),
        params,
    )
    await sessions.end_sessions(session, org_id=user.org_id, user_id=user.id, now=now)
    await throttle.clear(session, key=throttle.account_key(user.email))
    await events.emit(
        session,
        events.NewEvent(
            org_id=user.org_id,
            type="member.password_reset",
            actor=f"user:{user.id}",  # the member, by the link sent to them
            object_type="member",
            object_id=user.id,
            occurred_at=now,
            after=member_public(user),
        ),
    )
