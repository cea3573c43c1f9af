"""Webhook endpoints and their delivery log: create, edit, rotate, reveal; redeliver, recover, ping."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import one_of_org, scoped
from sightline.errors import Conflict, Invalid
from sightline.events import outbox
from sightline.events import service as events
from sightline.integrations import chat
from sightline.url_guard import UrlPolicy, UrlRefused
from sightline.versions import check_if_match
from sightline.webhooks import catalogue, payload
from sightline.webhooks.models import WebhookDelivery, WebhookEndpoint
from sightline.webhooks.schemas import (
    DeliveryPublic,
    DeliveryStatus,
    EndpointCreate,
    EndpointPublic,
    EndpointSecret,
    EndpointUpdate,
    PingData,
)
from sightline.webhooks.sender import WebhookSender
from sightline.webhooks.signing import ROTATION_OVERLAP, new_secret, signing_secrets, webhook_headers

MAX_ENDPOINTS = 50  # per organisation: bounds the fan-out of every event
OBJECT_TYPE = "webhook_endpoint"

_RESUME = text("""
    UPDATE webhook_deliveries
    SET status = 'pending', attempts = 0, next_attempt_at = :now, lease_token = NULL, version = version + 1
    WHERE org_id = :org AND endpoint_id = :endpoint AND status = 'paused'
""")
_PAUSE = text("""
    UPDATE webhook_deliveries SET status = 'paused', next_attempt_at = NULL, version = version + 1
    WHERE org_id = :org AND endpoint_id = :endpoint AND status = 'pending'
""")
_RECOVER = text("""
    UPDATE webhook_deliveries
    SET status = 'pending', attempts = 0, next_attempt_at = :now, lease_token = NULL, version = version + 1
    WHERE org_id = :org AND endpoint_id = :endpoint AND status = 'failed' AND created_at >= :since
      AND event_type <> ALL (CAST(:direct_only AS text[]))
""")


def endpoint_public(endpoint: WebhookEndpoint) -> EndpointPublic:
    return EndpointPublic(
        id=endpoint.id,
        url=endpoint.url,
        format=endpoint.format,  # type: ignore[arg-type]
        description=endpoint.description,
        event_types=endpoint.event_types,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        last_failure_at=endpoint.last_failure_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at if endpoint.previous_secret else None,
        version=endpoint.version,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def delivery_public(delivery: WebhookDelivery) -> DeliveryPublic:
    return DeliveryPublic.model_validate(delivery, from_attributes=True)


def _check_url(policy: UrlPolicy, url: str) -> str:
    try:
        policy.check_url(url)
    except UrlRefused as exc:
        raise Invalid("body.url", exc.reason) from exc
    return url


async def _record(
    session: AsyncSession,
    principal: Principal,
    type: str,
    endpoint: WebhookEndpoint,
    *,
    now: datetime,
    before: EndpointPublic | None = None,
    after: EndpointPublic | None = None,
) -> None:
    await events.emit(
        session,
        events.NewEvent(
            org_id=principal.org_id,
            type=type,
            actor=principal.actor,
            object_type=OBJECT_TYPE,
            object_id=endpoint.id,
            occurred_at=now,
            before=before,
            after=after,
        ),
    )


# Endpoints -----------------------------------------------------------------------------------------
async def get_endpoint(
    session: AsyncSession, *, org_id: UUID, endpoint_id: UUID, lock: bool = False
) -> WebhookEndpoint:
    # FOR NO KEY UPDATE: events fanning out to this endpoint meanwhile (a foreign key check) need not wait.
    return await one_of_org(
        session, WebhookEndpoint, org_id, endpoint_id, what="webhook endpoint", lock=lock, key_share=True
    )


async def list_endpoints(
    session: AsyncSession, *, org_id: UUID, params: PageParams, enabled: bool | None
) -> tuple[list[WebhookEndpoint], str | None]:
    statement = scoped(WebhookEndpoint, org_id)
    if enabled is not None:
        statement = statement.where(col(WebhookEndpoint.enabled) == enabled)
    rows = list(
        (
            await session.execute(paginate(statement, WebhookEndpoint.created_at, WebhookEndpoint.id, params=params))
        ).scalars()
    )
    return page_of(rows, params, lambda e: (e.created_at, e.id))


async def create_endpoint(
    session: AsyncSession, *, principal: Principal, body: EndpointCreate, policy: UrlPolicy, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; return it with its signing secret (shown now, and on an admin's explicit request)."""
    org_id = principal.org_id
    url = _check_url(policy, body.url)
    event_types = catalogue.check_types(body.event_types, "body.event_types")
    count = (await session.execute(select(func.count()).where(col(WebhookEndpoint.org_id) == org_id))).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"an organisation has at most {MAX_ENDPOINTS} webhook endpoints; delete one first")
    endpoint = WebhookEndpoint(
        org_id=org_id,
        url=url,
        format=body.format,
        description=body.description,
        event_types=event_types,
        enabled=body.enabled,
        disabled_reason=None if body.enabled else f"created disabled by {principal.actor}",
        disabled_at=None if body.enabled else now,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    # The event first: an endpoint does not receive the event of its own creation.
    await _record(session, principal, "endpoint.created", endpoint, now=now, after=endpoint_public(endpoint))
    session.add(endpoint)
    await session.flush()
    return endpoint, endpoint.secret


async def update_endpoint(
    session: AsyncSession,
    *,
    principal: Principal,
    endpoint_id: UUID,
    body: EndpointUpdate,
    policy: UrlPolicy,
    if_match: str | None,
    now: datetime,
) -> WebhookEndpoint:
    org_id = principal.org_id
    endpoint = await get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id, lock=True)
    check_if_match(if_match, endpoint.version, required=False)
    before = endpoint_public(endpoint)
    fields = body.model_fields_set
    if "url" in fields:
        if body.url is None:
            raise Invalid("body.url", "cannot be null")
        endpoint.url = _check_url(policy, body.url)
    if "format" in fields:
        if body.format is None:
            raise Invalid("body.format", "cannot be null")
        endpoint.format = body.format
    if "description" in fields:
        endpoint.description = body.description or ""
    if "event_types" in fields:
        endpoint.event_types = catalogue.check_types(body.event_types, "body.event_types")
    params = {"org": org_id, "endpoint": endpoint.id, "now": now}
    if body.enabled is True and not endpoint.enabled:
        # Re-enabled: a fresh start. Deliveries held back while it was disabled resume now.
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
        endpoint.failing_since = None
        await session.execute(_RESUME, params)
        await outbox.notify(session)
    elif body.enabled is False and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, f"disabled by {principal.actor}", now
        await session.execute(_PAUSE, params)
    endpoint.version += 1
    endpoint.updated_at = now
    await session.flush()
    after = endpoint_public(endpoint)
    await _record(session, principal, "endpoint.updated", endpoint, now=now, before=before, after=after)
    return endpoint


