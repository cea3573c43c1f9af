"""Tables of the identity domain: organisations, users (members), sessions, API keys, second factors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Org(SQLModel, table=True):
    __tablename__ = "orgs"
    org_id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class User(SQLModel, table=True):
    __tablename__ = "users"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    email: str
    name: str
    password_hash: str | None = None
    role: str
    deactivated_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_sessions"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    user_id: UUID
    token_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    user_agent: str | None = None
    client_address: str | None = None
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    # Written by auth_resolve_session at most once a minute; the idle timeout counts from it.
    last_seen_at: datetime | None = _ts(nullable=True)
    # The last sign-in or re-authentication of this session (recent sign-in for sensitive actions).
    reauthenticated_at: datetime | None = _ts(nullable=True)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    prefix: str
    key_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    scopes: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    created_by: UUID | None = None
    created_at: datetime = _ts()
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    expires_at: datetime | None = _ts(nullable=True)
    version: int = 1


class MfaTotp(SQLModel, table=True):
    """A person's authenticator app: secrets sealed with SIGHTLINE_SECRET_KEY, never stored in the clear."""

    __tablename__ = "mfa_totp"
    org_id: UUID = Field(primary_key=True)
    user_id: UUID = Field(primary_key=True)
    secret: str | None = None
    enabled_at: datetime | None = _ts(nullable=True)
    last_step: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    pending_secret: str | None = None
    pending_at: datetime | None = _ts(nullable=True)


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "mfa_recovery_codes"
    org_id: UUID = Field(primary_key=True)
    user_id: UUID = Field(primary_key=True)
    code_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    created_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
