"""The body of a delivery: `{"id", "type", "timestamp", "data"}`, serialised once; those bytes are signed and sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson


def event_data(object_id: UUID, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The object (as it is after the event, or as it was when it is gone); `previous` lists what changed."""
    if after is None and before is None:
        return {"id": str(object_id)}
    data = dict(after if after is not None else before or {})
    if before is not None and after is not None:
        data["previous"] = {key: value for key, value in before.items() if after.get(key) != value}
    return data


def body(
    *,
    event_id: UUID,
    type: str,
    occurred_at: datetime,
    object_id: UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> bytes:
    # Deterministic for an event: every attempt and every endpoint gets the same bytes.
    return orjson.dumps(
        {
            "id": str(event_id),
            "type": type,
            "timestamp": occurred_at.astimezone(UTC),
            "data": event_data(object_id, before, after),
        },
        option=orjson.OPT_UTC_Z,
    )
