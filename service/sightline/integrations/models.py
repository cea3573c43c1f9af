"""Tables of the integrations domain: SQL connections, integrations and their run log, digests, SSO."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class SqlConnection(SQLModel, table=True):
    __tablename__ = "sql_connections"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    description: str = ""
    dsn_encrypted: str
    host: str
    port: int | None = None
    database: str
    username: str
    sslmode: str | None = None  # as the string says (None: saved before migration 0063)
    allow_weak_tls: bool = False
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Integration(SQLModel, table=True):
    __tablename__ = "integrations"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    key_result_id: UUID | None = None  # the target: a key result or a KPI, exactly one (migration 0079)
    kpi_id: UUID | None = None
    kind: str
    schedule: str
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    headers_encrypted: str | None = None
    header_names: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    connection_id: UUID | None = None
    next_run_at: datetime | None = _ts(nullable=True)
    last_run_at: datetime | None = _ts(nullable=True)
    last_success_at: datetime | None = _ts(nullable=True)
    last_value: float | None = None
    last_error: str | None = None
    failing_since: datetime | None = _ts(nullable=True)
    consecutive_failures: int = 0
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class IntegrationRun(SQLModel, table=True):
    __tablename__ = "integration_runs"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    integration_id: UUID
    trigger: str
    triggered_by: str
    started_at: datetime = _ts()
    duration_ms: int
    outcome: str
    value: float | None = None
    check_in_id: UUID | None = None
    kpi_value_id: UUID | None = None  # a run feeding a KPI records a KPI value instead of a check-in
    error: str | None = None


class TeamDigest(SQLModel, table=True):
    __tablename__ = "team_digests"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    team_id: UUID
    endpoint_id: UUID
    weekday: int = 1
    hour: int = 9
    last_sent_at: datetime | None = _ts(nullable=True)
    last_sent_week: date | None = None
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class SsoConfig(SQLModel, table=True):
    __tablename__ = "sso_configs"
    org_id: UUID = Field(primary_key=True)
    issuer: str
    client_id: str
    client_secret_encrypted: str
    allowed_domains: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False))
    default_role: str = "member"
    auto_create_members: bool = False
    sso_required: bool = False
    enabled: bool = True
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
