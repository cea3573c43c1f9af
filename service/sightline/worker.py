"""Background jobs: run inside `sightline serve` by default, or alone as `sightline worker`.

Periodic jobs (status recompute, check-in reminders, weekly team digests, the notifications on a schedule: check-in
due, weekly team summaries, daily digests), the webhook dispatcher and the
integrations scheduler (pulled key-result values); several replicas may run them at once (advisory locks,
row locks and `SKIP LOCKED` keep them from doing the same work twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time
from sightline.config import Settings
from sightline.db.engine import assert_restricted, create_engine, session_factory
from sightline.db.tenancy import set_tenant
from sightline.db.urls import asyncpg_dsn
from sightline.identity.purge import run_purge
from sightline.integrations import digest
from sightline.integrations.runs import Fetchers
from sightline.integrations.scheduler import run_scheduler
from sightline.integrations.schemas import TeamDigestContent
from sightline.mail.sender import MailSender
from sightline.notifications import checkin_due, daily, summaries
from sightline.notifications import producer as notification_producer
from sightline.observability import JOB_FAILURES
from sightline.okrs import drains
from sightline.okrs.recompute import recompute_org
from sightline.okrs.reminders import remind_org
from sightline.webhooks.dispatcher import DispatchConfig, Dispatcher
from sightline.webhooks.sender import WebhookSender

log = structlog.get_logger("sightline.worker")


# Which organisations a sweep visits: every one, or (a job with a narrower function) only those with work.
EVERY_ORG = "SELECT * FROM worker_org_ids()"
DAILY_DIGEST_ORGS = "SELECT * FROM daily_digest_org_ids()"  # someone chose the daily digest (migration 0081)


async def org_ids(factory: async_sessionmaker[AsyncSession], among: str = EVERY_ORG) -> list[UUID]:
    async with factory() as session, session.begin():
        return list((await session.execute(text(among))).scalars())


class OrgJob(Protocol):
    """A job for one organisation, inside its tenant-scoped transaction: returns how much it did. The sweeps below
    pass each domain's function itself, so a test of one organisation's job runs exactly what a sweep runs."""

    async def __call__(self, session: AsyncSession, *, org_id: UUID, now: datetime) -> int: ...


async def _for_each_org(
    factory: async_sessionmaker[AsyncSession],
    job: OrgJob,
    *,
    name: str,
    now: datetime,
    stop: asyncio.Event | None,
    among: str = EVERY_ORG,
) -> int:
    """Run `job` for every organisation, each in its own tenant-scoped transaction (until `stop` is set).

    One organisation's failure rolls back its transaction only: it is logged and counted
    (`sightline_job_failures_total{job=name}`), and every other organisation is still served in this pass.
    """
    done = 0
    for org_id in await org_ids(factory, among):
        if stop is not None and stop.is_set():
            break
        try:
            async with factory() as session, session.begin():
                await set_tenant(session, org_id)
                count = await job(session, org_id=org_id, now=now)
        except Exception:
            JOB_FAILURES.labels(name).inc()
            log.exception("job_failed_for_org", job=name, org_id=str(org_id))
            continue
        done += count
    return done


async def recompute_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """One status-recompute pass over every organisation; returns how many key results changed."""
    return await _for_each_org(factory, recompute_org, name="recompute", now=now, stop=stop)


async def remind_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """The check-in reminders due now in every organisation; returns how many were emitted."""
    return await _for_each_org(factory, remind_org, name="checkin_reminders", now=now, stop=stop)


async def digest_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """Weekly team digests whose slot has passed, for every organisation; returns how many were sent."""
    return await _for_each_org(factory, digest.send_due, name="team_digests", now=now, stop=stop)


async def check_in_due_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """Check-in due reminders to the owners (their morning, once per period); returns how many notified."""
    return await _for_each_org(
        factory,
        checkin_due.remind_due,
        name="check_in_due",
        now=now,
        stop=stop,
    )


def team_week(content: TeamDigestContent) -> summaries.TeamWeek:
    """The weekly team digest (integrations/digest.py) as the lines of a team's weekly summary."""
    return summaries.TeamWeek(
        moved=[
            f"{c.title}: {c.from_status.value.replace('_', ' ')} → {c.to_status.value.replace('_', ' ')}"
            for c in content.status_changes
        ],
        at_risk=[f"{k.title} ({k.status.value.replace('_', ' ')}, {k.owner_name})" for k in content.at_risk],
        due=[
            f"{d.title} ({d.owner_name}, {'overdue since' if d.overdue else 'by'} {d.due_at.date().isoformat()})"
            for d in content.due_check_ins
        ],
    )


