"""Recording attempt results: delivery status and next attempt, endpoint health, automatic disabling."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.tenancy import scoped
from sightline.events import service as events
from sightline.webhooks.jobs import Job, Outcome
from sightline.webhooks.models import WebhookEndpoint
from sightline.webhooks.schedule import GONE, HONOURS_RETRY_AFTER, failing_too_long, next_attempt, parse_retry_after
from sightline.webhooks.sender import AttemptResult
from sightline.webhooks.service import endpoint_public

log = structlog.get_logger("sightline.webhooks")
ACTOR = "system:webhooks"

_RECORD = text("""
    UPDATE webhook_deliveries
    SET status = :status, next_attempt_at = :next_attempt_at, lease_token = NULL, last_attempt_at = :attempted_at,
        response_status = :response_status, response_excerpt = :response_excerpt, latency_ms = :latency_ms,
        error = :error, delivered_at = :delivered_at, version = version + 1
    WHERE org_id = :org AND id = :id AND lease_token = :lease
""")
# Claimed, then found disabled before sending: the claim's attempt did not happen.
_UNSENT = text("""
    UPDATE webhook_deliveries
    SET status = 'paused', attempts = attempts - 1, next_attempt_at = NULL, lease_token = NULL, version = version + 1
    WHERE org_id = :org AND id = ANY (CAST(:ids AS uuid[])) AND lease_token = :lease
""")
_PAUSE = text("""
    UPDATE webhook_deliveries SET status = 'paused', next_attempt_at = NULL, version = version + 1
    WHERE org_id = :org AND endpoint_id = ANY (CAST(:endpoints AS uuid[])) AND status = 'pending'
""")


async def record_outcomes(
    session: AsyncSession,
    *,
    org_id: UUID,
    outcomes: Sequence[Outcome],
    schedule: Sequence[float],
    disable_after: timedelta,
    rng: random.Random,
    now: datetime,
) -> None:
    """Apply attempt results to deliveries and endpoint health; disable endpoints that must be."""
    endpoints = await _lock_endpoints(session, org_id, {o.job.endpoint_id for o in outcomes})
    rows: list[dict[str, Any]] = []
    unsent: dict[UUID, list[UUID]] = defaultdict(list)
    disabled: list[WebhookEndpoint] = []
    for outcome in sorted(outcomes, key=lambda o: o.attempted_at):
        job, result, at = outcome.job, outcome.result, outcome.attempted_at
        endpoint = endpoints.get(job.endpoint_id)
        if endpoint is None:
            continue  # deleted meanwhile, and its deliveries with it
        if result is None:
            unsent[job.lease].append(job.delivery_id)
            continue
        row = _attempt_row(org_id, job, result, at)
        if result.ok:
            row["status"], row["delivered_at"] = "succeeded", at
            endpoint.failing_since = None
            endpoint.last_success_at = at
        else:
            if _note_failure(endpoint, result, at=at, now=now, disable_after=disable_after):
                disabled.append(endpoint)
            row["status"], row["next_attempt_at"] = _after_failure(endpoint, job, result, at, schedule, rng)
        rows.append(row)
    if rows:
        await session.execute(_RECORD, rows)
    for lease, ids in unsent.items():
        await session.execute(_UNSENT, {"org": org_id, "ids": ids, "lease": lease})
    await session.flush()
    if disabled:
        await _announce_disabled(session, org_id, disabled, now=now)


async def _lock_endpoints(session: AsyncSession, org_id: UUID, ids: set[UUID]) -> dict[UUID, WebhookEndpoint]:
    """The endpoints of these outcomes, locked in id order, so two dispatchers recording for the same endpoints
    cannot deadlock; NO KEY UPDATE, so changes writing new deliveries for them (a foreign key check) never wait."""
    statement = (
        scoped(WebhookEndpoint, org_id)
        .where(col(WebhookEndpoint.id).in_(sorted(ids)))
        .order_by(col(WebhookEndpoint.id))
        .with_for_update(key_share=True)
    )
    return {e.id: e for e in (await session.execute(statement)).scalars()}


def _attempt_row(org_id: UUID, job: Job, result: AttemptResult, at: datetime) -> dict[str, Any]:
    """The delivery's update for one attempt; the status and the next attempt are filled in by the caller."""
    return {
        "org": org_id,
        "id": job.delivery_id,
        "lease": job.lease,
        "attempted_at": at,
        "response_status": result.status,
        "response_excerpt": result.excerpt,
        "latency_ms": result.latency_ms,
        "error": result.error,
        "delivered_at": None,
        "next_attempt_at": None,
    }


def _note_failure(
    endpoint: WebhookEndpoint, result: AttemptResult, *, at: datetime, now: datetime, disable_after: timedelta
) -> bool:
    """Record the failure on the endpoint's health; disable it (True) on 410 Gone or after failing too long."""
    endpoint.last_failure_at = at
    endpoint.failing_since = endpoint.failing_since or at
    reason = None
    if result.status == GONE:
        reason = "the receiver answered 410 Gone"
    elif failing_too_long(failing_since=endpoint.failing_since, now=at, disable_after=disable_after):
        days = (at - endpoint.failing_since).total_seconds() / 86400
        reason = f"every attempt failed for {days:.1f} days (since {endpoint.failing_since.isoformat()})"
    if reason is None or not endpoint.enabled:
        return False
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, at
    endpoint.version += 1
    endpoint.updated_at = now
    return True


def _after_failure(
    endpoint: WebhookEndpoint,
    job: Job,
    result: AttemptResult,
    at: datetime,
    schedule: Sequence[float],
    rng: random.Random,
) -> tuple[str, datetime | None]:
    """The failed delivery's status and next attempt: paused with its endpoint, retried, or failed for good."""
    if not endpoint.enabled:
        return "paused", None
    retry_after = parse_retry_after(result.retry_after, now=at) if result.status in HONOURS_RETRY_AFTER else None
    upcoming = next_attempt(attempts=job.attempts, schedule=schedule, attempted_at=at, retry_after=retry_after, rng=rng)
    return ("pending" if upcoming.at is not None else "failed"), upcoming.at


async def _announce_disabled(
    session: AsyncSession, org_id: UUID, disabled: Sequence[WebhookEndpoint], *, now: datetime
) -> None:
    """Pause the pending deliveries of newly disabled endpoints and write `endpoint.disabled` for each."""
    await session.execute(_PAUSE, {"org": org_id, "endpoints": [e.id for e in disabled]})
    await events.emit(
        session,
        *[
            events.NewEvent(
                org_id=org_id,
                type="endpoint.disabled",
                actor=ACTOR,
                object_type="webhook_endpoint",
                object_id=e.id,
                occurred_at=e.disabled_at or now,
                after=endpoint_public(e),
            )
            for e in disabled
        ],
    )
    for endpoint in disabled:
        log.warning("webhook_endpoint_disabled", endpoint_id=str(endpoint.id), reason=endpoint.disabled_reason)
