"""The transactional outbox: deliveries are written in the transaction of the events they carry.

`sightline.events.service.emit` (where every event is written) sends `WRITE_AND_FAN_OUT`: the events and, in
the same statement, a delivery per (event, enabled endpoint whose filter matches); a NOTIFY — sent by
PostgreSQL only when the transaction commits — wakes the dispatchers. A rolled-back change leaves no delivery, and a
committed one cannot lose its deliveries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.errors import NotFound

if TYPE_CHECKING:
    from sightline.events.service import NewEvent

CHANNEL = "sightline_webhooks"
# Sent on request to one endpoint only (the ping), never fanned out to every subscriber.
DIRECT_ONLY_TYPES = ("webhook.ping",)
# Sent only to the endpoints chosen for them (a team digest's endpoint), through `queue_to`; retried and
# recoverable like any delivery.
TARGETED_TYPES = ("team.digest",)

# The events and their deliveries in ONE statement, whatever their number: the events are inserted in the
# order given (their `seq` follows it), then a delivery per (event, enabled endpoint whose filter matches);
# rows = events × matching endpoints, and an organisation has at most MAX_ENDPOINTS endpoints. Sent on the
# driver (`db.rows.fetch_rows`): a check-in writes two such batches, and the ORM's executemany cost more in
# Python than the statement costs the database.
WRITE_AND_FAN_OUT = f"""
    WITH written AS (
        INSERT INTO events (org_id, id, type, actor, object_type, object_id, occurred_at, before, after)
        SELECT org_id, id, type, actor, object_type, object_id, occurred_at, before, after
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[],
                    $8::jsonb[], $9::jsonb[])
             WITH ORDINALITY AS e (org_id, id, type, actor, object_type, object_id, occurred_at, before, after, n)
        ORDER BY n
        RETURNING org_id, id, type, occurred_at
    ), created AS (
        INSERT INTO webhook_deliveries (org_id, id, endpoint_id, event_id, event_type, status, next_attempt_at,
                                        created_at)
        SELECT e.org_id, gen_random_uuid(), w.id, e.id, e.type, 'pending', e.occurred_at, e.occurred_at
        FROM written AS e
        JOIN webhook_endpoints AS w
          ON w.org_id = e.org_id AND w.enabled
         AND (w.event_types IS NULL
              OR e.type = ANY (w.event_types)
              OR split_part(e.type, '.', 1) || '.*' = ANY (w.event_types))
        WHERE e.type <> ALL ($10::text[])
        RETURNING 1
    )
    SELECT pg_notify('{CHANNEL}', '') FROM (SELECT 1 FROM created LIMIT 1) AS any_created
"""
# Types never fanned out to every subscriber (the last parameter of `WRITE_AND_FAN_OUT`).
NOT_FANNED_OUT = [*DIRECT_ONLY_TYPES, *TARGETED_TYPES]
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


_QUEUE_TO = text("""
    INSERT INTO webhook_deliveries (org_id, id, endpoint_id, event_id, event_type, status, next_attempt_at, created_at)
    VALUES (:org_id, gen_random_uuid(), :endpoint_id, :event_id, :event_type, 'pending', :now, :now)
    RETURNING id
""")


async def queue_to(session: AsyncSession, *, event: NewEvent, endpoint_id: UUID) -> UUID:
    """Queue one delivery of a freshly written (targeted) event to one endpoint; the dispatchers send it."""
    delivery_id: UUID = (
        await session.execute(
            _QUEUE_TO,
            {
                "org_id": event.org_id,
                "endpoint_id": endpoint_id,
                "event_id": event.id,
                "event_type": event.type,
                "now": event.occurred_at,
            },
        )
    ).scalar_one()
    await notify(session)
    return delivery_id


async def notify(session: AsyncSession) -> None:
    """Wake the dispatchers when this transaction commits (after a redelivery or a resume)."""
    await session.execute(_NOTIFY)


_ENDPOINT_EXISTS = text("SELECT 1 FROM webhook_endpoints WHERE org_id = :org_id AND id = :endpoint_id")


async def require_endpoint(session: AsyncSession, *, org_id: UUID, endpoint_id: UUID) -> None:
    """404 unless the organisation has this endpoint: the destination a targeted event (`queue_to`) is sent to."""
    found = (await session.execute(_ENDPOINT_EXISTS, {"org_id": org_id, "endpoint_id": endpoint_id})).first()
    if found is None:
        raise NotFound("webhook endpoint")