async def team_summaries_of_org(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """One organisation's weekly team summaries (what `team_summaries_all` runs for each)."""

    async def build(team_id: UUID) -> summaries.TeamWeek:
        return team_week(await digest.build_digest(session, org_id=org_id, team_id=team_id, now=now))

    return await summaries.send_due(session, org_id=org_id, now=now, build=build)


async def team_summaries_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """Weekly team summaries to the teams' people (Monday morning, once a week); returns how many notified."""
    return await _for_each_org(factory, team_summaries_of_org, name="team_weekly_summary", now=now, stop=stop)


async def daily_digests_all(
    factory: async_sessionmaker[AsyncSession], *, now: datetime, stop: asyncio.Event | None = None
) -> int:
    """The daily digest emails due (each person's morning, once a day); returns how many were queued. Only the
    organisations where someone chose the digest are visited."""
    return await _for_each_org(
        factory, daily.send_digests, name="daily_digest", now=now, stop=stop, among=DAILY_DIGEST_ORGS
    )


PERIODIC_JOBS = (
    ("statuses_recomputed", recompute_all),
    ("checkin_reminders_sent", remind_all),
    ("team_digests_sent", digest_all),
    ("check_in_due_notified", check_in_due_all),
    ("team_summaries_notified", team_summaries_all),
    ("daily_digests_queued", daily_digests_all),
)


async def run_periodic(
    factory: async_sessionmaker[AsyncSession],
    *,
    interval_seconds: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = current_time,
) -> None:
    while not stop.is_set():
        for name, job in PERIODIC_JOBS:
            try:
                count = await job(factory, now=clock(), stop=stop)  # shutting down ends a pass early
                if count:
                    log.info(name, count=count)
            except Exception:  # a bad pass is logged and retried next time; the loop must live on
                log.exception("periodic_job_failed", job=name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)


# Marks a drain did not take (the process died between a check-in's commit and its drain) wait at most this
# long, plus drains.SWEEP_AFTER, for their roll-ups.
SWEEP_SECONDS = 5.0


async def run_rollup_sweep(
    factory: async_sessionmaker[AsyncSession], *, stop: asyncio.Event, clock: Callable[[], datetime] = current_time
) -> None:
    while not stop.is_set():
        try:
            if taken := await drains.sweep(factory, now=clock()):
                log.info("rollup_marks_swept", count=taken)
        except Exception:  # logged and retried next time; the loop must live on
            log.exception("periodic_job_failed", job="rollup_sweep")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SWEEP_SECONDS)


def dispatcher_for(
    factory: async_sessionmaker[AsyncSession], sender: WebhookSender, settings: Settings, database_url: str
) -> Dispatcher:
    return Dispatcher(factory, sender, DispatchConfig.from_settings(settings), listen_dsn=asyncpg_dsn(database_url))


def background_jobs(
    factory: async_sessionmaker[AsyncSession],
    sender: WebhookSender,
    settings: Settings,
    database_url: str,
    stop: asyncio.Event,
    fetchers: Fetchers,
) -> list[asyncio.Task[None]]:
    """Start the periodic jobs, the sweep of roll-up marks, the dispatcher, the integrations scheduler, the mail
    sender and the purge of expired rows; they end once `stop` is set."""
    dispatcher = dispatcher_for(factory, sender, settings, database_url)
    notification_producer.register()  # notifications written with the events of the worker's own changes
    return [
        asyncio.create_task(run_periodic(factory, interval_seconds=settings.recompute_interval_seconds, stop=stop)),
        asyncio.create_task(run_rollup_sweep(factory, stop=stop)),
        asyncio.create_task(dispatcher.run(stop)),
        asyncio.create_task(
            run_scheduler(
                factory,
                fetchers,
                poll_seconds=settings.integration_poll_seconds,
                concurrency=settings.integration_concurrency,
                stop=stop,
            )
        ),
        asyncio.create_task(MailSender(factory, settings).run(stop)),
        asyncio.create_task(run_purge(factory, settings=settings, stop=stop)),
    ]


async def run_worker(database_url: str, settings: Settings) -> None:
    """`sightline worker`: the background jobs without the API, until SIGINT or SIGTERM."""
    engine = create_engine(database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    await assert_restricted(engine)
    sender = WebhookSender.from_settings(settings)
    fetchers = Fetchers.from_settings(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("worker_started")
    try:
        await asyncio.gather(*background_jobs(session_factory(engine), sender, settings, database_url, stop, fetchers))
    finally:
        await sender.aclose()
        await fetchers.aclose()
        await engine.dispose()
        log.info("worker_stopped")
