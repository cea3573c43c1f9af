"""The dispatcher: claims due deliveries, sends them, records the results. Any number may run at once.

A claim (`FOR UPDATE SKIP LOCKED`, through `webhook_claim_due`) leases each delivery to one dispatcher by
moving its due time to the end of the lease, oldest due first but never more than `max_in_flight_per_org`
in flight for one organisation (its hanging endpoint cannot hold every slot). The HTTP request happens
outside any transaction, and the result is recorded only if the lease is still ours. A crash between
sending and recording leaves the lease to run out, and the delivery is sent again: at least once, never
lost. Dispatchers wake on LISTEN/NOTIFY (one dedicated connection), on the next due retry, and by polling
as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time
from sightline.config import Settings
from sightline.db.tenancy import set_tenant
from sightline.events.outbox import CHANNEL
from sightline.integrations import chat
from sightline.webhooks import payload
from sightline.webhooks.jobs import Job, Outcome
from sightline.webhooks.results import record_outcomes
from sightline.webhooks.sender import WebhookSender
from sightline.webhooks.signing import signing_secrets, webhook_headers

log = structlog.get_logger("sightline.webhooks")
RECORD_LINGER = 0.02  # seconds results may wait to be recorded together while a backlog is being sent
UNCAPPED = 2**31 - 1  # the claim's per-organisation cap when there is none

# Claims and results may be lost in a database crash without harm: the delivery is then simply sent again
# (at least once). So their commits need not wait for the disk, which takes that wait off the latency.
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")
_CLAIM = text("SELECT org_id, delivery_id FROM webhook_claim_due(:now, :lease_until, :lease, :limit, :per_org)")
_NEXT_DUE = text("SELECT webhook_next_due(:now, :per_org)")
_LOAD = text("""
    SELECT d.id, d.attempts, d.endpoint_id, w.url, w.format, w.enabled, w.secret, w.previous_secret,
           w.previous_secret_expires_at, e.id AS event_id, e.type, e.occurred_at, e.object_id, e.before, e.after
    FROM webhook_deliveries AS d
    JOIN webhook_endpoints AS w ON w.org_id = d.org_id AND w.id = d.endpoint_id
    JOIN events AS e ON e.org_id = d.org_id AND e.id = d.event_id
    WHERE d.org_id = :org AND d.id = ANY (CAST(:ids AS uuid[])) AND d.lease_token = :lease
