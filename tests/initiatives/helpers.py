"""Setup shared by the initiative tests: key results to link, initiatives, spend."""

from __future__ import annotations

from typing import Any

import httpx
from tests.support import create, okr_setup


async def key_results(
    client: httpx.AsyncClient, count: int, **cycle: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A cycle with one company objective and `count` key results; returns (cycle, key results) ordered by id."""
    okr = await okr_setup(client, **cycle)
    krs = [
        await create(
            client,
            "/api/v1/key-results",
            {"objective_id": okr.objective["id"], "title": f"KR {i}", "target_value": 100},
        )
        for i in range(count)
    ]
    return okr.cycle, sorted(krs, key=lambda kr: kr["id"])


async def initiative(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"title": "Spring campaign", "kind": "campaign", "planned_budget": "1000.00", **fields}
    return await create(client, "/api/v1/initiatives", body)


async def spend(client: httpx.AsyncClient, initiative_id: str, amount: Any, **fields: Any) -> dict[str, Any]:
    return await create(client, f"/api/v1/initiatives/{initiative_id}/spend", {"amount": amount, **fields})


async def read(client: httpx.AsyncClient, initiative_id: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/initiatives/{initiative_id}", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
