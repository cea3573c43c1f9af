"""Integrations: create, edit, delete (admin), with their HTTP headers encrypted.

An integration binds one source to one key result or one KPI (`sightline.integrations.targets`): a key
result's `data_source` becomes the integration's name (and goes back to `manual` when it is deleted), so every
reader sees where its values come from; a KPI's values carry the integration's name as their source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.crypto import SecretBox
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, Invalid, NotFound
from sightline.events import service as events
from sightline.integrations.models import Integration, SqlConnection
from sightline.integrations.schemas import (
    HttpSourceInput,
    HttpSourcePublic,
    IntegrationCreate,
    IntegrationPublic,
    IntegrationStatus,
    IntegrationUpdate,
    SqlSourceInput,
    SqlSourcePublic,
)
from sightline.integrations.sources import SourceError, compile_path
from sightline.integrations.targets import one_target, usable_kpi
from sightline.okrs.calendars import load_calendars
from sightline.okrs.derive import key_result_public
from sightline.okrs.key_results import get_key_result
from sightline.okrs.models import KeyResult, Objective
from sightline.url_guard import UrlPolicy, UrlRefused
from sightline.versions import check_if_match

MAX_INTEGRATIONS = 500  # per organisation: bounds the scheduler's work


# Public shapes -----------------------------------------------------------------------------------
def integration_status(integration: Integration) -> IntegrationStatus:
    if not integration.enabled:
        return "disabled"
    if integration.consecutive_failures:
        return "failing"
    return "ok" if integration.last_run_at is not None else "pending"


def integration_public(integration: Integration) -> IntegrationPublic:
    config = integration.config
    source: HttpSourcePublic | SqlSourcePublic
    if integration.kind == "http":
        source = HttpSourcePublic(
            kind="http",
            url=config["url"],
            format=config.get("format", "json"),
            json_path=config.get("json_path"),
            csv_column=config.get("csv_column"),
            csv_row=config.get("csv_row"),
            csv_match_column=config.get("csv_match_column"),
            csv_match_value=config.get("csv_match_value"),
            header_names=list(integration.header_names),
        )
    else:
        assert integration.connection_id is not None
        source = SqlSourcePublic(kind="sql", connection_id=integration.connection_id, query=config["query"])
    return IntegrationPublic(
        id=integration.id,
        name=integration.name,
        key_result_id=integration.key_result_id,
        kpi_id=integration.kpi_id,
        schedule=integration.schedule,  # type: ignore[arg-type]
        enabled=integration.enabled,
        source=source,
        status=integration_status(integration),
        next_run_at=integration.next_run_at,
        last_run_at=integration.last_run_at,
        last_success_at=integration.last_success_at,
        last_value=integration.last_value,
        last_error=integration.last_error,
        failing_since=integration.failing_since,
        consecutive_failures=integration.consecutive_failures,
        version=integration.version,
        created_at=integration.created_at,
        updated_at=integration.updated_at,
    )


# Integrations ------------------------------------------------------------------------------------
async def get_integration(
    session: AsyncSession, *, org_id: UUID, integration_id: UUID, lock: bool = False
) -> Integration:
    return await one_of_org(session, Integration, org_id, integration_id, what="integration", lock=lock, key_share=True)


async def list_integrations(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    key_result_id: UUID | None,
    status: str | None,
    kpi_id: UUID | None = None,
) -> tuple[list[Integration], str | None]:
    statement = scoped(Integration, org_id)
    if key_result_id is not None:
        statement = statement.where(col(Integration.key_result_id) == key_result_id)
    if kpi_id is not None:
        statement = statement.where(col(Integration.kpi_id) == kpi_id)
    if status == "disabled":
        statement = statement.where(col(Integration.enabled).is_(False))
    elif status == "failing":
        statement = statement.where(col(Integration.enabled), col(Integration.consecutive_failures) > 0)
    elif status == "ok":
        statement = statement.where(
            col(Integration.enabled),
            col(Integration.consecutive_failures) == 0,
            col(Integration.last_run_at).is_not(None),
        )
    elif status == "pending":
        statement = statement.where(col(Integration.enabled), col(Integration.last_run_at).is_(None))
    rows = list(
        (await session.execute(paginate(statement, Integration.created_at, Integration.id, params=params))).scalars()
    )
    return page_of(rows, params, lambda i: (i.created_at, i.id))


def _source_config(source: HttpSourceInput | SqlSourceInput, policy: UrlPolicy) -> tuple[dict[str, Any], UUID | None]:
    """The stored config of a source, after checking what can be checked before running it."""
    where = "body.source"
    if isinstance(source, SqlSourceInput):
        return {"query": source.query}, source.connection_id
    try:
        policy.check_url(source.url)
    except UrlRefused as exc:
        raise Invalid(f"{where}.url", exc.reason) from exc
    config: dict[str, Any] = {"url": source.url, "format": source.format}
    csv_fields = ("csv_column", "csv_row", "csv_match_column", "csv_match_value")
    if source.format == "json":
        if not source.json_path:
            raise Invalid(f"{where}.json_path", "a JSON source needs a JSONPath selecting the value")
        for name in csv_fields:
            if getattr(source, name) is not None:
                raise Invalid(f"{where}.{name}", "only for a CSV source")
        try:
            compile_path(source.json_path)
        except SourceError as exc:
            raise Invalid(f"{where}.json_path", exc.reason) from exc
        config["json_path"] = source.json_path
        return config, None
    if source.json_path is not None:
        raise Invalid(f"{where}.json_path", "only for a JSON source")
    if not source.csv_column:
        raise Invalid(f"{where}.csv_column", "a CSV source needs the header of the value's column")
    if source.csv_row == 0:
        raise Invalid(f"{where}.csv_row", "rows count from 1 (or from -1 at the end)")
    if (source.csv_match_column is None) != (source.csv_match_value is None):
        raise Invalid(f"{where}.csv_match_value", "give csv_match_column and csv_match_value together")
    if source.csv_match_column is not None and source.csv_row is not None:
        raise Invalid(f"{where}.csv_row", "give a row number or a matching row, not both")
    config.update({name: getattr(source, name) for name in csv_fields})
    return config, None


async def _check_connection(session: AsyncSession, org_id: UUID, connection_id: UUID | None) -> None:
    if connection_id is None:
        return
    found = (
        await session.execute(
            select(col(SqlConnection.id)).where(
                col(SqlConnection.org_id) == org_id, col(SqlConnection.id) == connection_id
            )
        )
    ).first()
    if found is None:
        raise NotFound("SQL connection")


def _encrypted_headers(headers: dict[str, str], box: SecretBox, now: datetime) -> tuple[str | None, list[str]]:
    if not headers:
        return None, []
    return box.encrypt(orjson.dumps(headers).decode(), now=now), sorted(headers)


async def _label_key_result(
    session: AsyncSession, principal: Principal, kr: KeyResult, *, source: str, status: str | None, now: datetime
) -> None:
    """Name the key result's data source (an edit of the key result, with its event)."""
    if kr.data_source == source and kr.data_source_status == status:
        return
    objective = (
        await session.execute(scoped(Objective, principal.org_id).where(col(Objective.id) == kr.objective_id))
    ).scalar_one()
    calendar = (await load_calendars(session, org_id=principal.org_id, cycle_ids={objective.cycle_id}))[
        objective.cycle_id
    ]
    before = key_result_public(kr, calendar=calendar, now=now)
    kr.data_source = source
    kr.data_source_status, kr.data_source_error, kr.data_source_checked_at = status, None, None
    kr.version += 1
    kr.updated_at = now
    await session.flush()
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type="key_result.updated",
            actor=principal.actor,
            object_type="key_result",
            object_id=kr.id,
            occurred_at=now,
            before=before,
            after=key_result_public(kr, calendar=calendar, now=now),
        ),
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    type: str,
    integration: Integration,
    *,
    now: datetime,
    before: IntegrationPublic | None = None,
) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=type,
            actor=principal.actor,
            object_type="integration",
            object_id=integration.id,
            occurred_at=now,
            before=before,
            after=None if type == "integration.deleted" else integration_public(integration),
        ),
    )


