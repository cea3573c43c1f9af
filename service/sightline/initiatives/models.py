"""Tables of initiatives: the initiative, its links to key results, and its append-only spend entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Column, DateTime, Identity, Numeric
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _money(nullable: bool = False) -> Any:
    # asdecimal: asyncpg hands numeric back as Decimal; never let it become a float on the way.
    return Field(sa_column=Column(Numeric(14, 2, asdecimal=True), nullable=nullable))


class Initiative(SQLModel, table=True):
    __tablename__ = "initiatives"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    title: str
    description: str = ""
    kind: str
    owner_id: UUID
    team_id: UUID | None = None
    state: str = "planned"
    start_date: date | None = None
    end_date: date | None = None
    planned_budget: Decimal = _money()
    currency: str
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class InitiativeKeyResult(SQLModel, table=True):
    """A link from an initiative to a key result, with an optional allocation share in (0, 1]."""

    __tablename__ = "initiative_key_results"
    org_id: UUID = Field(primary_key=True)
    initiative_id: UUID = Field(primary_key=True)
    key_result_id: UUID = Field(primary_key=True)
    share: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 4, asdecimal=True), nullable=True))
    created_at: datetime = _ts()


class SpendEntry(SQLModel, table=True):
    __tablename__ = "spend_entries"
    org_id: UUID = Field(primary_key=True)
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    initiative_id: UUID
    amount: Decimal = _money()
    spent_on: date
    note: str = ""
    reason: str | None = None
    author_id: UUID | None = None
    actor: str
    created_at: datetime = _ts()
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False))
