"""The mail outbox table: one row per message, kept after delivery (status, attempts, last error)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class MailMessage(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    kind: str  # what it is for ("email_verification", …): in the delivery log and metrics, never the body
    to_address: str
    subject: str
    body_text: str
    body_html: str | None = None  # sent as multipart/alternative with the text when set
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    status: str = "pending"  # pending → sent | logged | failed
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None