async def delete_endpoint(
    session: AsyncSession, *, principal: Principal, endpoint_id: UUID, if_match: str | None, now: datetime
) -> None:
    """Delete an endpoint with its delivery log; nothing more is sent to it."""
    endpoint = await get_endpoint(session, org_id=principal.org_id, endpoint_id=endpoint_id, lock=True)
    check_if_match(if_match, endpoint.version, required=False)
    await session.delete(endpoint)
    await session.flush()
    await _record(session, principal, "endpoint.deleted", endpoint, now=now, before=endpoint_public(endpoint))


async def rotate_secret(
    session: AsyncSession, *, principal: Principal, endpoint_id: UUID, now: datetime
) -> WebhookEndpoint:
    """A new secret signs from now on; the replaced one keeps signing alongside it for 24 hours."""
    endpoint = await get_endpoint(session, org_id=principal.org_id, endpoint_id=endpoint_id, lock=True)
    endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.version += 1
    endpoint.updated_at = now
    await session.flush()
    await _record(session, principal, "endpoint.secret_rotated", endpoint, now=now, after=endpoint_public(endpoint))
    return endpoint


async def reveal_secret(
    session: AsyncSession, *, principal: Principal, endpoint_id: UUID, now: datetime
) -> WebhookEndpoint:
    """The endpoint whose secret an admin is about to read: the reading is an audit event (never the secret)."""
    endpoint = await get_endpoint(session, org_id=principal.org_id, endpoint_id=endpoint_id)
    await _record(session, principal, "endpoint.secret_revealed", endpoint, now=now, after=endpoint_public(endpoint))
    return endpoint


def endpoint_secret(endpoint: WebhookEndpoint, *, now: datetime) -> EndpointSecret:
    overlapping = endpoint.previous_secret_expires_at is not None and now < endpoint.previous_secret_expires_at
    return EndpointSecret(
        secret=endpoint.secret,
        previous_secret=endpoint.previous_secret if overlapping else None,
        previous_secret_expires_at=endpoint.previous_secret_expires_at if overlapping else None,
    )


# Deliveries ----------------------------------------------------------------------------------------
async def get_delivery(
    session: AsyncSession, *, org_id: UUID, delivery_id: UUID, lock: bool = False
) -> WebhookDelivery:
    return await one_of_org(session, WebhookDelivery, org_id, delivery_id, what="delivery", lock=lock)


