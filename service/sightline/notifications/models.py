"""Tables of notifications: one inbox row per recipient and event, and each member's choice per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, Identity
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    user_id: UUID
    kind: str
    object_type: str
    object_id: UUID
    title: str
    summary: str
    path: str
    event_id: UUID
    actor: str
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False))
    created_at: datetime = _ts()
    read_at: datetime | None = _ts(nullable=True)
    digested_at: datetime | None = _ts(nullable=True)


class NotificationPreference(SQLModel, table=True):
    __tablename__ = "notification_preferences"
    org_id: UUID = Field(primary_key=True)
    user_id: UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    channel: str
    updated_at: datetime = _ts()
