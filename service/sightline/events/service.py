"""Record and list events. `record` is called inside the transaction of the change it describes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped
from sightline.errors import NotFound
from sightline.events import visibility
from sightline.events.models import Event
from sightline.events.outbox import fan_out
from sightline.events.redaction import redact


def snapshot(model: BaseModel | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(mode="json")


async def record(
    session: AsyncSession,
    *,
    org_id: UUID,
    type: str,
    actor: str,
    object_type: str,
    object_id: UUID,
    now: datetime,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> None:
    await record_many(
        session,
        [
            Event(
                org_id=org_id,
                type=type,
                actor=actor,
                object_type=object_type,
                object_id=object_id,
                occurred_at=now,
                before=snapshot(before),
                after=snapshot(after),
            )
        ],
    )


async def record_many(session: AsyncSession, events: Sequence[Event]) -> None:
    """One INSERT for any number of events (batch check-ins write a thousand at once), then one more
    statement that queues their webhook deliveries in the same transaction (the outbox)."""
    await record_rows(session, [e.model_dump(exclude={"seq"}) for e in events])


def event_row(
    *,
    org_id: UUID,
    type: str,
    actor: str,
    object_type: str,
    object_id: UUID,
    occurred_at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as the plain row `record_rows` writes: building an `Event` model costs ~0.1 ms (pydantic
    defaults and SQLAlchemy instrumentation), which a batch of a thousand check-ins would pay per item."""
    return {
        "org_id": org_id,
        "id": uuid4(),
        "type": type,
        "actor": actor,
        "object_type": object_type,
        "object_id": object_id,
        "occurred_at": occurred_at,
        "before": before,
        "after": after,
    }


async def record_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """`record_many` for rows made by `event_row` (or dumped events)."""
    if not rows:
        return
    # Redacted before it is stored (and fanned out): the audit log is read by viewers and read-only keys.
    rows = [{**row, "before": redact(row["before"]), "after": redact(row["after"])} for row in rows]
    await session.execute(insert(Event.__table__), rows)  # type: ignore[attr-defined]
    await fan_out(session, rows)


async def list_events(
    session: AsyncSession,
    *,
    principal: Principal,
    params: PageParams,
    object_id: UUID | None,
    type: str | None,
) -> tuple[list[Event], str | None]:
    statement = scoped(Event, principal.org_id).where(visibility.readable(principal))
    if object_id is not None:
        statement = statement.where(col(Event.object_id) == object_id)
    if type is not None:
        # "objective.*" lists a family; anything else is an exact type.
        if type.endswith(".*"):
            statement = statement.where(col(Event.type).startswith(type[:-1]))
        else:
            statement = statement.where(col(Event.type) == type)
    rows = list((await session.execute(paginate(statement, Event.occurred_at, Event.seq, params=params))).scalars())
    for event in rows:  # rows written before redaction at write existed; never flushed back (append-only)
        session.expunge(event)
        event.before, event.after = redact(event.before), redact(event.after)
    return page_of(rows, params, lambda e: (e.occurred_at, e.seq))


async def get_event(session: AsyncSession, *, principal: Principal, event_id: UUID) -> Event:
    """One event; 404 when it is not there or this credential may not read it (see `visibility`)."""
    event = (
        await session.execute(scoped(Event, principal.org_id).where(col(Event.id) == event_id))
    ).scalar_one_or_none()
    if event is None or not visibility.can_read(
        principal, type=event.type, object_type=event.object_type, object_id=event.object_id, actor=event.actor
    ):
        raise NotFound("event")
    session.expunge(event)
    event.before, event.after = redact(event.before), redact(event.after)
    return event
