"""SQL connections (the PostgreSQL databases SQL sources read) and the re-encryption of stored credentials.

A connection string is kept only encrypted; host, port, database and user are kept beside it to show.
It is checked when saved as it is when a source runs (`sql_source.checked_target`: one TCP host, resolved
now, every address allowed by the operator's URL rules), so a refused one is a 422 on `body.dsn`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.auth import Principal
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped, set_tenant
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.integrations.models import Integration, SqlConnection, SsoConfig
from sightline.integrations.schemas import SqlConnectionCreate, SqlConnectionPublic, SqlConnectionUpdate
from sightline.integrations.sql_source import checked_target, parse_dsn, tls_warning
from sightline.url_guard import HostUnresolvable, Resolver, UrlPolicy, UrlRefused, system_resolver
from sightline.versions import check_if_match

MAX_CONNECTIONS = 50
RESOLVE_TIMEOUT = 5.0  # seconds


def connection_public(connection: SqlConnection) -> SqlConnectionPublic:
    return SqlConnectionPublic(
        id=connection.id,
        name=connection.name,
        description=connection.description,
        host=connection.host,
        port=connection.port,
        database=connection.database,
        username=connection.username,
        sslmode=connection.sslmode,
        allow_weak_tls=connection.allow_weak_tls,
        tls_warning=tls_warning(connection.sslmode),
        version=connection.version,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


async def get_connection(session: AsyncSession, *, org_id: UUID, connection_id: UUID) -> SqlConnection:
    return await one_of_org(session, SqlConnection, org_id, connection_id, what="SQL connection")


async def list_connections(
    session: AsyncSession, *, org_id: UUID, params: PageParams
) -> tuple[list[SqlConnection], str | None]:
    statement = paginate(scoped(SqlConnection, org_id), SqlConnection.created_at, SqlConnection.id, params=params)
    rows = list((await session.execute(statement)).scalars())
    return page_of(rows, params, lambda c: (c.created_at, c.id))


async def _target(dsn: str, policy: UrlPolicy, resolver: Resolver, *, allow_weak_tls: bool) -> dict[str, Any]:
    """Host, port, database, user and TLS mode of an acceptable connection string; 422 on `body.dsn` otherwise.

    A name that does not resolve now is kept (a database may be set up after its connection); its runs
    fail as `host_not_found` until it does, and every run checks its addresses again.
    """
    try:
        target = parse_dsn(dsn, allow_weak_tls=allow_weak_tls)
    except ValueError as exc:
        raise Invalid("body.dsn", str(exc)) from exc
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):  # the request's transaction is open meanwhile
            await checked_target(dsn, policy, resolver=resolver, allow_weak_tls=allow_weak_tls)
    except (HostUnresolvable, TimeoutError):
        pass
    except UrlRefused as exc:
        raise Invalid("body.dsn", exc.reason) from exc
    return {
        "host": target.host,
        "port": target.port,
        "database": target.database,
        "username": target.username,
        "sslmode": target.sslmode,
    }


async def _connection_event(
    session: AsyncSession, principal: Principal, type: str, connection: SqlConnection, *, now: datetime
) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=type,
            actor=principal.actor,
            object_type="sql_connection",
            object_id=connection.id,
            occurred_at=now,
            after=connection_public(connection),
        ),
    )


async def _connection_name_taken(session: AsyncSession, org_id: UUID, name: str, other_than: UUID | None) -> bool:
    statement = select(col(SqlConnection.id)).where(
        col(SqlConnection.org_id) == org_id, col(SqlConnection.name) == name
    )
    if other_than is not None:
        statement = statement.where(col(SqlConnection.id) != other_than)
    return (await session.execute(statement)).first() is not None


async def create_connection(
    session: AsyncSession,
    *,
    principal: Principal,
    body: SqlConnectionCreate,
    policy: UrlPolicy,
    box: SecretBox,
    now: datetime,
    resolver: Resolver = system_resolver,
) -> SqlConnection:
    org_id = principal.org_id
    target = await _target(body.dsn, policy, resolver, allow_weak_tls=body.allow_weak_tls)
    if await _connection_name_taken(session, org_id, body.name, None):
        raise Conflict(f"a SQL connection named {body.name!r} exists already")
    count = (await session.execute(select(func.count()).where(col(SqlConnection.org_id) == org_id))).scalar_one()
    if count >= MAX_CONNECTIONS:
        raise Conflict(f"an organisation has at most {MAX_CONNECTIONS} SQL connections")
    connection = SqlConnection(
        org_id=org_id,
        name=body.name,
        description=body.description,
        dsn_encrypted=box.encrypt(body.dsn, now=now),
        allow_weak_tls=body.allow_weak_tls,
        created_at=now,
        updated_at=now,
        **target,
    )
    session.add(connection)
    await session.flush()
    await _connection_event(session, principal, "sql_connection.created", connection, now=now)
    return connection


async def update_connection(
    session: AsyncSession,
    *,
    principal: Principal,
    connection_id: UUID,
    body: SqlConnectionUpdate,
    policy: UrlPolicy,
    box: SecretBox,
    if_match: str | None,
    now: datetime,
    resolver: Resolver = system_resolver,
) -> SqlConnection:
    connection = await get_connection(session, org_id=principal.org_id, connection_id=connection_id)
    check_if_match(if_match, connection.version, required=False)
    for name in ("name", "description", "dsn", "allow_weak_tls"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise Invalid(f"body.{name}", "cannot be null")
    if body.name is not None and body.name != connection.name:
        if await _connection_name_taken(session, principal.org_id, body.name, connection.id):
            raise Conflict(f"a SQL connection named {body.name!r} exists already")
        connection.name = body.name
    if body.description is not None:
        connection.description = body.description
    allow_weak_tls = connection.allow_weak_tls if body.allow_weak_tls is None else body.allow_weak_tls
    if body.dsn is not None:
        for key, value in (await _target(body.dsn, policy, resolver, allow_weak_tls=allow_weak_tls)).items():
            setattr(connection, key, value)
        connection.dsn_encrypted = box.encrypt(body.dsn, now=now)
    elif allow_weak_tls != connection.allow_weak_tls:
        connection.sslmode = _stored_sslmode(connection, box, allow_weak_tls=allow_weak_tls)
    connection.allow_weak_tls = allow_weak_tls
    connection.version += 1
    connection.updated_at = now
    await session.flush()
    await _connection_event(session, principal, "sql_connection.updated", connection, now=now)
    return connection


def _stored_sslmode(connection: SqlConnection, box: SecretBox, *, allow_weak_tls: bool) -> str | None:
    """The stored string's TLS mode under the new flag: turning the flag off is refused while the string
    names a weaker mode (422 on `body.allow_weak_tls`)."""
    try:
        return parse_dsn(box.decrypt(connection.dsn_encrypted), allow_weak_tls=allow_weak_tls).sslmode
    except SecretUnreadable:
        return connection.sslmode  # enter the string again; its runs say why meanwhile
    except ValueError as exc:
        raise Invalid(
            "body.allow_weak_tls", f"the stored connection string is refused without it ({exc}); send a new dsn"
        ) from exc


async def delete_connection(
    session: AsyncSession, *, principal: Principal, connection_id: UUID, if_match: str | None, now: datetime
) -> None:
    connection = await get_connection(session, org_id=principal.org_id, connection_id=connection_id)
    check_if_match(if_match, connection.version, required=False)
    users = list(
        (
            await session.execute(
                select(col(Integration.name))
                .where(col(Integration.org_id) == principal.org_id, col(Integration.connection_id) == connection.id)
                .limit(5)
            )
        ).scalars()
    )
    if users:
        raise Conflict(f"integrations use this connection ({', '.join(users)}); change or delete them first")
    await session.delete(connection)
    await session.flush()
    await _connection_event(session, principal, "sql_connection.deleted", connection, now=now)


# Key rotation ------------------------------------------------------------------------------------
async def rotate_org_secrets(session: AsyncSession, *, org_id: UUID, box: SecretBox) -> int:
    """Re-encrypt one organisation's stored credentials with the first key; return how many."""
    rotated = 0
    for integration in (
        await session.execute(scoped(Integration, org_id).where(col(Integration.headers_encrypted).is_not(None)))
    ).scalars():
        assert integration.headers_encrypted is not None
        integration.headers_encrypted = box.rotate(integration.headers_encrypted)
        rotated += 1
    for connection in (await session.execute(scoped(SqlConnection, org_id))).scalars():
        connection.dsn_encrypted = box.rotate(connection.dsn_encrypted)
        rotated += 1
    for config in (await session.execute(scoped(SsoConfig, org_id))).scalars():
        config.client_secret_encrypted = box.rotate(config.client_secret_encrypted)
        rotated += 1
    await session.flush()
    return rotated


async def rotate_all_secrets(factory: async_sessionmaker[AsyncSession], *, box: SecretBox) -> int:
    """`sightline rotate-secrets`: every organisation, each in its own transaction."""
    async with factory() as session, session.begin():
        org_ids = list((await session.execute(text("SELECT * FROM worker_org_ids()"))).scalars())
    rotated = 0
    for org_id in org_ids:
        async with factory() as session, session.begin():
            await set_tenant(session, org_id)
            rotated += await rotate_org_secrets(session, org_id=org_id, box=box)
    return rotated
