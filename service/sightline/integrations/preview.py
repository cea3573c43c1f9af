"""Trying a source before saving it: one pull that records nothing.

The preview checks the source exactly as saving would (URL guard, JSONPath, CSV options, the SQL connection),
reads it through the same fetchers as a run (the same URL guard at every hop, the same read-only SQL rules,
timeouts and size caps), and answers the value it found or why it failed. No check-in, no run log row, no
change to the key result (or KPI) or to an integration. A KPI as the target: its latest value is the current
one, and $2 and $3 of a SQL query are its cadence period up to now. Like a manual run, the request holds no
database connection while the source answers, and counts towards the organisation's manual pulls (429 beyond).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.crypto import SecretUnreadable
from sightline.db.tenancy import scoped
from sightline.errors import NotFound
from sightline.identity.service import get_org, org_settings
from sightline.integrations.models import SqlConnection
from sightline.integrations.runs import Fetchers, Plan, _not_writable, fetch
from sightline.integrations.schemas import HttpSourceInput, PullPreview, PullPreviewInput
from sightline.integrations.service import _check_connection, _source_config, decrypted_headers, get_integration
from sightline.integrations.targets import kpi_not_writable, kpi_window, one_target
from sightline.kpis.service import get_kpi
from sightline.okrs.derive import Calendar
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.url_guard import UrlPolicy

NO_INTEGRATION = UUID(int=0)  # the plan's id in the operator's log when the source is not saved yet


@dataclass
class _Secrets:
    """What the source's pull needs that is stored encrypted: HTTP headers, or a SQL connection's string."""

    headers: dict[str, str] = field(default_factory=dict)
    dsn: str | None = None
    allow_weak_tls: bool = False
    unusable: str | None = None  # why a stored secret cannot be read


async def _key_result_and_cycle(session: AsyncSession, org_id: UUID, key_result_id: UUID) -> tuple[KeyResult, Cycle]:
    found = (
        await session.execute(
            select(KeyResult, Cycle)
            .join(
                Objective,
                and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
            )
            .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
            .where(col(KeyResult.org_id) == org_id, col(KeyResult.id) == key_result_id)
        )
    ).first()
    if found is None:
        raise NotFound("key result")
    kr, cycle = found
    return kr, cycle


async def _target(
    session: AsyncSession, org_id: UUID, body: PullPreviewInput, now: datetime
) -> tuple[datetime, datetime, str | None, float | None]:
    """The window of $2 and $3, why a run would be skipped now, and the target's current value."""
    if body.kpi_id is not None:
        kpi = await get_kpi(session, org_id=org_id, kpi_id=body.kpi_id)
        start, end = kpi_window(kpi, now)
        return start, end, kpi_not_writable(kpi), kpi.latest_value
    assert body.key_result_id is not None
    kr, cycle = await _key_result_and_cycle(session, org_id, body.key_result_id)
    calendar = Calendar.of(org_settings(await get_org(session, org_id=org_id)), cycle)
    current = kr.current_value if kr.last_check_in_at is not None else None
    return calendar.start, calendar.end, _not_writable(cycle, kr, calendar, now), current


async def _secrets(
    session: AsyncSession, org_id: UUID, body: PullPreviewInput, connection_id: UUID | None, fetchers: Fetchers
) -> _Secrets:
    """The headers given (or, editing a saved integration without new ones, its saved headers), or the SQL
    connection's string; a secret that cannot be decrypted is named, and the pull reports it."""
    secrets = _Secrets()
    try:
        if isinstance(body.source, HttpSourceInput):
            if body.source.headers is not None:
                secrets.headers = dict(body.source.headers)
            elif body.integration_id is not None:  # an edit keeps the saved headers: try with them
                saved = await get_integration(session, org_id=org_id, integration_id=body.integration_id)
                secrets.headers = decrypted_headers(saved, fetchers.box)
        elif connection_id is not None:
            connection = (
                await session.execute(scoped(SqlConnection, org_id).where(col(SqlConnection.id) == connection_id))
            ).scalar_one()
            secrets.dsn = fetchers.box.decrypt(connection.dsn_encrypted)
            secrets.allow_weak_tls = connection.allow_weak_tls
    except SecretUnreadable as exc:
        secrets.unusable = str(exc)
    return secrets


async def preview_pull(
    session: AsyncSession,
    *,
    principal: Principal,
    body: PullPreviewInput,
    policy: UrlPolicy,
    fetchers: Fetchers,
    now: datetime,
) -> PullPreview:
    org_id = principal.org_id
    one_target(body.key_result_id, body.kpi_id)
    config, connection_id = _source_config(body.source, policy)
    await _check_connection(session, org_id, connection_id)
    window_start, window_end, would_skip, current = await _target(session, org_id, body, now)
    secrets = await _secrets(session, org_id, body, connection_id, fetchers)
    plan = Plan(
        org_id=org_id,
        integration_id=body.integration_id or NO_INTEGRATION,
        name="preview",
        kind=body.source.kind,
        config=config,
        headers=secrets.headers,
        dsn=secrets.dsn,
        cycle_start=window_start,
        cycle_end=window_end,
        not_writable=None,  # a preview reads the source even when the key result takes no check-in now
        unusable=secrets.unusable,
        allow_weak_tls=secrets.allow_weak_tls,
    )
    await session.commit()  # nothing to write; the connection goes back to the pool while the source answers
    with fetchers.slot(org_id):
        pulled = await fetch(plan, fetchers, now=now)
    return PullPreview(
        ok=pulled.error is None,
        value=pulled.value,
        error=pulled.error,
        duration_ms=pulled.duration_ms,
        current_value=current,
        would_skip=would_skip,
    )
