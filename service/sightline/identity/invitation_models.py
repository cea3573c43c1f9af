"""Tables of invitations and password-reset links (migration 0073): tokens are kept as their SHA-256 only."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    email: str
    role: str
    team_id: UUID | None = None
    invited_by: UUID
    token_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts()
    sent_at: datetime = _ts()
    expires_at: datetime = _ts()
    accepted_at: datetime | None = _ts(nullable=True)
    accepted_by: UUID | None = None
    revoked_at: datetime | None = _ts(nullable=True)
