"""Sign-up email verification: a new organisation's owner proves their address before the organisation is usable.

Sign-up marks the owner unverified and queues a single-use link (`<web app>/verify-email?token=…`; the token's
SHA-256 alone is stored; 24 h). Until the link is used, that person's sessions reach only the few routes in
`ALLOWED_UNVERIFIED`; everything else is a 403 `email-verification-required`. Every other way a member comes
to be (an admin adds them, single sign-on, the demo loader, `sightline admin`) is verified by that act: the
column's default (docs/decisions/abuse-verified-by-default.md).
"""

from __future__ import annotations

import math
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.config import Settings
from sightline.errors import Conflict, Forbidden, Invalid, TooManyRequests
from sightline.identity.secrets import token_hash
from sightline.mail import outbox

TOKEN_TTL = timedelta(hours=24)
# Resending: one link a minute, and at most this many links (the sign-up's included) a day per person.
RESEND_INTERVAL = timedelta(seconds=60)
LINKS_PER_DAY = 5
MAIL_KIND = "email_verification"
WEB_PATH = "/verify-email"
ALLOWED_UNVERIFIED = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/verify-email"),
        ("POST", "/api/v1/auth/verify-email/resend"),
    }
)
# People known to be verified: a verified address never becomes unverified, so after one look-up a session's
# requests skip the query. Bounded: the least recently seen are forgotten (and looked up again).
_VERIFIED: OrderedDict[tuple[UUID, UUID], None] = OrderedDict()
_VERIFIED_MAX = 100_000


class EmailVerificationRequired(Forbidden):
    slug, title = "email-verification-required", "Email verification required"


async def require_verified(
    request: Request, session: AsyncSession, *, org_id: UUID, user_id: UUID | None, session_id: UUID | None
) -> None:
    """The gate (called by credential resolution): an unverified person's session reaches only a few routes.

    API keys are not checked: an unverified organisation cannot make one. With SIGHTLINE_SIGNUP_VERIFY_EMAIL off
    nobody is held back (the operator's way out when no mail can reach people).
    """
    settings: Settings = request.app.state.settings
    if not settings.signup_verify_email or session_id is None or user_id is None:
        return
    key = (org_id, user_id)
    if key in _VERIFIED:
        _VERIFIED.move_to_end(key)
        return
    verified = (
        await session.execute(
            text("SELECT email_verified_at IS NOT NULL FROM users WHERE org_id = :org AND id = :user"),
            {"org": org_id, "user": user_id},
        )
    ).scalar()
    if verified or verified is None:  # None: no such row; resolution already refused a dead session
        _remember(key)
        return
    gate(request, session_id=session_id, verified=False)


def gate(request: Request, *, session_id: UUID | None, verified: bool | None) -> None:
    """The gate on a flag the caller already read (one-statement reads fetch it with the credential)."""
    settings: Settings = request.app.state.settings
    if not settings.signup_verify_email or session_id is None or verified is not False:
        return
    request.state.email_verification_required = True
    if (request.method, request.url.path) not in ALLOWED_UNVERIFIED:
        raise EmailVerificationRequired(
            "confirm your email address first: follow the link we sent you, or ask for a new one with "
            "POST /api/v1/auth/verify-email/resend"
        )


def _remember(key: tuple[UUID, UUID]) -> None:
    _VERIFIED[key] = None
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)


def pending(request: Request) -> bool:
    """Whether this request's person still has to verify their address (for GET /me)."""
    return bool(getattr(request.state, "email_verification_required", False))


async def start(
    session: AsyncSession,
    *,
    org_id: UUID,
    user_id: UUID,
    email: str,
    organisation_name: str,
    settings: Settings,
    now: datetime,
) -> None:
    """A new sign-up: the owner starts unverified and gets the first link (in the sign-up's transaction)."""
    await session.execute(
        text("UPDATE users SET email_verified_at = NULL WHERE org_id = :org AND id = :user"),
        {"org": org_id, "user": user_id},
    )
    await _send_link(
        session,
        org_id=org_id,
        user_id=user_id,
        email=email,
        organisation_name=organisation_name,
        settings=settings,
        now=now,
    )


