"""Running integrations: the schedule and its back-off, preparing and fetching a pull, the run's lease.

Recording a run's outcome is `sightline.integrations.recording`; a manual run, the run log and testing a
connection are `sightline.integrations.manual_runs`.

A pull writes its value through `sightline.okrs.check_ins.create_check_in` (source = the integration's name;
a KPI's value through the KPIs' service instead, see `sightline.integrations.targets`),
so history, status, events and webhooks behave as for a check-in typed by hand. It never writes the same
value twice in one period: the *period* is the key result's cadence period (weekly, biweekly, monthly: 30
days, quarterly: 91 days) counted from the cycle start; when the key result's current value was recorded
in the current period and equals the pulled value, the run is `unchanged`. The confidence of the latest
check-in carries over (a source knows numbers, not confidence).

Failures are recorded on the integration, in its run log and on the key result (`data_source_status`),
and push the next attempt back: after n failures in a row the wait is the schedule's interval × 2^(n−1),
at most 7 days. The worker's loop that finds due integrations is `sightline.integrations.scheduler`.

One run at a time per integration, and no database connection held while a source answers: a run takes a
lease on its integration (`run_token`, `run_lease_until`) in a short transaction, reads the source with no
transaction open, and records its outcome (giving the lease back) in another. A second run meanwhile is a
409 (manual) or waits for the next round (scheduled); a lease whose process died expires on its own.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from sightline.config import Settings
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.db.tenancy import scoped, set_tenant, wait_org_lock
from sightline.errors import Conflict, TooManyRequests
from sightline.identity.service import get_org, org_settings
from sightline.integrations.http_source import HttpFetcher
from sightline.integrations.models import Integration, SqlConnection
from sightline.integrations.service import decrypted_headers
from sightline.integrations.sources import SourceError, value_from_csv, value_from_json
from sightline.integrations.sql_source import SqlRunner
from sightline.integrations.targets import kpi_not_writable, kpi_window
from sightline.kpis.service import get_kpi
from sightline.okrs.derive import Calendar
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.scoring import CADENCE_PERIOD, Cadence
from sightline.url_guard import UrlPolicy

log = structlog.get_logger("sightline.integrations")
SCHEDULER_ACTOR = "system:integrations"
SCHEDULE_INTERVAL = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_BACKOFF = timedelta(days=7)
ERROR_LIMIT = 1000  # characters of a failure's reason kept
LEASE_MARGIN = timedelta(seconds=60)  # beyond the longest pull, for recording its outcome
RUNNING = "the integration is running already; wait for that run (see its run log) and try again"

# The lease is free when no run holds it, or when the run holding it outlived its lease (its process died).
_TAKE_LEASE = text("""
    UPDATE integrations SET run_token = :token, run_lease_until = :until
    WHERE org_id = :org AND id = :id AND (run_lease_until IS NULL OR run_lease_until <= :now)
    RETURNING id
""")
# Pulls an organisation has in flight now, in any process (scheduled ones too): every lease still running.
_HELD_ELSEWHERE = text("""
    SELECT count(*) FROM integrations WHERE org_id = :org AND id <> :id AND run_lease_until > :now
""")
_GIVE_BACK = text("""
    UPDATE integrations SET run_token = NULL, run_lease_until = NULL
    WHERE org_id = :org AND id = :id AND run_token = :token
""")


# The rules (pure) --------------------------------------------------------------------------------
def next_run_at(*, schedule: str, ran_at: datetime, consecutive_failures: int) -> datetime:
    """When to pull next: the schedule's interval, doubled for each failure in a row after the first."""
    interval = SCHEDULE_INTERVAL[schedule]
    if consecutive_failures <= 1:
        return ran_at + interval
    factor: int = 2 ** min(consecutive_failures - 1, 20)
    return ran_at + min(interval * factor, max(MAX_BACKOFF, interval))


def period_index(*, cycle_start: datetime, cadence: Cadence, moment: datetime) -> int:
    """Which cadence period of the cycle `moment` falls in (0 = the first)."""
    return math.floor((moment - cycle_start) / CADENCE_PERIOD[cadence])


def already_recorded(
    *,
    value: float,
    current_value: float,
    last_check_in_at: datetime | None,
    cycle_start: datetime,
    cadence: Cadence,
    now: datetime,
) -> bool:
    """The pulled value is the key result's current value, recorded in this same period."""
    if last_check_in_at is None or current_value != value:
        return False
    same = period_index(cycle_start=cycle_start, cadence=cadence, moment=last_check_in_at)
    return same == period_index(cycle_start=cycle_start, cadence=cadence, moment=now)


