"""The event log as the API shows it."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from sightline.timestamps import UtcDateTime


class EventPublic(BaseModel):
    id: UUID
    type: str
    actor: str
    object_type: str
    object_id: UUID
    occurred_at: UtcDateTime
    before: dict[str, object] | None
    after: dict[str, object] | None
