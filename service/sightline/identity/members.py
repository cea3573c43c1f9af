"""Members of an organisation: add, list, change role or details, remove; passwords (change, reset by an admin or
the operator)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import ROLE_SCOPES, Principal
from sightline.config import Settings
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import Conflict, Forbidden, Invalid, NotFound
from sightline.events import service as events
from sightline.identity import mfa, sessions, throttle
from sightline.identity.api_keys import record_key
from sightline.identity.models import ApiKey, Org, User
from sightline.identity.passwords import refuse_personal
from sightline.identity.schemas import (
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    PasswordChange,
    api_key_public,
    member_public,
)
from sightline.identity.secrets import (
    hash_password,
    new_password,
    verify_password,
)
from sightline.identity.service import get_member, get_org
from sightline.versions import check_if_match


async def list_members(
    session: AsyncSession,
    *,
    principal: Principal,
    params: PageParams,
    include_removed: bool = False,
) -> tuple[list[User], str | None]:
    statement = scoped(User, principal.org_id)
    if not include_removed:
        statement = statement.where(col(User.deactivated_at).is_(None))
    rows = list((await session.execute(paginate(statement, User.created_at, User.id, params=params))).scalars())
    return page_of(rows, params, lambda u: (u.created_at, u.id))


async def _record(
    session: AsyncSession,
    *,
    principal: Principal | None,
    actor: str | None = None,
    type: str,
    user: User,
    now: datetime,
    before: MemberPublic | None = None,
) -> None:
    """An event about a member: their public shape only, never a password or its hash."""
    await events.emit(
        session,
        events.NewEvent(
            org_id=user.org_id,
            type=type,
            actor=actor or (principal.actor if principal else "system"),
            object_type="member",
            object_id=user.id,
            occurred_at=now,
            before=before,
            after=member_public(user) if user.deactivated_at is None else None,
        ),
    )


async def add_member(
    session: AsyncSession,
    *,
    principal: Principal,
    body: MemberCreate,
    now: datetime,
) -> tuple[User, str | None]:
    principal.require_role_within_own(body.role, "add someone as")
    # Only active members hold an email: a removed member's may be added again, as a new member.
    exists = (
        await session.execute(
            scoped(User, principal.org_id).where(col(User.email) == body.email, col(User.deactivated_at).is_(None))
        )
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict("a member with this email already exists in the organisation")
    if body.password:  # the schema compared it with the email and name; the organisation's name is known here
        org = await get_org(session, org_id=principal.org_id)
        refuse_personal(body.password, field="body.password", personal=(org.name,))
    generated = None if body.password else new_password()
    user = User(
        org_id=principal.org_id,
        email=body.email,
        name=body.name,
        role=body.role,
        password_hash=await hash_password(body.password or generated or ""),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    await _record(session, principal=principal, type="member.created", user=user, now=now)
    return user, generated


async def _ensure_another_owner(session: AsyncSession, *, org_id: UUID, leaving: UUID) -> None:
    # Lock every owner row: two concurrent demotions cannot both see "another owner remains".
    owners = (
        (
            await session.execute(
                scoped(User, org_id)
                .where(col(User.role) == "owner", col(User.deactivated_at).is_(None))
                .with_for_update(key_share=True)
            )
        )
        .scalars()
        .all()
    )
    if not [o for o in owners if o.id != leaving]:
        raise Conflict("an organisation needs at least one owner; promote someone else first")


async def _end_sessions(session: AsyncSession, *, user: User, now: datetime, keep: UUID | None = None) -> None:
    await sessions.end_sessions(session, org_id=user.org_id, user_id=user.id, now=now, keep=keep)


async def _keys_of(session: AsyncSession, user: User) -> list[ApiKey]:
    statement = (
        scoped(ApiKey, user.org_id)
        .where(col(ApiKey.created_by) == user.id, col(ApiKey.revoked_at).is_(None))
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def _cap_keys(session: AsyncSession, *, principal: Principal, user: User, now: datetime) -> None:
    """Credentials follow their person: the keys a member made keep only what their new role allows.

    Capped rather than revoked, so an integration that only reads survives its maker's demotion; a key left
    with nothing is revoked. (auth_resolve_api_key applies the same cap on every request.)
    """
    allowed = ROLE_SCOPES[user.role]
    for key in await _keys_of(session, user):
        kept = sorted(set(key.scopes) & allowed)
        if kept == sorted(key.scopes):
            continue
        before = api_key_public(key, user)
        if kept:
            key.scopes = kept
        else:
            key.revoked_at = now
        key.version += 1
        await session.flush()
        await record_key(
            session,
            principal=principal,
            type="api_key.updated" if kept else "api_key.revoked",
            key=key,
            creator=user,
            now=now,
            before=before,
        )


async def update_member(
    session: AsyncSession,
    *,
    principal: Principal,
    member_id: UUID,
    body: MemberUpdate,
    if_match: str | None,
    now: datetime,
) -> User:
    user = await get_member(session, org_id=principal.org_id, member_id=member_id, lock=True)
    if user.deactivated_at is not None:
        raise NotFound("member")
    check_if_match(if_match, user.version, required=False)
    # An admin neither renames nor demotes an owner.
    principal.require_role_within_own(user.role, "change a member who is")
    before = member_public(user)
    demoted = False
    if body.role is not None and body.role != user.role:
        principal.require_role_within_own(body.role, "make someone")
        if user.role == "owner":
            await _ensure_another_owner(session, org_id=principal.org_id, leaving=user.id)
        demoted = not ROLE_SCOPES[user.role] <= ROLE_SCOPES[body.role]
        user.role = body.role
        # A privilege change ends the member's sessions (the caller's own too, when it is them): the next
        # sign-in starts a session of the new role, with a new id.
        await _end_sessions(session, user=user, now=now)
    if body.name is not None:
        user.name = body.name
    user.version += 1
    user.updated_at = now
    await session.flush()
    if demoted:
        await _cap_keys(session, principal=principal, user=user, now=now)
    await _record(session, principal=principal, type="member.updated", user=user, now=now, before=before)
    return user


async def remove_member(session: AsyncSession, *, principal: Principal, member_id: UUID, now: datetime) -> None:
    """Deactivate (history keeps pointing at the person), end every session and revoke every key of theirs."""
    user = await get_member(session, org_id=principal.org_id, member_id=member_id, lock=True)
    if user.deactivated_at is not None:
        raise NotFound("member")
    principal.require_role_within_own(user.role, "remove a member who is")
    if user.role == "owner":
        await _ensure_another_owner(session, org_id=principal.org_id, leaving=user.id)
    before = member_public(user)
    user.deactivated_at = now
    user.version += 1
    await _end_sessions(session, user=user, now=now)
    for key in await _keys_of(session, user):
        key_before = api_key_public(key, user)
        key.revoked_at = now
        key.version += 1
        await session.flush()
        await record_key(
            session, principal=principal, type="api_key.revoked", key=key, creator=user, now=now, before=key_before
        )
    await session.flush()
    await _record(session, principal=principal, type="member.removed", user=user, now=now, before=before)


async def change_password(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    body: PasswordChange,
    settings: Settings,
    now: datetime,
) -> None:
    """The signed-in person's own password: the current one is required; their other sessions end."""
    if principal.session_id is None or principal.user_id is None:
        raise Forbidden("an API key cannot change a password; sign in as the person instead")
    user = await get_member(session, org_id=principal.org_id, member_id=principal.user_id, lock=True)
    account = throttle.account_key(user.email)
    # The current password is a sign-in secret: guesses through a stolen session count like failed sign-ins.
    await throttle.count_attempt(
        factory,
        limits={account: settings.login_max_failures_per_account},
        window=timedelta(seconds=settings.login_window_seconds),
        now=now,
    )
    if not await verify_password(user.password_hash, body.current_password):
        raise Forbidden("the current password is wrong")
    await throttle.take_back(factory, account=account)
    if body.new_password == body.current_password:
        raise Invalid("body.new_password", "choose a password other than the current one")
    org = await get_org(session, org_id=principal.org_id)
    refuse_personal(body.new_password, field="body.new_password", personal=(user.email, user.name, org.name))
    await _set_password(session, user=user, password=body.new_password, now=now, keep_session=principal.session_id)
    await _record(session, principal=principal, type="member.password_changed", user=user, now=now)