async def _not_bound(session: AsyncSession, org_id: UUID, target: ColumnElement[bool], what: str) -> None:
    """409 when the key result or KPI is fed by an integration already (one each)."""
    bound = (
        await session.execute(select(col(Integration.name)).where(col(Integration.org_id) == org_id, target))
    ).scalar_one_or_none()
    if bound is not None:
        raise Conflict(f"the {what} already takes its values from the integration {bound!r}")


async def _name_taken(session: AsyncSession, org_id: UUID, name: str, other_than: UUID | None = None) -> bool:
    statement = select(col(Integration.id)).where(col(Integration.org_id) == org_id, col(Integration.name) == name)
    if other_than is not None:
        statement = statement.where(col(Integration.id) != other_than)
    return (await session.execute(statement)).first() is not None


async def create_integration(
    session: AsyncSession,
    *,
    principal: Principal,
    body: IntegrationCreate,
    policy: UrlPolicy,
    box: SecretBox,
    now: datetime,
) -> Integration:
    org_id = principal.org_id
    one_target(body.key_result_id, body.kpi_id)
    config, connection_id = _source_config(body.source, policy)
    await _check_connection(session, org_id, connection_id)
    kr = kpi = None
    if body.kpi_id is not None:
        kpi = await usable_kpi(session, org_id=org_id, kpi_id=body.kpi_id, lock=True)
        await _not_bound(session, org_id, col(Integration.kpi_id) == kpi.id, "KPI")
    else:
        assert body.key_result_id is not None
        kr = await get_key_result(session, org_id=org_id, key_result_id=body.key_result_id, lock=True)
        await _not_bound(session, org_id, col(Integration.key_result_id) == kr.id, "key result")
    if await _name_taken(session, org_id, body.name):
        raise Conflict(f"an integration named {body.name!r} exists already")
    count = (await session.execute(select(func.count()).where(col(Integration.org_id) == org_id))).scalar_one()
    if count >= MAX_INTEGRATIONS:
        raise Conflict(f"an organisation has at most {MAX_INTEGRATIONS} integrations")
    headers = body.source.headers if isinstance(body.source, HttpSourceInput) else None
    encrypted, names = _encrypted_headers(headers or {}, box, now)
    integration = Integration(
        org_id=org_id,
        name=body.name,
        key_result_id=kr.id if kr is not None else None,
        kpi_id=kpi.id if kpi is not None else None,
        kind=body.source.kind,
        schedule=body.schedule,
        enabled=body.enabled,
        config=config,
        headers_encrypted=encrypted,
        header_names=names,
        connection_id=connection_id,
        next_run_at=now if body.enabled else None,  # the first pull at the worker's next round
        created_at=now,
        updated_at=now,
    )
    session.add(integration)
    await session.flush()
    if kr is not None:
        await _label_key_result(session, principal, kr, source=body.name, status="pending", now=now)
    await _record(session, principal, "integration.created", integration, now=now)
    return integration


