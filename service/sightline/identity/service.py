"""Rules and transactions of the identity domain: sign-up, sign-in, members, API keys, settings."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.config import Settings
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from sightline.http.deps import Principal
from sightline.http.etag import check_if_match
from sightline.http.pagination import PageParams, page_of, paginate
from sightline.identity import throttle
from sightline.identity.models import ApiKey, AuthSession, Org, User
from sightline.identity.schemas import (
    ApiKeyCreate,
    LoginRequest,
    MemberCreate,
    MemberUpdate,
    OrganisationSettings,
    OrganisationUpdate,
    SignupRequest,
)
from sightline.identity.secrets import (
    hash_password,
    new_api_key,
    new_session_token,
    token_hash,
    verify_password,
)
from sightline.integrations.models import SsoConfig


async def password_sign_in_refused(session: AsyncSession, *, org_id: UUID, role: str) -> bool:
    """An organisation requiring single sign-on takes passwords from its owners only (their way back in)."""
    if role == "owner":
        return False
    config = (await session.execute(scoped(SsoConfig, org_id))).scalar_one_or_none()
    return config is not None and config.enabled and config.sso_required


def org_settings(org: Org) -> OrganisationSettings:
    return OrganisationSettings.model_validate(org.settings)


async def _start_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> str:
    token = new_session_token()
    session.add(
        AuthSession(
            org_id=user.org_id,
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_ttl_hours),
            user_agent=(user_agent or "")[:300] or None,
            client_address=client_address,
        )
    )
    await session.flush()
    return token


async def start_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> str:
    """A new session for a member signed in another way (single sign-on); its token goes in the cookie."""
    return await _start_session(
        session, user=user, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )


async def signup(
    session: AsyncSession,
    *,
    body: SignupRequest,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> tuple[Org, User, str]:
    if not settings.signup_enabled:
        raise Forbidden("sign-up of new organisations is turned off on this server")
    org = Org(
        org_id=uuid4(),
        name=body.organisation_name,
        settings=OrganisationSettings().model_dump(),
        created_at=now,
        updated_at=now,
    )
    await set_tenant(session, org.org_id)
    owner = User(
        org_id=org.org_id,
        email=body.email,
        name=body.name,
        role="owner",
        password_hash=hash_password(body.password),
        created_at=now,
        updated_at=now,
    )
    session.add(org)
    await session.flush()
    session.add(owner)
    await session.flush()
    token = await _start_session(
        session, user=owner, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )
    return org, owner, token


async def login(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    *,
    body: LoginRequest,
    settings: Settings,
    now: datetime,
    user_agent: str | None,
    client_address: str,
) -> tuple[Org, User, str]:
    window = timedelta(seconds=settings.login_window_seconds)
    limits = {
        throttle.account_key(body.email): settings.login_max_failures_per_account,
        throttle.address_key(client_address): settings.login_max_failures_per_address,
    }
    await throttle.ensure_allowed(session, limits=limits, window=window, now=now)
    candidates = (
        await session.execute(
            select(
                func.auth_login_candidates(body.email).table_valued("org_id", "user_id", "password_hash", "org_name")
            )
        )
    ).all()
    if body.organisation_id is not None:
        candidates = [c for c in candidates if c.org_id == body.organisation_id]
    if not candidates:
        verify_password(None, body.password)  # same work as a real check: no timing oracle on emails
    matches = [c for c in candidates if verify_password(c.password_hash, body.password)]
    if not matches:
        await throttle.record_failure(factory, keys=list(limits), window=window, now=now)
        raise Unauthorized("the email or the password is wrong")
    if len(matches) > 1:
        names = ", ".join(f"{m.org_name} ({m.org_id})" for m in matches)
        raise Conflict(f"this email belongs to several organisations; send organisation_id, one of: {names}")
    match = matches[0]
    await set_tenant(session, match.org_id)
    await throttle.clear(session, key=throttle.account_key(body.email))
    user = await get_member(session, org_id=match.org_id, member_id=match.user_id)
    if await password_sign_in_refused(session, org_id=match.org_id, role=user.role):
        raise Forbidden(
            "this organisation signs in through single sign-on: "
            f"GET /api/v1/auth/sso/start?organisation_id={match.org_id}"
        )
    org = await get_org(session, org_id=match.org_id)
    token = await _start_session(
        session, user=user, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )
    return org, user, token


async def logout(session: AsyncSession, *, principal: Principal, now: datetime) -> None:
    if principal.session_id is None:
        raise Invalid(detail="an API key has no session to end; revoke the key instead")
    await session.execute(
        update(AuthSession)
        .where(col(AuthSession.org_id) == principal.org_id, col(AuthSession.id) == principal.session_id)
        .values(revoked_at=now)
    )


async def get_org(session: AsyncSession, *, org_id: UUID) -> Org:
    org = (await session.execute(scoped(Org, org_id))).scalar_one_or_none()
    if org is None:
        raise NotFound("organisation")
    return org


async def update_org(
    session: AsyncSession,
    *,
    principal: Principal,
    body: OrganisationUpdate,
    if_match: str | None,
    now: datetime,
) -> Org:
    org = (await session.execute(scoped(Org, principal.org_id).with_for_update())).scalar_one()
    check_if_match(if_match, org.version, required=True)
    if body.name is not None:
        org.name = body.name
    if body.settings is not None:
        merged = {**org.settings, **body.settings.model_dump(exclude_unset=True)}
        validated = OrganisationSettings.model_validate(merged)
        if validated.on_track_gap > validated.at_risk_gap:
            raise Invalid("body.settings.on_track_gap", "must not exceed at_risk_gap")
        org.settings = validated.model_dump()
    org.version += 1
    org.updated_at = now
    await session.flush()
    return org


async def list_members(
    session: AsyncSession,
    *,
    principal: Principal,
    params: PageParams,
) -> tuple[list[User], str | None]:
    statement = scoped(User, principal.org_id).where(col(User.deactivated_at).is_(None))
    rows = list((await session.execute(paginate(statement, User.created_at, User.id, params=params))).scalars())
    return page_of(rows, params, lambda u: (u.created_at, u.id))


async def get_member(session: AsyncSession, *, org_id: UUID, member_id: UUID, lock: bool = False) -> User:
    statement = scoped(User, org_id).where(col(User.id) == member_id)
    if lock:
        statement = statement.with_for_update()
    user = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise NotFound("member")
    return user


def _require_owner_for(principal: Principal, *roles: str | None) -> None:
    if "owner" in roles and "owner" not in principal.scopes:
        raise Forbidden("only an owner can grant, change or remove the owner role")


async def add_member(
    session: AsyncSession,
    *,
    principal: Principal,
    body: MemberCreate,
    now: datetime,
) -> tuple[User, str | None]:
    _require_owner_for(principal, body.role)
    exists = (
        await session.execute(scoped(User, principal.org_id).where(col(User.email) == body.email))
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict("a member with this email already exists in the organisation")
    generated = None if body.password else secrets.token_urlsafe(12)
    user = User(
        org_id=principal.org_id,
        email=body.email,
        name=body.name,
        role=body.role,
        password_hash=hash_password(body.password or generated or ""),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user, generated


async def _ensure_another_owner(session: AsyncSession, *, org_id: UUID, leaving: UUID) -> None:
    # Lock every owner row: two concurrent demotions cannot both see "another owner remains".
    owners = (
        (
            await session.execute(
                scoped(User, org_id)
                .where(col(User.role) == "owner", col(User.deactivated_at).is_(None))
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    if not [o for o in owners if o.id != leaving]:
        raise Conflict("an organisation needs at least one owner; promote someone else first")


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
    check_if_match(if_match, user.version, required=False)
    if body.role is not None and body.role != user.role:
        _require_owner_for(principal, body.role, user.role)
        if user.role == "owner":
            await _ensure_another_owner(session, org_id=principal.org_id, leaving=user.id)
        user.role = body.role
    if body.name is not None:
        user.name = body.name
    user.version += 1
    user.updated_at = now
    await session.flush()
    return user


async def remove_member(session: AsyncSession, *, principal: Principal, member_id: UUID, now: datetime) -> None:
    """Deactivate (history keeps pointing at the person) and end every session of theirs."""
    user = await get_member(session, org_id=principal.org_id, member_id=member_id, lock=True)
    if user.deactivated_at is not None:
        raise NotFound("member")
    _require_owner_for(principal, user.role)
    if user.role == "owner":
        await _ensure_another_owner(session, org_id=principal.org_id, leaving=user.id)
    user.deactivated_at = now
    user.version += 1
    await session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.org_id) == principal.org_id,
            col(AuthSession.user_id) == user.id,
            col(AuthSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    await session.flush()


async def create_api_key(
    session: AsyncSession,
    *,
    principal: Principal,
    body: ApiKeyCreate,
    now: datetime,
) -> tuple[ApiKey, str]:
    secret, prefix = new_api_key()
    key = ApiKey(
        org_id=principal.org_id,
        name=body.name,
        prefix=prefix,
        key_hash=token_hash(secret),
        scopes=list(body.scopes),
        created_by=principal.user_id,
        created_at=now,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def list_api_keys(
    session: AsyncSession,
    *,
    principal: Principal,
    params: PageParams,
) -> tuple[list[ApiKey], str | None]:
    rows = list(
        (
            await session.execute(
                paginate(scoped(ApiKey, principal.org_id), ApiKey.created_at, ApiKey.id, params=params)
            )
        ).scalars()
    )
    return page_of(rows, params, lambda k: (k.created_at, k.id))


async def get_api_key(session: AsyncSession, *, principal: Principal, key_id: UUID) -> ApiKey:
    key = (await session.execute(scoped(ApiKey, principal.org_id).where(col(ApiKey.id) == key_id))).scalar_one_or_none()
    if key is None:
        raise NotFound("API key")
    return key


async def revoke_api_key(session: AsyncSession, *, principal: Principal, key_id: UUID, now: datetime) -> ApiKey:
    key = await get_api_key(session, principal=principal, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        key.version += 1
        await session.flush()
    return key
