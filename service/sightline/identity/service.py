"""Rules and transactions of the identity domain: sign-up, sign-in, members, API keys, settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import ROLE_SCOPES, Principal, require_recent_sign_in
from sightline.config import Settings, get_settings
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped, set_tenant
from sightline.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from sightline.events import service as events
from sightline.identity import mfa, sessions, throttle
from sightline.identity.models import ApiKey, AuthSession, Org, User
from sightline.identity.passwords import refuse_personal
from sightline.identity.schemas import (
    ApiKeyCreate,
    ApiKeyPublic,
    LoginRequest,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    OrganisationSettings,
    OrganisationUpdate,
    PasswordChange,
    SignupRequest,
    api_key_public,
    member_public,
    organisation_public,
)
from sightline.identity.secrets import (
    hash_password,
    new_api_key,
    new_password,
    token_hash,
    verify_password,
)
from sightline.identity.verification import start as start_verification
from sightline.versions import check_if_match, if_match_after


async def password_sign_in_refused(session: AsyncSession, *, org_id: UUID, role: str) -> bool:
    """An organisation requiring single sign-on takes passwords from its owners only (their way back in)."""
    if role == "owner":
        return False
    # The table belongs to single sign-on (sightline.integrations, a layer above): read, not imported.
    required = (await session.execute(_SSO_REQUIRED, {"org_id": org_id})).scalar_one_or_none()
    return bool(required)


_SSO_REQUIRED = text("SELECT enabled AND sso_required FROM sso_configs WHERE org_id = :org_id")


# The settings the status rule reads (docs/concepts.md): a change to one recomputes every live key result's
# status in the settings change's own transaction. The OKR layer, above this one, registers that recompute here
# (sightline.okrs.recompute); identity cannot import it.
STATUS_RULE_SETTINGS = ("on_track_gap", "at_risk_gap", "low_confidence", "time_zone")
StatusRuleChanged = Callable[[AsyncSession, UUID, str, datetime], Awaitable[int]]
status_rule_changed: list[StatusRuleChanged] = []


def org_settings(org: Org) -> OrganisationSettings:
    return OrganisationSettings.model_validate(org.settings)


# Sessions live in identity/sessions.py; single sign-on imports start_session from here.
start_session = sessions.start_session


async def count_signup(
    factory: async_sessionmaker[AsyncSession], *, settings: Settings, client_address: str, now: datetime
) -> None:
    """A public sign-up counts against its client address (429 past the limit), before any work is done."""
    if not settings.signup_enabled:
        raise Forbidden("sign-up of new organisations is turned off on this server")
    if settings.signup_max_per_address > 0:
        await throttle.count_attempt(
            factory,
            limits={throttle.signup_key(client_address): settings.signup_max_per_address},
            window=timedelta(seconds=settings.signup_window_seconds),
            now=now,
            refusal="too many sign-ups from this address; wait before trying again",
        )


class OrganisationChoice(Conflict):
    """A 409 whose `organisations` member lists the organisations (id, name) the given password opens."""

    slug, title = "organisation-choice", "Choose an organisation"


class EmailExists(Conflict):
    """A 409 for a sign-up with an email that already has an account (sign in, or confirm another organisation)."""

    slug, title = "email-exists", "An account with this email exists"


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
    if not body.another_organisation:
        # Sign-up cannot help saying that an email has an account (it would otherwise create a second one); it
        # says no more: not which organisation, not whether the password matches. Sign-ups are counted per address.
        known = (
            await session.execute(
                select(func.count()).select_from(
                    func.auth_login_candidates(body.email).table_valued(
                        "org_id", "user_id", "password_hash", "org_name"
                    )
                )
            )
        ).scalar_one()
        if known:
            taken = EmailExists(
                "an account with this email already exists: sign in, or send another_organisation: true to create "
                "a new organisation with this email as well"
            )
            taken.extensions["errors"] = [
                {
                    "loc": ["body", "email"],
                    "message": "an account with this email already exists",
                    "type": "email_exists",
                }
            ]
            raise taken
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
        password_hash=await hash_password(body.password),
        created_at=now,
        updated_at=now,
    )
    session.add(org)
    await session.flush()
    session.add(owner)
    await session.flush()
    token = await start_session(
        session, user=owner, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )
    if settings.signup_verify_email:  # usable once the owner follows the link sent to their address
        await start_verification(
            session,
            org_id=org.org_id,
            user_id=owner.id,
            email=owner.email,
            organisation_name=org.name,
            settings=settings,
            now=now,
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
) -> tuple[Org, User, str | None]:
    """Check the password: the session token, or None when the person's second factor is still to come."""
    # Counted before any password is checked: a burst of guesses at one account gets the limit's worth of checks,
    # no more; guesses from one address at many accounts are slowed (never refused: see throttle.py).
    await throttle.count_sign_in(factory, email=body.email, address=client_address, settings=settings, now=now)
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
        await verify_password(None, body.password)  # same work as a real check: no timing oracle on emails
    matches = [c for c in candidates if await verify_password(c.password_hash, body.password)]
    if not matches:
        raise Unauthorized("the email or the password is wrong")

    async def take_back() -> None:
        await throttle.take_back(
            factory, account=throttle.account_key(body.email), address=throttle.address_key(client_address)
        )

    if len(matches) > 1:
        # Only organisations whose account this password opens are named: without the password nothing is said
        # (the same 401 as an unknown email). The client offers them as a choice and signs in again with one.
        await take_back()
        choice = OrganisationChoice(
            "this email and password open several organisations: choose one and send its organisation_id"
        )
        choice.extensions["organisations"] = [
            {"id": str(m.org_id), "name": m.org_name} for m in sorted(matches, key=lambda m: (m.org_name, m.org_id))
        ]
        raise choice
    match = matches[0]
    await set_tenant(session, match.org_id)
    user = await get_member(session, org_id=match.org_id, member_id=match.user_id)
    if await password_sign_in_refused(session, org_id=match.org_id, role=user.role):
        await take_back()
        raise Forbidden(
            "this organisation signs in through single sign-on: "
            f"GET /api/v1/auth/sso/start?organisation_id={match.org_id}"
        )
    org = await get_org(session, org_id=match.org_id)
    if await mfa.has_second_factor(session, user):
        # No session yet, and the attempt is not taken back: codes count against the same account limit, so
        # typing the right password again never resets the count of guessed codes.
        return org, user, None
    await take_back()
    token = await start_session(
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
    return await one_of_org(session, Org, org_id, what="organisation")


async def update_org(
    session: AsyncSession,
    *,
    principal: Principal,
    body: OrganisationUpdate,
    if_match: str | None,
    now: datetime,
    settings: Settings | None = None,
) -> Org:
    org = (await session.execute(scoped(Org, principal.org_id).with_for_update())).scalar_one()
    with if_match_after(if_match, org.version, required=True):  # a bad body is a 422 even when stale
        before = organisation_public(org)
        if body.name is not None:
            org.name = body.name
        if body.settings is not None:
            merged = {**org.settings, **body.settings.model_dump(exclude_unset=True)}
            validated = OrganisationSettings.model_validate(merged)
            if validated.on_track_gap > validated.at_risk_gap:
                raise Invalid("body.settings.on_track_gap", "must not exceed at_risk_gap")
            if validated.mfa_required_for_admins != before.settings.mfa_required_for_admins:
                # It binds owners too, so it is an owner's decision, like single sign-on; and a sensitive one.
                if "owner" not in principal.scopes:
                    raise Forbidden("only an owner can change whether admins and owners must use a second factor")
                require_recent_sign_in(principal, now=now, settings=settings or get_settings())
            org.settings = validated.model_dump()
    org.version += 1
    org.updated_at = now
    await session.flush()
    if any(getattr(before.settings, name) != org.settings[name] for name in STATUS_RULE_SETTINGS):
        for recompute in status_rule_changed:
            await recompute(session, org.org_id, principal.actor, now)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org.org_id,
            type="organisation.updated",
            actor=principal.actor,
            object_type="organisation",
            object_id=org.org_id,
            occurred_at=now,
            before=before,
            after=organisation_public(org),
        ),
    )
    return org


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


