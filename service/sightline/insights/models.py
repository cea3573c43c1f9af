"""Tables of the insights domain: grades and retrospectives of closed cycles, team reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class KeyResultGrade(SQLModel, table=True):
    __tablename__ = "key_result_grades"
    org_id: UUID = Field(primary_key=True)
    key_result_id: UUID = Field(primary_key=True)
    cycle_id: UUID
    objective_id: UUID
    owner_id: UUID
    team_id: UUID | None = None
    kind: str
    final_value: float
    progress: float
    score: float
    hit: bool
    hit_at: datetime | None = _ts(nullable=True)
    final_confidence: int | None = None
    ambition: float | None = None
    stretch_ambition: float | None = None
    graded_at: datetime = _ts()


class Retrospective(SQLModel, table=True):
    __tablename__ = "retrospectives"
    org_id: UUID = Field(primary_key=True)
    cycle_id: UUID = Field(primary_key=True)
    closed_at: datetime = _ts()
    closed_by: str
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class TeamReview(SQLModel, table=True):
    __tablename__ = "team_reviews"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    team_id: UUID
    held_at: datetime = _ts()
    since: datetime = _ts()
    notes: str = ""
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    # Per agenda item: the key result as it stood, its note and decisions (ReviewItemRecord, as JSON).
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    author_id: UUID | None = None
    actor: str
    created_at: datetime = _ts()
