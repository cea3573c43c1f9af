"""Single sign-on with OpenID Connect: per-organisation provider, authorization code flow with PKCE.

`start` redirects to the provider with a fresh `state`, `nonce` and PKCE verifier, kept in a short-lived
cookie encrypted with SIGHTLINE_SECRET_KEY (bound to the browser that started, so a forged callback from
another browser fails). `finish` checks the state, exchanges the code (with the verifier), validates the ID
token — signature against the provider's JWKS, issuer, audience, expiry, nonce (joserfc and authlib's
CodeIDToken rules) — and maps its email to a member: an existing active member, or one created with the
default role (viewer or member, never more) when the email's domain is allowed and `auto_create_members` is
on. Providers that keep the email out of the ID token (node's oidc-provider does by default) are asked at
their UserInfo endpoint, with the access token; its `sub` must be the ID token's. An email is trusted when
its claims say `email_verified: true` (the JSON boolean: "true", 1 or "yes" are not), or when they omit the
claim and the domain is allowed (providers such as Entra ID do not send it). Owners sign in through the
provider only when an owner turned `owner_sign_in` on; otherwise with their password. authlib's OAuth 2.0
parameter, PKCE and client-authentication helpers build the requests; they travel through the service's own
HTTP client and the webhooks' URL guard.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.config import Settings
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.db.tenancy import scoped, set_tenant
from sightline.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable, Unauthorized
from sightline.events import service as events
from sightline.identity.mfa import has_second_factor
from sightline.identity.models import User
from sightline.identity.schemas import member_public
from sightline.identity.service import start_session
from sightline.integrations.models import SsoConfig
from sightline.integrations.oidc_client import Discovery, OidcClient
from sightline.integrations.sso_config import Sealed, redirect_uri, unseal

SSO_COOKIE = "sightline_sso"
ATTEMPT_SECONDS = 600  # a sign-in must come back from the provider within 10 minutes
LEEWAY_SECONDS = 60  # clock skew tolerated on exp/iat
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
SSO_ACTOR = "system:sso"
# The roles a sign-in may create a member with (the configuration's schema and the table allow no others):
# never admin or owner, whatever the provider says.
PROVISIONED_ROLES = frozenset({"viewer", "member"})


@dataclass(frozen=True)
class Attempt:
    """One sign-in on its way through the provider (the content of the encrypted cookie)."""

    org_id: UUID
    state: str
    nonce: str
    verifier: str
    return_to: str


def authorization_url(
    config: SsoConfig, discovery: Discovery, attempt: Attempt, *, redirect: str, hint: str | None
) -> str:
    url: str = prepare_grant_uri(
        discovery.authorization_endpoint,
        config.client_id,
        "code",
        redirect_uri=redirect,
        scope="openid email profile",
        state=attempt.state,
        nonce=attempt.nonce,
        code_challenge=create_s256_code_challenge(attempt.verifier),
        code_challenge_method="S256",
        login_hint=hint,
    )
    return url


# Signing in --------------------------------------------------------------------------------------
def safe_return_to(value: str | None) -> str:
    """A path on this site only (no open redirect to another host)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
    ):
        return "/"
    return value


async def _enabled_config(session: AsyncSession, org_id: UUID) -> SsoConfig:
    # Public route: the tenant comes from the sign-in attempt, and only its SSO settings are read.
    await set_tenant(session, org_id)
    config = (await session.execute(scoped(SsoConfig, org_id))).scalar_one_or_none()
    if config is None or not config.enabled:
        raise NotFound("single sign-on for this organisation")
    return config


async def start(
    session: AsyncSession,
    *,
    org_id: UUID,
    return_to: str | None,
    login_hint: str | None,
    client: OidcClient,
    box: SecretBox,
    base_url: str,
    now: datetime,
) -> tuple[str, str]:
    """The provider's authorization URL to redirect to, and the attempt cookie's value."""
    config = await _enabled_config(session, org_id)
    discovery = await client.discover(config.issuer)
    attempt = Attempt(
        org_id=org_id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        return_to=safe_return_to(return_to),
    )
    url = authorization_url(config, discovery, attempt, redirect=redirect_uri(base_url), hint=login_hint)
    cookie = box.encrypt(
        orjson.dumps({**attempt.__dict__, "org_id": str(org_id)}).decode(),
        now=now,
    )
    return url, cookie


_ATTEMPT = TypeAdapter(Attempt)
_NOT_OURS = "this sign-in cookie was not made by this service; start signing in again"


def _attempt(cookie: str | None, box: SecretBox, now: datetime) -> Attempt:
    if not cookie:
        raise Unauthorized("this sign-in expired or was started in another browser; start it again")
    try:
        box.decrypt(cookie)  # made with one of our keys at all? Forged or mangled: a bad request, not a 500
    except SecretUnreadable as exc:
        raise BadRequest(_NOT_OURS) from exc
    opened = box.decrypt_fresh(cookie, ttl_seconds=ATTEMPT_SECONDS, now=now)
    if opened is None:
        raise Unauthorized("this sign-in expired or was started in another browser; start it again")
    try:
        return _ATTEMPT.validate_json(opened)
    except ValidationError as exc:
        raise BadRequest(_NOT_OURS) from exc