# What a run needs --------------------------------------------------------------------------------
@dataclass
class Fetchers:
    """The clients sources are read with, and the key that opens their credentials."""

    http: HttpFetcher
    sql: SqlRunner
    box: SecretBox
    # Pulls one organisation may have in flight: manual runs count every process's leases
    # (`take_manual_lease`); previews, which hold no lease, are counted in this process (`slot`).
    per_org: int = 4
    _open: dict[UUID, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, *, policy: UrlPolicy | None = None) -> Fetchers:
        policy = policy or UrlPolicy.from_settings(settings)
        return cls(
            http=HttpFetcher.from_settings(settings, policy=policy),
            sql=SqlRunner.from_settings(settings, policy=policy),
            box=SecretBox.from_settings(settings),
            per_org=settings.integration_concurrency,
        )

    @contextlib.contextmanager
    def slot(self, org_id: UUID) -> Iterator[None]:
        """One of the organisation's previews in this process; 429 while it has `per_org` open."""
        if self._open.get(org_id, 0) >= self.per_org:
            raise TooManyRequests(
                f"this organisation already has {self.per_org} previews waiting on their sources; "
                "try again when one has finished",
                headers={"Retry-After": "5"},
            )
        self._open[org_id] = self._open.get(org_id, 0) + 1
        try:
            yield
        finally:
            self._open[org_id] -= 1
            if not self._open[org_id]:
                del self._open[org_id]

    @property
    def lease(self) -> timedelta:
        """How long a run may hold its integration: the longest pull of either kind, and a margin."""
        return timedelta(seconds=max(self.http.deadline, self.sql.deadline)) + LEASE_MARGIN

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass(frozen=True)
class Plan:
    """An integration loaded for one run: its source with credentials opened, its key result's cycle."""

    org_id: UUID
    integration_id: UUID
    name: str
    kind: str
    config: dict[str, Any]
    headers: dict[str, str]
    dsn: str | None
    cycle_start: datetime  # $2 and $3 of a SQL source: the key result's cycle, or the KPI's cadence period
    cycle_end: datetime
    not_writable: str | None  # why the key result takes no check-in (or the KPI no value) now: the run is skipped
    unusable: str | None  # why the run fails before reaching the source (credentials unreadable)
    allow_weak_tls: bool = False  # the SQL connection accepts a weaker sslmode than verify-full


@dataclass(frozen=True)
class Pulled:
    value: float | None
    error: str | None
    duration_ms: int


def _not_writable(cycle: Cycle, kr: KeyResult, calendar: Calendar, now: datetime) -> str | None:
    if kr.archived_at is not None:
        return "the key result is archived"
    if cycle.state != "active":
        return f"the cycle {cycle.name} is {cycle.state}, not active"
    if not calendar.start <= now < calendar.end:
        return f"now lies outside the cycle {cycle.name} ({cycle.start_date} to {cycle.end_date})"
    return None


async def _target_window(
    session: AsyncSession, integration: Integration, *, now: datetime
) -> tuple[datetime, datetime, str | None]:
    """$2 and $3 of a SQL source (the key result's cycle, or the KPI's cadence period up to now), and why the
    target takes no value now."""
    org_id = integration.org_id
    if integration.kpi_id is not None:
        kpi = await get_kpi(session, org_id=org_id, kpi_id=integration.kpi_id)
        start, end = kpi_window(kpi, now)
        return start, end, kpi_not_writable(kpi)
    kr, cycle = (
        await session.execute(
            select(KeyResult, Cycle)
            .join(
                Objective,
                and_(col(Objective.org_id) == col(KeyResult.org_id), col(Objective.id) == col(KeyResult.objective_id)),
            )
            .join(Cycle, and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)))
            .where(col(KeyResult.org_id) == org_id, col(KeyResult.id) == integration.key_result_id)
        )
    ).one()
    calendar = Calendar.of(org_settings(await get_org(session, org_id=org_id)), cycle)
    return calendar.start, calendar.end, _not_writable(cycle, kr, calendar, now)