async def update_integration(
    session: AsyncSession,
    *,
    principal: Principal,
    integration_id: UUID,
    body: IntegrationUpdate,
    policy: UrlPolicy,
    box: SecretBox,
    if_match: str | None,
    now: datetime,
) -> Integration:
    org_id = principal.org_id
    integration = await get_integration(session, org_id=org_id, integration_id=integration_id, lock=True)
    check_if_match(if_match, integration.version, required=False)
    before = integration_public(integration)
    fields = body.model_fields_set
    for name in ("name", "schedule", "enabled", "source"):
        if name in fields and getattr(body, name) is None:
            raise Invalid(f"body.{name}", "cannot be null")
    run_soon = False
    if body.name is not None and body.name != integration.name:
        if await _name_taken(session, org_id, body.name, other_than=integration.id):
            raise Conflict(f"an integration named {body.name!r} exists already")
        integration.name = body.name
    if body.schedule is not None and body.schedule != integration.schedule:
        integration.schedule, run_soon = body.schedule, True
    if body.source is not None:
        config, connection_id = _source_config(body.source, policy)
        await _check_connection(session, org_id, connection_id)
        if isinstance(body.source, HttpSourceInput):
            if body.source.headers is not None or integration.kind != "http":
                integration.headers_encrypted, integration.header_names = _encrypted_headers(
                    body.source.headers or {}, box, now
                )
        else:
            integration.headers_encrypted, integration.header_names = None, []
        integration.kind, integration.config, integration.connection_id = body.source.kind, config, connection_id
        run_soon = True
    if body.enabled is not None and body.enabled != integration.enabled:
        integration.enabled, run_soon = body.enabled, body.enabled
        if body.enabled:  # a fresh start: no back-off carried over
            integration.consecutive_failures, integration.failing_since = 0, None
    if not integration.enabled:
        integration.next_run_at = None
    elif run_soon or integration.next_run_at is None:
        integration.next_run_at = now
    integration.version += 1
    integration.updated_at = now
    await session.flush()
    if integration.key_result_id is not None:  # a KPI names no data source
        kr = await get_key_result(session, org_id=org_id, key_result_id=integration.key_result_id, lock=True)
        status = kr.data_source_status if kr.data_source == before.name else "pending"
        await _label_key_result(session, principal, kr, source=integration.name, status=status, now=now)
    await _record(session, principal, "integration.updated", integration, now=now, before=before)
    return integration


async def delete_integration(
    session: AsyncSession, *, principal: Principal, integration_id: UUID, if_match: str | None, now: datetime
) -> None:
    """Delete an integration and its run log; the key result's values are entered by hand again."""
    integration = await get_integration(session, org_id=principal.org_id, integration_id=integration_id, lock=True)
    check_if_match(if_match, integration.version, required=False)
    before = integration_public(integration)
    kr = None
    if integration.key_result_id is not None:
        kr = await get_key_result(session, org_id=principal.org_id, key_result_id=integration.key_result_id, lock=True)
    await session.delete(integration)
    await session.flush()
    if kr is not None:
        await _label_key_result(session, principal, kr, source="manual", status=None, now=now)
    await _record(session, principal, "integration.deleted", integration, now=now, before=before)


def decrypted_headers(integration: Integration, box: SecretBox) -> dict[str, str]:
    if integration.headers_encrypted is None:
        return {}
    headers: dict[str, str] = orjson.loads(box.decrypt(integration.headers_encrypted))
    return headers
