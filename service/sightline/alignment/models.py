"""The alignment link table."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class Alignment(SQLModel, table=True):
    __tablename__ = "alignments"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    child_objective_id: UUID
    parent_objective_id: UUID | None = None
    parent_key_result_id: UUID | None = None
    parent_node_id: UUID  # the parent objective, or the objective of the parent key result
    kind: str
    weight: float
    actor: str
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
