"""Rules and transactions of the identity domain: sign-up, sign-in, the organisation and its settings (members.py
and api_keys.py hold members and API keys)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import Principal, require_recent_sign_in
from sightline.config import Settings, get_settings
from sightline.db.tenancy import one_of_org, set_tenant
from sightline.errors import Conflict, Forbidden, Invalid, Unauthorized
from sightline.events import service as events
from sightline.identity import mfa, sessions, throttle
from sightline.identity.models import AuthSession, Org, User
from sightline.identity.schemas import (
    LoginRequest,
    OrganisationSettings,
    OrganisationUpdate,
    SignupRequest,
    organisation_public,
)
from sightline.identity.secrets import (
    hash_password,
    verify_password,
)
from sightline.identity.verification import start as start_verification
from sightline.versions import if_match_after


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


async def _refuse_known_email(session: AsyncSession, email: str) -> None:
    """Sign-up cannot help saying that an email has an account (it would otherwise create a second one); it says
    no more: not which organisation, not whether the password matches. Sign-ups are counted per address."""
    known = (
        await session.execute(
            select(func.count()).select_from(
                func.auth_login_candidates(email).table_valued("org_id", "user_id", "password_hash", "org_name")
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
        await _refuse_known_email(session, body.email)
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
    # NO KEY UPDATE: the key never changes, and a FOR UPDATE lock would block every row that references the
    # organisation (each check-in's and event's foreign key) until this commits, deadlocking with writers that
    # hold a key result and insert an event.
    org = await one_of_org(session, Org, principal.org_id, what="organisation", lock=True, key_share=True)
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


async def get_member(session: AsyncSession, *, org_id: UUID, member_id: UUID, lock: bool = False) -> User:
    """`lock`: FOR NO KEY UPDATE. A member is deactivated, never deleted or re-keyed: their sign-ins,
    notifications and owned objectives are written meanwhile (docs/decisions/db-row-lock-strengths.md)."""
    return await one_of_org(session, User, org_id, member_id, what="member", lock=lock, key_share=True)
