"""Write events (`emit`, inside the transaction of the change they describe) and list them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.engine import json_dumps
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.rows import fetch_rows
from sightline.db.tenancy import scoped
from sightline.errors import NotFound
from sightline.events import visibility
from sightline.events.models import Event
from sightline.events.outbox import NOT_FANNED_OUT, WRITE_AND_FAN_OUT
from sightline.events.redaction import redact

# Called at the end of every `emit`, in the transaction of the change, with the rows written (their `after` and
# `before` as stored). A hook must cost nothing for the types it does not handle: filter on `type` in Python
# before any statement (check-ins are the hot path). notifications/producer.py registers one.
Hook = Callable[[AsyncSession, Sequence[dict[str, Any]]], Awaitable[None]]
emitted: list[Hook] = []


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to write: what happened (`type`) to which object, who did it (`actor`), when, and the object's
    API shape before and after (a model, or the plain mapping it dumps to)."""

    org_id: UUID
    type: str
    actor: str
    object_type: str
    object_id: UUID
    occurred_at: datetime
    before: BaseModel | Mapping[str, Any] | None = None
    after: BaseModel | Mapping[str, Any] | None = None
    id: UUID = field(default_factory=uuid4)


def _payload(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    # Redacted before it is stored (and fanned out): the audit log is read by viewers and read-only keys.
    payload: dict[str, Any] = redact(value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value))
    return payload


# The columns of `WRITE_AND_FAN_OUT`'s arrays, in its order.
_COLUMNS = ("org_id", "id", "type", "actor", "object_type", "object_id", "occurred_at")
_JSON_COLUMNS = ("before", "after")


async def emit(session: AsyncSession, *events: NewEvent) -> None:
    """The one way to write events, inside the transaction of the change they describe: one INSERT for any
    number (a batch of a thousand check-ins writes a thousand), which also queues their webhook deliveries in
    the same transaction (the outbox). A dataclass, not the `Event` model: building a model costs ~0.1 ms,
    which a large batch would pay per event."""
    if not events:
        return
    rows = [
        {
            "org_id": e.org_id,
            "id": e.id,
            "type": e.type,
            "actor": e.actor,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "occurred_at": e.occurred_at,
            "before": _payload(e.before),
            "after": _payload(e.after),
        }
        for e in events
    ]
    await fetch_rows(
        session,
        WRITE_AND_FAN_OUT,
        *([row[column] for row in rows] for column in _COLUMNS),
        *([None if row[column] is None else json_dumps(row[column]) for row in rows] for column in _JSON_COLUMNS),
        NOT_FANNED_OUT,
    )
    for hook in emitted:
        await hook(session, rows)


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
