"""Second factor: TOTP (RFC 6238) authenticator apps and single-use recovery codes, and the pending sign-in
between the password (or the identity provider) and the code.

- TOTP: 30-second steps, 6 digits, the step before and after accepted (clock drift). The last accepted step is
  stored, and only a later step is accepted afterwards: a code (or an older one) never works twice.
- Secrets are sealed with SIGHTLINE_SECRET_KEY (SecretBox); the pending secret of an enrolment too, and it
  expires after ENROLMENT_SECONDS.
- Recovery codes: 10 of 80 random bits each, stored as SHA-256 (a fast hash is enough for 80 random bits),
  shown once; using one marks it used in the same statement that finds it (no double use under concurrency).
- The pending sign-in is a sealed, 5-minute cookie naming the person: never a session, and worth nothing
  without the code.
"""

from __future__ import annotations

import hmac
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import pyotp
import segno
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import Principal
from sightline.config import Settings
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import Conflict, Forbidden, Invalid, Unauthorized
from sightline.events import service as events
from sightline.identity import sessions, throttle
from sightline.identity.models import MfaTotp, Org, RecoveryCode, User
from sightline.identity.recovery_codes import codes_left, new_recovery_codes, use_recovery_code
from sightline.identity.schemas import (
    MfaSignIn,
    MfaStatus,
    OrganisationSettings,
    Reauthenticate,
    TotpEnrolment,
    member_public,
)
from sightline.identity.secrets import verify_password

ISSUER = "Sightline"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ENROLMENT_SECONDS = 15 * 60
PENDING_COOKIE = "sightline_mfa"
PENDING_SECONDS = 5 * 60
_PENDING_PURPOSE = "mfa-sign-in"
REQUIRED_ROLES = frozenset({"owner", "admin"})


# TOTP ---------------------------------------------------------------------------------------------------
def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def matching_step(secret: str, code: str, *, now: datetime, after: int | None) -> int | None:
    """The time step the code belongs to (now, or one step either side), if later than `after`."""
    current = int(now.timestamp()) // STEP_SECONDS
    totp = _totp(secret)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS).encode(), code.encode()):
            return step
    return None


async def _factor(session: AsyncSession, *, org_id: UUID, user_id: UUID, lock: bool = False) -> MfaTotp | None:
    statement = scoped(MfaTotp, org_id).where(col(MfaTotp.user_id) == user_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def totp_enabled(session: AsyncSession, *, org_id: UUID, user_id: UUID) -> bool:
    factor = await _factor(session, org_id=org_id, user_id=user_id)
    return factor is not None and factor.enabled_at is not None


async def verify_totp(session: AsyncSession, *, user: User, code: str, box: SecretBox, now: datetime) -> bool:
    """Check a code of the person's enabled authenticator; a right one is used up (its step remembered)."""
    factor = await _factor(session, org_id=user.org_id, user_id=user.id, lock=True)
    if factor is None or factor.enabled_at is None or factor.secret is None:
        return False
    try:
        secret = box.decrypt(factor.secret)
    except SecretUnreadable:
        return False  # the key that sealed it is gone: recovery codes still work
    step = matching_step(secret, code, now=now, after=factor.last_step)
    if step is None:
        return False
    factor.last_step = step
    await session.flush()
    return True


# The person's own settings -----------------------------------------------------------------------------
def _person(principal: Principal) -> UUID:
    if principal.session_id is None or principal.user_id is None:
        raise Forbidden("a second factor belongs to a signed-in person; an API key cannot manage it")
    return principal.user_id


async def _user(session: AsyncSession, principal: Principal) -> User:
    user_id = _person(principal)
    return (await session.execute(scoped(User, principal.org_id).where(col(User.id) == user_id))).scalar_one()


async def required_for(session: AsyncSession, *, org_id: UUID, role: str | None) -> bool:
    if role not in REQUIRED_ROLES:
        return False
    org = (await session.execute(scoped(Org, org_id))).scalar_one()
    return OrganisationSettings.model_validate(org.settings).mfa_required_for_admins


async def status(session: AsyncSession, *, principal: Principal) -> MfaStatus:
    user_id = _person(principal)
    return MfaStatus(
        totp_enabled=await totp_enabled(session, org_id=principal.org_id, user_id=user_id),
        recovery_codes_left=await codes_left(session, org_id=principal.org_id, user_id=user_id),
        required=await required_for(session, org_id=principal.org_id, role=principal.role),
    )


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, nl=False)
    return out.getvalue().decode()


