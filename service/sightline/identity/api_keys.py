"""API keys: made by a member with at most their own permissions, listed with who made them, revoked."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Forbidden, Invalid, NotFound
from sightline.events import service as events
from sightline.identity.models import ApiKey, User
from sightline.identity.schemas import (
    ApiKeyCreate,
    ApiKeyPublic,
    api_key_public,
)
from sightline.identity.secrets import (
    new_api_key,
    token_hash,
)
from sightline.identity.service import get_member


async def record_key(
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
    await record_key(session, principal=principal, type="api_key.created", key=key, creator=creator, now=now)
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
