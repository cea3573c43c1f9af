"""Helpers of the integration tests: a key result to feed, integrations, runs, what the database holds."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from tests.support import create, okr_setup


async def key_result(
    client: httpx.AsyncClient,
    *,
    title: str = "Pipeline KR",
    target: float = 18_000,
    cadence: str = "monthly",
    team: str | None = None,
    start: str = "2026-01-01",
    end: str = "2026-12-31",
) -> dict[str, Any]:
    """A key result in an active cycle; under a team objective when `team` is named."""
    okr = await okr_setup(client, start=start, end=end)
    objective_id = okr.objective["id"]
    if team is not None:
        team_row = await create(client, "/api/v1/teams", {"name": team})
        objective = await create(
            client,
            "/api/v1/objectives",
            {"cycle_id": okr.cycle["id"], "title": "Fill the pipeline", "level": "team", "team_id": team_row["id"]},
        )
        objective_id = objective["id"]
    return await create(
        client,
        "/api/v1/key-results",
        {"objective_id": objective_id, "title": title, "target_value": target, "cadence": cadence},
    )


async def http_integration(client: httpx.AsyncClient, kr: dict[str, Any], url: str, **source: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "http", "url": url, **source}
    if body.get("format", "json") == "json":
        body.setdefault("json_path", "$.data.pipeline")
    return await create(
        client,
        "/api/v1/integrations",
        {"name": f"crm-{uuid.uuid4().hex[:6]}", "key_result_id": kr["id"], "schedule": "daily", "source": body},
    )


async def check_ins_of(connection: asyncpg.Connection, kr_id: str) -> list[asyncpg.Record]:
    return list(
        await connection.fetch(
            "SELECT value, source, actor, confidence, checked_in_at FROM check_ins WHERE key_result_id = $1 "
            "ORDER BY seq",
            uuid.UUID(kr_id),
        )
    )


async def runs_of(client: httpx.AsyncClient, integration_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/integrations/{integration_id}/runs")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
