"""Tables of the OKR core. Derived key-result fields are kept on the row by the check-in transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, Identity
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    parent_id: UUID | None = None
    lead_id: UUID | None = None
    archived_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_members"
    org_id: UUID = Field(primary_key=True)
    team_id: UUID = Field(primary_key=True)
    user_id: UUID = Field(primary_key=True)


class Cycle(SQLModel, table=True):
    __tablename__ = "cycles"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    name: str
    start_date: date
    end_date: date
    parent_id: UUID | None = None
    state: str = "planning"
    closed_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Objective(SQLModel, table=True):
    __tablename__ = "objectives"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    cycle_id: UUID
    title: str
    description: str = ""
    level: str
    team_id: UUID | None = None
    owner_id: UUID
    kind: str = "committed"
    state: str = "active"
    progress_from: str = "key_results"
    carried_from: UUID | None = None  # the objective this one was carried over from (planning/carry_over.py)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # The stored roll-up (okrs/rollups.py): kept by every write that changes it; `rollup_at` is the clock its
    # expected progress and status were computed at (NULL: never, reads compute it themselves).
    rollup_progress: float | None = None
    rollup_expected_progress: float | None = None
    rollup_score: float | None = None
    rollup_status: str = "no_data"
    rollup_at: datetime | None = _ts(nullable=True)
    rollup_version: int = 0  # bumped by every write of the roll-up (a refresh's compare-and-swap)


class KeyResult(SQLModel, table=True):
    __tablename__ = "key_results"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    objective_id: UUID
    title: str
    owner_id: UUID
    metric: str
    unit: str = ""
    direction: str
    start_value: float
    target_value: float
    stretch_value: float | None = None
    previous_value: float | None = None
    weight: float = 1.0
    accumulation: str = "cumulative"  # how a carry-over starts it: again from its start, or where it ended
    carried_from: UUID | None = None  # the key result this one was carried over from
    cadence: str
    milestone_plan: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    data_source: str = "manual"
    external_key: str | None = None
    follows_kpi_id: UUID | None = None  # the KPI whose values it takes (kpis/values.py checks it in)
    # Kept by the integration pulling this key result's values (null without one): its last run's health.
    data_source_status: str | None = None
    data_source_error: str | None = None
    data_source_checked_at: datetime | None = _ts(nullable=True)
    archived_at: datetime | None = _ts(nullable=True)
    current_value: float
    progress: float = 0.0
    score: float = 0.0
    status: str = "on_track"
    latest_confidence: int | None = None
    last_check_in_at: datetime | None = _ts(nullable=True)
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CheckIn(SQLModel, table=True):
    __tablename__ = "check_ins"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    key_result_id: UUID
    value: float
    confidence: int | None = None
    note: str = ""
    author_id: UUID | None = None
    actor: str
    source: str = "manual"
    checked_in_at: datetime = _ts()
    created_at: datetime = _ts()
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False))
    backdated: bool = False
    corrects: UUID | None = None
    reason: str | None = None
