"""Tables of the webhooks domain: endpoints and their deliveries (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    url: str
    format: str = "standard"
    description: str = ""
    event_types: list[str] | None = Field(default=None, sa_column=Column(ARRAY(Text), nullable=True))
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = _ts(nullable=True)
    secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = _ts(nullable=True)
    failing_since: datetime | None = _ts(nullable=True)
    last_success_at: datetime | None = _ts(nullable=True)
    last_failure_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    endpoint_id: UUID
    event_id: UUID
    event_type: str
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    lease_token: UUID | None = None
    last_attempt_at: datetime | None = _ts(nullable=True)
    response_status: int | None = None
    response_excerpt: str | None = None
    latency_ms: int | None = None
    error: str | None = None
    delivered_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
