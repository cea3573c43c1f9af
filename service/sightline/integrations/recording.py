"""Recording an integration run: one pull → one ordinary check-in (unless unchanged), its log row, health, events.

A run feeding a KPI records a KPI value instead (`sightline.integrations.targets`).

A pull writes its value through `sightline.okrs.check_ins.create_check_in` (source = the integration's name),
so history, status, events and webhooks behave as for a check-in typed by hand. The run's lease is given back
in the same transaction. The schedule and its back-off are `sightline.integrations.runs`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.tenancy import scoped
from sightline.errors import Conflict, Invalid
from sightline.events import service as events
from sightline.integrations.models import Integration, IntegrationRun
from sightline.integrations.runs import _GIVE_BACK, ERROR_LIMIT, Plan, Pulled, already_recorded, next_run_at
from sightline.integrations.service import integration_public
from sightline.integrations.targets import kpi_unchanged, record_kpi_value
from sightline.kpis.models import Kpi
from sightline.okrs.check_ins import create_check_in
from sightline.okrs.models import KeyResult
from sightline.okrs.schemas import CheckInCreate
from sightline.scoring import Cadence

log = structlog.get_logger("sightline.integrations")


# Recording a run ---------------------------------------------------------------------------------
async def record(
    session: AsyncSession,
    *,
    plan: Plan,
    pulled: Pulled,
    trigger: str,
    actor: str,
    started_at: datetime,
    now: datetime,
    lease: UUID | None = None,
) -> IntegrationRun | None:
    """Write the run's outcome: a check-in (unless unchanged), the log row, the health fields, events; and
    give the run's lease back in the same transaction."""
    locked = await _lock_for_record(session, plan, lease)
    if locked is None:
        return None  # deleted while its source was read
    integration, kr, kpi = locked
    run = IntegrationRun(
        org_id=plan.org_id,
        integration_id=integration.id,
        trigger=trigger,
        triggered_by=actor,
        started_at=started_at,
        duration_ms=pulled.duration_ms,
        outcome="failed",
        value=pulled.value,
    )
    skipped = plan.not_writable
    if pulled.error is None and skipped is None:
        if kpi is not None:
            skipped = await _record_kpi_value(session, pulled, integration, kpi, run, now=now)
        else:
            assert kr is not None
            skipped = await _record_value(session, plan, pulled, integration, kr, run, now=now)
    if skipped is not None:
        run.outcome, run.value, run.error = "skipped", None, skipped[:ERROR_LIMIT]
    elif pulled.error is not None:
        run.error = pulled.error
    session.add(run)
    await _update_health(session, integration, kr, run, actor=actor, now=now)
    await session.flush()
    return run


async def _lock_for_record(
    session: AsyncSession, plan: Plan, lease: UUID | None
) -> tuple[Integration, KeyResult | None, Kpi | None] | None:
    """The integration and its key result (NO KEY UPDATE) or KPI (FOR UPDATE), fresh; the lease given back.
    None when the integration was deleted meanwhile."""
    org_id = plan.org_id
    integration = (
        await session.execute(
            scoped(Integration, org_id)
            .where(col(Integration.id) == plan.integration_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if integration is None:
        return None
    if lease is not None:
        await session.execute(_GIVE_BACK, {"org": org_id, "id": integration.id, "token": lease})
    if integration.kpi_id is not None:
        kpi = (
            await session.execute(
                select(Kpi)
                .where(col(Kpi.org_id) == org_id, col(Kpi.id) == integration.kpi_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return integration, None, kpi
    kr = (
        await session.execute(
            scoped(KeyResult, org_id)
            .where(col(KeyResult.id) == integration.key_result_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return integration, kr, None


async def _record_value(
    session: AsyncSession,
    plan: Plan,
    pulled: Pulled,
    integration: Integration,
    kr: KeyResult,
    run: IntegrationRun,
    *,
    now: datetime,
) -> str | None:
    """The pulled value as a check-in on the integration's own account, unless the key result has it already
    ("unchanged"); the reason when the key result stopped taking check-ins meanwhile ("skipped")."""
    assert pulled.value is not None
    if already_recorded(
        value=pulled.value,
        current_value=kr.current_value,
        last_check_in_at=kr.last_check_in_at,
        cycle_start=plan.cycle_start,
        cadence=Cadence(kr.cadence),
        now=now,
    ):
        run.outcome = "unchanged"
        return None
    principal = Principal(
        org_id=plan.org_id, scopes=frozenset({"read", "write"}), system_actor=f"integration:{integration.id}"
    )
    body = CheckInCreate(
        key_result_id=kr.id,
        value=pulled.value,
        confidence=kr.latest_confidence,
        note=f"Pulled by the integration {integration.name} ({integration.kind})",
        source=integration.name,
    )
    try:
        check_in = await create_check_in(session, principal=principal, body=body, now=now)
    except (Conflict, Invalid) as exc:  # the key result stopped taking check-ins meanwhile
        return exc.detail
    run.outcome, run.check_in_id = "recorded", check_in.id
    return None


async def _record_kpi_value(
    session: AsyncSession, pulled: Pulled, integration: Integration, kpi: Kpi, run: IntegrationRun, *, now: datetime
) -> str | None:
    """The pulled value as the KPI's value at the run's time point, unless it has it already ("unchanged")."""
    assert pulled.value is not None
    if kpi_unchanged(kpi, pulled.value, now):
        run.outcome = "unchanged"
        return None
    written = await record_kpi_value(
        session,
        org_id=integration.org_id,
        integration_id=integration.id,
        name=integration.name,
        kind=integration.kind,
        kpi=kpi,
        value=pulled.value,
        now=now,
    )
    if isinstance(written, str):
        return written  # skipped, and why
    run.outcome, run.kpi_value_id = "recorded", written
    return None


async def _update_health(
    session: AsyncSession,
    integration: Integration,
    kr: KeyResult | None,
    run: IntegrationRun,
    *,
    actor: str,
    now: datetime,
) -> None:
    before = integration_public(integration)
    was_failing = integration.consecutive_failures > 0
    integration.last_run_at = now
    if run.outcome == "failed":
        integration.consecutive_failures += 1
        integration.failing_since = integration.failing_since or now
        integration.last_error = run.error
    elif run.outcome in ("recorded", "unchanged"):
        integration.consecutive_failures, integration.failing_since, integration.last_error = 0, None, None
        integration.last_success_at, integration.last_value = now, run.value
    if kr is not None:  # a key result shows its source's health (a KPI has the integration's only)
        if run.outcome == "failed":
            kr.data_source_status, kr.data_source_error = "failing", run.error
        elif run.outcome in ("recorded", "unchanged"):
            kr.data_source_status, kr.data_source_error = "ok", None
        kr.data_source_checked_at = now
    if integration.enabled:
        integration.next_run_at = next_run_at(
            schedule=integration.schedule, ran_at=now, consecutive_failures=integration.consecutive_failures
        )
    is_failing = integration.consecutive_failures > 0
    if was_failing != is_failing:
        await events.emit(
            session,
            events.NewEvent(
                org_id=integration.org_id,
                type="integration.failing" if is_failing else "integration.recovered",
                actor=actor,
                object_type="integration",
                object_id=integration.id,
                occurred_at=now,
                before=before,
                after=integration_public(integration),
            ),
        )
    if is_failing:
        log.warning("integration_failed", integration_id=str(integration.id), error=run.error)