async def list_deliveries(
    session: AsyncSession,
    *,
    org_id: UUID,
    endpoint_id: UUID,
    params: PageParams,
    status: DeliveryStatus | None,
    event_type: str | None,
) -> tuple[list[WebhookDelivery], str | None]:
    """The endpoint's delivery log, newest first."""
    await get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    statement = scoped(WebhookDelivery, org_id).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    if event_type is not None:
        catalogue.check_types([event_type], "query.event_type")
        if event_type.endswith(".*"):
            statement = statement.where(col(WebhookDelivery.event_type).startswith(event_type[:-1]))
        else:
            statement = statement.where(col(WebhookDelivery.event_type) == event_type)
    rows = list(
        (
            await session.execute(
                paginate(statement, WebhookDelivery.created_at, WebhookDelivery.id, params=params, descending=True)
            )
        ).scalars()
    )
    return page_of(rows, params, lambda d: (d.created_at, d.id))


def _in_flight(delivery: WebhookDelivery, now: datetime) -> bool:
    return delivery.lease_token is not None and delivery.next_attempt_at is not None and delivery.next_attempt_at > now


async def redeliver(
    session: AsyncSession, *, principal: Principal, delivery_id: UUID, now: datetime
) -> WebhookDelivery:
    """Queue the delivery again, now, with a fresh retry schedule (same event, same `webhook-id`)."""
    delivery = await get_delivery(session, org_id=principal.org_id, delivery_id=delivery_id, lock=True)
    endpoint = await get_endpoint(session, org_id=principal.org_id, endpoint_id=delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; enable it first (its held-back deliveries then resume)")
    if _in_flight(delivery, now):
        raise Conflict("an attempt of this delivery is in progress; wait for its result")
    delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.lease_token = "pending", 0, now, None
    delivery.version += 1
    await session.flush()
    await outbox.notify(session)
    return delivery


async def recover(
    session: AsyncSession, *, principal: Principal, endpoint_id: UUID, since: datetime, now: datetime
) -> int:
    """Queue again every delivery of the endpoint that failed for good and was created since `since`."""
    endpoint = await get_endpoint(session, org_id=principal.org_id, endpoint_id=endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; enable it first (its held-back deliveries then resume)")
    if since.tzinfo is None:
        raise Invalid("body.since", "give the time with its offset, e.g. 2026-07-01T00:00:00Z")
    if since > now:
        raise Invalid("body.since", "lies in the future")
    result = await session.execute(
        _RECOVER,
        {
            "org": principal.org_id,
            "endpoint": endpoint.id,
            "since": since,
            "now": now,
            "direct_only": list(outbox.DIRECT_ONLY_TYPES),
        },
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        await outbox.notify(session)
    return count


async def ping(
    session: AsyncSession,
    *,
    principal: Principal,
    endpoint_id: UUID,
    sender: WebhookSender,
    now: datetime,
    link_base_url: str = "",
) -> WebhookDelivery:
    """Send a `webhook.ping` event to this endpoint right away (even a disabled one); one attempt, no retry."""
    org_id = principal.org_id
    endpoint = await get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    data = PingData(endpoint_id=endpoint.id, message="Ping from Sightline: this endpoint receives events.")
    event = events.NewEvent(
        org_id=org_id,
        type="webhook.ping",
        actor=principal.actor,
        object_type=OBJECT_TYPE,
        object_id=endpoint.id,
        occurred_at=now,
        after=data,
    )
    await events.emit(session, event)  # never fanned out: the ping goes to this endpoint only
    delivery = WebhookDelivery(
        org_id=org_id,
        id=uuid4(),
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=event.type,
        status="pending",
        attempts=1,
        next_attempt_at=now,
        lease_token=uuid4(),  # held by this request: no dispatcher picks it up
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    if endpoint.format == "standard":
        body = payload.body(
            event_id=event.id,
            type=event.type,
            occurred_at=now,
            object_id=endpoint.id,
            before=None,
            after=data.model_dump(mode="json"),
        )
    else:
        body = chat.render(
            endpoint.format, event.type, data.model_dump(mode="json"), chat.ChatContext(), base_url=link_base_url
        )
    keys = signing_secrets(endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_expires_at, now=now)
    result = await sender.post(endpoint.url, body, webhook_headers(keys, message_id=str(event.id), now=now, body=body))
    delivery.status = "succeeded" if result.ok else "failed"
    delivery.next_attempt_at, delivery.lease_token, delivery.last_attempt_at = None, None, now
    delivery.response_status, delivery.response_excerpt = result.status, result.excerpt
    delivery.latency_ms, delivery.error = result.latency_ms, result.error
    delivery.delivered_at = now if result.ok else None
    delivery.version += 1
    await session.flush()
    return delivery