async def start_enrolment(
    session: AsyncSession, *, principal: Principal, box: SecretBox, now: datetime
) -> TotpEnrolment:
    """A new secret waiting for its first code (replaces an earlier pending one; an enabled app stays on until
    the new one is confirmed)."""
    user = await _user(session, principal)
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    factor = await _factor(session, org_id=user.org_id, user_id=user.id, lock=True)
    if factor is None:
        factor = MfaTotp(org_id=user.org_id, user_id=user.id)
        session.add(factor)
    factor.pending_secret = box.encrypt(secret, now=now)
    factor.pending_at = now
    await session.flush()
    uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=_qr_svg(uri))


async def confirm_enrolment(
    session: AsyncSession, *, principal: Principal, code: str, box: SecretBox, now: datetime
) -> list[str]:
    """The first right code turns the app on; a new set of recovery codes comes back (shown once)."""
    user = await _user(session, principal)
    factor = await _factor(session, org_id=user.org_id, user_id=user.id, lock=True)
    pending = (
        box.decrypt_fresh(factor.pending_secret, ttl_seconds=ENROLMENT_SECONDS, now=now)
        if factor is not None and factor.pending_secret
        else None
    )
    if factor is None or pending is None:
        raise Conflict("no authenticator is waiting to be confirmed (or it waited too long): start again")
    step = matching_step(pending, code, now=now, after=None)
    if step is None:
        raise Invalid("body.code", "this is not the current code of the authenticator app; check its clock")
    was_enabled = factor.enabled_at is not None
    factor.secret = box.encrypt(pending)
    factor.enabled_at = now
    factor.last_step = step
    factor.pending_secret = None
    factor.pending_at = None
    await session.flush()
    codes = await new_recovery_codes(session, user=user, now=now)
    await _record(
        session, actor=principal.actor, user=user, now=now, type="mfa.replaced" if was_enabled else "mfa.enrolled"
    )
    return codes


async def disable(session: AsyncSession, *, principal: Principal, now: datetime) -> None:
    user = await _user(session, principal)
    if await required_for(session, org_id=user.org_id, role=user.role):
        raise Forbidden("your organisation requires a second factor for your role; it cannot be removed")
    await remove_second_factor(session, user=user, actor=principal.actor, now=now)


async def remove_second_factor(session: AsyncSession, *, user: User, actor: str, now: datetime) -> bool:
    """Delete the member's authenticator app and recovery codes (`mfa.removed` when one was on); whether one was.
    The person's own `disable`, and the operator's way back in for an owner who lost both."""
    factor = await _factor(session, org_id=user.org_id, user_id=user.id, lock=True)
    enabled = factor is not None and factor.enabled_at is not None
    await session.execute(delete(MfaTotp).where(col(MfaTotp.org_id) == user.org_id, col(MfaTotp.user_id) == user.id))
    await session.execute(
        delete(RecoveryCode).where(col(RecoveryCode.org_id) == user.org_id, col(RecoveryCode.user_id) == user.id)
    )
    if enabled:
        await _record(session, actor=actor, user=user, now=now, type="mfa.removed")
    return enabled


async def renew_recovery_codes(session: AsyncSession, *, principal: Principal, now: datetime) -> list[str]:
    user = await _user(session, principal)
    if not await totp_enabled(session, org_id=user.org_id, user_id=user.id):
        raise Conflict("recovery codes go with an authenticator app: set one up first")
    codes = await new_recovery_codes(session, user=user, now=now)
    await _record(session, actor=principal.actor, user=user, now=now, type="mfa.recovery_codes_renewed")
    return codes


async def _record(session: AsyncSession, *, actor: str, user: User, now: datetime, type: str) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=user.org_id,
            type=type,
            actor=actor,
            object_type="member",
            object_id=user.id,
            occurred_at=now,
            after=member_public(user),
        ),
    )


class WrongSecondFactor(Unauthorized):
    """A wrong, used or expired code at the second step; says whose, for the audit trail."""

    def __init__(self, user: User) -> None:
        super().__init__("the code is wrong, was used already or has expired")
        self.user = user


