"""Invitations: an admin invites a person by email with a role (and a team); the person follows a single-use link
(`<web app>/accept-invitation?token=…`, 7 days) and becomes a member with their own name and password, or, in
an organisation that signs in through single sign-on, a member who signs in there.

Events `invitation.created`, `invitation.revoked` and `invitation.accepted` carry the invitation as the API shows
it (never a token). Only the SHA-256 of a link's token is stored. Inviting the same email again, or resending,
gives a new link and the earlier one stops working. Every dead link (accepted, revoked, replaced, expired,
unknown) gets the same 422 on `body.token`: the answer says nothing about what the link was. See
docs/invitations.md.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.config import Settings
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from sightline.events import service as events
from sightline.identity.invitation_models import Invitation
from sightline.identity.invitation_schemas import InvitationCreate, InvitationPublic
from sightline.identity.models import Org, User
from sightline.identity.passwords import refuse_personal
from sightline.identity.schemas import member_public
from sightline.identity.secrets import hash_password, token_hash
from sightline.identity.service import get_org, password_sign_in_refused
from sightline.identity.sessions import start_session
from sightline.mail import outbox

TOKEN_TTL = timedelta(days=7)
RESEND_INTERVAL = timedelta(seconds=60)
MAIL_KIND = "invitation"
WEB_PATH = "/accept-invitation"
SSO_START = "/api/v1/auth/sso/start?organisation_id="
DEAD_LINK = "this invitation link is not valid: it was already used, replaced, revoked or has expired"


def invitation_public(row: Invitation) -> InvitationPublic:
    return InvitationPublic.model_validate(row, from_attributes=True)


async def _active_member(session: AsyncSession, org_id: UUID, email: str) -> User | None:
    statement = scoped(User, org_id).where(col(User.email) == email, col(User.deactivated_at).is_(None))
    return (await session.execute(statement)).scalar_one_or_none()


async def _check_team(session: AsyncSession, org_id: UUID, team_id: UUID | None) -> None:
    # Teams belong to the OKR layer, above this one: read, not imported.
    if team_id is None:
        return
    found = (
        await session.execute(
            text("SELECT 1 FROM teams WHERE org_id = :org AND id = :team AND archived_at IS NULL"),
            {"org": org_id, "team": team_id},
        )
    ).first()
    if found is None:
        raise Invalid("body.team_id", "no such team in this organisation (or it is archived)")


async def invite(
    session: AsyncSession, *, principal: Principal, body: InvitationCreate, settings: Settings, now: datetime
) -> Invitation:
    """A new invitation, its message queued in this transaction; an open one for the same email is replaced."""
    if principal.user_id is None:
        raise Forbidden("an invitation is sent in a person's name; use a key made by an admin")
    principal.require_role_within_own(body.role, "invite someone as")
    if await _active_member(session, principal.org_id, body.email) is not None:
        raise Conflict("a member with this email already exists in the organisation")
    await _check_team(session, principal.org_id, body.team_id)
    await session.execute(
        text(
            "UPDATE invitations SET revoked_at = :now WHERE org_id = :org AND email = :email "
            "AND accepted_at IS NULL AND revoked_at IS NULL"
        ),
        {"org": principal.org_id, "email": body.email, "now": now},
    )
    row = Invitation(
        org_id=principal.org_id,
        email=body.email,
        role=body.role,
        team_id=body.team_id,
        invited_by=principal.user_id,
        token_hash=b"",
        created_at=now,
        sent_at=now,
        expires_at=now,
    )
    await _send(session, row, settings=settings, now=now)
    await _event(session, row, "invitation.created", actor=principal.actor, now=now)
    return row


async def _event(session: AsyncSession, row: Invitation, type: str, *, actor: str, now: datetime) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=row.org_id,
            type=type,
            actor=actor,
            object_type="invitation",
            object_id=row.id,
            occurred_at=now,
            after=invitation_public(row),
        ),
    )


async def _send(session: AsyncSession, row: Invitation, *, settings: Settings, now: datetime) -> None:
    """A new token (the previous one dies with its hash), a new expiry, and the message."""
    token = secrets.token_urlsafe(32)  # 256 bits
    row.token_hash = token_hash(token)
    row.sent_at = now
    row.expires_at = now + TOKEN_TTL
    session.add(row)
    await session.flush()
    org = await get_org(session, org_id=row.org_id)
    inviter = await one_of_org(session, User, row.org_id, row.invited_by, what="member")
    link = f"{settings.link_base_url()}{WEB_PATH}?token={token}"
    body = (
        f"Hello,\n\n{inviter.name} invites you to join {org.name!r} on Sightline as {row.role}. "
        f"Accept the invitation here:\n\n{link}\n\n"
        "The link works once, within 7 days. If you did not expect this message, ignore it: nothing happens "
        "without the link.\n"
    )
    await outbox.enqueue(
        session,
        org_id=row.org_id,
        kind=MAIL_KIND,
        to=row.email,
        subject=f"You are invited to {org.name} on Sightline"[:300],
        body=body,
        now=now,
    )


async def list_open(
    session: AsyncSession, *, principal: Principal, params: PageParams
) -> tuple[list[Invitation], str | None]:
    """Invitations not accepted nor revoked, oldest first; expired ones too (a resend revives them)."""
    statement = scoped(Invitation, principal.org_id).where(
        col(Invitation.accepted_at).is_(None), col(Invitation.revoked_at).is_(None)
    )
    rows = list(
        (await session.execute(paginate(statement, Invitation.created_at, Invitation.id, params=params))).scalars()
    )
    return page_of(rows, params, lambda r: (r.created_at, r.id))


async def _open_one(session: AsyncSession, principal: Principal, invitation_id: UUID) -> Invitation:
    row = await one_of_org(session, Invitation, principal.org_id, invitation_id, what="invitation", lock=True)
    if row.accepted_at is not None or row.revoked_at is not None:
        raise NotFound("invitation")
    return row


async def revoke(session: AsyncSession, *, principal: Principal, invitation_id: UUID, now: datetime) -> None:
    row = await _open_one(session, principal, invitation_id)
    # An admin cannot take back an owner's invitation of an owner either.
    principal.require_role_within_own(row.role, "revoke an invitation as")
    row.revoked_at = now
    await session.flush()
    await _event(session, row, "invitation.revoked", actor=principal.actor, now=now)


async def resend(
    session: AsyncSession, *, principal: Principal, invitation_id: UUID, settings: Settings, now: datetime
) -> Invitation:
    """A new link (7 days from now) to the same person; the earlier link stops working. One a minute."""
    row = await _open_one(session, principal, invitation_id)
    principal.require_role_within_own(row.role, "resend an invitation as")
    if now - row.sent_at < RESEND_INTERVAL:
        wait = max(1, math.ceil((row.sent_at + RESEND_INTERVAL - now).total_seconds()))
        raise TooManyRequests("a link was sent a moment ago", headers={"Retry-After": str(wait)})
    await _send(session, row, settings=settings, now=now)
    return row


async def find(session: AsyncSession, *, token: str, now: datetime, lock: bool = False) -> Invitation:
    """The open invitation of a link (the transaction is then scoped to its organisation), or the one 422."""
    hit = (
        await session.execute(
            text("SELECT org_id, invitation_id FROM auth_invitation(:hash, :now)"),
            {"hash": token_hash(token), "now": now},
        )
    ).first()
    if hit is None:
        raise Invalid("body.token", DEAD_LINK)
    statement = scoped(Invitation, hit.org_id).where(col(Invitation.id) == hit.invitation_id)
    row = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    # Under the lock, again: a concurrent acceptance of the same link has committed meanwhile.
    if row is None or row.accepted_at is not None or row.revoked_at is not None or row.expires_at <= now:
        raise Invalid("body.token", DEAD_LINK)
    return row


async def signs_in_with_sso(session: AsyncSession, row: Invitation) -> bool:
    return await password_sign_in_refused(session, org_id=row.org_id, role=row.role)


async def accept(
    session: AsyncSession,
    *,
    token: str,
    name: str,
    password: str | None,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> tuple[Org, User, str | None]:
    """The person becomes a member; with a password they are signed in (the session's token), under single
    sign-on they are not (None: they sign in there, where their email now finds them)."""
    row = await find(session, token=token, now=now, lock=True)
    sso = await signs_in_with_sso(session, row)
    if sso and password is not None:
        raise Invalid("body.password", "this organisation signs in through single sign-on: send no password")
    if not sso and password is None:
        raise Invalid("body.password", "choose a password")
    if await _active_member(session, row.org_id, row.email) is not None:
        raise Conflict("you are already a member of this organisation: sign in instead")
    org = await get_org(session, org_id=row.org_id)
    if password is not None:
        refuse_personal(password, field="body.password", personal=(row.email, name, org.name))
    user = User(
        org_id=row.org_id,
        email=row.email,
        name=name,
        role=row.role,
        password_hash=await hash_password(password) if password is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()  # the address is proven by the link: verified (the column's default)
    await _join_team(session, row, user)
    row.accepted_at, row.accepted_by = now, user.id
    await session.flush()
    await _event(session, row, "invitation.accepted", actor=f"user:{user.id}", now=now)
    await events.emit(
        session,
        events.NewEvent(
            org_id=row.org_id,
            type="member.created",
            actor=f"user:{row.invited_by}",  # the admin whose invitation it was
            object_type="member",
            object_id=user.id,
            occurred_at=now,
            after=member_public(user),
        ),
    )
    if sso:
        return org, user, None
    session_token = await start_session(
        session, user=user, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )
    return org, user, session_token


async def _join_team(session: AsyncSession, row: Invitation, user: User) -> None:
    """The invitation's team, if it is still there (an archived or deleted team is skipped)."""
    if row.team_id is None:
        return
    await session.execute(
        text(
            "INSERT INTO team_members (org_id, team_id, user_id) SELECT :org, id, :user FROM teams "
            "WHERE org_id = :org AND id = :team AND archived_at IS NULL ON CONFLICT DO NOTHING"
        ),
        {"org": row.org_id, "team": row.team_id, "user": user.id},
    )
