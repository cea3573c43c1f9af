"""The organisation's single sign-on configuration (admin): provider, client, domains, roles, `sso_required`.

The client secret is kept encrypted (SIGHTLINE_SECRET_KEY) and never shown; the public shape tells admins the
redirect URI to register with the provider and the sign-in link to hand out.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.db.tenancy import scoped
from sightline.errors import Invalid, NotFound
from sightline.events import service as events
from sightline.http.deps import Principal
from sightline.http.etag import check_if_match
from sightline.integrations.crypto import SecretBox
from sightline.integrations.models import SsoConfig
from sightline.integrations.schemas import SsoConfigInput, SsoConfigPublic
from sightline.webhooks.url_guard import UrlPolicy, UrlRefused

CALLBACK_PATH = "/api/v1/auth/sso/callback"
START_PATH = "/api/v1/auth/sso/start"


def redirect_uri(base_url: str) -> str:
    return base_url.rstrip("/") + CALLBACK_PATH


def config_public(config: SsoConfig, *, base_url: str) -> SsoConfigPublic:
    return SsoConfigPublic(
        issuer=config.issuer,
        client_id=config.client_id,
        allowed_domains=list(config.allowed_domains),
        default_role=config.default_role,  # type: ignore[arg-type]
        auto_create_members=config.auto_create_members,
        sso_required=config.sso_required,
        enabled=config.enabled,
        redirect_uri=redirect_uri(base_url),
        sign_in_url=f"{base_url.rstrip('/')}{START_PATH}?organisation_id={config.org_id}",
        version=config.version,
        created_at=config.created_at,
        updated_at=config.updated_at,
    )


async def get_config(session: AsyncSession, *, org_id: UUID, lock: bool = False) -> SsoConfig:
    statement = scoped(SsoConfig, org_id)
    config = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if config is None:
        raise NotFound("single sign-on configuration")
    return config


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
    """Create or replace the organisation's provider; True when it was created."""
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
        config = SsoConfig(
            org_id=principal.org_id,
            issuer=body.issuer,
            client_id=body.client_id,
            client_secret_encrypted=box.encrypt(body.client_secret, now=now),
            created_at=now,
            updated_at=now,
        )
        session.add(config)
        created = True
    else:
        check_if_match(if_match, config.version, required=False)
        config.issuer, config.client_id = body.issuer, body.client_id
        if body.client_secret is not None:
            config.client_secret_encrypted = box.encrypt(body.client_secret, now=now)
        config.version += 1
        config.updated_at = now
        created = False
    config.allowed_domains = list(body.allowed_domains)
    config.default_role = body.default_role
    config.auto_create_members = body.auto_create_members
    config.sso_required = body.sso_required
    config.enabled = body.enabled
    await session.flush()
    await events.record(
        session,
        org_id=principal.org_id,
        type="sso.configured",
        actor=principal.actor,
        object_type="organisation",
        object_id=principal.org_id,
        now=now,
        after=config_public(config, base_url=base_url),
    )
    return config, created


async def delete_config(
    session: AsyncSession, *, principal: Principal, base_url: str, if_match: str | None, now: datetime
) -> None:
    config = await get_config(session, org_id=principal.org_id, lock=True)
    check_if_match(if_match, config.version, required=False)
    before = config_public(config, base_url=base_url)
    await session.delete(config)
    await session.flush()
    await events.record(
        session,
        org_id=principal.org_id,
        type="sso.removed",
        actor=principal.actor,
        object_type="organisation",
        object_id=principal.org_id,
        now=now,
        before=before,
    )