async def _send_link(
    session: AsyncSession,
    *,
    org_id: UUID,
    user_id: UUID,
    email: str,
    organisation_name: str,
    settings: Settings,
    now: datetime,
) -> None:
    """A new link; earlier unused ones stop working (only the latest message counts)."""
    params = {"org": org_id, "user": user_id, "now": now}
    await session.execute(
        text(
            "UPDATE email_verifications SET used_at = :now WHERE org_id = :org AND user_id = :user AND used_at IS NULL"
        ),
        params,
    )
    token = secrets.token_urlsafe(32)  # 256 bits
    await session.execute(
        text(
            "INSERT INTO email_verifications (org_id, id, user_id, email, token_hash, created_at, expires_at) "
            "VALUES (:org, :id, :user, :email, :hash, :now, :expires)"
        ),
        {**params, "id": uuid4(), "email": email, "hash": token_hash(token), "expires": now + TOKEN_TTL},
    )
    link = f"{settings.link_base_url()}{WEB_PATH}?token={token}"
    body = (
        f"Hello,\n\nsomeone (we hope you) created the organisation {organisation_name!r} on Sightline with this "
        f"email address. Confirm the address to start using it:\n\n{link}\n\n"
        "The link works once, within 24 hours. If you did not sign up, ignore this message: nothing happens "
        "without the link.\n"
    )
    await outbox.enqueue(
        session,
        org_id=org_id,
        kind=MAIL_KIND,
        to=email,
        subject="Confirm your email address for Sightline",
        body=body,
        now=now,
    )


async def verify(session: AsyncSession, *, token: str, now: datetime) -> tuple[UUID, UUID]:
    """Use a link: its person is verified, the link (and any other unused one of theirs) is spent."""
    invalid = Invalid("body.token", "this link is not valid: it was already used, replaced or has expired")
    row = (
        await session.execute(
            text("SELECT org_id, verification_id, user_id FROM auth_email_verification(:hash)"),
            {"hash": token_hash(token)},
        )
    ).first()
    if row is None:
        raise invalid
    params = {"org": row.org_id, "user": row.user_id, "id": row.verification_id, "now": now}
    # Single use under concurrency: only one transaction flips used_at.
    spent = (
        await session.execute(
            text(
                "UPDATE email_verifications SET used_at = :now "
                "WHERE org_id = :org AND id = :id AND used_at IS NULL RETURNING id"
            ),
            params,
        )
    ).first()
    if spent is None:
        raise invalid
    await session.execute(
        text(
            "UPDATE email_verifications SET used_at = :now WHERE org_id = :org AND user_id = :user AND used_at IS NULL"
        ),
        params,
    )
    await session.execute(
        text(
            "UPDATE users SET email_verified_at = coalesce(email_verified_at, :now) WHERE org_id = :org AND id = :user"
        ),
        params,
    )
    return row.org_id, row.user_id


async def resend(session: AsyncSession, *, org_id: UUID, user_id: UUID, settings: Settings, now: datetime) -> None:
    """A new link for the signed-in, unverified person: one a minute, LINKS_PER_DAY a day (429 beyond)."""
    params = {"org": org_id, "user": user_id, "since": now - timedelta(days=1)}
    # The person's row locked: two concurrent resends cannot both pass the count below.
    person = (
        await session.execute(
            text(
                "SELECT u.email, u.email_verified_at, o.name AS org_name FROM users u "
                "JOIN orgs o ON o.org_id = u.org_id WHERE u.org_id = :org AND u.id = :user FOR NO KEY UPDATE OF u"
            ),
            params,
        )
    ).one()
    if person.email_verified_at is not None:
        raise Conflict("your email address is already verified")
    recent = (
        await session.execute(
            text(
                "SELECT count(*) AS links, min(created_at) AS first, max(created_at) AS last "
                "FROM email_verifications WHERE org_id = :org AND user_id = :user AND created_at > :since"
            ),
            params,
        )
    ).one()
    reopens: datetime | None = None
    if recent.last is not None and now - recent.last < RESEND_INTERVAL:
        reopens = recent.last + RESEND_INTERVAL
    if recent.links >= LINKS_PER_DAY:
        reopens = recent.first + timedelta(days=1)
    if reopens is not None:
        retry_after = max(1, math.ceil((reopens - now).total_seconds()))
        raise TooManyRequests(
            "a link was sent a moment ago, or too many today; check your inbox (and spam folder) first",
            headers={"Retry-After": str(retry_after)},
        )
    await _send_link(
        session,
        org_id=org_id,
        user_id=user_id,
        email=person.email,
        organisation_name=person.org_name,
        settings=settings,
        now=now,
    )
