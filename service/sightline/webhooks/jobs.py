"""A claimed delivery and what became of its attempt: what the dispatcher sends and the results record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sightline.webhooks.sender import AttemptResult


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to send it."""

    org_id: UUID
    delivery_id: UUID
    lease: UUID
    endpoint_id: UUID
    url: str
    enabled: bool
    attempts: int
    event_id: UUID
    body: bytes
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    job: Job
    attempted_at: datetime
    result: AttemptResult | None  # None: not sent, the endpoint was disabled in the meantime