async def get_member(session: AsyncSession, *, org_id: UUID, member_id: UUID, lock: bool = False) -> User:
    return await one_of_org(session, User, org_id, member_id, what="member", lock=lock)


def _require_owner_for(principal: Principal, *roles: str | None) -> None:
    if "owner" in roles and "owner" not in principal.scopes:
        raise Forbidden("only an owner can grant, change or remove the owner role, or change an owner")


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
    _require_owner_for(principal, body.role)
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
                .with_for_update()
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
        await _record_key(
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
    _require_owner_for(principal, user.role)  # an admin neither renames nor demotes an owner
    before = member_public(user)
    demoted = False
    if body.role is not None and body.role != user.role:
        _require_owner_for(principal, body.role)
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
    _require_owner_for(principal, user.role)
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
        await _record_key(
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
    session: AsyncSession, *, email: str, organisation: str | None, password: str, now: datetime
) -> tuple[Org, User]:
    """`sightline admin reset-password`: any active member, owners included; the way back in after a lock-out."""
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
    return await get_org(session, org_id=user.org_id), user


async def _record_key(
    session: AsyncSession,
    *,
    principal: Principal,
    type: str,
    key: ApiKey,
    creator: User | None,
    now: datetime,
    before: ApiKeyPublic | None = None,
) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=key.org_id,
            type=type,
            actor=principal.actor,
            object_type="api_key",
            object_id=key.id,
            occurred_at=now,
            before=before,
            after=api_key_public(key, creator),
        ),
    )


