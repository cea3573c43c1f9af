"""KPIs counted by status in one statement (the scoreboard's KPI panel; insights/scoreboard.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_COUNTS = text("""
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'healthy') AS healthy,
           count(*) FILTER (WHERE status = 'warning') AS warning,
           count(*) FILTER (WHERE status = 'critical') AS critical,
           count(*) FILTER (WHERE status IS NULL) AS no_value
    FROM kpis
    WHERE org_id = :org AND archived_at IS NULL AND (CAST(:team AS uuid) IS NULL OR team_id = :team)
""")


async def status_counts(session: AsyncSession, *, org_id: UUID, team_id: UUID | None) -> dict[str, Any]:
    """The organisation's active KPIs (or one team's) by status, as `KpiStatusCounts`' JSON values."""
    row = (await session.execute(_COUNTS, {"org": org_id, "team": team_id})).one()
    return dict(row._mapping)
