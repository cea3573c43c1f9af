"""Reading CSV files for the import: cells, row numbers as in a spreadsheet, problems per cell, and the
organisation's teams and members by name and email.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.errors import FieldError
from sightline.identity.models import User
from sightline.insights.csv_formulas import unescape
from sightline.kpis.models import Kpi
from sightline.okrs.models import Team

MAX_ROWS = 20_000
TRUE, FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0", ""})
M = TypeVar("M", bound=BaseModel)


@dataclass
class Sheet:
    field: str  # the body field holding it, e.g. "key_results_csv"
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, cells by column)


@dataclass
class Problems:
    errors: list[FieldError] = field(default_factory=list)

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(FieldError(("body", sheet, row, column), message))


def read_sheet(text: str | None, field_name: str, required: set[str], problems: Problems) -> Sheet:
    if text is None:
        return Sheet(field_name, [])
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        rows = []
        for index, raw in enumerate(reader):
            if index >= MAX_ROWS:
                problems.add(field_name, index + 2, "", f"at most {MAX_ROWS} rows per file")
                break
            # The export quotes formula-like text (csv_formulas): its own files read back unchanged.
            cells = {
                (name or "").strip(): unescape((value or "").strip())
                for name, value in raw.items()
                if isinstance(value, str)
            }
            if any(cells.values()):  # spreadsheets leave empty rows behind; skip them
                rows.append((index + 2, cells))
    except csv.Error as exc:
        problems.errors.append(FieldError(("body", field_name), f"not readable as CSV: {exc}"))
        return Sheet(field_name, [])
    for column in sorted(required - set(header)):
        problems.add(field_name, 1, column, "missing column")
    if required - set(header):
        return Sheet(field_name, [])
    return Sheet(field_name, rows)


def validated(model: type[M], values: dict[str, Any], sheet: str, row: int, problems: Problems) -> M | None:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else ""
            problems.add(sheet, row, column, error["msg"])
        return None


def optional(cells: dict[str, str], column: str) -> str | None:
    value = cells.get(column, "")
    return value if value != "" else None


def flag(cells: dict[str, str], column: str, sheet: str, row: int, problems: Problems) -> bool:
    value = cells.get(column, "").lower()
    if value not in TRUE | FALSE:
        problems.add(sheet, row, column, "write true or false")
    return value in TRUE


def parse_moment(value: str | None) -> datetime | str | None:
    """A time with its offset, or the reason it is not one."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "not an ISO 8601 time (e.g. 2026-03-01T09:00:00+01:00)"
    if moment.tzinfo is None:
        return "give a time zone offset (ISO 8601, e.g. 2026-03-01T09:00:00+01:00)"
    return moment


@dataclass
class Directory:
    """Teams by name, active members by email and active KPIs by name (and id), for resolving the files' names."""

    teams: dict[str, list[UUID]]
    members: dict[str, UUID]
    kpis: dict[str, list[UUID]] = field(default_factory=dict)

    def team(self, name: str) -> UUID | str:
        found = self.teams.get(name, [])
        if len(found) != 1:
            return f"no team named {name!r}" if not found else f"several teams are named {name!r}"
        return found[0]

    def member(self, email: str) -> UUID | str:
        return self.members.get(email.lower(), f"no active member with the email {email!r}")

    def followed_kpi(self, cells: dict[str, str], sheet: str, row: int, problems: Problems) -> UUID | None:
        """A key result's KPI: by name (`follows_kpi`, what travels between organisations), else by id."""
        name, kpi_id = optional(cells, "follows_kpi"), optional(cells, "follows_kpi_id")
        known = {str(k): k for ids in self.kpis.values() for k in ids}
        if name is not None:
            found = self.kpis.get(name, [])
            if len(found) == 1:
                return found[0]
            if kpi_id in known:  # several KPIs of that name: the id picks one
                return known[kpi_id]
            problems.add(
                sheet, row, "follows_kpi", f"no active KPI named {name!r}" if not found else "several KPIs so named"
            )
            return None
        if kpi_id is not None and kpi_id not in known:
            problems.add(sheet, row, "follows_kpi_id", "no active KPI with this id; name it in follows_kpi")
        return known.get(kpi_id) if kpi_id is not None else None


async def directory(session: AsyncSession, org_id: UUID) -> Directory:
    teams: dict[str, list[UUID]] = {}
    for team_id, name in (
        await session.execute(
            select(col(Team.id), col(Team.name)).where(col(Team.org_id) == org_id, col(Team.archived_at).is_(None))
        )
    ).all():
        teams.setdefault(name, []).append(team_id)
    members = {
        email.lower(): user_id
        for user_id, email in (
            await session.execute(
                select(col(User.id), col(User.email)).where(
                    col(User.org_id) == org_id, col(User.deactivated_at).is_(None)
                )
            )
        ).all()
    }
    kpis: dict[str, list[UUID]] = {}
    for kpi_id, name in (
        await session.execute(
            select(col(Kpi.id), col(Kpi.name)).where(col(Kpi.org_id) == org_id, col(Kpi.archived_at).is_(None))
        )
    ).all():
        kpis.setdefault(name, []).append(kpi_id)
    return Directory(teams=teams, members=members, kpis=kpis)
