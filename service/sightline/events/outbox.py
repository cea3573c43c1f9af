"""The transactional outbox: deliveries are written in the transaction of the events they carry.

`sightline.events.service.emit` (where every event is written) calls `fan_out`: one INSERT … SELECT
creates a delivery per (event, enabled endpoint whose filter matches), and a NOTIFY — sent by PostgreSQL
only when the transaction commits — wakes the dispatchers. A rolled-back change leaves no delivery, and a
committed one cannot lose its deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
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

# Bounded: one statement whatever the number of events; rows = events × matching endpoints, and an
# organisation has at most MAX_ENDPOINTS endpoints.
_FAN_OUT = text(f"""
    WITH created AS (
        INSERT INTO webhook_deliveries (org_id, id, endpoint_id, event_id, event_type, status, next_attempt_at,
                                        created_at)
        SELECT e.org_id, gen_random_uuid(), w.id, e.id, e.type, 'pending', e.occurred_at, e.occurred_at
        FROM unnest(CAST(:org_ids AS uuid[]), CAST(:event_ids AS uuid[]), CAST(:types AS text[]),
                    CAST(:times AS timestamptz[])) AS e (org_id, id, type, occurred_at)
        JOIN webhook_endpoints AS w
          ON w.org_id = e.org_id AND w.enabled
         AND (w.event_types IS NULL
              OR e.type = ANY (w.event_types)
              OR split_part(e.type, '.', 1) || '.*' = ANY (w.event_types))
        WHERE e.type <> ALL (CAST(:direct_only AS text[]))
        RETURNING 1
    )
    SELECT pg_notify('{CHANNEL}', '') FROM (SELECT 1 FROM created LIMIT 1) AS any_created
""")
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


async def fan_out(session: AsyncSession, events: Sequence[Mapping[str, Any]]) -> None:
    """Queue the deliveries of freshly written events (their rows; same transaction); wake dispatchers on commit."""
    if not events:
        return
    await session.execute(
        _FAN_OUT,
        {
            "org_ids": [e["org_id"] for e in events],
            "event_ids": [e["id"] for e in events],
            "types": [e["type"] for e in events],
            "times": [e["occurred_at"] for e in events],
            "direct_only": [*DIRECT_ONLY_TYPES, *TARGETED_TYPES],
        },
    )


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