async def _set_password(
    session: AsyncSession, *, user: User, password: str, now: datetime, keep_session: UUID | None = None
) -> None:
    user.password_hash = await hash_password(password)
    user.version += 1
    user.updated_at = now
    await session.flush()
    await _end_sessions(session, user=user, now=now, keep=keep_session)
    await throttle.clear(session, key=throttle.account_key(user.email))


async def reset_password(
    session: AsyncSession, *, principal: Principal, member_id: UUID, now: datetime
) -> tuple[User, str]:
    """An admin gives a member a new generated password (shown once); that member's sessions end."""
    user = await get_member(session, org_id=principal.org_id, member_id=member_id, lock=True)
    if user.deactivated_at is not None:
        raise NotFound("member")
    if user.role == "owner":
        raise Forbidden(
            "an owner's password is changed only by that owner (POST /api/v1/me/password) or by the operator "
            "(`sightline admin reset-password`)"
        )
    if user.id == principal.user_id:
        raise Forbidden("change your own password with POST /api/v1/me/password: it asks for the current one")
    password = new_password()
    await _set_password(session, user=user, password=password, now=now)
    await _record(session, principal=principal, type="member.password_reset", user=user, now=now)
    return user, password


OPERATOR_ACTOR = "operator:cli"


async def operator_reset_password(
    session: AsyncSession,
    *,
    email: str,
    organisation: str | None,
    password: str,
    now: datetime,
    remove_second_factor: bool = False,
) -> tuple[Org, User]:
    """`sightline admin reset-password`: any active member, owners included; the way back in after a lock-out.
    With `remove_second_factor`, their authenticator app and recovery codes go too (lost with the phone)."""
    candidates = (
        await session.execute(
            select(func.auth_login_candidates(email).table_valued("org_id", "user_id", "password_hash", "org_name"))
        )
    ).all()
    if not candidates:
        raise NotFound(f"active member with the email {email}")
    if organisation is not None:
        wanted = organisation.strip()
        candidates = [c for c in candidates if str(c.org_id) == wanted.lower() or c.org_name == wanted]
        if not candidates:
            raise NotFound(f"member with the email {email} in the organisation {organisation!r}")
    if len(candidates) > 1:
        names = ", ".join(f"{c.org_name} ({c.org_id})" for c in candidates)
        raise Conflict(f"{email} belongs to several organisations; add --organisation with one of: {names}")
    await set_tenant(session, candidates[0].org_id)
    user = await get_member(session, org_id=candidates[0].org_id, member_id=candidates[0].user_id, lock=True)
    org = await get_org(session, org_id=user.org_id)
    refuse_personal(password, field="password", personal=(user.email, user.name, org.name))
    await _set_password(session, user=user, password=password, now=now)
    await _record(session, principal=None, actor=OPERATOR_ACTOR, type="member.password_reset", user=user, now=now)
    if remove_second_factor:
        await mfa.remove_second_factor(session, user=user, actor=OPERATOR_ACTOR, now=now)
    return await get_org(session, org_id=user.org_id), user
