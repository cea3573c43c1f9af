"""Tables of KPIs: the KPI (with its latest value and status kept on the row) and its values over time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Kpi(SQLModel, table=True):
    __tablename__ = "kpis"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    description: str = ""
    unit: str = ""
    direction: str
    owner_id: UUID
    team_id: UUID | None = None
    healthy_min: float | None = None
    healthy_max: float | None = None
    critical_min: float | None = None
    critical_max: float | None = None
    cadence: str
    # Kept by every value recorded (and every edit of the range): the latest value by time and its status.
    latest_value: float | None = None
    latest_recorded_at: datetime | None = _ts(nullable=True)
    status: str | None = None
    archived_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class KpiValue(SQLModel, table=True):
    __tablename__ = "kpi_values"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    kpi_id: UUID
    value: float
    recorded_at: datetime = _ts()
    note: str = ""
    author_id: UUID | None = None
    actor: str
    source: str = "manual"
    created_at: datetime = _ts()