# The pending sign-in -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingSignIn:
    org_id: UUID
    user_id: UUID
    version: int  # the member's record as it was: a password reset or role change in between voids it
    method: str  # "password" or "sso"
    user_agent: str | None
    client_address: str | None


def seal_pending(box: SecretBox, pending: PendingSignIn, *, now: datetime) -> str:
    payload = {
        "purpose": _PENDING_PURPOSE,
        "org_id": str(pending.org_id),
        "user_id": str(pending.user_id),
        "version": pending.version,
        "method": pending.method,
        "user_agent": (pending.user_agent or "")[: sessions.USER_AGENT_CHARS] or None,
        "client_address": pending.client_address,
    }
    return box.encrypt(json.dumps(payload, separators=(",", ":")), now=now)


def open_pending(box: SecretBox, cookie: str | None, *, now: datetime) -> PendingSignIn:
    """The pending sign-in of this browser; 401 when missing, forged, of another purpose or older than 5 min."""
    opened = box.decrypt_fresh(cookie, ttl_seconds=PENDING_SECONDS, now=now) if cookie else None
    try:
        data = json.loads(opened) if opened else None
        if not isinstance(data, dict) or data.get("purpose") != _PENDING_PURPOSE:
            raise ValueError("not a pending sign-in")
        return PendingSignIn(
            org_id=UUID(data["org_id"]),
            user_id=UUID(data["user_id"]),
            version=int(data["version"]),
            method=str(data["method"]),
            user_agent=data.get("user_agent"),
            client_address=data.get("client_address"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized(
            "no sign-in is waiting for a second factor (or it took over 5 minutes); sign in again"
        ) from exc


async def has_second_factor(session: AsyncSession, user: User) -> bool:
    return await totp_enabled(session, org_id=user.org_id, user_id=user.id)


async def finish_sign_in(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    *,
    cookie: str | None,
    body: MfaSignIn,
    box: SecretBox,
    settings: Settings,
    now: datetime,
    client_address: str,
) -> tuple[Org, User, str]:
    """The second step: a code of the person's app or one of their recovery codes → a session."""
    pending = open_pending(box, cookie, now=now)
    await set_tenant(session, pending.org_id)
    user = (
        await session.execute(scoped(User, pending.org_id).where(col(User.id) == pending.user_id))
    ).scalar_one_or_none()
    if user is None or user.deactivated_at is not None or user.version != pending.version:
        raise Unauthorized("this sign-in is no longer valid; sign in again")
    # Codes count against the same per-account limit as passwords (the password step did not clear it).
    await throttle.count_sign_in(factory, email=user.email, address=client_address, settings=settings, now=now)
    if body.code is not None:
        right = await verify_totp(session, user=user, code=body.code, box=box, now=now)
    else:
        right = await use_recovery_code(session, user=user, code=body.recovery_code or "", now=now)
    if not right:
        raise WrongSecondFactor(user)
    await throttle.take_back(
        factory, account=throttle.account_key(user.email), address=throttle.address_key(client_address)
    )
    org = (await session.execute(scoped(Org, pending.org_id))).scalar_one()
    token = await sessions.start_session(
        session,
        user=user,
        settings=settings,
        now=now,
        user_agent=pending.user_agent,
        client_address=pending.client_address or client_address,
    )
    return org, user, token


async def reauthenticate(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    body: Reauthenticate,
    box: SecretBox,
    settings: Settings,
    now: datetime,
) -> None:
    """The password or a code of the app, again: the session counts as freshly signed in. Counted like a sign-in
    against the account's throttle, so a stolen session cannot guess faster than the sign-in form allows."""
    user = await _user(session, principal)
    account = throttle.account_key(user.email)
    await throttle.count_attempt(
        factory,
        limits={account: settings.login_max_failures_per_account},
        window=timedelta(seconds=settings.login_window_seconds),
        now=now,
    )
    if body.password is not None:
        right = await verify_password(user.password_hash, body.password)
    else:
        right = await verify_totp(session, user=user, code=body.code or "", box=box, now=now)
    if not right:
        raise Forbidden("the password or the code is wrong")
    await throttle.take_back(factory, account=account)
    await sessions.mark_reauthenticated(session, principal=principal, now=now)