API_KEY_MAX_LIFETIME = timedelta(days=731)


async def create_api_key(
    session: AsyncSession,
    *,
    principal: Principal,
    body: ApiKeyCreate,
    now: datetime,
) -> tuple[ApiKey, User | None, str]:
    # A key never holds more than the credential that makes it (an API key with `admin` alone cannot mint
    # a `write` key).
    beyond = sorted(set(body.scopes) - principal.scopes)
    if beyond:
        raise Forbidden(f"this credential cannot give a key permissions it lacks: {', '.join(beyond)}")
    if principal.user_id is None:
        raise Forbidden("an API key belongs to a member; this credential acts for none")
    creator = await get_member(session, org_id=principal.org_id, member_id=principal.user_id)
    if body.expires_at is not None:
        if body.expires_at <= now:
            raise Invalid("body.expires_at", "must be in the future")
        if body.expires_at > now + API_KEY_MAX_LIFETIME:
            raise Invalid("body.expires_at", "must be at most two years ahead")
    secret, prefix = new_api_key()
    key = ApiKey(
        org_id=principal.org_id,
        name=body.name,
        prefix=prefix,
        key_hash=token_hash(secret),
        scopes=list(body.scopes),
        created_by=principal.user_id,
        created_at=now,
        expires_at=body.expires_at,
    )
    session.add(key)
    await session.flush()
    await _record_key(session, principal=principal, type="api_key.created", key=key, creator=creator, now=now)
    return key, creator, secret


async def key_creators(session: AsyncSession, *, org_id: UUID, keys: list[ApiKey]) -> dict[UUID, User]:
    """The members who made these keys (removed ones included: the list still says who made a revoked key)."""
    ids = {k.created_by for k in keys if k.created_by is not None}
    if not ids:
        return {}
    rows = (await session.execute(scoped(User, org_id).where(col(User.id).in_(ids)))).scalars()
    return {u.id: u for u in rows}


async def list_api_keys(
    session: AsyncSession,
    *,
    principal: Principal,
    params: PageParams,
    include_revoked: bool = False,
) -> tuple[list[ApiKeyPublic], str | None]:
    statement = scoped(ApiKey, principal.org_id)
    if not include_revoked:
        statement = statement.where(col(ApiKey.revoked_at).is_(None))
    rows = list((await session.execute(paginate(statement, ApiKey.created_at, ApiKey.id, params=params))).scalars())
    keys, cursor = page_of(rows, params, lambda k: (k.created_at, k.id))
    creators = await key_creators(session, org_id=principal.org_id, keys=keys)
    return [api_key_public(k, creators.get(k.created_by) if k.created_by else None) for k in keys], cursor


async def get_api_key(session: AsyncSession, *, principal: Principal, key_id: UUID) -> ApiKey:
    return await one_of_org(session, ApiKey, principal.org_id, key_id, what="API key")


async def api_key_view(session: AsyncSession, *, principal: Principal, key: ApiKey) -> ApiKeyPublic:
    creators = await key_creators(session, org_id=principal.org_id, keys=[key])
    return api_key_public(key, creators.get(key.created_by) if key.created_by else None)


async def revoke_api_key(session: AsyncSession, *, principal: Principal, key_id: UUID, now: datetime) -> ApiKey:
    key = await get_api_key(session, principal=principal, key_id=key_id)
    if key.revoked_at is not None:  # revoked is gone, as a removed member is: a second DELETE finds nothing
        raise NotFound("API key")
    if key.revoked_at is None:
        before = await api_key_view(session, principal=principal, key=key)
        key.revoked_at = now
        key.version += 1
        await session.flush()
        await events.emit(
            session,
            events.NewEvent(
                org_id=key.org_id,
                type="api_key.revoked",
                actor=principal.actor,
                object_type="api_key",
                object_id=key.id,
                occurred_at=now,
                before=before,
                after=before.model_copy(update={"revoked_at": now}),
            ),
        )
    return key