""")


@dataclass(frozen=True)
class DispatchConfig:
    schedule: tuple[float, ...]
    lease: timedelta
    poll_seconds: float
    max_in_flight: int
    disable_after: timedelta
    link_base_url: str = "http://localhost:8000"  # the web app, linked from chat-format messages
    # In flight per organisation, across dispatchers: an endpoint that hangs holds this many slots at most
    # (SIGHTLINE_WEBHOOK_MAX_IN_FLIGHT_PER_ORG). None: no cap per organisation (benchmarks, one-tenant tests).
    max_in_flight_per_org: int | None = None

    @property
    def per_org(self) -> int:
        return self.max_in_flight_per_org or UNCAPPED

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchConfig:
        return cls(
            schedule=tuple(settings.webhook_retry_schedule),
            lease=timedelta(seconds=settings.webhook_lease_seconds),
            poll_seconds=settings.webhook_poll_seconds,
            max_in_flight=settings.webhook_max_in_flight,
            disable_after=timedelta(days=settings.webhook_disable_after_days),
            link_base_url=settings.link_base_url(),
            max_in_flight_per_org=settings.webhook_max_in_flight_per_org,
        )


async def _first(*waitables: Awaitable[Any], within: float | None = None) -> None:
    """Wait until any of these completes (or `within` seconds pass); cancel the rest."""
    tasks = [asyncio.ensure_future(w) for w in waitables]
    try:
        await asyncio.wait(tasks, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Dispatcher:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        sender: WebhookSender,
        config: DispatchConfig,
        *,
        listen_dsn: str | None = None,
        clock: Callable[[], datetime] = current_time,
        rng: random.Random | None = None,
    ) -> None:
        self.factory = factory
        self.sender = sender
        self.config = config
        self.listen_dsn = listen_dsn
        self.clock = clock
        self.rng = rng or random.Random()
        self.listening = asyncio.Event()
        self.sent = 0
        self._wake = asyncio.Event()
        self._results: list[Outcome] = []
        self._results_ready = asyncio.Event()
        self._backlog = False

    # The steps ----------------------------------------------------------------------------------
    async def claim(self, limit: int) -> list[Job]:
        """Lease up to `limit` due deliveries to this dispatcher and load what sending them needs."""
        now, lease = self.clock(), uuid4()
        async with self.factory() as session, session.begin():
            await session.execute(_ASYNC_COMMIT)
            claimed = (
                await session.execute(
                    _CLAIM,
                    {
                        "now": now,
                        "lease_until": now + self.config.lease,
                        "lease": lease,
                        "limit": limit,
                        "per_org": self.config.per_org,
                    },
                )
            ).all()
            by_org: dict[UUID, list[UUID]] = defaultdict(list)
            for org_id, delivery_id in claimed:
                by_org[org_id].append(delivery_id)
            jobs: list[Job] = []
            for org_id, ids in by_org.items():
                # Each organisation's rows are read under its own tenant scope (row-level security).
                await set_tenant(session, org_id)
                rows = (await session.execute(_LOAD, {"org": org_id, "ids": ids, "lease": lease})).all()
                context = None
                if any(row.format != "standard" for row in rows):  # chat messages name teams and key results
                    context = await chat.load_context(
                        session,
                        org_id=org_id,
                        events=[
                            (r.type, r.object_id, payload.event_data(r.object_id, r.before, r.after)) for r in rows
                        ],
                    )
                jobs.extend(self._jobs(org_id, lease, rows, context))
        return jobs

    def _jobs(self, org_id: UUID, lease: UUID, rows: Sequence[Any], context: chat.ChatContext | None) -> list[Job]:
        bodies: dict[tuple[UUID, str], bytes] = {}
        jobs = []
        for row in rows:
            key = (row.event_id, row.format)
            if key not in bodies:  # serialised once per event and format, whatever the number of endpoints
                bodies[key] = self._body(row, context)
            jobs.append(
                Job(
                    org_id=org_id,
                    delivery_id=row.id,
                    lease=lease,
                    endpoint_id=row.endpoint_id,
                    url=row.url,
                    enabled=row.enabled,
                    attempts=row.attempts,
                    event_id=row.event_id,
                    body=bodies[key],
                    secret=row.secret,
                    previous_secret=row.previous_secret,
                    previous_secret_expires_at=row.previous_secret_expires_at,
                )
            )
        return jobs

    def _body(self, row: Any, context: chat.ChatContext | None) -> bytes:
        if row.format == "standard" or context is None:
            return payload.body(
                event_id=row.event_id,
                type=row.type,
                occurred_at=row.occurred_at,
                object_id=row.object_id,
                before=row.before,
                after=row.after,
            )
        data = payload.event_data(row.object_id, row.before, row.after)
        return chat.render(row.format, row.type, data, context, base_url=self.config.link_base_url)

    async def send(self, job: Job) -> Outcome:
        now = self.clock()
        if not job.enabled:
            return Outcome(job, now, None)
        keys = signing_secrets(job.secret, job.previous_secret, job.previous_secret_expires_at, now=now)
        headers = webhook_headers(keys, message_id=str(job.event_id), now=now, body=job.body)
        result = await self.sender.post(job.url, job.body, headers)
        self.sent += 1
        return Outcome(job, now, result)

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Write results, one transaction per organisation. A failure here only means a resend later."""
        by_org: dict[UUID, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            by_org[outcome.job.org_id].append(outcome)
        for org_id, items in by_org.items():
            try:
                async with self.factory() as session, session.begin():
                    await session.execute(_ASYNC_COMMIT)
                    await set_tenant(session, org_id)
                    await record_outcomes(
                        session,
                        org_id=org_id,
                        outcomes=items,
                        schedule=self.config.schedule,
                        disable_after=self.config.disable_after,
                        rng=self.rng,
                        now=self.clock(),
                    )
            except Exception:
                log.exception("webhook_record_failed", org_id=str(org_id), deliveries=len(items))

    async def drain(self, *, batch: int = 100) -> int:
        """Send everything due now, round after round, until nothing is due; return how many were sent."""
        total = 0
        while jobs := await self.claim(batch):
            outcomes = await asyncio.gather(*(self.send(job) for job in jobs))
            await self.record(outcomes)
            total += len(jobs)
        return total

    # The loop -----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; then finish the attempts in flight and record them."""
        in_flight: set[asyncio.Task[None]] = set()
        recorder_stop = asyncio.Event()
        recorder = asyncio.create_task(self._record_loop(recorder_stop))
        listener = asyncio.create_task(self._listen(stop)) if self.listen_dsn else None
        # With a backlog, claim again once half the slots are free: batches, not one claim per delivery.
        refill_at = max(1, self.config.max_in_flight // 2)
        try:
            while not stop.is_set():
                self._wake.clear()
                timeout = self.config.poll_seconds
                free = self.config.max_in_flight - len(in_flight)
                if free >= refill_at or (free > 0 and not self._backlog):
                    try:
                        jobs = await self.claim(free)
                    except Exception:
                        log.exception("webhook_claim_failed")
                        jobs = []
                    for job in jobs:
                        task = asyncio.create_task(self._send_and_queue(job))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                    self._backlog = len(jobs) == free
                    if not self._backlog:
                        timeout = await self._idle_timeout()
                if self._backlog and self.config.max_in_flight - len(in_flight) >= refill_at:
                    continue
                await _first(self._wake.wait(), stop.wait(), within=timeout)
        finally:
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            recorder_stop.set()
            await asyncio.gather(recorder, return_exceptions=True)
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)

    async def _send_and_queue(self, job: Job) -> None:
        try:
            outcome = await self.send(job)
        except Exception:  # never expected; the lease runs out and the delivery is sent again
            log.exception("webhook_send_crashed", delivery_id=str(job.delivery_id))
            return
        self._results.append(outcome)
        self._results_ready.set()
        if self._backlog:
            self._wake.set()

    async def _record_loop(self, stop: asyncio.Event) -> None:
        while True:
            await _first(self._results_ready.wait(), stop.wait())
            if self._backlog and not stop.is_set():
                await asyncio.sleep(RECORD_LINGER)  # under load, write results in batches
            self._results_ready.clear()
            batch, self._results = self._results, []
            if batch:
                await self.record(batch)
                self._wake.set()  # a failure may have made a retry due sooner than the current sleep
            elif stop.is_set():
                return

    async def _idle_timeout(self) -> float:
        try:
            async with self.factory() as session, session.begin():
                next_due: datetime | None = (
                    await session.execute(_NEXT_DUE, {"now": self.clock(), "per_org": self.config.per_org})
                ).scalar()
        except Exception:
            log.exception("webhook_next_due_failed")
            return self.config.poll_seconds
        if next_due is None:
            return self.config.poll_seconds
        return min(max((next_due - self.clock()).total_seconds(), 0.05), self.config.poll_seconds)

    async def _listen(self, stop: asyncio.Event) -> None:
        """Keep one connection LISTENing; reconnect when it drops (polling covers the gap)."""
        assert self.listen_dsn is not None
        while not stop.is_set():
            connection: Any = None
            try:
                connection = await asyncpg.connect(
                    self.listen_dsn, server_settings={"application_name": "sightline-dispatcher"}
                )
                await connection.add_listener(CHANNEL, lambda *_: self._wake.set())
                self.listening.set()
                self._wake.set()  # whatever was notified while we were not listening
                while not stop.is_set() and not connection.is_closed():
                    await _first(stop.wait(), within=self.config.poll_seconds)
            except Exception as exc:
                log.warning("webhook_listen_failed", error=str(exc))
            finally:
                self.listening.clear()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            if not stop.is_set():
                await _first(stop.wait(), within=min(self.config.poll_seconds, 5.0))
