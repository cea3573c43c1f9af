"""The events table: the audit log and the source of webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, Identity
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    __tablename__ = "events"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    type: str
    actor: str
    object_type: str
    object_id: UUID
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