async def _id_token_claims(
    client: OidcClient, config: SsoConfig, discovery: Discovery, token: dict[str, Any], nonce: str, now: datetime
) -> CodeIDToken:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise Unauthorized("the identity provider sent no ID token (is the openid scope allowed?)")
    keys = await client.key_set(discovery.jwks_uri)
    try:
        try:
            decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            # The provider may have rotated its keys since they were cached: read them again once.
            decoded = jwt.decode(id_token, await client.key_set(discovery.jwks_uri, fresh=True), algorithms=ALGORITHMS)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": config.issuer},
                "aud": {"essential": True, "value": config.client_id},
            },
            params={"nonce": nonce, "client_id": config.client_id, "access_token": token.get("access_token")},
        )
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        detail = getattr(exc, "description", None) or str(exc) or type(exc).__name__
        raise Unauthorized(f"the ID token is not valid: {exc.error}: {detail}") from exc
    except ValueError as exc:
        raise Unauthorized(f"the ID token is not valid: {exc}") from exc
    return claims


async def finish(
    session: AsyncSession,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    cookie: str | None,
    client: OidcClient,
    box: SecretBox,
    settings: Settings,
    base_url: str,
    now: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> tuple[User, str | None, str]:
    """Complete a sign-in: the member, the new session token (None while their second factor is to come), and
    where to send the browser."""
    attempt = _attempt(cookie, box, now)
    if error:
        raise Unauthorized(f"the identity provider refused the sign-in: {error}")
    if not state or not hmac.compare_digest(state.encode(), attempt.state.encode()):
        raise Unauthorized("the state does not match this browser's sign-in; start it again")
    if not code:
        raise Unauthorized("the identity provider sent no authorization code")
    config = await _enabled_config(session, attempt.org_id)
    discovery = await client.discover(config.issuer)
    try:
        sealed = unseal(box, config)
    except SecretUnreadable as exc:
        raise ServiceUnavailable("single sign-on cannot read its client secret; an owner must enter it again") from exc
    token = await client.exchange_code(
        discovery,
        client_id=config.client_id,
        secret=sealed.client_secret,
        code=code,
        verifier=attempt.verifier,
        redirect=redirect_uri(base_url),
    )
    claims = await _id_token_claims(client, config, discovery, token, attempt.nonce, now)
    identity = await _identity_claims(client, discovery, claims, token)
    user = await _member_for(session, config, sealed, identity, now=now)
    if await has_second_factor(session, user):
        return user, None, attempt.return_to  # the provider vouched for the first factor only
    session_token = await start_session(
        session, user=user, settings=settings, now=now, user_agent=user_agent, client_address=client_address
    )
    return user, session_token, attempt.return_to


async def _identity_claims(
    client: OidcClient, discovery: Discovery, id_token: CodeIDToken, token: dict[str, Any]
) -> dict[str, Any]:
    """The claims naming the person: the ID token's, or, when it carries no email, the UserInfo endpoint's."""
    if id_token.get("email"):
        return dict(id_token)
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise Unauthorized("the ID token carries no email and the identity provider sent no access token")
    claims = await client.user_info(discovery, access_token)
    # OpenID Connect Core 5.3.2: UserInfo about someone else must not be used (token substitution).
    if not isinstance(claims.get("sub"), str) or not hmac.compare_digest(
        claims["sub"].encode(), str(id_token.get("sub")).encode()
    ):
        raise Unauthorized("the identity provider's UserInfo is about another subject than the ID token")
    return {**claims, "sub": id_token["sub"]}


def _verified_email(claims: dict[str, Any], config: SsoConfig) -> tuple[str, bool]:
    """The email of the claims, and whether its domain is allowed; refused when the provider did not verify it.

    Only the JSON boolean true verifies: "true", "false", 1, 0 and "no" do not (a check for truthiness would
    take "false" and "no" for yes). An absent claim is trusted for allowed domains only.
    """
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) else ""
    if "@" not in email:
        raise Unauthorized("the identity provider sent no email address (is the email scope allowed?)")
    allowed = email.rsplit("@", 1)[1] in config.allowed_domains
    if "email_verified" in claims:
        if claims["email_verified"] is not True:
            raise Unauthorized(f"the identity provider has not verified {email}")
    elif not allowed:
        raise Unauthorized(f"the identity provider has not verified {email}")
    return email, allowed


async def _member_for(
    session: AsyncSession, config: SsoConfig, sealed: Sealed, claims: dict[str, Any], *, now: datetime
) -> User:
    email, allowed = _verified_email(claims, config)
    org_id = config.org_id
    # A removed member's email may have been given to a new member since: the active one signs in.
    same_email = scoped(User, org_id).where(col(User.email) == email)
    user = (
        await session.execute(same_email.order_by(col(User.deactivated_at).is_not(None)).limit(1))
    ).scalar_one_or_none()
    if user is not None:
        if user.deactivated_at is not None:
            raise Forbidden(f"{email} was removed from this organisation")
        if user.role == "owner" and not sealed.owner_sign_in:
            # Whoever controls the provider must not become the owner unless an owner chose to trust it so.
            raise Forbidden(
                f"{email} is an owner of this organisation: owners sign in with their password "
                "(an owner can allow single sign-on for owners in the single sign-on settings)"
            )
        return user  # as they are: a sign-in never changes a member's role
    if not (config.auto_create_members and allowed):
        raise Forbidden(f"{email} is not a member of this organisation; ask an admin to add you")
    if config.default_role not in PROVISIONED_ROLES:
        raise Forbidden(f"single sign-on does not create members with the {config.default_role} role")
    name = str(claims.get("name") or email.split("@", 1)[0])[:200]
    user = User(org_id=org_id, email=email, name=name, role=config.default_role, created_at=now, updated_at=now)
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        # The same person's other first sign-in (a second tab) created them a moment ago: sign in as that one.
        active = same_email.where(col(User.deactivated_at).is_(None))
        existing = (await session.execute(active)).scalar_one_or_none()
        if existing is None:
            raise
        return existing
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="sso.member_provisioned",
            actor=SSO_ACTOR,
            object_type="member",
            object_id=user.id,
            occurred_at=now,
            after=member_public(user),
        ),
    )
    return user
