"""The organisation's single sign-on configuration (owner): provider, client, domains, roles, `sso_required`,
and whether owners may sign in through the provider (`owner_sign_in`, off by default).

Only owners configure it: whoever controls the provider and its settings controls every account it signs in,
so it is an owner's power, like granting the owner role. Admins may read the public shape (it holds no secret).
The client secret is kept encrypted (SIGHTLINE_SECRET_KEY) and never shown; `owner_sign_in` is sealed with it
in the same encrypted value (see `Sealed`). The public shape tells the redirect URI to register with the
provider and the sign-in link to hand out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.db.tenancy import one_of_org
from sightline.errors import Invalid, NotFound
from sightline.events import service as events
from sightline.integrations.models import SsoConfig
from sightline.integrations.schemas import SsoConfigInput, SsoConfigPublic
from sightline.url_guard import UrlPolicy, UrlRefused
from sightline.versions import check_if_match

CALLBACK_PATH = "/api/v1/auth/sso/callback"
START_PATH = "/api/v1/auth/sso/start"


def redirect_uri(base_url: str) -> str:
    return base_url.rstrip("/") + CALLBACK_PATH


# What the encrypted column holds: {"sealed": 1, "org_id", "client_secret", "owner_sign_in"}, or, when stored
# before there were sealed options, the bare client secret.
SEALED_FORMAT = 1


@dataclass(frozen=True)
class Sealed:
    """The secret-bearing part of the configuration: the client secret and the owner-only options.

    Sealed rather than in a column of their own: a value written into the table by anything but this code
    (a restored backup of another organisation, a stray UPDATE) cannot turn owner sign-in on, since it is
    bound to the organisation and only SIGHTLINE_SECRET_KEY opens and makes it.
    """

    client_secret: str
    owner_sign_in: bool = False


def seal(box: SecretBox, sealed: Sealed, *, org_id: UUID, now: datetime) -> str:
    document = {
        "sealed": SEALED_FORMAT,
        "org_id": str(org_id),
        "client_secret": sealed.client_secret,
        "owner_sign_in": sealed.owner_sign_in,
    }
    return box.encrypt(orjson.dumps(document).decode(), now=now)


def unseal(box: SecretBox, config: SsoConfig) -> Sealed:
    """Raises SecretUnreadable when no configured key opens it."""
    plaintext = box.decrypt(config.client_secret_encrypted)
    try:
        document = orjson.loads(plaintext)
    except orjson.JSONDecodeError:
        return Sealed(client_secret=plaintext)
    if not (isinstance(document, dict) and document.get("sealed") == SEALED_FORMAT):
        return Sealed(client_secret=plaintext)  # a bare secret that happens to be JSON
    secret = document.get("client_secret")
    if not isinstance(secret, str) or document.get("org_id") != str(config.org_id):
        raise SecretUnreadable()  # not made for this organisation
    return Sealed(client_secret=secret, owner_sign_in=document.get("owner_sign_in") is True)


def owner_sign_in(box: SecretBox, config: SsoConfig) -> bool:
    """Whether owners may sign in through the provider; off when the sealed value cannot be read."""
    try:
        return unseal(box, config).owner_sign_in
    except SecretUnreadable:
        return False


def config_public(config: SsoConfig, *, base_url: str, box: SecretBox) -> SsoConfigPublic:
    return SsoConfigPublic(
        issuer=config.issuer,
        client_id=config.client_id,
        allowed_domains=list(config.allowed_domains),
        default_role=config.default_role,  # type: ignore[arg-type]
        auto_create_members=config.auto_create_members,
        sso_required=config.sso_required,
        owner_sign_in=owner_sign_in(box, config),
        enabled=config.enabled,
        redirect_uri=redirect_uri(base_url),
        sign_in_url=f"{base_url.rstrip('/')}{START_PATH}?organisation_id={config.org_id}",
        version=config.version,
        created_at=config.created_at,
        updated_at=config.updated_at,
    )


async def get_config(session: AsyncSession, *, org_id: UUID, lock: bool = False) -> SsoConfig:
    return await one_of_org(session, SsoConfig, org_id, what="single sign-on configuration", lock=lock)


async def put_config(
    session: AsyncSession,
    *,
    principal: Principal,
    body: SsoConfigInput,
    policy: UrlPolicy,
    box: SecretBox,
    base_url: str,
    if_match: str | None,
    now: datetime,
) -> tuple[SsoConfig, bool]:
    """Create or replace the organisation's provider (an owner's action); True when it was created."""
    try:
        policy.check_url(body.issuer)
    except UrlRefused as exc:
        raise Invalid("body.issuer", exc.reason) from exc
    if body.auto_create_members and not body.allowed_domains:
        raise Invalid("body.allowed_domains", "members are created only for allowed domains; list at least one")
    try:
        config: SsoConfig | None = await get_config(session, org_id=principal.org_id, lock=True)
    except NotFound:
        config = None
    if config is None:
        if body.client_secret is None:
            raise Invalid("body.client_secret", "required when configuring single sign-on")
        secret = body.client_secret
        config = SsoConfig(
            org_id=principal.org_id,
            issuer=body.issuer,
            client_id=body.client_id,
            client_secret_encrypted="",
            created_at=now,
            updated_at=now,
        )
        session.add(config)
        created = True
    else:
        check_if_match(if_match, config.version, required=False)
        if body.client_secret is not None:
            secret = body.client_secret
        else:
            try:
                secret = unseal(box, config).client_secret
            except SecretUnreadable as exc:
                raise Invalid("body.client_secret", "the stored secret cannot be read; enter it again") from exc
        config.issuer, config.client_id = body.issuer, body.client_id
        config.version += 1
        config.updated_at = now
        created = False
    config.client_secret_encrypted = seal(
        box, Sealed(client_secret=secret, owner_sign_in=body.owner_sign_in), org_id=principal.org_id, now=now
    )
    config.allowed_domains = list(body.allowed_domains)
    config.default_role = body.default_role
    config.auto_create_members = body.auto_create_members
    config.sso_required = body.sso_required
    config.enabled = body.enabled
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="sso.configured",
            actor=principal.actor,
            object_type="organisation",
            object_id=principal.org_id,
            occurred_at=now,
            after=config_public(config, base_url=base_url, box=box),
        ),
    )
    return config, created


async def delete_config(
    session: AsyncSession,
    *,
    principal: Principal,
    base_url: str,
    box: SecretBox,
    if_match: str | None,
    now: datetime,
) -> None:
    config = await get_config(session, org_id=principal.org_id, lock=True)
    check_if_match(if_match, config.version, required=False)
    before = config_public(config, base_url=base_url, box=box)
    await session.delete(config)
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="sso.removed",
            actor=principal.actor,
            object_type="organisation",
            object_id=principal.org_id,
            occurred_at=now,
            before=before,
        ),
    )