async def prepare(session: AsyncSession, integration: Integration, box: SecretBox, *, now: datetime) -> Plan:
    org_id = integration.org_id
    window_start, window_end, not_writable = await _target_window(session, integration, now=now)
    headers: dict[str, str] = {}
    dsn: str | None = None
    allow_weak_tls = False
    unusable: str | None = None
    try:
        headers = decrypted_headers(integration, box)
        if integration.connection_id is not None:
            connection = (
                await session.execute(
                    scoped(SqlConnection, org_id).where(col(SqlConnection.id) == integration.connection_id)
                )
            ).scalar_one()
            dsn = box.decrypt(connection.dsn_encrypted)
            allow_weak_tls = connection.allow_weak_tls
    except SecretUnreadable as exc:
        unusable = str(exc)
    return Plan(
        org_id=org_id,
        integration_id=integration.id,
        name=integration.name,
        kind=integration.kind,
        config=dict(integration.config),
        headers=headers,
        dsn=dsn,
        cycle_start=window_start,
        cycle_end=window_end,
        not_writable=not_writable,
        unusable=unusable,
        allow_weak_tls=allow_weak_tls,
    )


async def fetch(plan: Plan, fetchers: Fetchers, *, now: datetime) -> Pulled:
    """Read the source (no transaction open in the worker); the value or the reason it failed."""
    started = time.perf_counter()

    def pulled(value: float | None = None, error: str | None = None) -> Pulled:
        return Pulled(value, error[:ERROR_LIMIT] if error else None, round((time.perf_counter() - started) * 1000))

    if plan.not_writable is not None:
        return pulled()
    if plan.unusable is not None:
        return pulled(error=plan.unusable)
    config = plan.config
    try:
        if plan.kind == "sql":
            assert plan.dsn is not None
            value = await fetchers.sql.value(
                plan.dsn,
                config["query"],
                now=now,
                cycle_start=plan.cycle_start,
                cycle_end=plan.cycle_end,
                allow_weak_tls=plan.allow_weak_tls,
            )
        elif config.get("format") == "csv":
            body = await fetchers.http.get(config["url"], accept="text/csv, */*;q=0.5", headers=plan.headers)
            value = value_from_csv(
                body,
                column=config["csv_column"],
                row=config.get("csv_row"),
                match_column=config.get("csv_match_column"),
                match_value=config.get("csv_match_value"),
            )
        else:
            body = await fetchers.http.get(config["url"], accept="application/json", headers=plan.headers)
            value = value_from_json(body, config["json_path"])
    except SourceError as exc:
        # The organisation sees the reason; what the source itself said is for the operator only.
        log.warning(
            "integration_source_failed",
            org_id=str(plan.org_id),
            integration_id=str(plan.integration_id),
            kind=plan.kind,
            error=exc.reason,
            detail=exc.detail,
        )
        return pulled(error=exc.reason)
    return pulled(value=value)


# One run at a time -------------------------------------------------------------------------------
async def take_lease(
    session: AsyncSession, integration: Integration, *, fetchers: Fetchers, now: datetime
) -> UUID | None:
    """Hold the integration for one run (in the caller's transaction); None when another run holds it."""
    token = uuid4()
    taken = await session.execute(
        _TAKE_LEASE,
        {"org": integration.org_id, "id": integration.id, "token": token, "until": now + fetchers.lease, "now": now},
    )
    return token if taken.first() is not None else None


async def take_manual_lease(
    session: AsyncSession, integration: Integration, *, fetchers: Fetchers, now: datetime
) -> UUID:
    """The lease for a manual run: 409 while another run holds the integration, 429 while the organisation
    has `per_org` pulls in flight in any process (counted from the leases, under the organisation's lock
    until the caller commits, so two processes cannot both take the last place)."""
    await wait_org_lock(session, "integration_runs", integration.org_id)
    token = await take_lease(session, integration, fetchers=fetchers, now=now)
    if token is None:
        raise Conflict(RUNNING)
    held = await session.execute(_HELD_ELSEWHERE, {"org": integration.org_id, "id": integration.id, "now": now})
    if held.scalar_one() >= fetchers.per_org:  # the caller's rollback gives the lease back
        raise TooManyRequests(
            f"this organisation already has {fetchers.per_org} runs waiting on their sources; "
            "try again when one has finished",
            headers={"Retry-After": "5"},
        )
    return token


async def give_back(
    factory: async_sessionmaker[AsyncSession], *, org_id: UUID, integration_id: UUID, token: UUID
) -> None:
    """Free the lease of a run that ended without its record (it failed or was cancelled)."""
    async with factory() as session, session.begin():
        await set_tenant(session, org_id)
        await session.execute(_GIVE_BACK, {"org": org_id, "id": integration_id, "token": token})
