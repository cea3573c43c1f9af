"""What an integration feeds: a key result or a KPI, exactly one (`key_result_id` or `kpi_id`).

A KPI-fed integration records each pulled value through the KPIs' own service (`sightline.kpis.values`), at the
run's time point and with the integration's name as its source, so the KPI's latest value and status,
`kpi.value_recorded`, `kpi.status_changed` and the check-ins of the key results following the KPI come exactly as
for a value sent to the API. The rules of key results are adapted: a KPI has no cycle, so a SQL query's $2 and
$3 are the KPI's cadence period up to the pull; a run is `unchanged` when the KPI's latest value is the pulled
one and was recorded less than one cadence period ago; an archived KPI takes no values (the run is `skipped`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.errors import Conflict, FieldError, Invalid
from sightline.kpis.models import Kpi
from sightline.kpis.schemas import KpiValueCreate
from sightline.kpis.service import get_kpi
from sightline.kpis.values import record_value
from sightline.scoring import CADENCE_PERIOD, Cadence

ARCHIVED = "the KPI is archived"


def one_target(key_result_id: UUID | None, kpi_id: UUID | None) -> None:
    """422 unless exactly one of the two is given."""
    if (key_result_id is None) == (kpi_id is None):
        message = "give key_result_id or kpi_id, not both" if kpi_id else "give key_result_id or kpi_id"
        raise Invalid(errors=[FieldError(("body", name), message) for name in ("key_result_id", "kpi_id")])


async def usable_kpi(session: AsyncSession, *, org_id: UUID, kpi_id: UUID, lock: bool = False) -> Kpi:
    """The KPI to feed: 404 outside the organisation, 422 when archived."""
    kpi = await get_kpi(session, org_id=org_id, kpi_id=kpi_id, lock=lock)
    if kpi.archived_at is not None:
        raise Invalid("body.kpi_id", f"{ARCHIVED}; restore it before feeding it from a source")
    return kpi


def kpi_window(kpi: Kpi, now: datetime) -> tuple[datetime, datetime]:
    """$2 and $3 of a SQL source feeding the KPI: its cadence period up to the pull."""
    return now - CADENCE_PERIOD[Cadence(kpi.cadence)], now


def kpi_not_writable(kpi: Kpi) -> str | None:
    return ARCHIVED if kpi.archived_at is not None else None


def kpi_unchanged(kpi: Kpi, value: float, now: datetime) -> bool:
    """The pulled value is the KPI's latest one, recorded less than one cadence period ago."""
    if kpi.latest_value != value or kpi.latest_recorded_at is None:
        return False
    return now - kpi.latest_recorded_at < CADENCE_PERIOD[Cadence(kpi.cadence)]


async def record_kpi_value(
    session: AsyncSession,
    *,
    org_id: UUID,
    integration_id: UUID,
    name: str,
    kind: str,
    kpi: Kpi,
    value: float,
    now: datetime,
) -> UUID | str:
    """The pulled value as a KPI value on the integration's own account: its id, or the reason the KPI took
    none (a str)."""
    principal = Principal(
        org_id=org_id, scopes=frozenset({"read", "write"}), system_actor=f"integration:{integration_id}"
    )
    body = KpiValueCreate(value=value, recorded_at=now, note=f"Pulled by the integration {name} ({kind})", source=name)
    try:
        async with session.begin_nested():  # all of it or nothing: the value, the KPI, its followers' check-ins
            recorded = await record_value(session, principal=principal, kpi_id=kpi.id, body=body, now=now)
    except (Conflict, Invalid) as exc:  # archived meanwhile, or a value at this time point already
        return exc.detail
    return recorded.id
